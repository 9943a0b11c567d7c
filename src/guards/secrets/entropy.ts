/** Shannon entropy in bits per character. */
export function shannonEntropy(s: string): number {
  if (s.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

const PLACEHOLDER_WORDS = /example|sample|dummy|placeholder|redacted|changeme|change_me|your[_-]?(?:api|secret|token|key|password)|insert|replace|xxxx|\*\*\*|\.\.\.|<[^>]*>|\$\{|\{\{|%\(|^\$[A-Za-z_]|^\$\(|process\.env|os\.environ|getenv|secrets\.|vault:|env\(/i;

/**
 * Whether a candidate value is a template, a variable reference or an obvious fake (`xxxxxxxx`,
 * `<your-token>`, `${API_KEY}`, `aaaaaaaa…`), which is what most false positives of secret scanners are.
 */
export function looksLikePlaceholder(value: string): boolean {
  if (PLACEHOLDER_WORDS.test(value)) return true;
  // Long runs of one character (`glc_1111…`, `XXXX`): real keys are random.
  if (/(.)\1{5,}/.test(value)) return true;
  const core = value.replace(/^[A-Za-z0-9]{1,12}[_-]/, '');
  return core.length >= 8 && new Set(core).size <= 4;
}

/** Counts of character classes: real keys mix them. */
export function charClasses(s: string): number {
  return (/[a-z]/.test(s) ? 1 : 0) + (/[A-Z]/.test(s) ? 1 : 0) + (/[0-9]/.test(s) ? 1 : 0);
}
