/**
 * CPU cost of the injection detector and of normalization, in µs per KB of UTF-8 input.
 *
 *   npx vite-node scripts/injection/bench.ts [DATA_DIR] [--rounds N] [--only normalize|detector]
 *
 * Corpora (from the dev files, read only, never written): ordinary English prompts and responses
 * (`benign` rows, kind prompt/response, lang en), long tool outputs (`benign` tool_output rows of
 * 2 KB and more, joined into texts of about 50 KB), and the injection dev attacks. Time is
 * process CPU time (user + system), so the figure is per core and steady on a shared machine.
 */
import { readFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { normalizeText } from '../../src/normalize/index.js';
import { InjectionDetector, type TextKind } from '../../src/guards/injection/detector.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const dataDir = resolve(args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--')) ?? process.env.CLAWGUARD_EVAL_DATA ?? join(here, '../../../shared/eval'));
const roundsAt = args.indexOf('--rounds');
const rounds = roundsAt >= 0 ? Number(args[roundsAt + 1]) : 3;
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? args[onlyAt + 1] : undefined;

interface Row { text: string; label: string; kind?: string; lang?: string }
const read = (task: string, split: string): Row[] =>
  readFileSync(join(dataDir, task, `${split}.jsonl`), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Row);

const benign = read('benign', 'dev');
const english = benign.filter((r) => r.kind !== 'tool_output' && (r.lang ?? 'en') === 'en').map((r) => r.text);
const toolRows = benign.filter((r) => r.kind === 'tool_output').map((r) => r.text);
const longTool: string[] = [];
let acc = '';
for (const t of toolRows) {
  acc += t + '\n\n';
  if (acc.length >= 50_000) {
    longTool.push(acc);
    acc = '';
  }
}
const attacks = read('injection', 'dev').filter((r) => r.label === 'malicious').map((r) => r.text);

const corpora: { name: string; texts: string[]; kind: TextKind }[] = [
  { name: 'english prompts+responses', texts: english, kind: 'message' },
  { name: 'tool outputs (~50 KB texts)', texts: longTool, kind: 'tool_result' },
  { name: 'injection attacks', texts: attacks, kind: 'message' },
];

const detector = new InjectionDetector();
function cpu(fn: () => void): number {
  const s = process.cpuUsage();
  fn();
  const u = process.cpuUsage(s);
  return u.user + u.system;
}

for (const c of corpora) {
  const kb = c.texts.reduce((s, t) => s + Buffer.byteLength(t, 'utf8'), 0) / 1024;
  // Warm-up round (JIT, caches), then the best of `rounds`.
  const measure = (fn: (t: string) => void): number => {
    for (const t of c.texts) fn(t);
    let best = Infinity;
    for (let r = 0; r < rounds; r++) best = Math.min(best, cpu(() => { for (const t of c.texts) fn(t); }));
    return best / kb;
  };
  const parts: string[] = [];
  if (only !== 'detector') parts.push(`normalize ${measure((t) => normalizeText(t)).toFixed(1)} µs/KB`);
  if (only !== 'normalize') parts.push(`detector (normalize+signatures+classifier) ${measure((t) => detector.assess(t, c.kind)).toFixed(1)} µs/KB`);
  console.log(`${c.name.padEnd(28)} ${c.texts.length} texts, ${(kb / 1024).toFixed(2)} MB: ${parts.join(', ')}`);
}
