import { z } from 'zod';
import { type Finding, findingFor, type Guard, type GuardFactory, type Segment, trailingTokenSuffix } from '../../core/index.js';
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
}

function compile(rules: readonly SecretRule[]): CompiledRule[] {
  return rules.map((r) => ({ ...r, compiled: new RegExp(r.re.source, r.re.flags.includes('d') ? r.re.flags : `${r.re.flags}d`) }));
}

function scanRule(rule: CompiledRule, text: string, out: SecretMatch[], minEntropy?: number): void {
  const re = rule.compiled;
  re.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    if (m[0].length === 0) {
      re.lastIndex++;
      continue;
    }
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
    if (need !== undefined && shannonEntropy(secret) < need) continue;
    if (!rule.allowPlaceholders && looksLikePlaceholder(secret)) continue;
    if (rule.validate && !rule.validate(secret, m, text)) continue;
    out.push({ start, end, id: rule.id, provider: rule.provider, score: rule.scoreOf ? rule.scoreOf(secret) : rule.score });
  }
}

/** Keeps the best of overlapping matches: higher score, then the longer span. */
function resolve(matches: SecretMatch[]): SecretMatch[] {
  matches.sort((a, b) => b.score - a.score || b.end - b.start - (a.end - a.start) || a.start - b.start);
  const kept: SecretMatch[] = [];
  for (const m of matches) if (!kept.some((k) => m.start < k.end && k.start < m.end)) kept.push(m);
  return kept.sort((a, b) => a.start - b.start);
}

const escapeChar = (c: string): string => c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

/**
 * A regex source matching any of `words`, shaped as a trie (`s(?:k-(?:ant-|or-)|q0)…`), so the engine
 * tests each text position against one branch per distinct next character instead of every word.
 */
export function trieSource(words: readonly string[]): string {
  interface Node {
    end: boolean;
    next: Map<string, Node>;
  }
  const root: Node = { end: false, next: new Map() };
  for (const w of words) {
    let n = root;
    for (const ch of w) {
      let c = n.next.get(ch);
      if (!c) n.next.set(ch, (c = { end: false, next: new Map() }));
      n = c;
    }
    n.end = true;
  }
  const emit = (n: Node): string => {
    // A word that ends here wins over longer ones: only presence of some keyword at this position matters.
    if (n.end) return '';
    const branches = [...n.next].map(([ch, c]) => escapeChar(ch) + emit(c));
    return branches.length === 1 ? branches[0]! : `(?:${branches.join('|')})`;
  };
  return emit(root);
}

/** A reusable detector: rules compiled once. */
export function createSecretsDetector(config: SecretsConfig): (text: string) => SecretMatch[] {
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
  const keywords = [...byKeyword.keys()].sort((a, b) => b.length - a.length);
  const finder = new RegExp(trieSource(keywords), 'g');
  const byFirst = new Map<string, string[]>();
  for (const k of keywords) byFirst.set(k[0]!, [...(byFirst.get(k[0]!) ?? []), k]);
  return (text: string): SecretMatch[] => {
    const lower = text.toLowerCase();
    const wanted = new Set<number>();
    finder.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = finder.exec(lower)) !== null) {
      // Keywords may overlap (`sk-` inside `sk-ant-`): check every keyword at this position.
      const at = m.index;
      for (const k of byFirst.get(lower[at]!)!) if (lower.startsWith(k, at)) for (const i of byKeyword.get(k)!) wanted.add(i);
      finder.lastIndex = at + 1;
    }
    const out: SecretMatch[] = [];
    for (const i of [...wanted].sort((a, b) => a - b)) {
      const rule = all[i]!;
      scanRule(rule, text, out, rule === generic ? config.genericMinEntropy : undefined);
    }
    // Findings may be longer than `maxSpan` (a PEM key): whole-text scans still report them; a stream
    // that cut one holds back its `-----BEGIN` line (see secretsPendingSuffix).
    return resolve(out.filter((m) => !allow.has(text.slice(m.start, m.end))));
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
          findingFor(options.id, segment, `secret.${m.id}`, m.score, `${m.provider} credential (${m.id})`, { start: m.start, end: m.end }),
        );
      },
    };
  },
};
