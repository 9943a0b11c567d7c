import { createRequire } from 'node:module';
import v8 from 'node:v8';
import { Language, type Node, Parser } from 'web-tree-sitter';

/**
 * The shell parser: tree-sitter's bash grammar (tree-sitter-bash) run by web-tree-sitter.
 * Both ship their WebAssembly inside the npm packages: nothing is downloaded or compiled at install,
 * and it runs the same on every platform. Loading is asynchronous (WebAssembly instantiation), so the
 * guard starts it when the module loads and awaits it on its first call; after that, parsing is
 * synchronous.
 */
let parser: Parser | undefined;
let loading: Promise<void> | undefined;

/**
 * Runs WebAssembly on V8's baseline compiler (Liftoff) only, set before the parser's modules compile.
 * By default V8 recompiles hot WebAssembly functions with its optimizing compiler in background
 * threads; for the bash grammar's large lexer that left ~25 MB of the compiler's memory resident in
 * the process (malloc arenas that do not shrink back), and parsing was no faster for it (65 vs 70 µs
 * per command over 100,000 commands). A Liftoff flag given to node itself wins.
 */
export function useBaselineWasm(execArgv: readonly string[] = process.execArgv, nodeOptions: string = process.env.NODE_OPTIONS ?? ''): boolean {
  if ([...execArgv, nodeOptions].some((arg) => /--(no[-_])?(liftoff|wasm[-_]tier[-_]up|wasm[-_]dynamic[-_]tiering)/.test(arg))) return false;
  v8.setFlagsFromString('--liftoff-only');
  return true;
}

export function shellParserReady(): Promise<void> {
  loading ??= (async () => {
    useBaselineWasm();
    await Parser.init();
    const require = createRequire(import.meta.url);
    const language = await Language.load(require.resolve('tree-sitter-bash/tree-sitter-bash.wasm'));
    const p = new Parser();
    p.setLanguage(language);
    parser = p;
  })().catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
}

export function isShellParserReady(): boolean {
  return parser !== undefined;
}

/** A parsed word: its best-effort literal value and whether any part of it is unknown until run time. */
export interface Word {
  /** Literal value with quotes removed and escapes decoded; unknown parts appear as `${NAME}` / `$(…)`. */
  readonly text: string;
  /** Holds an expansion or substitution whose value the analyzer could not work out. */
  readonly dynamic: boolean;
  /** Written with quotes, escapes or ANSI-C decoding (what hides `r''m` or `$'\x72m'`). */
  readonly quoted: boolean;
  /** Unquoted glob characters. */
  readonly glob: boolean;
  /** Commands run inside `$(…)`, backticks or `<(…)` / `>(…)` in this word. */
  readonly subst: readonly Command[];
  readonly processSubst: boolean;
  /** Names of the variables it expands. */
  readonly vars: readonly string[];
  /** Uses `$IFS` / `${IFS}` (a classic way to hide spaces). */
  readonly ifs: boolean;
  /** Uses parameter-expansion operators (`${x:0:1}`, `${!x}`, `${x//a/b}`) whose result is not tracked. */
  readonly tricky: boolean;
  readonly start: number;
  readonly end: number;
}

export interface Redirect {
  /** `>`, `>>`, `<`, `&>`, `>|`, `<>`, `>&`, `<<`, `<<<`, … */
  readonly op: string;
  readonly target?: Word;
  /** Heredoc body (for `<<`) or here-string value (for `<<<`). */
  readonly text?: string;
}

export interface Command {
  /** Program and arguments as written (wrappers such as `sudo` are removed later, by the analyzer). */
  readonly argv: Word[];
  /** `NAME=value` prefixes, `export NAME=value`, or a bare assignment statement. */
  readonly assigns: { name: string; value?: Word }[];
  readonly redirects: Redirect[];
  /** Pipeline it belongs to and its element's position there (0 = first). */
  pipe?: { id: number; index: number };
  /** Runs inside a command or process substitution. */
  readonly inSubst: boolean;
  /** Inside a function body (the function's name). */
  readonly inFunction?: string;
  /** `export` / `declare` / `local` / `readonly` / `typeset` / `unset`, or `` for plain commands. */
  readonly keyword: string;
  readonly start: number;
  readonly end: number;
}

export interface Script {
  readonly commands: Command[];
  /** Function name → its body's commands. */
  readonly functions: Map<string, Command[]>;
  /** The parser had to recover from a syntax error somewhere. */
  readonly errors: boolean;
  /** Number of pipelines; commands refer to them by id. */
  readonly pipelines: number;
}

const STATEMENT_SKIP = new Set(['comment', 'heredoc_body', 'heredoc_start', 'heredoc_end', 'heredoc_content']);

function unescapeBare(raw: string): string {
  if (!raw.includes('\\')) return raw;
  return raw.replace(/\\\n/g, '').replace(/\\(.)/gs, '$1');
}

function unescapeDouble(raw: string): string {
  if (!raw.includes('\\')) return raw;
  return raw.replace(/\\\n/g, '').replace(/\\([$`"\\])/g, '$1');
}

const ANSI_SIMPLE: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', e: '\x1b', E: '\x1b', f: '\f', v: '\v', '\\': '\\', "'": "'", '"': '"', '?': '?' };

/** Decodes the escapes of `$'…'` (and of `printf` / `echo -e` formats). */
export function decodeAnsiC(body: string): string {
  if (!body.includes('\\')) return body;
  return body.replace(/\\(x[0-9a-fA-F]{1,2}|u[0-9a-fA-F]{1,4}|U[0-9a-fA-F]{1,8}|[0-7]{1,3}|c.|.)/gs, (_m, esc: string) => {
    const c = esc[0]!;
    if (c === 'x' || c === 'u' || c === 'U') {
      const cp = Number.parseInt(esc.slice(1), 16);
      return cp <= 0x10ffff ? String.fromCodePoint(cp) : '';
    }
    if (c >= '0' && c <= '7') return String.fromCharCode(Number.parseInt(esc, 8) & 0xff);
    if (c === 'c') return String.fromCharCode(esc.charCodeAt(1) & 0x1f);
    return ANSI_SIMPLE[c] ?? `\\${esc}`;
  });
}

interface Ctx {
  readonly inSubst: boolean;
  readonly pipe?: { id: number; index: number };
  readonly inFunction?: string;
}

const GLOB = /(?<!\\)[*?[]/;

/** Deepest syntax nesting converted; real commands stay far below it, hostile ones are reviewed. */
const MAX_NESTING = 96;

class Converter {
  readonly commands: Command[] = [];
  readonly functions = new Map<string, Command[]>();
  readonly env = new Map<string, string | undefined>([['HOME', '~']]);
  /** Variables assigned from a command substitution: words that expand them carry those commands in `subst`. */
  private readonly origin = new Map<string, Command[]>();
  errors = false;
  pipelines = 0;

  /** Current nesting of syntax nodes; past MAX_NESTING the rest is left unjudged (and the line reviewed). */
  private depth = 0;

  visit(node: Node, ctx: Ctx): void {
    if (this.depth >= MAX_NESTING) {
      this.errors = true;
      return;
    }
    this.depth++;
    try {
      this.visitNode(node, ctx);
    } finally {
      this.depth--;
    }
  }

  private visitNode(node: Node, ctx: Ctx): void {
    const type = node.type;
    if (STATEMENT_SKIP.has(type)) return;
    if (node.isError || node.isMissing) this.errors = true;
    switch (type) {
      case 'command':
        this.command(node, ctx);
        return;
      case 'pipeline':
        this.pipeline(node, ctx);
        return;
      case 'redirected_statement':
        this.redirected(node, ctx);
        return;
      case 'variable_assignment':
      case 'variable_assignments': {
        const assigns = this.assignments(node, ctx);
        this.push({ argv: [], assigns, redirects: [], inSubst: ctx.inSubst, keyword: '', start: node.startIndex, end: node.endIndex }, ctx);
        return;
      }
      case 'declaration_command':
      case 'unset_command':
        this.declaration(node, ctx);
        return;
      case 'function_definition':
        this.functionDefinition(node, ctx);
        return;
      case 'file_redirect': {
        // A redirect standing alone: `$(< file)` is bash's `$(cat file)`, a command with no words.
        const trailing: Node[] = [];
        const r = this.redirect(node, ctx, trailing);
        this.push({ argv: [], assigns: [], redirects: [r], inSubst: ctx.inSubst, keyword: '', start: node.startIndex, end: node.endIndex }, ctx);
        for (const t of trailing) this.visit(t, ctx);
        return;
      }
      default:
        break;
    }
    if (WORD_TYPES.has(type)) {
      this.word(node, ctx);
      return;
    }
    for (const child of node.namedChildren) if (child) this.visit(child, ctx);
  }

  private push(cmd: Command, ctx: Ctx): Command {
    if (ctx.pipe) cmd.pipe = ctx.pipe;
    this.commands.push(ctx.inFunction === undefined ? cmd : { ...cmd, inFunction: ctx.inFunction });
    return this.commands[this.commands.length - 1]!;
  }

  private pipeline(node: Node, ctx: Ctx): void {
    // A pipeline nested in an element of another (`a | b 2>&1 | c` parses that way) joins the outer one:
    // its elements sit between the outer element's position and the next.
    const id = ctx.pipe?.id ?? ++this.pipelines;
    const base = ctx.pipe?.index ?? 0;
    const step = ctx.pipe ? 1 / 64 : 1;
    let index = 0;
    for (const child of node.namedChildren) {
      if (!child) continue;
      this.visit(child, { ...ctx, pipe: { id, index: base + index * step } });
      index++;
    }
  }

  private redirected(node: Node, ctx: Ctx): void {
    const redirects: Redirect[] = [];
    const trailing: Node[] = [];
    for (const r of node.childrenForFieldName('redirect')) {
      if (!r) continue;
      redirects.push(this.redirect(r, ctx, trailing));
    }
    redirects.push(...this.extraRedirects.splice(0));
    const body = node.childForFieldName('body');
    const first = this.commands.length;
    let pipeCtx = ctx;
    const nested = trailing.find((t) => t.type === 'pipeline');
    let nestedId = 0;
    if (nested && !ctx.pipe) {
      nestedId = ++this.pipelines;
      pipeCtx = { ...ctx, pipe: { id: nestedId, index: 0 } };
    }
    if (body) this.visit(body, pipeCtx);
    const own = this.commands.slice(first).filter((c) => c.inSubst === ctx.inSubst);
    if (own.length === 0) {
      // `> file` alone: a redirect without a command still opens (and truncates) the file.
      own.push(this.push({ argv: [], assigns: [], redirects: [], inSubst: ctx.inSubst, keyword: '', start: node.startIndex, end: node.endIndex }, pipeCtx));
    }
    if (own.length > 0) own[0]!.redirects.push(...redirects);
    for (const c of own.slice(1)) c.redirects.push(...redirects.filter((r) => r.op !== '<<' && r.op !== '<<-' && r.op !== '<<<'));
    for (const t of trailing) {
      if (t === nested && nestedId) {
        let index = 1;
        for (const child of t.namedChildren) {
          if (!child) continue;
          this.visit(child, { ...ctx, pipe: { id: nestedId, index } });
          index++;
        }
      } else this.visit(t, ctx);
    }
  }

  private redirect(node: Node, ctx: Ctx, trailing: Node[]): Redirect {
    let op = '';
    let target: Word | undefined;
    let text: string | undefined;
    if (node.type === 'heredoc_redirect') {
      op = '<<';
      for (const child of node.children) {
        if (!child) continue;
        if (!child.isNamed && child.type.startsWith('<<')) op = child.type;
        else if (child.type === 'heredoc_body') text = (text ?? '') + child.text;
        else if (child.isNamed && child.type !== 'heredoc_start' && child.type !== 'heredoc_end') {
          // `cat <<EOF > file`: the second redirect is nested in the heredoc one.
          if (child.type === 'file_redirect' || child.type === 'herestring_redirect') this.extraRedirects.push(this.redirect(child, ctx, trailing));
          else trailing.push(child);
        }
      }
      return { op, text: text ?? '' };
    }
    for (const child of node.children) {
      if (!child) continue;
      if (!child.isNamed) {
        op += child.type;
        continue;
      }
      if (child.type === 'file_descriptor') continue;
      if (WORD_TYPES.has(child.type)) {
        const w = this.word(child, ctx);
        if (!target) target = w;
      } else this.visit(child, ctx);
    }
    if (node.type === 'herestring_redirect') {
      op = '<<<';
      text = target?.text;
    }
    return target ? (text === undefined ? { op, target } : { op, target, text }) : { op };
  }

  /** Redirects found nested inside a heredoc redirect; the statement that owns the heredoc takes them. */
  private readonly extraRedirects: Redirect[] = [];

  private assignments(node: Node, ctx: Ctx, persist = true): { name: string; value?: Word }[] {
    const list = node.type === 'variable_assignments' ? node.namedChildren : [node];
    const out: { name: string; value?: Word }[] = [];
    for (const a of list) {
      if (!a || a.type !== 'variable_assignment') continue;
      const nameNode = a.childForFieldName('name');
      const valueNode = a.childForFieldName('value');
      const name = nameNode?.text ?? '';
      const value = valueNode ? this.word(valueNode, ctx) : undefined;
      if (persist) {
        this.env.set(name, value === undefined ? '' : value.dynamic ? undefined : value.text);
        if (value && value.subst.length > 0) this.origin.set(name, [...value.subst]);
        else this.origin.delete(name);
      }
      out.push(value ? { name, value } : { name });
    }
    return out;
  }

  private command(node: Node, ctx: Ctx): void {
    const argv: Word[] = [];
    const assigns: { name: string; value?: Word }[] = [];
    const redirects: Redirect[] = [];
    const trailing: Node[] = [];
    for (let i = 0; i < node.childCount; i++) {
      const child = node.child(i);
      if (!child || !child.isNamed) continue;
      const field = node.fieldNameForChild(i);
      if (child.type === 'variable_assignment') assigns.push(...this.assignments(child, ctx, false));
      else if (child.type === 'command_name') {
        const inner = child.namedChildren[0];
        if (inner) argv.unshift(this.word(inner, ctx));
      } else if (child.type === 'file_redirect' || child.type === 'herestring_redirect' || child.type === 'heredoc_redirect') {
        redirects.push(this.redirect(child, ctx, trailing));
      } else if (field === 'argument' || WORD_TYPES.has(child.type)) argv.push(this.word(child, ctx));
      else this.visit(child, ctx);
    }
    if (this.extraRedirects.length > 0) redirects.push(...this.extraRedirects.splice(0));
    this.push({ argv, assigns, redirects, inSubst: ctx.inSubst, keyword: '', start: node.startIndex, end: node.endIndex }, ctx);
    for (const t of trailing) this.visit(t, ctx);
  }

  private declaration(node: Node, ctx: Ctx): void {
    const keyword = node.type === 'unset_command' ? 'unset' : (node.child(0)?.type ?? 'declare');
    const argv: Word[] = [];
    const assigns: { name: string; value?: Word }[] = [];
    for (const child of node.namedChildren) {
      if (!child) continue;
      if (child.type === 'variable_assignment') assigns.push(...this.assignments(child, ctx));
      else if (child.type === 'variable_name') argv.push(plainWord(child.text, child.startIndex, child.endIndex));
      else if (WORD_TYPES.has(child.type)) argv.push(this.word(child, ctx));
      else this.visit(child, ctx);
    }
    if (keyword === 'unset') for (const w of argv) this.env.delete(w.text);
    this.push({ argv, assigns, redirects: [], inSubst: ctx.inSubst, keyword, start: node.startIndex, end: node.endIndex }, ctx);
  }

  private functionDefinition(node: Node, ctx: Ctx): void {
    const name = node.childForFieldName('name')?.text ?? '';
    const first = this.commands.length;
    const body = node.childForFieldName('body');
    if (body) this.visit(body, { inSubst: ctx.inSubst, inFunction: name });
    this.functions.set(name, this.commands.slice(first));
  }

  private lookup(name: string): { text: string; known: boolean } {
    if (this.env.has(name)) {
      const v = this.env.get(name);
      return v === undefined ? { text: `\${${name}}`, known: false } : { text: v, known: true };
    }
    if (name === 'IFS') return { text: ' ', known: true };
    return { text: `\${${name}}`, known: false };
  }

  word(node: Node, ctx: Ctx): Word {
    const acc: WordAcc = { text: '', dynamic: false, quoted: false, glob: false, subst: [], processSubst: false, vars: [], ifs: false, tricky: false };
    this.wordPart(node, ctx, acc, false);
    return { ...acc, start: node.startIndex, end: node.endIndex };
  }

  private wordPart(node: Node, ctx: Ctx, acc: WordAcc, inDouble: boolean): void {
    if (this.depth >= MAX_NESTING) {
      this.errors = true;
      acc.dynamic = true;
      return;
    }
    this.depth++;
    try {
      this.wordPartNode(node, ctx, acc, inDouble);
    } finally {
      this.depth--;
    }
  }

  private wordPartNode(node: Node, ctx: Ctx, acc: WordAcc, inDouble: boolean): void {
    switch (node.type) {
      case 'word': {
        const raw = node.text;
        if (raw.includes('\\')) acc.quoted = true;
        if (!inDouble && GLOB.test(raw)) acc.glob = true;
        acc.text += inDouble ? unescapeDouble(raw) : unescapeBare(raw);
        return;
      }
      case 'number':
      case 'special_variable_name':
      case 'variable_name':
        acc.text += node.text;
        return;
      case 'string_content':
        acc.text += unescapeDouble(node.text);
        return;
      case 'raw_string':
        acc.quoted = true;
        acc.text += node.text.slice(1, -1);
        return;
      case 'ansi_c_string':
        acc.quoted = true;
        acc.text += decodeAnsiC(node.text.slice(2, -1));
        return;
      case 'string':
      case 'translated_string':
        acc.quoted = true;
        for (const child of node.namedChildren) if (child) this.wordPart(child, ctx, acc, true);
        return;
      case 'concatenation':
        for (const child of node.namedChildren) if (child) this.wordPart(child, ctx, acc, inDouble);
        // Unquoted glob characters can sit in anonymous children of a concatenation (`src/*.ts`).
        if (!inDouble && node.namedChildren.length !== node.childCount && GLOB.test(node.text)) acc.glob = true;
        return;
      case 'simple_expansion':
      case 'expansion': {
        const inner = node.namedChildren.filter((c): c is Node => c !== null);
        const simple = inner.length === 1 && (inner[0]!.type === 'variable_name' || inner[0]!.type === 'special_variable_name');
        const name = inner[0]?.text ?? '';
        const from = this.origin.get(name);
        if (from) acc.subst.push(...from);
        if (simple) {
          acc.vars.push(name);
          if (name === 'IFS') acc.ifs = true;
          const v = this.lookup(name);
          acc.text += v.text;
          if (!v.known) acc.dynamic = true;
          return;
        }
        if (name) acc.vars.push(name);
        if (/IFS/.test(node.text)) acc.ifs = true;
        acc.tricky = true;
        acc.dynamic = true;
        acc.text += node.text;
        for (const c of inner) if (c.type === 'command_substitution') this.wordPart(c, ctx, acc, inDouble);
        return;
      }
      case 'command_substitution':
      case 'process_substitution': {
        const first = this.commands.length;
        for (const child of node.namedChildren) if (child) this.visit(child, { inSubst: true, ...(ctx.inFunction === undefined ? {} : { inFunction: ctx.inFunction }) });
        const inner = this.commands.slice(first);
        acc.subst.push(...inner);
        if (node.type === 'process_substitution') acc.processSubst = true;
        const echoed = node.type === 'command_substitution' ? echoValue(inner) : undefined;
        if (echoed !== undefined) acc.text += echoed;
        else {
          acc.dynamic = true;
          acc.text += node.type === 'process_substitution' ? '<(…)' : '$(…)';
        }
        return;
      }
      case 'arithmetic_expansion':
        acc.dynamic = true;
        acc.text += '$((…))';
        for (const child of node.namedChildren) if (child) this.visit(child, { ...ctx, inSubst: true });
        return;
      case 'array':
        acc.dynamic = true;
        for (const child of node.namedChildren) if (child) this.wordPart(child, ctx, acc, inDouble);
        return;
      case 'brace_expression':
        acc.glob = true;
        acc.text += node.text;
        return;
      default:
        if (node.isError || node.isMissing) this.errors = true;
        acc.text += node.text;
        for (const child of node.namedChildren) if (child && (child.type === 'command_substitution' || child.type === 'process_substitution')) this.wordPart(child, ctx, acc, inDouble);
    }
  }
}

interface WordAcc {
  text: string;
  dynamic: boolean;
  quoted: boolean;
  glob: boolean;
  subst: Command[];
  processSubst: boolean;
  vars: string[];
  ifs: boolean;
  tricky: boolean;
}

const WORD_TYPES = new Set([
  'word',
  'string',
  'raw_string',
  'ansi_c_string',
  'translated_string',
  'concatenation',
  'simple_expansion',
  'expansion',
  'command_substitution',
  'process_substitution',
  'number',
  'arithmetic_expansion',
  'brace_expression',
  'array',
]);

function plainWord(text: string, start: number, end: number): Word {
  return { text, dynamic: false, quoted: false, glob: false, subst: [], processSubst: false, vars: [], ifs: false, tricky: false, start, end };
}

/** The output of `$(echo …)` / `$(printf …)` with literal arguments, which obfuscated commands use to build names. */
export function echoValue(commands: readonly Command[]): string | undefined {
  if (commands.length !== 1) return undefined;
  const cmd = commands[0]!;
  const [name, ...args] = cmd.argv;
  if (!name || name.dynamic || cmd.redirects.length > 0 || args.some((a) => a.dynamic)) return undefined;
  if (name.text === 'echo') {
    let escapes = false;
    while (args[0] && /^-[neE]+$/.test(args[0].text)) {
      if (args[0].text.includes('e')) escapes = true;
      args.shift();
    }
    const joined = args.map((a) => a.text).join(' ');
    return escapes ? decodeAnsiC(joined) : joined;
  }
  if (name.text === 'printf' && args.length > 0) {
    const [format, ...rest] = args.map((a) => a.text);
    let i = 0;
    return decodeAnsiC(format!).replace(/%[sbdc]/g, () => rest[i++] ?? '');
  }
  return undefined;
}

/** Parses a shell command into its commands, pipelines and words. Requires `shellParserReady()` first. */
export function parseShell(source: string): Script {
  if (!parser) throw new Error('shell parser not loaded: await shellParserReady() first');
  const tree = parser.parse(source);
  if (!tree) throw new Error('shell parser returned no tree');
  try {
    const conv = new Converter();
    const root = tree.rootNode;
    conv.visit(root, { inSubst: false });
    return { commands: conv.commands, functions: conv.functions, errors: conv.errors || root.hasError, pipelines: conv.pipelines };
  } finally {
    tree.delete();
  }
}
