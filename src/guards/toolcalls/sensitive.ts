import { posix } from 'node:path';

/**
 * Where secrets and system state live on a Unix host, as seen by an agent's commands and file tools.
 * Paths are matched in a normalized form: the user's home directory (`~`, `$HOME`, `/root`,
 * `/home/NAME`, `/Users/NAME`) becomes `~`, and `.` / `..` segments are resolved.
 */

export type Level = 'deny' | 'review';

export interface PathHit {
  /** Finding category: `credential_read`, `persistence`, `privilege_escalation`, `system_write`, `defense_evasion`. */
  readonly category: string;
  readonly level: Level;
  /** What the path is, for reasons: "SSH private keys (~/.ssh)". Never the file's content. */
  readonly what: string;
}

interface PathRule extends PathHit {
  readonly re: RegExp;
}

/** `~`, `$HOME`: shell syntax, so case-sensitive (`$home` is another variable). */
const HOME_VAR_PREFIX = /^(?:~[^/]*|\$HOME|\$\{HOME\})(?=\/|$)/;
/** Home directories as file-system paths: case-insensitive, like the rules below (`/ROOT`, `/users/ann`). */
const HOME_DIR_PREFIX = /^(?:\/root|\/home\/[^/]+|\/Users\/[^/]+|\/var\/root)(?=\/|$)/i;

/** `~`-relative, `.`/`..`-resolved, `//`-collapsed form of a path as written. */
export function normalizePath(text: string, home?: string): string {
  let p = text.trim();
  if (p.startsWith('file://')) p = decodeURIComponentSafe(p.slice(7));
  if (home) {
    const lower = p.toLowerCase();
    const h = home.toLowerCase();
    if (lower === h || lower.startsWith(`${h}/`)) p = `~${p.slice(home.length)}`;
  }
  p = p.replace(HOME_VAR_PREFIX, '~').replace(HOME_DIR_PREFIX, '~');
  if (p === '') return p;
  const normalized = posix.normalize(p);
  // `/proc/self/root/etc/shadow` (and `/proc/PID/root/…`) is `/etc/shadow` seen through a process's root.
  const procRoot = /^\/proc\/[^/]+\/root(?=\/|$)/i.exec(normalized);
  if (procRoot) return normalizePath(normalized.slice(procRoot[0].length) || '/', home);
  return normalized.length > 1 && normalized.endsWith('/') ? normalized.slice(0, -1) : normalized;
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

const ENV_FILE = /(?:^|\/)\.env(?:\.(?!example\b|sample\b|template\b|dist\b|defaults?\b|schema\b|tpl\b)[\w.-]+)?$/;

/** Reading these leaks credentials (or, for review-level, probably does). First match wins. */
const READ_RULES: PathRule[] = [
  { re: /^~\/\.ssh\/(?:.*\.pub|known_hosts(?:\.old)?)$/, category: '', level: 'review', what: '' },
  { re: /^~\/\.ssh(?:\/|$)/, category: 'credential_read', level: 'deny', what: 'SSH keys (~/.ssh)' },
  { re: /(?:^|\/)id_(?:rsa|dsa|ecdsa|ed25519)(?:_sk)?$/, category: 'credential_read', level: 'deny', what: 'an SSH private key' },
  { re: /^\/etc\/ssh\/ssh_host_[a-z0-9]+_key$/, category: 'credential_read', level: 'deny', what: 'SSH host keys' },
  { re: /^~\/\.aws(?:\/|$)/, category: 'credential_read', level: 'deny', what: 'AWS credentials (~/.aws)' },
  { re: /^~\/\.(?:config\/gcloud|azure|oci|aliyun|config\/doctl)(?:\/|$)/, category: 'credential_read', level: 'deny', what: 'cloud CLI credentials' },
  { re: /^~\/\.kube(?:\/|$)|^\/etc\/kubernetes\/(?:admin|kubelet|controller-manager|scheduler)\.conf$|^\/etc\/rancher\/k3s\/k3s\.yaml$/, category: 'credential_read', level: 'deny', what: 'Kubernetes credentials' },
  { re: /^\/(?:var\/)?run\/secrets(?:\/|$)/, category: 'credential_read', level: 'deny', what: 'mounted service secrets' },
  { re: /^~\/\.docker\/config\.json$|^~\/\.dockercfg$/, category: 'credential_read', level: 'deny', what: 'Docker registry credentials' },
  { re: /^~\/\.(?:npmrc|yarnrc(?:\.yml)?|pypirc|netrc|git-credentials|pgpass|my\.cnf|boto|s3cfg|vault-token|terraformrc|gitcookies)$/, category: 'credential_read', level: 'deny', what: 'stored credentials in a dotfile' },
  { re: /(?:^|\/)\.netrc$|(?:^|\/)\.git-credentials$|(?:^|\/)\.pgpass$/, category: 'credential_read', level: 'deny', what: 'stored credentials' },
  { re: /^~\/\.(?:gnupg|password-store|local\/share\/keyrings)(?:\/|$)|^~\/Library\/Keychains(?:\/|$)/, category: 'credential_read', level: 'deny', what: 'a key ring or password store' },
  { re: /^~\/\.(?:config\/gh|config\/hub|terraform\.d|cargo\/credentials|gem\/credentials|config\/rclone|config\/op|op|config\/heroku|netlify|config\/netlify|vercel|config\/vercel|fly|config\/git\/credentials)(?:\/|$|\.toml)/, category: 'credential_read', level: 'deny', what: 'developer tool tokens' },
  { re: /^~\/\.(?:bash|zsh|sh|ksh|python|node_repl|psql|mysql|sqlite|rediscli|lesshst)_?history$|^~\/\.zhistory$|^~\/\.local\/share\/fish\/fish_history$/, category: 'credential_read', level: 'deny', what: 'shell or REPL history (often holds secrets)' },
  { re: /^~\/\.(?:mozilla|thunderbird)(?:\/|$)|^~\/snap\/(?:firefox|chromium)(?:\/|$)/, category: 'credential_read', level: 'deny', what: 'a browser profile' },
  { re: /^~\/\.config\/(?:google-chrome[^/]*|chromium|BraveSoftware|microsoft-edge[^/]*|vivaldi|opera|Signal|discord|Slack)(?:\/|$)/, category: 'credential_read', level: 'deny', what: 'a browser or messenger profile' },
  { re: /^~\/Library\/(?:Application Support\/(?:Google\/Chrome|Firefox|BraveSoftware|Microsoft Edge|Arc|Slack|discord|Signal)|Cookies|Safari)(?:\/|$)/, category: 'credential_read', level: 'deny', what: 'a browser or messenger profile' },
  { re: /(?:^|\/)(?:Login Data|Cookies|Web Data|key[34]\.db|logins\.json|cookies\.sqlite|signons\.sqlite|Local State)$/, category: 'credential_read', level: 'deny', what: 'a browser credential store' },
  // Tokens of more developer tools, registries and AI coding agents (found in a security review).
  { re: /^~\/\.(?:config\/containers\/auth\.json|docker\/contexts|(?:config\/)?composer\/auth\.json|(?:cache\/)?huggingface\/(?:stored_)?tokens?|kaggle\/kaggle\.json|config\/glab-cli|codex\/auth\.json|claude\/\.credentials\.json|config\/github-copilot|gemini\/oauth_creds\.json|config\/sops\/age|mylogin\.cnf|config\/stripe|ngrok2|config\/ngrok|config\/doppler|tsh|railway|config\/configstore)(?:\/|$)/, category: 'credential_read', level: 'deny', what: 'developer tool tokens' },
  { re: /^\/run\/user\/\d+\/containers\/auth\.json$|^\/run\/containers\/\d+\/auth\.json$/, category: 'credential_read', level: 'deny', what: 'container registry credentials' },
  { re: /^~\/\.(?:bitcoin|electrum|ethereum|monero|litecoin|dogecoin|config\/solana|config\/Exodus)(?:\/|$)|(?:^|\/)wallet\.dat$/, category: 'credential_read', level: 'deny', what: 'a cryptocurrency wallet' },
  // Often, not always, hold a registry password or token: a human decides.
  { re: /^~\/\.(?:m2\/settings(?:-security)?\.xml|gradle\/gradle\.properties|pip\/pip\.conf|config\/pip\/pip\.conf|bundle\/config|config\/helm\/repositories\.yaml)$/, category: 'credential_read', level: 'review', what: 'a package manager configuration that may hold registry credentials' },
  { re: /^~\/\.openclaw\/workspace(?:-[^/]*)?(?:\/|$)/, category: '', level: 'review', what: '' },
  { re: /^~\/\.(?:openclaw|clawdbot|moltbot)(?:\/|$)/, category: 'credential_read', level: 'deny', what: "OpenClaw's own config, credentials and tokens (~/.openclaw)" },
  { re: /(?:^|\/)(?:openclaw\.json|auth-profiles\.json)$/, category: 'credential_read', level: 'deny', what: "OpenClaw's config or auth profiles" },
  { re: /(?:^|\/)clawguard\.db(?:-wal|-shm)?$|(?:^|\/)\.clawguard(?:\/|$)/, category: 'credential_read', level: 'deny', what: "ClawGuard's own store" },
  { re: /^\/etc\/(?:shadow|gshadow|master\.passwd|security\/opasswd)-?$|^\/etc\/sudoers(?:\.d)?(?:\/|$)/, category: 'credential_read', level: 'deny', what: 'system password hashes or sudo rules' },
  // Any process: `self`, a number, `$$`, `$PPID` (the agent itself), `*`, `[0-9]*`; threads under `task/N` too.
  { re: /^\/proc\/[^/]+\/(?:task\/[^/]+\/)?(?:environ|mem|cmdline)$/, category: 'credential_read', level: 'deny', what: "a process's environment or memory" },
  { re: /^\/root(?:\/|$)/, category: 'credential_read', level: 'deny', what: "root's home directory" },
  { re: ENV_FILE, category: 'credential_read', level: 'deny', what: 'a .env file (application secrets)' },
  { re: /(?:^|\/)\.envrc$/, category: 'credential_read', level: 'deny', what: 'a .envrc file (environment secrets)' },
  { re: /\.(?:pem|key|p12|pfx|jks|keystore|ppk|kdbx|tfstate|tfstate\.backup)$|(?:^|\/)(?:credentials\.json|service-account[^/]*\.json|secrets?\.(?:ya?ml|json|toml)|\.htpasswd)$/, category: 'credential_read', level: 'review', what: 'a key, keystore or secrets file' },
];

/** Writing these changes what runs later, who may do what, or the host itself. First match wins. */
const WRITE_RULES: PathRule[] = [
  { re: /^\/dev\/(?:null|zero|stdout|stderr|stdin|tty|fd\/\d+|pts\/\d+|shm\/.*)$/, category: '', level: 'review', what: '' },
  { re: /^~\/\.(?:bashrc|bash_profile|bash_login|bash_logout|bash_aliases|profile|zshrc|zprofile|zshenv|zlogin|zlogout|kshrc|cshrc|tcshrc|mkshrc|inputrc)$|^~\/\.bashrc\.d(?:\/|$)|^~\/\.config\/fish\/(?:config\.fish|conf\.d(?:\/|$)|functions(?:\/|$))|^~\/\.config\/environment\.d(?:\/|$)/, category: 'persistence', level: 'deny', what: 'a shell start-up file' },
  // Read at log-in or by every X session; `.pam_environment` sets variables (LD_PRELOAD) for the whole session.
  { re: /^~\/\.(?:pam_environment|xprofile|xinitrc|xsession|xsessionrc)$/, category: 'persistence', level: 'deny', what: 'a log-in or session start-up file' },
  // Python runs `*.pth` lines and `usercustomize` / `sitecustomize` of the user's site directory at every start.
  { re: /^~\/(?:\.local\/lib|Library\/Python)\/[^/]+\/(?:lib\/python[^/]*\/)?site-packages\/(?:[^/]+\.pth|usercustomize\.py|sitecustomize\.py)$/, category: 'persistence', level: 'deny', what: 'a Python start-up hook (.pth, usercustomize)' },
  { re: /^\/etc\/(?:profile|bash\.bashrc|bashrc|zshrc|zsh\/zshrc|environment)$|^\/etc\/profile\.d(?:\/|$)/, category: 'persistence', level: 'deny', what: 'a system-wide shell start-up file' },
  { re: /^\/etc\/(?:cron[^/]*|anacrontab)(?:\/|$)|^\/var\/spool\/(?:cron|at)(?:\/|$)/, category: 'persistence', level: 'deny', what: 'a cron table' },
  { re: /^\/(?:etc|lib|usr\/lib|run)\/systemd(?:\/|$)|^~\/\.config\/systemd(?:\/|$)|^~\/\.local\/share\/systemd(?:\/|$)/, category: 'persistence', level: 'deny', what: 'a systemd unit' },
  { re: /^\/etc\/(?:init\.d|rc\.local|rc\d\.d|xdg\/autostart)(?:\/|$)|^~\/\.config\/autostart(?:\/|$)/, category: 'persistence', level: 'deny', what: 'an autostart entry' },
  { re: /^(?:~|)\/Library\/Launch(?:Agents|Daemons)(?:\/|$)/, category: 'persistence', level: 'deny', what: 'a launchd job' },
  { re: /^~\/\.ssh\/(?:authorized_keys2?|config|rc|environment)$/, category: 'persistence', level: 'deny', what: 'SSH access or client configuration' },
  { re: /^\/etc\/ssh(?:\/|$)/, category: 'persistence', level: 'deny', what: 'the SSH server configuration' },
  { re: /^\/etc\/(?:ld\.so\.preload|ld\.so\.conf(?:\.d)?)(?:\/|$)/, category: 'privilege_escalation', level: 'deny', what: 'the dynamic loader configuration (library injection)' },
  { re: /^\/etc\/(?:sudoers(?:\.d)?|passwd|shadow|group|gshadow|doas\.conf|pam\.d|security)(?:\/|$)/, category: 'privilege_escalation', level: 'deny', what: 'users, groups or sudo rules' },
  { re: /^~\/\.(?:openclaw|clawdbot|moltbot)\/workspace(?:-[^/]*)?(?:\/|$)/, category: '', level: 'review', what: '' },
  { re: /^~\/\.(?:openclaw|clawdbot|moltbot)(?:\/|$)|(?:^|\/)(?:openclaw\.json|auth-profiles\.json)$/, category: 'defense_evasion', level: 'deny', what: "OpenClaw's own config (tool policy, approvals, credentials)" },
  { re: /(?:^|\/)clawguard\.(?:ya?ml|db(?:-wal|-shm)?)$|(?:^|\/)\.clawguard(?:\/|$)/, category: 'defense_evasion', level: 'deny', what: "ClawGuard's own config or store" },
  { re: /^\/var\/log(?:\/|$)|^~\/\.(?:bash|zsh|sh)_history$|^~\/\.zhistory$/, category: 'defense_evasion', level: 'deny', what: 'logs or shell history' },
  { re: /^~\/\.(?:npmrc|pypirc|netrc|git-credentials|gitconfig|config\/git\/config|docker\/config\.json|aws\/(?:credentials|config)|kube\/config)$/, category: 'persistence', level: 'deny', what: 'tool credentials or configuration' },
  // Overwriting or emptying a private key or the key ring destroys it (`: > ~/.ssh/id_rsa`).
  { re: /^~\/\.ssh\/id_[^/]*$(?<!\.pub)|^~\/\.gnupg(?:\/|$)/, category: 'destructive', level: 'deny', what: 'a private key or the key ring' },
  { re: /(?:^|\/)\.git\/(?:hooks(?:\/|$)|config$)/, category: 'persistence', level: 'review', what: 'git hooks or repository config (they run code on git commands)' },
  { re: /^\/dev\/(?:sd|hd|vd|xvd|nvme|mmcblk|disk|mapper|md|dm-|loop|mem$|kmem$|port$)/, category: 'destructive', level: 'deny', what: 'a raw disk or memory device' },
  { re: /^\/(?:etc|usr|bin|sbin|lib|lib32|lib64|libx32|boot|opt|srv|sys|proc|var(?!\/tmp(?:\/|$)))(?:\/|$)|^\/$/, category: 'system_write', level: 'deny', what: 'a system directory' },
];

/**
 * Case-insensitive matching, for every rule of both tables (and for `isCriticalTree`).
 *
 * macOS (APFS and HFS+ by default) and Windows file systems ignore case, so `~/.AWS/Credentials`,
 * `/ROOT/.SSH/ID_RSA` or `~/Library/keychains` open the very files the lower-case rules protect. A
 * rule that matches case-sensitively is a bypass there. The cost on a case-sensitive file system
 * (Linux) is that a differently-cased path that is not the protected file (`src/cookies`,
 * `NOTES.KEY`) is judged like it; such names are rare, and the tables list credential stores,
 * start-up files and system trees, where a false refusal is cheaper than a missed read. Exemptions
 * (`~/.ssh/*.pub`, the OpenClaw workspace, `/dev/null`) ignore case too: they name the same files.
 * Workspace roots and operator `pathPrefix` rules stay case-sensitive: a case variant of the
 * workspace counts as outside it, which can only refuse more.
 */
function caseless(rules: readonly PathRule[]): PathRule[] {
  return rules.map((r) => (r.re.flags.includes('i') ? r : { ...r, re: new RegExp(r.re.source, `${r.re.flags}i`) }));
}

const READ_RULES_I = caseless(READ_RULES);
const WRITE_RULES_I = caseless(WRITE_RULES);

function firstHit(rules: readonly PathRule[], path: string): PathHit | undefined {
  for (const r of rules) {
    if (r.re.test(path)) return r.category === '' ? undefined : r;
  }
  return undefined;
}

/** Reading this path would expose credentials or private data. */
export function sensitiveRead(normalized: string): PathHit | undefined {
  return firstHit(READ_RULES_I, normalized);
}

/** Writing this path would persist code, escalate privileges, tamper with the system or with the guards. */
export function sensitiveWrite(normalized: string): PathHit | undefined {
  return firstHit(WRITE_RULES_I, normalized);
}

/** Top-level and well-known system directories, home itself and the root: what a recursive delete must never target. */
export function isCriticalTree(normalized: string): boolean {
  if (normalized === '/' || normalized === '~' || normalized === '/*' || normalized === '~/*' || normalized === '/.*') return true;
  // Case-insensitive for the reason given at `caseless`: on macOS `rm -rf /USR/LOCAL` is /usr/local.
  if (/^\/(?:home|Users)(?:\/[^/]+)?(?:\/\*)?$/i.test(normalized)) return true;
  if (/^~\/(?:\.\*|\*|\.[^/]*)$/.test(normalized) && !/^~\/\.(?:cache|npm|local\/share\/Trash)$/i.test(normalized)) return true;
  if (/^\/(?:etc|usr|bin|sbin|lib|lib32|lib64|boot|opt|srv|sys|proc|var|dev|mnt|media|root|snap|System|Library|Applications)(?:\/[^/]*)?(?:\/\*)?$/i.test(normalized)) {
    return !/^\/var\/(?:tmp|cache\/[^/]+)$/i.test(normalized);
  }
  return false;
}

/**
 * One representative file per read rule: a glob or a path with unknown parts is judged by whether it
 * could name one of them (`~/.a?s/credentials`, `~/.{aws,x}/credentials`, `/etc/s*w`, `$H/.aws/credentials`).
 */
const SENSITIVE_SAMPLES = [
  '~/.ssh/id_rsa', '~/.ssh/id_ed25519', '~/.ssh/id_ecdsa', '~/.aws/credentials', '~/.aws/config', '~/.kube/config', '~/.docker/config.json', '~/.npmrc', '~/.yarnrc.yml',
  '~/.pypirc', '~/.netrc', '~/.git-credentials', '~/.pgpass', '~/.my.cnf', '~/.mylogin.cnf', '~/.vault-token', '~/.s3cfg', '~/.boto', '~/.config/gh/hosts.yml',
  '~/.config/gcloud/credentials.db', '~/.config/gcloud/application_default_credentials.json', '~/.azure/accessTokens.json', '~/.gnupg/private-keys-v1.d',
  '~/.password-store', '~/.local/share/keyrings/login.keyring', '~/.bash_history', '~/.zsh_history', '~/.config/google-chrome/Default/Cookies',
  '~/.config/google-chrome/Default/Login Data', '~/.mozilla/firefox/profile/cookies.sqlite', '~/.mozilla/firefox/profile/logins.json', '~/.openclaw/openclaw.json',
  '~/.openclaw/credentials', '~/.clawguard', '/etc/shadow', '/etc/gshadow', '/etc/sudoers', '/proc/self/environ', '/proc/1/environ', '.env', '.env.local',
  '~/.cargo/credentials.toml', '~/.config/containers/auth.json', '~/.codex/auth.json', '~/.claude/.credentials.json', '~/.config/sops/age/keys.txt',
  '/var/run/secrets/kubernetes.io/serviceaccount/token', '/etc/ssh/ssh_host_ed25519_key',
];
const SAMPLE_HOMES = ['~', '/home/user', '/root', '/Users/user'];

/** A shell glob (and unknown `${…}` / `$(…)` parts) as a whole-path regex; a leading `*` or `?` skips dotfiles, as bash does. */
function globRegex(pattern: string): RegExp | undefined {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    const segStart = i === 0 || pattern[i - 1] === '/';
    if (c === '$' && (pattern[i + 1] === '{' || pattern[i + 1] === '(')) {
      const close = pattern.indexOf(pattern[i + 1] === '{' ? '}' : ')', i);
      if (close < 0) return undefined;
      re += '[^/]+';
      i = close;
    } else if (c === '*') re += segStart ? '(?!\\.)[^/]*' : '[^/]*';
    else if (c === '?') re += segStart ? '[^/.]' : '[^/]';
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close < 0) re += '\\[';
      else {
        re += `[${pattern.slice(i + 1, close).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = close;
      }
    } else if (c === '{') {
      const close = pattern.indexOf('}', i);
      const body = close > 0 ? pattern.slice(i + 1, close) : '';
      if (!body.includes(',')) re += '\\{';
      else {
        re += `(?:${body.split(',').map((o) => o.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})`;
        i = close;
      }
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  try {
    return new RegExp(`^${re}$`, 'i');
  } catch {
    return undefined;
  }
}

/**
 * A glob (`~/.ssh/x*`, `~/.?*`, `/etc/shadow*`, `~/.a?s/cred*`, `~/.{aws,x}/credentials`) or a path with
 * parts known only at run time (`$(getent passwd u | cut -d: -f6)/.aws/credentials`, `/proc/$PPID/environ`)
 * that could name a sensitive file. Unknown parts stand for at least one character of one segment, and
 * the pattern must say something besides them (`cat "$F"` is not judged here).
 */
export function globRead(normalized: string): PathHit | undefined {
  if (!/[*?[{]|\$[{(]/.test(normalized)) return undefined;
  if (/^~\/\.?[*?[]/.test(normalized)) return { category: 'credential_read', level: 'deny', what: "files across the home directory (dotfiles hold credentials)" };
  const plain = sensitiveRead(normalized.replace(/\*|\?|\[[^\]]*\]/g, 'x')) ?? sensitiveRead(normalized.replace(/\*|\?|\[[^\]]*\]/g, ''));
  if (plain) return plain;
  const literal = normalized.replace(/\$\{[^}]*\}|\$\([^)]*\)|[*?~/.]|\[[^\]]*\]/g, '');
  if (literal.length < 2) return undefined;
  const re = globRegex(normalized);
  if (!re) return undefined;
  for (const sample of SENSITIVE_SAMPLES) {
    for (const home of sample.startsWith('~/') ? SAMPLE_HOMES : ['']) {
      const path = home ? home + sample.slice(1) : sample;
      if (re.test(path)) return sensitiveRead(sample);
    }
  }
  return undefined;
}
