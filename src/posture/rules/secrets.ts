import { type PostureDetectors, runDetectors } from '../detectors.js';
import { isIndirectValue, isSecretRef, lineOf } from '../heuristics.js';
import { report } from '../rules.js';
import type { PostureFinding, SourceFile } from '../types.js';

/**
 * A `key: env:NAME` / `password=${DB_PASSWORD}` assignment names where a secret lives; it is the
 * fix this rule recommends, not a leak.
 */
function isReference(matched: string): boolean {
  if (isSecretRef(matched) || isIndirectValue(matched)) return true;
  const assignment = /[:=]\s*["']?([^\s"']+)["']?\s*$/.exec(matched);
  const value = assignment?.[1] ?? matched.trim();
  return isSecretRef(value) || isIndirectValue(value);
}

/** Credentials in one file, reported by type and line; the value itself is never printed. */
export async function scanSecretsInFile(file: SourceFile, detectors: PostureDetectors): Promise<PostureFinding[]> {
  const found = await runDetectors(detectors.secrets, file.path, file.text);
  const seen = new Set<string>();
  const out: PostureFinding[] = [];
  for (const f of found) {
    if (f.span && isReference(file.text.slice(f.span.start, f.span.end))) continue;
    const line = f.span ? lineOf(file.text, f.span.start) : undefined;
    const key = `${f.type}:${line ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(report('CG-SEC-001', file.path, `${f.type} detected`, line === undefined ? {} : { line }));
  }
  return out;
}
