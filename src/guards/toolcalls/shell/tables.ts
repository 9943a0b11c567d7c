/** Command tables for the shell analyzer: what a program does with its arguments. */

/**
 * Programs that run their remaining arguments as another command; value-taking options listed.
 * `applet`: the first argument is the command, no options before it (`busybox rm -rf /`; `busybox
 * --list` is busybox itself). `shell`: options whose value is a shell string (`flock F -c 'cmd'`),
 * judged as `sh -c` would be. `joins`: the remaining arguments are joined with spaces and run by
 * `sh -c` (`watch 'rm -rf /'`).
 */
export const WRAPPERS: Record<string, { values?: readonly string[]; positional?: number; elevates?: boolean; applet?: boolean; shell?: readonly string[]; joins?: boolean }> = {
  sudo: { values: ['-u', '-g', '-C', '-h', '-p', '-U', '-r', '-t', '-T', '-D', '--user', '--group', '--host', '--prompt', '--chdir', '--close-from', '--role', '--type', '--other-user'], elevates: true },
  doas: { values: ['-u', '-C'], elevates: true },
  pkexec: { values: ['--user'], elevates: true },
  runuser: { values: ['-u', '-g', '-G', '--user', '--group', '--supp-group', '-s', '--shell', '-w', '--whitelist-environment'], elevates: true, shell: ['-c', '--command'] },
  nohup: {},
  setsid: {},
  exec: { values: ['-a'] },
  command: {},
  builtin: {},
  time: { values: ['-f', '-o', '--format', '--output'] },
  nice: { values: ['-n', '--adjustment'] },
  ionice: { values: ['-c', '-n', '-p', '-P', '-u', '--class', '--classdata'] },
  timeout: { values: ['-s', '-k', '--signal', '--kill-after'], positional: 1 },
  stdbuf: { values: ['-i', '-o', '-e', '--input', '--output', '--error'] },
  chrt: { positional: 1 },
  taskset: { positional: 1 },
  // GNU `-i[R]`, `-l[N]`, `-e[EOF]`, `--replace[=R]` take their value only when attached: no separate word.
  xargs: { values: ['-I', '-n', '-P', '-L', '-d', '-E', '-s', '-a', '--max-args', '--max-procs', '--max-lines', '--max-chars', '--delimiter', '--arg-file', '--process-slot-var'] },
  flock: { values: ['-w', '-E', '--timeout', '--conflict-exit-code'], positional: 1, shell: ['-c', '--command'] },
  busybox: { applet: true },
  'xvfb-run': { values: ['-n', '--server-num', '-f', '--auth-file', '-e', '--error-file', '-p', '--xauth-protocol', '-s', '--server-args', '-w', '--wait'] },
  entr: { joins: true },
  chpst: { values: ['-u', '-U', '-b', '-e', '-/', '-n', '-l', '-L', '-m', '-d', '-o', '-p', '-f', '-c', '-r', '-t'] },
  catchsegv: {},
  toybox: { applet: true },
  chroot: { values: ['--userspec', '--groups'], positional: 1, elevates: true },
  unbuffer: {},
  caffeinate: {},
  proxychains: { values: ['-f'] },
  proxychains4: { values: ['-f'] },
  torsocks: {},
  firejail: {},
  strace: { values: ['-o', '-e', '-p', '-s', '-u'] },
  ltrace: { values: ['-o', '-e', '-p', '-s', '-u'] },
  valgrind: {},
  watch: { values: ['-n', '--interval', '-q', '--equexit'], joins: true },
  npx: { values: ['-p', '--package', '-c', '--call'] },
  'systemd-run': { values: ['-p', '--property', '-u', '--unit', '--uid', '--gid', '-E', '--setenv', '--on-calendar', '--on-active', '--on-boot', '--description'] },
};

/** Shells: `-c STRING` runs STRING; a script argument runs a file; no script reads commands from stdin. */
export const SHELLS = new Set(['sh', 'bash', 'zsh', 'dash', 'ksh', 'ash', 'mksh', 'yash', 'fish', 'tcsh', 'csh', 'rbash']);

/** GNU parallel's options that take a separate value (the command starts after them). */
export const PARALLEL_VALUE_OPTS = new Set([
  '-j', '-P', '--jobs', '--max-procs', '-S', '--sshlogin', '--sshloginfile', '--slf', '-a', '--arg-file', '-d', '--delimiter', '-I', '--colsep', '-C', '-n', '-N', '-L',
  '--max-args', '--max-lines', '--joblog', '--results', '--res', '--tmpdir', '--workdir', '--wd', '-E', '--eof', '--timeout', '--delay', '--retries', '--halt', '--memfree',
  '--load', '--tag-string', '--tagstring', '--rpl', '--env', '--basefile', '--bf', '--transferfile', '--tf', '--return', '--block', '--block-size', '--recstart',
  '--recend', '--header', '--termseq', '--nice', '--limit', '--ssh', '--sqlmaster', '--sqlworker', '--sqlandworker', '--shebang-wrap', '--profile', '-J', '--plus-rpl',
]);

/** Interpreters and the flags that take inline code. */
export const INTERPRETERS: Record<string, readonly string[]> = {
  python: ['-c'],
  python2: ['-c'],
  python3: ['-c'],
  pypy: ['-c'],
  pypy3: ['-c'],
  node: ['-e', '--eval', '-p', '--print'],
  nodejs: ['-e', '--eval', '-p', '--print'],
  deno: ['eval'],
  bun: ['-e', '--eval', '-p', '--print'],
  perl: ['-e', '-E'],
  ruby: ['-e'],
  php: ['-r'],
  lua: ['-e'],
  luajit: ['-e'],
  Rscript: ['-e'],
  osascript: ['-e'],
  pwsh: ['-c', '-command', '-Command', '-C'],
  powershell: ['-c', '-command', '-Command', '-C'],
  awk: [],
  gawk: [],
  jshell: [],
  irb: [],
  tclsh: [],
  expect: ['-c'],
};

/** Programs that fetch remote content (to stdout, a file or a socket). */
export const DOWNLOADERS = new Set(['curl', 'wget', 'fetch', 'http', 'https', 'xh', 'xhs', 'aria2c', 'lwp-download', 'lwp-request', 'GET', 'POST', 'nc', 'ncat', 'netcat', 'socat', 'telnet', 'tftp', 'ftp', 'lftp', 'gh', 'ssh']);

/** Raw-socket tools. */
export const SOCKET_TOOLS = new Set(['nc', 'ncat', 'netcat', 'socat', 'telnet', 'cryptcat', 'pwncat', 'sbd']);

/**
 * Programs whose arguments name files they do not reveal the contents of. `mv` is not one: moving a
 * credential (`mv ~/.ssh/id_rsa k && cat k`) makes it readable under another name.
 */
export const NON_READING = new Set([
  'ls', 'll', 'la', 'stat', 'test', '[', '[[', 'mkdir', 'rmdir', 'touch', 'chmod', 'chown', 'chgrp', 'ssh-keygen', 'ssh-add', 'ssh', 'wc', 'du', 'file', 'realpath',
  'readlink', 'basename', 'dirname', 'which', 'type', 'cd', 'pushd', 'popd', 'rm', 'unlink', 'shred', 'echo', 'printf', 'export', 'unset', 'declare', 'local',
  'git', 'npm', 'pnpm', 'yarn', 'code', 'sha256sum', 'md5sum', 'shasum', 'exists', 'ssh-copy-id', 'id', 'find', 'tree',
]);

/** `source` / `.` load a .env file into the shell without printing it. */
export const ENV_LOADERS = new Set(['source', '.', 'dotenv', 'direnv', 'env-cmd', 'set']);

/** Security or guard services an agent must never stop. */
export const GUARD_SERVICES = /^(?:auditd|apparmor|firewalld|ufw|fail2ban|falco|osqueryd|wazuh[\w-]*|clamav[\w-]*|clamd|selinux|sshguard|crowdstrike|falcon-sensor|clawguard[\w@.-]*|iptables|nftables|sysmon|ossec|aide|rsyslog|syslog|systemd-journald|journald)(?:\.service)?$/;

export const CRYPTOMINERS = new Set(['xmrig', 'xmr-stak', 'minerd', 'cpuminer', 'ethminer', 't-rex', 'nbminer', 'lolminer', 'cgminer', 'bfgminer', 'nanominer', 'phoenixminer', 'gminer', 'srbminer', 'teamredminer']);

export const TUNNELS = new Set(['ngrok', 'cloudflared', 'lt', 'localtunnel', 'bore', 'frpc', 'chisel', 'inlets', 'tailscale', 'zrok', 'pinggy', 'localxpose', 'loclx']);

export const PRIVILEGE_TOOLS = new Set([
  'su', 'setcap', 'usermod', 'useradd', 'adduser', 'groupadd', 'groupmod', 'gpasswd', 'passwd', 'chpasswd', 'visudo', 'vipw', 'vigr', 'newgrp', 'sg', 'mount', 'umount',
  'losetup', 'nsenter', 'unshare', 'insmod', 'modprobe', 'rmmod', 'kexec', 'setpriv', 'capsh', 'chroot', 'pkexec', 'doas', 'sudo', 'runuser', 'sudoedit',
]);

export const DISK_TOOLS = /^(?:mkfs(?:\.\w+)?|mke2fs|mkswap|mkdosfs|mkntfs|wipefs|fdisk|sfdisk|gdisk|sgdisk|cfdisk|parted|blkdiscard|hdparm|badblocks|zpool|lvremove|vgremove|pvremove|cryptsetup)$/;

export const POWER = new Set(['shutdown', 'reboot', 'halt', 'poweroff', 'telinit', 'killall5']);

/** Variables whose value is a secret by name. */
export const SECRET_VAR = /(?:^|_)(?:API_?KEY|APIKEY|SECRET|TOKEN|PASSWORD|PASSWD|PASS|PWD_SECRET|CREDENTIALS?|PRIVATE_?KEY|ACCESS_?KEY|SESSION|COOKIE|AUTH)(?:_|$)|^(?:AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN|OPENAI_API_KEY|ANTHROPIC_API_KEY|GITHUB_TOKEN|GH_TOKEN|NPM_TOKEN|SLACK_TOKEN|DATABASE_URL|OPENCLAW_GATEWAY_TOKEN)$/i;

/** Options (of curl and friends) whose next argument is a value, not a URL. */
export const CURL_VALUE_OPTS = new Set([
  '-d', '--data', '--data-binary', '--data-raw', '--data-ascii', '--data-urlencode', '--json', '-F', '--form', '--form-string', '-H', '--header', '-o', '--output',
  '-u', '--user', '-X', '--request', '-A', '--user-agent', '-e', '--referer', '-b', '--cookie', '-c', '--cookie-jar', '-T', '--upload-file', '-x', '--proxy',
  '--connect-timeout', '-m', '--max-time', '-w', '--write-out', '-r', '--range', '-K', '--config', '--resolve', '--cacert', '--capath', '--cert', '-E', '--key',
  '--retry', '--retry-delay', '--retry-max-time', '-Y', '--speed-limit', '-y', '--speed-time', '-z', '--time-cond', '--noproxy', '--interface', '--dns-servers',
  '--limit-rate', '--max-filesize', '--proto', '--proto-redir', '--output-dir', '--oauth2-bearer', '-U', '--proxy-user', '--url', '-C', '--continue-at', '-Q', '--quote',
  '--connect-to', '--preproxy', '--socks4', '--socks4a', '--socks5', '--socks5-hostname', '--unix-socket', '--abstract-unix-socket', '--variable', '--expand-data', '--expand-url', '--aws-sigv4', '--hostpubmd5', '--pubkey', '--tls-max', '--ciphers',
]);

export const WGET_VALUE_OPTS = new Set([
  '-O', '--output-document', '-o', '--output-file', '-a', '--append-output', '-i', '--input-file', '-P', '--directory-prefix', '-t', '--tries', '-T', '--timeout',
  '-U', '--user-agent', '--header', '--method', '--post-data', '--post-file', '--body-data', '--body-file', '--user', '--password', '--http-user', '--http-password',
  '--save-cookies', '--load-cookies', '-e', '--execute', '--referer', '-w', '--wait', '-Q', '--quota', '-l', '--level', '--limit-rate', '-B', '--base',
]);

export const SSH_VALUE_OPTS = new Set(['-i', '-p', '-l', '-o', '-F', '-L', '-R', '-D', '-J', '-W', '-b', '-c', '-E', '-e', '-m', '-O', '-Q', '-S', '-w', '-B', '-P']);

/**
 * Programs that look a name up (DNS) or send packets to a host named on the command line: a name
 * built from command output carries that output to whoever runs the name's DNS server.
 */
export const NAME_LOOKUP = new Set([
  'dig', 'nslookup', 'host', 'drill', 'kdig', 'delv', 'dog', 'doggo', 'q', 'getent', 'resolvectl', 'systemd-resolve', 'avahi-resolve', 'ping', 'ping6', 'fping',
  'arping', 'hping3', 'traceroute', 'traceroute6', 'tracepath', 'mtr', 'whois',
]);

/** Programs that read the files named on their stdin (`find ~/.aws | cpio -o`), with the flag that says so (`''`: always). */
export const STDIN_FILE_LIST: Record<string, readonly string[]> = {
  cpio: ['-o', '--create'],
  tar: ['-T', '--files-from'],
  bsdtar: ['-T', '--files-from'],
  zip: ['-@', '--names-stdin'],
  rsync: ['--files-from'],
};

/** Commands that print stored credentials, tokens or private keys (`gh auth status -t`): matched on the program and its positional words. */
export const CREDENTIAL_PRINTERS: readonly { readonly re: RegExp; readonly level: 'deny' | 'review'; readonly what: string }[] = [
  { re: /^gpg2? .*--export-secret-(?:keys|subkeys)\b/, level: 'deny', what: 'gpg exports private keys' },
  { re: /^gh auth status .*(?:-t|--show-token)\b/, level: 'deny', what: 'gh auth status --show-token prints the GitHub token' },
  { re: /^glab (?:auth status .*(?:-t|--show-token)\b|config get token)/, level: 'deny', what: 'glab prints the GitLab token' },
  { re: /^aws ecr(?:-public)? get-login-password\b/, level: 'deny', what: 'aws ecr get-login-password prints a registry password' },
  { re: /^gcloud config config-helper\b/, level: 'deny', what: 'gcloud config config-helper prints an access token' },
  { re: /^(?:fly|flyctl) auth token\b/, level: 'deny', what: 'fly auth token prints the Fly.io token' },
  { re: /^git credential-(?:store|cache|manager|manager-core|osxkeychain|libsecret|wincred|gnome-keyring)\b.* get\b/, level: 'deny', what: 'a git credential helper prints stored credentials' },
  { re: /^git-credential-[\w-]+\b.* get\b/, level: 'deny', what: 'a git credential helper prints stored credentials' },
  { re: /^docker-credential-[\w-]+ (?:get|list)\b/, level: 'deny', what: 'a Docker credential helper prints registry credentials' },
  { re: /^keyctl (?:print|pipe|read)\b/, level: 'deny', what: 'keyctl prints a key from the kernel key ring' },
  { re: /^aws sts (?:assume-role|assume-role-with-web-identity|get-federation-token)\b/, level: 'review', what: 'aws sts prints temporary credentials' },
  { re: /^(?:kubectl|oc) create token\b/, level: 'review', what: 'kubectl create token prints a service account token' },
  { re: /^(?:sops (?:-d|--decrypt|decrypt)|ansible-vault (?:view|decrypt)|age (?:-d|--decrypt))\b/, level: 'review', what: 'decrypts an encrypted secrets file' },
  { re: /^(?:npm|pnpm|yarn) token create\b/, level: 'review', what: 'creates and prints a registry token' },
  { re: /^(?:doppler secrets(?: download| get)?|infisical (?:export|secrets)|chamber (?:read|export))\b/, level: 'review', what: 'prints secrets from a secrets manager' },
];

/** Options naming the registry or index a publish command uploads to. */
export const PUBLISH_TARGET_OPTS = ['--registry', '--repository-url', '--index', '--host', '--publish-url', '--repository', '-r'];
