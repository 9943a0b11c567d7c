import { z } from 'zod';
import { type Finding, findingFor, type Guard, type GuardFactory, literalReach, matchesInWindows, regexBounds, type Segment, trailingTokenSuffix, WINDOW_LOOKAROUND } from '../../core/index.js';
import { CodeUnits } from '../../normalize/codeunits.js';
import { findEncodedRuns } from '../../normalize/decode.js';
import { foldForScan, unfoldSpan } from '../../normalize/fold.js';
import { GENERIC_ASSIGNMENT, looksLikePlaceholder, SECRET_RULES, type SecretRule, shannonEntropy } from './rules.js';

export { githubChecksumValid, SECRET_RULES, type SecretRule } from './rules.js';

export interface SecretMatch {
  start: number;
  end: number;
  /** Rule id: the finding type is `secret.<id>`. */
  id: string;
  provider: string;
  score: number;
}

export const secretsConfigSchema = z.strictObject({
  /** Rule ids to leave out (see `SECRET_RULE_IDS`). */
  disable: z.array(z.string()).default([]),
  /** Report `password = …`-style assignments judged by entropy. */
  generic: z.boolean().default(true),
  /** Minimum entropy (bits/char) for generic assignments. */
  genericMinEntropy: z.number().min(0).max(8).default(3.2),
  /** Exact values never reported (published test keys of the organisation). */
  allowValues: z.array(z.string().min(1)).default([]),
  /** Longest finding, in characters; the stream scanner holds back this many minus one. PEM keys are longer: they are judged when the stream ends if cut. */
  maxSpan: z.number().int().min(64).max(65_536).default(512),
});
export type SecretsConfig = z.infer<typeof secretsConfigSchema>;

export const SECRET_RULE_IDS: readonly string[] = [...new Set([...SECRET_RULES.map((r) => r.id), GENERIC_ASSIGNMENT.id])].sort();
/** Providers covered by a dedicated rule. */
export const SECRET_PROVIDERS: readonly string[] = [...new Set(SECRET_RULES.map((r) => r.provider))].sort();

interface CompiledRule extends SecretRule {
  readonly compiled: RegExp;
  /** Set when the rule may run near its keywords only (see nearKeywordBounds). */
  readonly near: NearKeywordBounds | undefined;
}

function compile(rules: readonly SecretRule[]): CompiledRule[] {
  return rules.map((r) => ({ ...r, compiled: new RegExp(r.re.source, r.re.flags.includes('d') ? r.re.flags : `${r.re.flags}d`), near: nearKeywordBounds(r) }));
}

export interface NearKeywordBounds {
  /** Most characters from a match's start to the end of the first keyword it holds. */
  readonly reach: number;
  /** Longest match. */
  readonly maxLength: number;
}

/**
 * What lets `rule` run near its keywords only, with the same matches as a scan of the whole text:
 * its pattern proves that every match holds one of the rule's keywords within `reach` characters
 * of its start, is at most `maxLength` long, and looks around no further than a windowed scan reads.
 * Undefined otherwise (the rule scans the whole text when one of its keywords occurs). A rule whose
 * matches are unbounded (`{100,}`) is never windowed: a window's scan would read on to the end of the
 * text, once per keyword occurrence (200 KB of "EAA " took 15 s).
 */
export function nearKeywordBounds(rule: SecretRule): NearKeywordBounds | undefined {
  const { maxLength, lookaround } = regexBounds(rule.re);
  const reach = literalReach(rule.re, rule.keywords);
  if (reach === undefined || !Number.isFinite(maxLength) || lookaround > WINDOW_LOOKAROUND) return undefined;
  return { reach, maxLength };
}

/**
 * Whether scanning near `occurrences` keyword occurrences reads less than one scan of the text: each
 * window's scan reads up to `reach + maxLength` characters, so dense keywords (a text made of
 * "token") are cheaper to scan whole. Both give the same matches.
 */
export function nearKeywordsCheaper(bounds: NearKeywordBounds, occurrences: number, textLength: number): boolean {
  return occurrences * (bounds.reach + bounds.maxLength) < textLength;
}

/** Reports `m` (a match of `rule` in `text`) when its secret passes the rule's checks. */
function acceptMatch(rule: CompiledRule, m: RegExpExecArray, text: string, out: SecretMatch[], minEntropy: number | undefined): void {
  const span = m.indices?.groups?.['s'] ?? [m.index, m.index + m[0].length];
  let [start, end] = span;
  let secret = text.slice(start, end);
  if (rule.id === 'private_key') {
    const trimmed = secret.replace(/(?:\\[rn]|\s)+$/, '');
    end = start + trimmed.length;
    secret = trimmed;
    start = m.index;
  }
  const need = minEntropy ?? rule.minEntropy;
  if (need !== undefined && shannonEntropy(secret) < need) return;
  if (!rule.allowPlaceholders && looksLikePlaceholder(secret)) return;
  if (rule.validate && !rule.validate(secret, m, text)) return;
  out.push({ start, end, id: rule.id, provider: rule.provider, score: rule.scoreOf ? rule.scoreOf(secret) : rule.score });
}

/** Every match of a rule in the whole text. */
function scanRule(rule: CompiledRule, text: string, out: SecretMatch[], minEntropy: number | undefined): void {
  const re = rule.compiled;
  re.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    if (m[0].length === 0) {
      re.lastIndex++;
      continue;
    }
    acceptMatch(rule, m, text, out, minEntropy);
  }
}

/**
 * A rule with near-keyword bounds runs only near its keywords, with the same matches as a scan of the
 * whole text: every match ends a keyword occurrence at most `reach` characters after its start, so
 * no match starts outside the windows `[end - reach, end)` (matchesInWindows without `inMatch`).
 * `keywordEnds`: the index just past each keyword occurrence, in text order.
 */
function scanNearKeywords(rule: CompiledRule, text: string, keywordEnds: readonly number[], out: SecretMatch[], minEntropy: number | undefined): void {
  const { reach, maxLength } = rule.near!;
  const windows = keywordEnds.map((end) => [end - reach, end] as const);
  for (const m of matchesInWindows({ re: rule.compiled, maxLength }, text, windows)) acceptMatch(rule, m, text, out, minEntropy);
}

/** Keeps the best of overlapping matches: higher score, then the longer span. */
function resolve(matches: SecretMatch[]): SecretMatch[] {
  matches.sort((a, b) => b.score - a.score || b.end - b.start - (a.end - a.start) || a.start - b.start);
  const kept: SecretMatch[] = [];
  for (const m of matches) if (!kept.some((k) => m.start < k.end && k.start < m.end)) kept.push(m);
  return kept.sort((a, b) => a.start - b.start);
}

/**
 * Aho-Corasick automaton over the rule keywords (lower-case ASCII), as a full transition table on
 * ASCII folded to lower case: one table read per character of the text, no lower-cased copy, every
 * keyword found wherever it occurs (overlapping ones too: `sk-` inside `sk-ant-`). Returns the
 * indexes of the rules whose keywords occur, ascending. Characters outside ASCII match no keyword.
 * For the rules in `located`, it also appends to `ends[rule]` (made on first use) the index just past
 * every occurrence of their keywords, in text order.
 *
 * The table's columns are the characters keywords hold (upper-case letters share their lower-case
 * column; every other UTF-16 unit is column 0, which leads back to the root): about 46 columns
 * instead of 128, a table a third the size, which the other guards' data evicts less from the caches.
 * The text is read through a typed array (CodeUnits), and texts of some length are read by four
 * automatons at once, one per quarter: each step of one waits on its table read, four independent
 * ones overlap their reads (about 1.5× faster on 2 KB). Each quarter's automaton starts at the root
 * `longest keyword - 1` characters before its quarter, so it is in the same state as a single pass
 * when the quarter starts and reports the same occurrences there; it reports only those ending inside
 * its quarter, and those of later quarters are reported after the earlier ones (text order).
 */
export function keywordAutomaton(
  rulesOf: ReadonlyMap<string, readonly number[]>,
  ruleCount: number,
  located: ReadonlySet<number> = new Set(),
): (text: string, ends?: (number[] | undefined)[]) => number[] {
  const goto: Int32Array[] = [new Int32Array(128).fill(-1)];
  const outputs: number[][] = [[]];
  let longest = 1;
  const keywordChars = new Set<number>();
  for (const [k, rules] of rulesOf) {
    if (/[^\x00-\x7f]/.test(k) || k !== k.toLowerCase() || k.length === 0) throw new Error(`secret rule keyword must be lower-case ASCII: ${JSON.stringify(k)}`);
    longest = Math.max(longest, k.length);
    let s = 0;
    for (let i = 0; i < k.length; i++) {
      const c = k.charCodeAt(i);
      keywordChars.add(c);
      if (goto[s]![c] === -1) {
        goto[s]![c] = goto.length;
        goto.push(new Int32Array(128).fill(-1));
        outputs.push([]);
      }
      s = goto[s]![c]!;
    }
    // Once per rule (GENERIC_KEYWORDS spells `apikey` twice): one end per occurrence.
    for (const r of rules) if (!outputs[s]!.includes(r)) outputs[s]!.push(r);
  }
  // Breadth-first: failure links, outputs inherited along them, missing transitions filled in.
  const states = goto.length;
  const delta = new Int32Array(states * 128);
  const fail = new Int32Array(states);
  const queue: number[] = [];
  for (let c = 0; c < 128; c++) {
    const t = goto[0]![c]!;
    delta[c] = t === -1 ? 0 : t;
    if (t !== -1) queue.push(t);
  }
  for (let q = 0; q < queue.length; q++) {
    const s = queue[q]!;
    const f = fail[s]!;
    if (outputs[f]!.length) outputs[s] = [...new Set([...outputs[s]!, ...outputs[f]!])];
    for (let c = 0; c < 128; c++) {
      const t = goto[s]![c]!;
      if (t === -1) delta[s * 128 + c] = delta[f * 128 + c]!;
      else {
        delta[s * 128 + c] = t;
        fail[t] = delta[f * 128 + c]!;
        queue.push(t);
      }
    }
  }
  // Columns: 0 for every unit no keyword holds (from any state it leads to the root: no state has a
  // transition on it, nor has any state its failure links reach), then one per keyword character.
  const columnOf = new Uint8Array(0x10000);
  const chars = [...keywordChars].sort((a, b) => a - b);
  const width = chars.length + 1;
  chars.forEach((c, k) => {
    columnOf[c] = k + 1;
    if (c >= 97 && c <= 122) columnOf[c - 32] = k + 1;
  });
  if (states * width > 0x7fffffff) throw new Error('too many keyword states');
  // Flat tables for the hot loop: `next` holds the next state already multiplied by `width`, with the
  // sign bit set when that state reports rules: `hitRules[hitStart[s] .. hitStart[s + 1])`.
  const hitStart = new Int32Array(states + 1);
  const flat: number[] = [];
  for (let s = 0; s < states; s++) {
    hitStart[s] = flat.length;
    flat.push(...outputs[s]!);
  }
  hitStart[states] = flat.length;
  const hitRules = Int32Array.from(flat);
  const next = new Int32Array(states * width);
  for (let s = 0; s < states; s++) {
    for (let k = 1; k < width; k++) {
      const t = delta[s * 128 + chars[k - 1]!]!;
      next[s * width + k] = (t * width) | (outputs[t]!.length > 0 ? 0x80000000 : 0);
    }
  }
  const seen = new Uint8Array(ruleCount);
  const locate = new Uint8Array(ruleCount);
  for (const r of located) locate[r] = 1;
  const units = new CodeUnits();
  // Occurrences found by the automatons of quarters 2-4, kept until the earlier ones are reported:
  // (state × width, index) pairs.
  const later: [number[], number[], number[]] = [[], [], []];
  const overlap = longest - 1;
  /** The rules of the state `v` (an entry of `next`, sign bit set) reached at index `i`. */
  const report = (v: number, i: number, found: number[], ends: (number[] | undefined)[] | undefined): void => {
    const state = ((v & 0x7fffffff) / width) | 0;
    for (let h = hitStart[state]!, stop = hitStart[state + 1]!; h < stop; h++) {
      const r = hitRules[h]!;
      if (seen[r] === 0) {
        seen[r] = 1;
        found.push(r);
      }
      if (ends !== undefined && locate[r] === 1) (ends[r] ??= []).push(i + 1);
    }
  };
  return (text: string, ends?: (number[] | undefined)[]): number[] => {
    const found: number[] = [];
    const length = text.length;
    const u = units.load(text);
    const quarter = length >> 2;
    if (quarter < 2 * overlap + 16) {
      let s = 0;
      for (let i = 0; i < length; i++) {
        const v = next[s + columnOf[u[i]!]!]!;
        s = v & 0x7fffffff;
        if (v < 0) report(v, i, found, ends);
      }
    } else {
      // Quarter q reports indexes [b_q, b_q+1) and starts reading at b_q - overlap (q > 0).
      const b1 = quarter;
      const b2 = 2 * quarter;
      const b3 = 3 * quarter;
      const [l1, l2, l3] = later;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let i1 = b1 - overlap;
      let i2 = b2 - overlap;
      let i3 = b3 - overlap;
      for (let i0 = 0; i0 < b1; i0++, i1++, i2++, i3++) {
        const v0 = next[s0 + columnOf[u[i0]!]!]!;
        const v1 = next[s1 + columnOf[u[i1]!]!]!;
        const v2 = next[s2 + columnOf[u[i2]!]!]!;
        const v3 = next[s3 + columnOf[u[i3]!]!]!;
        s0 = v0 & 0x7fffffff;
        s1 = v1 & 0x7fffffff;
        s2 = v2 & 0x7fffffff;
        s3 = v3 & 0x7fffffff;
        if ((v0 | v1 | v2 | v3) < 0) {
          if (v0 < 0) report(v0, i0, found, ends);
          if (v1 < 0 && i1 >= b1) l1.push(v1, i1);
          if (v2 < 0 && i2 >= b2) l2.push(v2, i2);
          if (v3 < 0 && i3 >= b3) l3.push(v3, i3);
        }
      }
      // The automatons of quarters 2-4 read `overlap` characters more (the last one to the end).
      for (; i1 < b2; i1++) {
        const v = next[s1 + columnOf[u[i1]!]!]!;
        s1 = v & 0x7fffffff;
        if (v < 0 && i1 >= b1) l1.push(v, i1);
      }
      for (; i2 < b3; i2++) {
        const v = next[s2 + columnOf[u[i2]!]!]!;
        s2 = v & 0x7fffffff;
        if (v < 0 && i2 >= b2) l2.push(v, i2);
      }
      for (; i3 < length; i3++) {
        const v = next[s3 + columnOf[u[i3]!]!]!;
        s3 = v & 0x7fffffff;
        if (v < 0 && i3 >= b3) l3.push(v, i3);
      }
      for (const l of later) {
        for (let h = 0; h < l.length; h += 2) report(l[h]!, l[h + 1]!, found, ends);
        l.length = 0;
      }
    }
    for (const r of found) seen[r] = 0;
    return found.length > 1 ? found.sort(ascending) : found;
  };
}

const ascending = (a: number, b: number): number => a - b;

/**
 * A reusable detector: rules compiled once. `nearKeywords: false` scans every rule over the whole
 * text (the reference the windowed scan is tested against).
 */
export function createSecretsDetector(config: SecretsConfig, options: { nearKeywords?: boolean } = {}): (text: string) => SecretMatch[] {
  const disabled = new Set(config.disable);
  const rules = compile(SECRET_RULES.filter((r) => !disabled.has(r.id)));
  const generic = config.generic && !disabled.has(GENERIC_ASSIGNMENT.id) ? compile([GENERIC_ASSIGNMENT])[0] : undefined;
  const allow = new Set(config.allowValues);
  // One pass over the text finds which keywords occur; only their rules run.
  const all = [...rules, ...(generic ? [generic] : [])];
  const byKeyword = new Map<string, number[]>();
  all.forEach((rule, i) => {
    for (const k of rule.keywords) {
      const list = byKeyword.get(k) ?? [];
      list.push(i);
      byKeyword.set(k, list);
    }
  });
  const windowed = new Set(options.nearKeywords === false ? [] : all.flatMap((rule, i) => (rule.near !== undefined ? [i] : [])));
  const find = keywordAutomaton(byKeyword, all.length, windowed);
  // Where each located rule's keywords end, reused across calls (a fresh array per text was most
  // of the guard's allocation): only the rules `find` returns get entries, cleared after the scan.
  const ends: (number[] | undefined)[] = new Array<number[] | undefined>(all.length).fill(undefined);
  const scan = (text: string): SecretMatch[] => {
    const wanted = find(text, ends);
    if (wanted.length === 0) return [];
    const out: SecretMatch[] = [];
    try {
      for (const i of wanted) {
        const rule = all[i]!;
        const minEntropy = rule === generic ? config.genericMinEntropy : undefined;
        if (windowed.has(i) && nearKeywordsCheaper(rule.near!, ends[i]!.length, text.length)) scanNearKeywords(rule, text, ends[i]!, out, minEntropy);
        else scanRule(rule, text, out, minEntropy);
      }
    } finally {
      for (const i of wanted) ends[i] = undefined;
    }
    // Findings may be longer than `maxSpan` (a PEM key): whole-text scans still report them; a stream
    // that cut one holds back its `-----BEGIN` line (see secretsPendingSuffix).
    return resolve(out.filter((m) => !allow.has(text.slice(m.start, m.end))));
  };
  // The text as the model reads it too (see fold.ts): a key split by invisible characters, in
  // full-width forms or JSON escapes; its spans mapped back over the characters folded inside them.
  // And what base64 or hex runs in it decode to (`echo … | base64 -d > .env`): a credential found there
  // takes the whole run, which the model could decode as easily.
  return (text: string): SecretMatch[] => {
    let found = scan(text);
    const folded = foldForScan(text);
    if (folded !== undefined) {
      const more = scan(folded.text);
      if (more.length > 0) found = resolve([...found, ...more.map((m) => ({ ...m, ...unfoldSpan(folded, m.start, m.end) }))]);
    }
    const layers = encodedLayers(text);
    if (layers.length === 0) return found;
    const inLayers: SecretMatch[] = [];
    for (const run of layers) {
      const hit = scan(run.decoded)[0];
      if (hit) inLayers.push({ ...hit, start: run.start, end: run.end });
    }
    return inLayers.length === 0 ? found : resolve([...found, ...inLayers]);
  };
}

/**
 * What a stream must hold back for secrets: the trailing token, or everything from an unfinished
 * PEM block (`-----BEGIN … PRIVATE KEY-----` without its END yet), up to `max`.
 */
export function secretsPendingSuffix(text: string, max: number): number {
  const begin = text.lastIndexOf('-----BEGIN');
  if (begin >= 0 && text.indexOf('-----END', begin) < 0) return Math.min(text.length - begin, max);
  // `password = ` may be followed by the value in the next delta: keep the assignment with it.
  const assign = /[A-Za-z0-9_.-]{1,40}["']?\s{0,4}(?::=|=>|=|:)\s{0,4}["'`]?$/.exec(text.slice(-64));
  if (assign) return Math.min(assign[0].length, max);
  return trailingTokenSuffix(text, max);
}

/** Finding types by rule id (`secret.aws_access_key_id`), each made once (see the PII guard's findingType). */
const FINDING_TYPES = new Map<string, string>();
function findingType(id: string): string {
  let type = FINDING_TYPES.get(id);
  if (type === undefined) FINDING_TYPES.set(id, (type = `secret.${id}`));
  return type;
}

export const secretsGuardFactory: GuardFactory<SecretsConfig> = {
  name: 'secrets',
  description: `Credentials: ${SECRET_PROVIDERS.length} providers' documented key formats, JWTs, PEM private keys, URLs and CLI flags with passwords, and credential assignments judged by entropy.`,
  schema: secretsConfigSchema,
  create(config, options): Guard {
    const detect = createSecretsDetector(config);
    return {
      id: options.id,
      fingerprint: `secrets:1:${JSON.stringify(config)}`,
      failOpen: options.failOpen,
      timeoutMs: options.timeoutMs,
      maxSpan: config.maxSpan,
      pendingSuffix: (text: string) => secretsPendingSuffix(text, config.maxSpan - 1),
      inspect(segment: Segment): Finding[] {
        return detect(segment.text).map((m) =>
          findingFor(options.id, segment, findingType(m.id), m.score, `${m.provider} credential (${m.id})`, { start: m.start, end: m.end }),
        );
      },
    };
  },
};

/**
 * Base64 and hex runs of a text with what they decode to (printable text only: normalize/decode.ts,
 * shared with the injection guard's normalizer, which has usually searched the same text just before).
 */
function encodedLayers(text: string): readonly { start: number; end: number; decoded: string }[] {
  if (text.length < 32) return [];
  return findEncodedRuns(text).filter((r) => r.kind === 'base64' || r.kind === 'hex');
}
