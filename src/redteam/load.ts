import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { BUILTIN_CORPORA, builtinCorpus, CORPUS_VERSION } from './corpus.js';
import { expandRecords } from './strategies.js';
import { type Corpus, caseRecordSchema, type ParsedCaseRecord, type RedteamCase } from './types.js';

/** A corpus file that cannot be used; the message names the file, the line and the field. */
export class CorpusError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CorpusError';
  }
}

/**
 * Parses a JSONL corpus: one case record per line (blank lines and lines starting with `#` or `//`
 * are skipped). Collects every bad line before failing, each as `FILE:LINE: problem`.
 */
export function parseCorpusText(text: string, file: string): ParsedCaseRecord[] {
  const records: ParsedCaseRecord[] = [];
  const problems: string[] = [];
  const ids = new Map<string, number>();
  text.split(/\r?\n/).forEach((line, i) => {
    const n = i + 1;
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('#') || trimmed.startsWith('//')) return;
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch (error) {
      problems.push(`${file}:${n}: not valid JSON (${(error as Error).message})`);
      return;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      problems.push(`${file}:${n}: each line must be a JSON object`);
      return;
    }
    const parsed = caseRecordSchema.safeParse(value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push(`${file}:${n}: ${issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue.message}`);
      return;
    }
    const seen = ids.get(parsed.data.id);
    if (seen !== undefined) {
      problems.push(`${file}:${n}: id: "${parsed.data.id}" is already used on line ${seen}`);
      return;
    }
    ids.set(parsed.data.id, n);
    records.push(parsed.data);
  });
  if (problems.length > 0) throw new CorpusError(`${problems.length} bad line(s) in the corpus:\n${problems.slice(0, 50).join('\n')}${problems.length > 50 ? `\n… and ${problems.length - 50} more` : ''}`);
  if (records.length === 0) throw new CorpusError(`${file}: no cases (one JSON object per line)`);
  return records;
}

export function loadCorpusFile(path: string): Corpus {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CorpusError(`${file}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const records = parseCorpusText(text, path);
  return { name: path, version: `file:${records.length}`, cases: expandRecords(records, 'plain') };
}

/** `builtin`, `quick`, or a JSONL file; several are merged (ids must stay unique). */
export function loadCorpora(specs: readonly string[]): Corpus {
  const chosen = specs.length > 0 ? specs : ['builtin'];
  const isBuiltin = (spec: string): spec is 'builtin' | 'quick' => (BUILTIN_CORPORA as readonly string[]).includes(spec);
  const parts = chosen.map((spec) => (isBuiltin(spec) ? builtinCorpus(spec) : loadCorpusFile(spec)));
  const cases: RedteamCase[] = [];
  const seen = new Set<string>();
  for (const part of parts) {
    for (const c of part.cases) {
      if (seen.has(c.id)) throw new CorpusError(`case id "${c.baseId}" appears in more than one corpus (${parts.map((p) => p.name).join(', ')})`);
      seen.add(c.id);
      cases.push(c);
    }
  }
  return { name: parts.map((p) => p.name).join('+'), version: chosen.some(isBuiltin) ? CORPUS_VERSION : 'custom', cases };
}
