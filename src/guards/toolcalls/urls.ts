import { type Level } from './sensitive.js';
import { classifyHost, domainMatches } from './net.js';

export interface UrlIssue {
  /** `scheme`, `private_network`, `denied_domain`, `unknown_domain`, `data_exfiltration`. */
  readonly category: string;
  readonly level: Level;
  readonly score: number;
  readonly reason: string;
}

export interface UrlPolicy {
  /** Domains always allowed (and trusted with data): `example.com` covers its subdomains. */
  readonly allow: readonly string[];
  readonly deny: readonly string[];
  /** What a domain on neither list gets. */
  readonly unknownDomain: Level | 'allow';
  /** What a data-bearing query string to an unknown domain gets (markdown-image exfiltration). */
  readonly dataToUnknown: Level | 'allow';
  /** Loopback / private / link-local targets (SSRF); the metadata service is always denied. */
  readonly privateNetwork: Level | 'allow';
}

const SAFE_SCHEMES = new Set(['http:', 'https:', 'ws:', 'wss:']);
const SECRET_TOKEN = /\b(?:sk-(?:ant-|proj-|live_)?[A-Za-z0-9_-]{20,}|[rs]k_(?:live|test)_[A-Za-z0-9]{20,}|AKIA[0-9A-Z]{16}|ASIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}|xox[abprs]-[A-Za-z0-9-]{10,}|glpat-[A-Za-z0-9_-]{20,}|npm_[A-Za-z0-9]{36}|AIza[0-9A-Za-z_-]{35}|eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})|-----BEGIN [A-Z ]*PRIVATE KEY-----/;

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/** A value that carries data rather than a search term or an id: long, dense and random-looking, or simply large. */
export function isDataBearing(value: string): boolean {
  if (value.length >= 200) return true;
  if (value.length < 32 || /\s/.test(value)) return false;
  return /^[A-Za-z0-9+/=_.:%-]+$/.test(value) && entropy(value) >= 4;
}

/** Parses what a tool was given as a URL; bare `host/path` counts as http. */
export function parseUrl(raw: string): URL | undefined {
  const text = raw.trim();
  try {
    if (/^[a-z][a-z0-9+.-]*:/i.test(text) && !/^[a-z0-9.-]+:\d+(?:\/|$)/i.test(text)) return new URL(text);
    if (/^(?:\/\/)?[a-z0-9.-]+\.[a-z]{2,}(?::\d+)?(?:[/?#]|$)|^(?:\/\/)?(?:\d{1,3}\.){3}\d{1,3}|^(?:\/\/)?localhost\b|^\[[0-9a-f:.]+\]/i.test(text)) return new URL(`http://${text.replace(/^\/\//, '')}`);
  } catch {
    return undefined;
  }
  return undefined;
}

/**
 * Whether a URL carries a credential-like value (a known token format in its user, password, query,
 * fragment, path or host labels: `https://<key>.attacker.example/` leaks it through DNS) or a password.
 */
export function credentialInUrl(url: URL): boolean {
  if (url.password !== '') return true;
  const parts = [url.username, ...[...url.searchParams.entries()].flatMap(([k, v]) => [k, v]), safeDecode(url.hash.slice(1)), ...url.pathname.split('/').map(safeDecode), ...url.hostname.split('.')];
  return parts.some((p) => SECRET_TOKEN.test(p));
}

/** Judges a URL a tool fetches or opens: scheme, SSRF targets, domain lists, data in the query. */
export function analyzeUrl(raw: string, policy: UrlPolicy): UrlIssue[] {
  const url = parseUrl(raw);
  if (!url) return [];
  const issues: UrlIssue[] = [];
  if (!SAFE_SCHEMES.has(url.protocol)) {
    if (url.protocol === 'about:' && /^about:blank$/i.test(raw.trim())) return [];
    return [{ category: 'scheme', level: 'deny', score: 0.9, reason: `URL scheme "${url.protocol.replace(':', '')}" is not http(s)` }];
  }
  const host = url.hostname.toLowerCase();
  if (policy.deny.some((d) => domainMatches(d, host))) issues.push({ category: 'denied_domain', level: 'deny', score: 0.95, reason: `domain ${host} is on the deny list` });
  const { cls, how } = classifyHost(host);
  if (cls === 'metadata') issues.push({ category: 'private_network', level: 'deny', score: 0.97, reason: `targets the cloud metadata service (${how})` });
  else if (cls !== 'public' && policy.privateNetwork !== 'allow') issues.push({ category: 'private_network', level: policy.privateNetwork, score: 0.92, reason: `targets a ${cls.replace('_', '-')} address (${how})` });
  const allowed = policy.allow.some((d) => domainMatches(d, host));
  if (allowed || cls !== 'public') return issues;
  if (policy.unknownDomain !== 'allow' && policy.allow.length > 0) issues.push({ category: 'unknown_domain', level: policy.unknownDomain, score: 0.7, reason: `domain ${host} is not on the allow list` });
  if (credentialInUrl(url)) {
    issues.push({ category: 'data_exfiltration', level: 'deny', score: 0.95, reason: `sends a credential-like value to ${host}` });
  } else if (policy.dataToUnknown !== 'allow') {
    const query = [...url.searchParams.values(), safeDecode(url.hash.slice(1))];
    if (url.search.length > 400 || query.some(isDataBearing)) issues.push({ category: 'data_exfiltration', level: policy.dataToUnknown, score: 0.75, reason: `sends a data-bearing query string to ${host}, which is not on the allow list` });
  }
  return issues;
}

const MARKDOWN_URL = /!?\[[^\]\n]{0,500}\]\(\s*<?([^)\s>]+)>?(?:\s+["'][^)]*["'])?\s*\)|<img\b[^>]*?\bsrc\s*=\s*["']?([^"'\s>]+)|\bhttps?:\/\/[^\s<>()"'`\]]+/gi;

/** URLs in markdown links and images, HTML images and bare text, with their offsets. */
export function urlsInText(text: string): { url: string; start: number; end: number; image: boolean }[] {
  const out: { url: string; start: number; end: number; image: boolean }[] = [];
  MARKDOWN_URL.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = MARKDOWN_URL.exec(text)) !== null && out.length < 256) {
    const url = m[1] ?? m[2] ?? m[0];
    const start = m.index + m[0].indexOf(url);
    out.push({ url, start, end: start + url.length, image: m[0].startsWith('!') || m[0].toLowerCase().startsWith('<img') });
  }
  return out;
}
