import { classifyHost, hostOf } from '../net.js';
import { isCriticalTree, type Level, normalizePath, sensitiveRead } from '../sensitive.js';

export interface InlineHit {
  readonly category: string;
  readonly level: Level;
  readonly score: number;
  readonly reason: string;
}

const SOCKET = /\bsocket\b|\bTCPSocket\b|\bfsockopen\b|\bnet\.(?:Socket|connect|createConnection)\b|\(\s*['"]net['"]\s*\)|\bIO::Socket\b|\buse Socket\b|\bSocket\.new\b|\bNet\.Sockets\b|\bstream_socket_client\b/;
const SPAWN = /\bsubprocess\b|\bpty\.spawn\b|\bos\.dup2\b|\/bin\/(?:ba|z|da)?sh\b|\bchild_process\b|\bexec[lv]?p?e?\s*\(|\bspawn\s*\(|\bsystem\s*\(|\bproc_open\b|\bshell_exec\b|\bpassthru\b|\bIO\.popen\b|\bcmd\.exe\b|\bStart-Process\b/;
const DECODE = /\bb64decode\b|\bbase64\.decodebytes\b|\bBuffer\.from\([^)]*['"]base64['"]|\batob\s*\(|\bdecode_base64\b|\bbase64_decode\b|\bunpack\(\s*['"]m|\bFromBase64String\b|\bcodecs\.decode\([^)]*rot|\bbytes\.fromhex\b|\bunhexlify\b|\bzlib\.decompress\b/;
const EXEC = /\bexec\s*\(|\beval\s*\(|\bcompile\s*\(|\bsystem\s*\(|\bpopen\s*\(|\bnew Function\b|\bFunction\s*\(|\bsubprocess\b|\bspawn\s*\(|\bexecSync\b|\bpassthru\b|\bshell_exec\b|\bInvoke-Expression\b|\biex\b|\bvm\.run\w*\b|\binstance_eval\b/;
const FETCH = /\burlopen\b|\brequests\.(?:get|post)\b|\burllib\b|\bhttps?\.get\b|\bfetch\s*\(|\bopen-uri\b|\bLWP::|\bfile_get_contents\(\s*['"]https?:|\bNet::HTTP\b|\bInvoke-WebRequest\b|\biwr\b|\birm\b|\bInvoke-RestMethod\b|\bDownloadString\b|\bNet\.WebClient\b|\bcurl_exec\b|\baxios\b/;
const ENV_DUMP = /\bprint\s*\(\s*(?:dict\()?os\.environ\b|\bos\.environ\.(?:items|copy)\(\)|\bJSON\.stringify\(\s*process\.env\s*\)|\bconsole\.(?:log|dir)\(\s*process\.env\s*\)|\bprint\s+%ENV\b|\bENV\.to_h\b|\bgetenv\(\)\s*\)|\bprintenv\b|\bGet-ChildItem\s+env:/i;
const UPLOAD = /\brequests\.(?:post|put|patch)\b|\burlopen\([^)]*data|\bfetch\([^)]*method\s*:\s*['"](?:POST|PUT)|\bhttps?\.request\b|\baxios\.(?:post|put)\b|\bNet::HTTP::Post\b|\bcurl_setopt\b|\bsmtplib\b|\bftplib\b|\bparamiko\b|\bInvoke-RestMethod\b[^\n]*-Method\s+Post/i;
const FILE_READ = /\bopen\s*\(|\breadFile(?:Sync)?\b|\bFile\.read\b|\bfile_get_contents\b|\bread_text\b|\bread_bytes\b|\bGet-Content\b|\bos\.walk\b|\bglob\.glob\b/;
const RMTREE = /(?:rmtree|rmSync|rm_rf|remove_dir_all|rimraf(?:\.sync)?|rmdirSync|removedirs|Remove-Item)\s*\(?\s*(?:os\.path\.expanduser\(\s*)?['"]([^'"]+)['"]/g;
const STRING = /(['"])((?:\\.|(?!\1)[^\\\n]){2,300})\1/g;
const URL_IN_CODE = /\bhttps?:\/\/[^\s'"`)]+/g;

/**
 * A quick look at code passed inline to an interpreter (`python -c`, `node -e`, `perl -e`, heredocs):
 * reverse shells, decode-and-run, download-and-run, credential files, environment dumps, deletes of
 * critical trees. Shell commands inside the code (`os.system("…")`) are analyzed as shell by the caller.
 */
export function analyzeInlineCode(code: string): InlineHit[] {
  const hits: InlineHit[] = [];
  if (/\/dev\/(?:tcp|udp)\//.test(code)) hits.push({ category: 'reverse_shell', level: 'deny', score: 0.97, reason: 'uses a /dev/tcp network socket' });
  else if (SOCKET.test(code) && SPAWN.test(code)) hits.push({ category: 'reverse_shell', level: 'deny', score: 0.95, reason: 'connects a socket to a process (reverse shell)' });
  if (DECODE.test(code) && EXEC.test(code)) hits.push({ category: 'decode_exec', level: 'deny', score: 0.93, reason: 'decodes data and executes it' });
  if (FETCH.test(code) && EXEC.test(code) && !/\bjson\(\)|JSON\.parse/.test(code)) hits.push({ category: 'remote_code', level: 'deny', score: 0.92, reason: 'downloads code and executes it' });
  if (UPLOAD.test(code) && FILE_READ.test(code)) hits.push({ category: 'exfiltration', level: 'review', score: 0.75, reason: 'reads files and sends them over the network' });
  if (ENV_DUMP.test(code)) hits.push({ category: 'credential_read', level: 'review', score: 0.7, reason: 'prints the whole environment (may hold API keys)' });
  let m: RegExpExecArray | null;
  RMTREE.lastIndex = 0;
  while ((m = RMTREE.exec(code)) !== null) {
    if (isCriticalTree(normalizePath(m[1]!))) {
      hits.push({ category: 'destructive', level: 'deny', score: 0.9, reason: 'recursively deletes the home directory, the root or a system tree' });
      break;
    }
  }
  STRING.lastIndex = 0;
  let strings = 0;
  while ((m = STRING.exec(code)) !== null && strings++ < 64) {
    const s = m[2]!;
    if (!/[/~.]/.test(s)) continue;
    const hit = sensitiveRead(normalizePath(s));
    if (hit) {
      hits.push({ category: hit.category, level: hit.level, score: 0.88, reason: `reads ${hit.what}` });
      break;
    }
  }
  URL_IN_CODE.lastIndex = 0;
  while ((m = URL_IN_CODE.exec(code)) !== null) {
    const host = hostOf(m[0]);
    if (host && classifyHost(host).cls === 'metadata') {
      hits.push({ category: 'credential_read', level: 'deny', score: 0.9, reason: 'reads the cloud metadata service (instance credentials)' });
      break;
    }
  }
  return hits;
}
