import { type PostureDetectors, runDetectors } from '../detectors.js';
import { lineOf } from '../heuristics.js';
import { report } from '../rules.js';
import type { PostureFinding, SourceFile } from '../types.js';

/** Credentials in one file, reported by type and line; the value itself is never printed. */
export async function scanSecretsInFile(file: SourceFile, detectors: PostureDetectors): Promise<PostureFinding[]> {
  const found = await runDetectors(detectors.secrets, file.path, file.text);
  const seen = new Set<string>();
  const out: PostureFinding[] = [];
  for (const f of found) {
    const line = f.span ? lineOf(file.text, f.span.start) : undefined;
    const key = `${f.type}:${line ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(report('CG-SEC-001', file.path, `${f.type} detected`, line === undefined ? {} : { line }));
  }
  return out;
}
