import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EvalSplit } from './types.js';

/** One labelled record of ../shared/eval. Extra fields are kept as they are. */
export interface EvalRecord {
  readonly text: string;
  readonly label: 'malicious' | 'benign';
  readonly source?: string;
  readonly lang?: string;
  readonly kind?: string;
  readonly category?: string;
}

export function splitFile(dataDir: string, task: string, split: EvalSplit): string {
  return join(dataDir, task, `${split}.jsonl`);
}

function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * Reads a JSONL file of labelled records. With `limit`, keeps a deterministic sample of that many
 * (by a hash of the text), so quick runs still see every source and both labels.
 */
export function readRecords(path: string, limit?: number): EvalRecord[] {
  if (!existsSync(path)) throw new Error(`eval data not found: ${path}`);
  const records: EvalRecord[] = [];
  const lines = readFileSync(path, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new Error(`${path}:${i + 1}: not JSON`);
    }
    const r = parsed as Partial<EvalRecord>;
    if (typeof r.text !== 'string' || (r.label !== 'malicious' && r.label !== 'benign')) {
      throw new Error(`${path}:${i + 1}: needs "text" and "label" (malicious|benign)`);
    }
    records.push(r as EvalRecord);
  }
  if (limit === undefined || limit >= records.length) return records;
  return records
    .map((r, i) => ({ r, i, h: hash32(r.text) }))
    .sort((a, b) => a.h - b.h || a.i - b.i)
    .slice(0, Math.max(0, limit))
    .sort((a, b) => a.i - b.i)
    .map((x) => x.r);
}

/** `owner/repo:file.jsonl#12` → `file` (the part that names the corpus). */
export function sourceName(source: string | undefined): string {
  if (!source) return 'unknown';
  const afterColon = source.includes(':') ? source.slice(source.indexOf(':') + 1) : source;
  return afterColon.replace(/#.*$/, '').replace(/\.jsonl$/, '').replace(/\s*\(.*\)$/, '');
}
