/**
 * What a regular expression's source proves about its matches, for scanners that run a regex only
 * near its cues (windowed-scan.ts): how long a match can be, how far its lookarounds read, and
 * whether every match holds one of some literals. The analysis is conservative: a construct it does
 * not model (back-references, modifiers, `v`-mode classes, a brace that is no quantifier) makes the
 * length unbounded and the literals unproven, so a caller falls back to scanning the whole text.
 */

export interface RegexBounds {
  /** Most UTF-16 code units a match can span (Infinity when some repetition is unbounded). */
  readonly maxLength: number;
  /** Most code units any lookbehind or lookahead reads (Infinity when unbounded). */
  readonly lookaround: number;
}

type Node =
  | { readonly type: 'char'; readonly value: string; readonly min: number; readonly max: number }
  /** A class or `.`; `chars` lists its members when it is a short list of literal characters. */
  | { readonly type: 'set'; readonly chars: readonly string[] | undefined; readonly min: number; readonly max: number }
  | { readonly type: 'assert' }
  | { readonly type: 'group'; readonly look: boolean; readonly alternatives: Node[][]; readonly min: number; readonly max: number };

class Unsupported extends Error {}

const isSurrogate = (unit: number): boolean => unit >= 0xd800 && unit <= 0xdfff;

/** Classes of more members are not expanded into literal strings. */
const MAX_CLASS_CHARS = 16;
/** Most literal strings tracked for one stretch of a match. */
const MAX_STRINGS = 256;

const SIMPLE_ESCAPES: Record<string, string> = { t: '\t', n: '\n', r: '\r', v: '\v', f: '\f', '0': '\0' };

/** A parser for the regex syntax the project's patterns use; anything else throws Unsupported. */
class Parser {
  private at = 0;
  constructor(private readonly source: string, private readonly unicode: boolean) {}

  parse(): Node[][] {
    const alternatives = this.alternatives();
    if (this.at !== this.source.length) throw new Unsupported(`unexpected ${this.source[this.at]}`);
    return alternatives;
  }

  private alternatives(): Node[][] {
    const out: Node[][] = [this.sequence()];
    while (this.source[this.at] === '|') {
      this.at++;
      out.push(this.sequence());
    }
    return out;
  }

  private sequence(): Node[] {
    const items: Node[] = [];
    while (this.at < this.source.length && this.source[this.at] !== '|' && this.source[this.at] !== ')') items.push(this.item());
    return items;
  }

  private item(): Node {
    const c = this.source[this.at]!;
    if (c === '^' || c === '$') {
      this.at++;
      return { type: 'assert' };
    }
    if (c === '(') return this.group();
    if (c === '[') {
      const chars = this.set();
      return { type: 'set', chars, ...this.quantifier() };
    }
    if (c === '.') {
      this.at++;
      return { type: 'set', chars: undefined, ...this.quantifier() };
    }
    if (c === '\\') {
      const escaped = this.escape();
      if (escaped === undefined) return { type: 'assert' };
      return escaped === null ? { type: 'set', chars: undefined, ...this.quantifier() } : { type: 'char', value: escaped, ...this.quantifier() };
    }
    if (c === '*' || c === '+' || c === '?' || c === '{' || c === '}' || c === ']') throw new Unsupported(`bare ${c}`);
    // In Unicode mode a surrogate pair is one character: a quantifier after it repeats both units.
    const pair = this.unicode && isSurrogate(c.charCodeAt(0)) && isSurrogate(this.source.charCodeAt(this.at + 1));
    const value = pair ? this.source.slice(this.at, this.at + 2) : c;
    this.at += value.length;
    return { type: 'char', value, ...this.quantifier() };
  }

  private group(): Node {
    this.at++; // (
    let look = false;
    if (this.source.startsWith('?:', this.at)) this.at += 2;
    else if (this.source.startsWith('?=', this.at) || this.source.startsWith('?!', this.at)) {
      look = true;
      this.at += 2;
    } else if (this.source.startsWith('?<=', this.at) || this.source.startsWith('?<!', this.at)) {
      look = true;
      this.at += 3;
    } else if (this.source.startsWith('?<', this.at)) {
      const close = this.source.indexOf('>', this.at);
      if (close < 0) throw new Unsupported('group name');
      this.at = close + 1;
    } else if (this.source[this.at] === '?') throw new Unsupported('group modifier');
    const alternatives = this.alternatives();
    if (this.source[this.at] !== ')') throw new Unsupported('unclosed group');
    this.at++;
    if (look) {
      if (/^[*+?{]/.test(this.source[this.at] ?? '')) throw new Unsupported('quantified lookaround');
      return { type: 'group', look, alternatives, min: 1, max: 1 };
    }
    return { type: 'group', look, alternatives, ...this.quantifier() };
  }

  /** Reads a character class: its members when they are a few literal characters, else undefined. */
  private set(): string[] | undefined {
    this.at++; // [
    let chars: string[] | undefined = [];
    if (this.source[this.at] === '^') {
      chars = undefined;
      this.at++;
    }
    const member = (): string | null => {
      if (this.source[this.at] !== '\\') return this.source[this.at++]!;
      const escaped = this.escape();
      if (escaped === undefined) throw new Unsupported('assertion in a class');
      return escaped;
    };
    // `[]` matches nothing and `[^]` any character: a `]` right after the opening always closes it.
    if (this.source[this.at] === ']') chars = undefined;
    // A `[` inside a class is a member: classes nest only in `v` mode, which parse() turns down.
    while (this.at < this.source.length && this.source[this.at] !== ']') {
      // In Unicode mode a member may be a surrogate pair (two code units): not listed.
      if (this.unicode && isSurrogate(this.source.charCodeAt(this.at))) chars = undefined;
      const from = member();
      if (this.source[this.at] === '-' && this.source[this.at + 1] !== ']' && this.at + 1 < this.source.length) {
        this.at++;
        const to = member();
        if (from === null || to === null || from.length !== 1 || to.length !== 1) throw new Unsupported('class range');
        const a = from.charCodeAt(0);
        const b = to.charCodeAt(0);
        if (b - a > MAX_CLASS_CHARS) chars = undefined;
        else for (let u = a; u <= b && chars; u++) chars.push(String.fromCharCode(u));
      } else if (from === null) chars = undefined;
      else chars?.push(from);
      if (chars && chars.length > MAX_CLASS_CHARS) chars = undefined;
    }
    if (this.source[this.at] !== ']') throw new Unsupported('unclosed class');
    this.at++;
    return chars;
  }

  /** The character an escape stands for; null for a class escape; undefined for a zero-width one. */
  private escape(): string | null | undefined {
    const c = this.source[this.at + 1];
    if (c === undefined) throw new Unsupported('trailing backslash');
    this.at += 2;
    if (c === 'b' || c === 'B') return undefined;
    if ('dDwWsS'.includes(c)) return null;
    if (c === 'p' || c === 'P') {
      const close = this.source.indexOf('}', this.at);
      if (this.source[this.at] !== '{' || close < 0) throw new Unsupported('property escape');
      this.at = close + 1;
      return null;
    }
    if (c in SIMPLE_ESCAPES && !(c === '0' && /[0-9]/.test(this.source[this.at] ?? ''))) return SIMPLE_ESCAPES[c]!;
    if (c === 'x') return this.hex(2);
    if (c === 'u') {
      // `\u{…}` is a code point only in Unicode mode (elsewhere `\u{2}` is "uu").
      if (this.source[this.at] === '{' && !this.unicode) throw new Unsupported('\\u{ outside Unicode mode');
      if (this.source[this.at] === '{') {
        const close = this.source.indexOf('}', this.at);
        if (close < 0) throw new Unsupported('code point escape');
        const cp = Number.parseInt(this.source.slice(this.at + 1, close), 16);
        this.at = close + 1;
        return String.fromCodePoint(cp);
      }
      return this.hex(4);
    }
    if (/[0-9kc]/.test(c)) throw new Unsupported(`\\${c}`);
    if (/[A-Za-z]/.test(c)) throw new Unsupported(`\\${c}`);
    return c;
  }

  private hex(digits: number): string {
    const text = this.source.slice(this.at, this.at + digits);
    if (!new RegExp(`^[0-9A-Fa-f]{${digits}}$`).test(text)) throw new Unsupported('hex escape');
    this.at += digits;
    return String.fromCharCode(Number.parseInt(text, 16));
  }

  private quantifier(): { min: number; max: number } {
    const c = this.source[this.at];
    let q: { min: number; max: number } = { min: 1, max: 1 };
    if (c === '*') q = { min: 0, max: Infinity };
    else if (c === '+') q = { min: 1, max: Infinity };
    else if (c === '?') q = { min: 0, max: 1 };
    else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.source.slice(this.at));
      if (!m) throw new Unsupported('brace');
      const min = Number(m[1]);
      q = { min, max: m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]) };
      this.at += m[0].length - 1;
    } else return q;
    this.at++;
    if (this.source[this.at] === '?') this.at++;
    return q;
  }

  /** Code units one character of a class or `.` may take. */
  get unitWidth(): number {
    return this.unicode ? 2 : 1;
  }
}

function parse(re: RegExp): { tree: Node[][]; unitWidth: number } | undefined {
  if (re.flags.includes('v')) return undefined;
  const parser = new Parser(re.source, re.flags.includes('u'));
  try {
    return { tree: parser.parse(), unitWidth: parser.unitWidth };
  } catch (error) {
    if (error instanceof Unsupported) return undefined;
    throw error;
  }
}

export function regexBounds(re: RegExp): RegexBounds {
  const parsed = parse(re);
  if (!parsed) return { maxLength: Infinity, lookaround: Infinity };
  const lookaround = Math.max(0, ...lookarounds(parsed.tree).map((alternatives) => alternativesLength(alternatives, parsed.unitWidth)));
  return { maxLength: alternativesLength(parsed.tree, parsed.unitWidth), lookaround };
}

function lookarounds(alternatives: readonly Node[][]): Node[][][] {
  const out: Node[][][] = [];
  for (const sequence of alternatives)
    for (const node of sequence)
      if (node.type === 'group') {
        if (node.look) out.push(node.alternatives);
        out.push(...lookarounds(node.alternatives));
      }
  return out;
}

function alternativesLength(alternatives: readonly Node[][], unitWidth: number): number {
  let most = 0;
  for (const sequence of alternatives) {
    let sum = 0;
    for (const node of sequence) sum += nodeLength(node, unitWidth);
    most = Math.max(most, sum);
  }
  return most;
}

/** Most code units a node consumes (lookarounds and assertions consume none). */
function nodeLength(node: Node, unitWidth: number): number {
  if (node.type === 'assert' || (node.type === 'group' && node.look)) return 0;
  const one = node.type === 'char' ? node.value.length : node.type === 'set' ? unitWidth : alternativesLength(node.alternatives, unitWidth);
  // 0 * Infinity is NaN: an empty group repeated without bound consumes nothing.
  return one === 0 ? 0 : one * node.max;
}

/**
 * How far from its start every match of `re` (the matched text, not its lookarounds) has ended one of
 * `literals`: the most code units from a match's start to the end of the first literal it must hold,
 * compared in lower case (callers find the literals case-insensitively in ASCII). Proven through
 * stretches of the match that can only be a few literal strings (`sk-(?:proj|admin)-`,
 * `do[opr]_v1_`, `private[_-]?ai`, `A{22}`), in every alternative. Undefined when not proven, or when
 * an unbounded repetition comes before the literal. A regex that is case-insensitive in Unicode mode
 * is never proven (`ſ` matches `s` there). With `caseSensitive` (callers that find the literals
 * exactly as written) the comparison keeps case, and a case-insensitive regex is never proven.
 */
export function literalReach(re: RegExp, literals: readonly string[], caseSensitive = false): number | undefined {
  if (re.flags.includes('i') && (caseSensitive || re.flags.includes('u'))) return undefined;
  const parsed = parse(re);
  if (!parsed || literals.length === 0) return undefined;
  const { unitWidth } = parsed;
  const fold = caseSensitive ? (x: string): string => x : (x: string): string => x.toLowerCase();
  const wanted = literals.map(fold);
  const holds = (run: string): boolean => {
    const folded = fold(run);
    return wanted.some((l) => folded.includes(l));
  };
  const longest = (strings: readonly string[]): number => Math.max(...strings.map((x) => x.length));
  function alternativesReach(alternatives: readonly Node[][]): number | undefined {
    let most = 0;
    for (const sequence of alternatives) {
      const reach = sequenceReach(sequence);
      if (reach === undefined) return undefined;
      most = Math.max(most, reach);
    }
    return most;
  }
  function sequenceReach(sequence: readonly Node[]): number | undefined {
    // `before`: the most code units before the current stretch, whose possible strings are `stretch`.
    let before = 0;
    let stretch: string[] = [''];
    for (const node of sequence) {
      const strings = stringsOf(node);
      const next = strings && product(stretch, strings);
      if (next) {
        stretch = next;
        if (stretch.every(holds)) return finite(before + longest(stretch));
        continue;
      }
      before += longest(stretch);
      if (node.type === 'group' && !node.look && node.min >= 1) {
        const inner = alternativesReach(node.alternatives);
        if (inner !== undefined) return finite(before + inner);
      }
      before += nodeLength(node, unitWidth);
      stretch = [''];
    }
    return undefined;
  }
  return alternativesReach(parsed.tree);
}

const finite = (n: number): number | undefined => (Number.isFinite(n) ? n : undefined);

/** The strings a node matches, when they are a few literal ones (zero-width nodes match ''). */
function stringsOf(node: Node): string[] | undefined {
  if (node.type === 'assert' || (node.type === 'group' && node.look)) return [''];
  let one: string[] | undefined;
  if (node.type === 'char') one = [node.value];
  else if (node.type === 'set') one = node.chars ? [...node.chars] : undefined;
  else {
    one = [];
    for (const sequence of node.alternatives) {
      let strings: string[] | undefined = [''];
      for (const item of sequence) {
        const s = stringsOf(item);
        strings = s && strings && product(strings, s);
        if (!strings) return undefined;
      }
      one.push(...strings);
    }
  }
  if (!one) return undefined;
  if (node.min === 0 && node.max === 1) return ['', ...one];
  if (node.min !== node.max || node.min > MAX_CLASS_CHARS * 2) return undefined;
  let out: string[] | undefined = [''];
  for (let k = 0; k < node.min && out; k++) out = product(out, one);
  return out;
}

function product(left: readonly string[], right: readonly string[]): string[] | undefined {
  if (left.length * right.length > MAX_STRINGS) return undefined;
  const out: string[] = [];
  for (const a of left) for (const b of right) out.push(a + b);
  return out;
}
