import { extname } from 'node:path';
import type { Finding } from '../../core/index.js';
import { type PostureDetectors, runDetectors } from '../detectors.js';
import { lineOf } from '../heuristics.js';
import { report } from '../rules.js';
import type { PostureFinding, SourceFile } from '../types.js';

export const KB_EXTENSIONS = new Set(['.txt', '.md', '.markdown', '.html', '.htm', '.json', '.jsonl', '.csv']);

export function isKbDocument(path: string): boolean {
  return KB_EXTENSIONS.has(extname(path).toLowerCase());
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, body: string) => {
    if (body[0] === '#') {
      const code = body[1] === 'x' || body[1] === 'X' ? Number.parseInt(body.slice(2), 16) : Number.parseInt(body.slice(1), 10);
      if (!Number.isFinite(code) || code === 10 || code > 0x10ffff) return ' ';
      return String.fromCodePoint(code);
    }
    return ENTITIES[body.toLowerCase()] ?? whole;
  });
}

/** Blanks a match but keeps its newlines, so offsets still map to the original lines. */
function blank(text: string): string {
  return text.replace(/[^\n]/g, ' ');
}

/**
 * What an ingestion pipeline may index from an HTML document: markup blanked, entities decoded,
 * comment and hidden-element text kept (that is where poisoned instructions hide). Newlines stay
 * where they were, so lines in findings are lines in the file.
 */
export function htmlIndexableText(html: string): string {
  const withoutTags = html.replace(/<!--|-->/g, (m) => blank(m)).replace(/<\/?[a-zA-Z][^>]*>/g, (m) => blank(m));
  return withoutTags
    .split('\n')
    .map((line) => decodeEntities(line))
    .join('\n');
}

/**
 * JSON and JSONL as an indexer sees them: string literals decoded (`\u0069gnore` is `ignore`),
 * escaped line breaks turned into spaces so lines in findings stay lines in the file.
 */
export function jsonIndexableText(text: string): string {
  return text.replace(/"(?:[^"\\\n]|\\.)*"/g, (literal) => {
    try {
      const value: unknown = JSON.parse(literal);
      return typeof value === 'string' ? value.replace(/[\r\n]/g, ' ') : literal;
    } catch {
      return literal;
    }
  });
}

const HIDDEN_ELEMENT =
  /<([a-zA-Z][\w-]*)\b([^>]*?(?:style\s*=\s*["'][^"']*(?:display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(?:\.0+)?(?:px|pt|em|rem|%)?(?=\s*(?:;|["'])))[^"']*["']|\shidden\b|aria-hidden\s*=\s*["']true["'])[^>]*)>([\s\S]*?)<\/\1\s*>/gi;

export interface HiddenText {
  readonly line: number;
  readonly how: 'comment' | 'hidden element';
  readonly words: number;
}

/** Comments and hidden elements that carry at least 8 words of text. */
export function hiddenHtmlText(html: string): HiddenText[] {
  const out: HiddenText[] = [];
  const count = (s: string) => (s.replace(/<[^>]*>/g, ' ').match(/[\p{L}\p{N}]{2,}/gu) ?? []).length;
  for (const m of html.matchAll(/<!--([\s\S]*?)-->/g)) {
    const words = count(m[1] ?? '');
    if (words >= 8) out.push({ line: lineOf(html, m.index ?? 0), how: 'comment', words });
  }
  for (const m of html.matchAll(HIDDEN_ELEMENT)) {
    const words = count(m[3] ?? '');
    if (words >= 8) out.push({ line: lineOf(html, m.index ?? 0), how: 'hidden element', words });
  }
  return out;
}

function inHidden(hidden: readonly HiddenText[], line: number): boolean {
  return hidden.some((h) => h.line === line);
}

/** Knowledge-base ingestion check for one document. */
export async function scanKbDocument(file: SourceFile, detectors: PostureDetectors): Promise<PostureFinding[]> {
  const isHtml = /\.html?$/i.test(file.path);
  const isJson = /\.jsonl?$/i.test(file.path);
  const text = isHtml ? htmlIndexableText(file.text) : isJson ? jsonIndexableText(file.text) : file.text;
  const hidden = isHtml ? hiddenHtmlText(file.text) : [];
  const out: PostureFinding[] = [];
  const seen = new Set<string>();
  const emit = (ruleId: string, findings: readonly Finding[], what: string) => {
    for (const f of findings) {
      const line = f.span ? lineOf(text, f.span.start) : undefined;
      const key = `${ruleId}:${f.type}:${line ?? ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const where = line !== undefined && inHidden(hidden, line) ? ' in hidden HTML text' : '';
      out.push(report(ruleId, file.path, `${what} (${f.type})${where}`, line === undefined ? {} : { line }));
    }
  };
  emit('CG-KB-001', await runDetectors(detectors.injection, file.path, text), 'instructions aimed at the model');
  emit('CG-KB-002', await runDetectors(detectors.secrets, file.path, text), 'credential');
  emit('CG-KB-003', await runDetectors(detectors.pii, file.path, text), 'personal data');
  for (const h of hidden) {
    out.push(report('CG-KB-004', file.path, `${h.how} with ${h.words} words a reader does not see`, { line: h.line }));
  }
  return out;
}
