import { classifyHost, hostOf } from '../net.js';
import { isCriticalTree, type Level, normalizePath, sensitiveRead, sensitiveWrite } from '../sensitive.js';
import { SECRET_VAR } from './tables.js';

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
const ENV_DUMP = /\bprint\s*\(\s*(?:dict\()?os\.environ\b(?!\s*(?:\.get\b|\[))|^\s*process\.env\s*;?\s*$|\bos\.environ\.(?:items|copy)\(\)|\bJSON\.stringify\(\s*process\.env\s*\)|\bconsole\.(?:log|dir)\(\s*process\.env\s*\)|\bprint\s+%ENV\b|\bENV\.to_h\b|\bgetenv\(\)\s*\)|\bprintenv\b|\bGet-ChildItem\s+env:/i;
const UPLOAD = /\brequests\.(?:post|put|patch)\b|\burlopen\([^)]*data|\bfetch\([^)]*method\s*:\s*['"](?:POST|PUT)|\bhttps?\.request\b|\baxios\.(?:post|put)\b|\bNet::HTTP::Post\b|\bcurl_setopt\b|\bsmtplib\b|\bftplib\b|\bparamiko\b|\bInvoke-RestMethod\b[^\n]*-Method\s+Post/i;
const FILE_READ = /\bopen\s*\(|\breadFile(?:Sync)?\b|\bFile\.read\b|\bfile_get_contents\b|\bread_text\b|\bread_bytes\b|\bGet-Content\b|\bos\.walk\b|\bglob\.glob\b/;
const RMTREE = /(?:rmtree|rmSync|rm_rf|remove_dir_all|rimraf(?:\.sync)?|rmdirSync|removedirs|Remove-Item)\s*\(?\s*(?:os\.path\.expanduser\(\s*)?['"]([^'"]+)['"]/g;
const STRING = /(['"])((?:\\.|(?!\1)[^\\\n]){2,300})\1/g;
/** Method calls that write a file (`Path(...).write_text(`, `.open('w')`). */
const WRITE_METHOD = /\.(?:write_text|write_bytes|open\s*\(\s*['"][wa])/g;

/** Code that builds paths from the home directory (`Path.home() / '.aws' / 'credentials'`, `os.homedir() + '/.kube/config'`). */
const HOME_REF = /\bhome\s*\(\)|\bhomedir\s*\(\)|\bexpanduser\b|\bHOME\b|\bDir\.home\b|\bUserHomeDir\b|\bhome_dir\s*\(\)/;
/** Calls that write the path in their first argument (mode checked for `open`). */
const WRITE_CALL = /\b(?:open|File\.open)\s*\(|\b(?:write|append)File(?:Sync)?\s*\(|\bFile\.(?:write|binwrite)\s*\(|\b(?:copyFile|copyFileSync|symlinkSync|renameSync|shutil\.copy\w*|shutil\.move|os\.symlink|os\.rename)\s*\(/g;
/** `os.environ['X']`, `os.getenv('X')`, `process.env.X`, `$ENV{X}`, `ENV['X']`, `Deno.env.get('X')`, `$env:X`: the names of the variables code reads. */
const ENV_REF = /os\.environ(?:\.get)?\s*[[(]\s*['"](\w+)|\bgetenv\s*\(\s*['"](\w+)|process\.env\.(\w+)|process\.env\[\s*['"](\w+)|\$ENV\{\s*['"]?(\w+)|\bENV\[\s*['"](\w+)|Deno\.env\.get\(\s*['"](\w+)|\$env:(\w+)/g;
const NETWORK = /\burlopen\b|\brequests\.\w+\b|\bhttpx\b|\burllib\b|\bhttps?\.(?:get|request)\b|\bfetch\s*\(|\baxios\b|\bsocket\b|\bLWP::|\bHTTP::Tiny\b|\bNet::HTTP\b|\bInvoke-(?:WebRequest|RestMethod)\b|\bcurl_exec\b|\bsmtplib\b/;
const URL_IN_CODE = /\bhttps?:\/\/[^\s'"`)]+/g;

/**
 * A quick look at code passed inline to an interpreter (`python -c`, `node -e`, `perl -e`, heredocs):
 * reverse shells, decode-and-run, download-and-run, credential files, environment dumps, deletes of
 * critical trees. Shell commands inside the code (`os.system("…")`) are analyzed as shell by the caller.
 */
export function analyzeInlineCode(code: string, knownHost: (host: string) => boolean = () => false): InlineHit[] {
  const hits: InlineHit[] = [];
  if (/\/dev\/(?:tcp|udp)\//.test(code)) hits.push({ category: 'reverse_shell', level: 'deny', score: 0.97, reason: 'uses a /dev/tcp network socket' });
  else if (SOCKET.test(code) && SPAWN.test(code)) hits.push({ category: 'reverse_shell', level: 'deny', score: 0.95, reason: 'connects a socket to a process (reverse shell)' });
  if (DECODE.test(code) && EXEC.test(code)) hits.push({ category: 'decode_exec', level: 'deny', score: 0.93, reason: 'decodes data and executes it' });
  if (FETCH.test(code) && EXEC.test(code) && !/\bjson\(\)|JSON\.parse/.test(code)) hits.push({ category: 'remote_code', level: 'deny', score: 0.92, reason: 'downloads code and executes it' });
  if ((UPLOAD.test(code) || (SOCKET.test(code) && /\.(?:send(?:all|to)?|write)\s*\(/.test(code))) && FILE_READ.test(code)) hits.push({ category: 'exfiltration', level: 'review', score: 0.75, reason: 'reads files and sends them over the network' });
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
  if (!hits.some((h) => h.category === 'credential_read')) {
    const homeHit = HOME_REF.test(code) ? homeJoined(code).map((p) => sensitiveRead(p)).find((h) => h) : undefined;
    if (homeHit) hits.push({ category: homeHit.category, level: homeHit.level, score: 0.88, reason: `reads ${homeHit.what}` });
  }
  const written = writtenPaths(code).map((p) => sensitiveWrite(p)).find((h) => h && h.category !== 'system_write');
  if (written) hits.push({ category: written.category, level: written.level, score: 0.9, reason: `writes to ${written.what}` });
  secretEnv(code, knownHost, hits);
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

/** The string literals of a piece of code, each with where it ends and where the next begins. */
function literals(code: string): { text: string; start: number; end: number }[] {
  const out: { text: string; start: number; end: number }[] = [];
  STRING.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = STRING.exec(code)) !== null && out.length < 64) out.push({ text: m[2]!, start: m.index, end: m.index + m[0].length });
  return out;
}

/**
 * Paths code builds under the home directory: runs of string literals joined by `/`, `,` or `+`
 * (`Path.home() / '.aws' / 'credentials'`, `os.path.join(HOME, '.kube', 'config')`,
 * `os.homedir() + '/.ssh/id_rsa'`), read as `~/…` when the run starts with a dot-file.
 */
function homeJoined(code: string, within: readonly { text: string; start: number; end: number }[] = literals(code)): string[] {
  const out: string[] = [];
  for (let i = 0; i < within.length; i++) {
    if (!/^\/?\./.test(within[i]!.text)) continue;
    let path = within[i]!.text.replace(/^\/+/, '');
    out.push(`~/${path}`);
    for (let j = i + 1; j < within.length && /^[\s,/+]*$/.test(code.slice(within[j - 1]!.end, within[j]!.start)); j++) {
      path = `${path}/${within[j]!.text.replace(/^\/+/, '')}`;
      out.push(`~/${path}`);
    }
  }
  return out.map((p) => normalizePath(p));
}

/** The first argument of a call starting at `from` (just after its `(`), up to a top-level comma or the closing parenthesis. */
function firstArgument(code: string, from: number): { text: string; rest: string } {
  let depth = 0;
  for (let i = from; i < code.length && i < from + 400; i++) {
    const c = code[i]!;
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      if (depth === 0) return { text: code.slice(from, i), rest: '' };
      depth--;
    } else if (c === ',' && depth === 0) return { text: code.slice(from, i), rest: code.slice(i + 1, i + 40) };
  }
  return { text: code.slice(from, from + 400), rest: '' };
}

/**
 * Paths code writes: the first argument of `open(P, 'a')`, `writeFileSync(P, …)`, `File.write(P, …)`
 * (the destination of copies and renames), and `Path(…).write_text` receivers, as literals and as
 * home-joined paths. `open` counts only with a write or append mode.
 */
function writtenPaths(code: string): string[] {
  const out: string[] = [];
  WRITE_CALL.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = WRITE_CALL.exec(code)) !== null && out.length < 32) {
    let arg = firstArgument(code, m.index + m[0].length);
    if (/^(?:open|File\.open)/.test(m[0]) && !/^\s*['"][^'"]*[wax+]/.test(arg.rest) && !/^\s*['"]?>/.test(arg.text)) continue;
    if (/copyFile|symlink|rename|shutil|os\.(?:symlink|rename)/.test(m[0]) && arg.rest) arg = firstArgument(code, m.index + m[0].length + arg.text.length + 1);
    const lits = literals(arg.text);
    for (const l of lits) out.push(normalizePath(l.text.replace(/^[+<>]+/, '').replace(/^\$ENV\{HOME\}|^\$HOME/, '~')));
    if (HOME_REF.test(arg.text) || HOME_REF.test(code)) out.push(...homeJoined(arg.text, lits));
  }
  // What leads up to `.write_text(` and the like, back to the statement's start (at most 200
  // characters). Found from the call, not by a regex that starts at every character and reads up to
  // 200 of them (quadratic-ish on long code without `;`).
  let from = 0;
  for (const w of code.matchAll(WRITE_METHOD)) {
    const at = w.index;
    let start = Math.max(from, at - 200);
    for (let k = at - 1; k >= start; k--) {
      const c = code.charCodeAt(k);
      if (c === 0x3b || c === 0x0a) {
        start = k + 1;
        break;
      }
    }
    const lead = code.slice(start, at);
    if (HOME_REF.test(lead)) out.push(...homeJoined(lead));
    from = at + w[0].length;
  }
  return out;
}

/**
 * Secret variables code reads (`os.environ['OPENAI_API_KEY']`): printed, like `echo $OPENAI_API_KEY`
 * (review); sent over the network to a host that is neither known nor the key's vendor, exfiltration (deny).
 */
function secretEnv(code: string, knownHost: (host: string) => boolean, hits: InlineHit[]): void {
  ENV_REF.lastIndex = 0;
  let secret: string | undefined;
  let m: RegExpExecArray | null;
  while ((m = ENV_REF.exec(code)) !== null) {
    const name = m.slice(1).find((g) => g !== undefined);
    if (name && SECRET_VAR.test(name)) {
      secret = name;
      break;
    }
  }
  if (!secret) return;
  if (NETWORK.test(code)) {
    URL_IN_CODE.lastIndex = 0;
    const hosts = [...code.matchAll(URL_IN_CODE)].map((u) => hostOf(u[0])).filter((h): h is string => !!h);
    const socketHosts = [...code.matchAll(/\(\s*\(\s*['"]([\w.-]+)['"]\s*,\s*\d+/g)].map((x) => x[1]!.toLowerCase());
    const all = [...hosts, ...socketHosts];
    if (all.length > 0 && all.every((h) => knownHost(h) || classifyHost(h).cls === 'loopback' || vendorHost(secret!, h))) return;
    hits.push({ category: 'exfiltration', level: all.length > 0 ? 'deny' : 'review', score: 0.9, reason: `sends the secret variable $${secret} over the network to ${all.length > 0 ? 'an unknown host' : 'a host it does not name'}` });
    return;
  }
  if (!hits.some((h) => h.category === 'credential_read')) hits.push({ category: 'credential_read', level: 'review', score: 0.7, reason: `prints the secret variable $${secret}` });
}

/** `$NOTION_API_KEY` sent to api.notion.com: the variable names the vendor whose host receives it. */
export function vendorHost(variable: string, host: string): boolean {
  const vendor = variable.toLowerCase().split('_').find((p) => p.length >= 3 && !/^(?:api|key|token|secret|access|auth|pat|bearer|personal|the|my)$/.test(p));
  return !!vendor && host.split('.').some((label) => label === vendor || (label.startsWith(vendor) && label.length - vendor.length <= 3));
}
