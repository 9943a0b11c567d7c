/**
 * The last line of defence for `payloads: redacted`: masks what must never sit in a log in clear,
 * even when the gateway's policy let it through. The gateway should pass its own guard-driven
 * redaction as `redactor`; this one is the fallback and runs after it.
 */
const RULES: readonly [RegExp, string][] = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g, '[PRIVATE_KEY]'],
  [/\b(?:sk|pk|rk)-[A-Za-z0-9_-]{16,}\b/g, '[SECRET]'],
  [/\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g, '[SECRET]'],
  [/\b(?:ghp|gho|ghs|ghu|github_pat)_[A-Za-z0-9_]{20,}\b/g, '[SECRET]'],
  [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b/g, '[JWT]'],
  [/\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b/g, '[EMAIL]'],
  [/\b(?:\d[ -]?){12,18}\d\b/g, '[NUMBER]'],
  [/\b[A-Za-z0-9+/_-]{40,}={0,2}/g, '[TOKEN]'],
];

export function defaultRedactor(text: string): string {
  let out = text;
  for (const [re, replacement] of RULES) out = out.replace(re, replacement);
  return out;
}
