/**
 * Recall at 1%, 2% and 5% false positives on the dev files, for the committed model or a model
 * file written by `train.ts --out FILE`:
 *
 *   npx vite-node scripts/injection/curve.ts [--model FILE] [--data DIR] [--split dev|train]
 *
 * direct: injection attacks vs the ordinary benign prompts of the injection file (hard
 * look-alikes, NotInject and WildGuard, reported apart at the default threshold); indirect: BIPIA
 * attacks vs the benign tool outputs, scanned as tool results; obfuscated: recall of each variant
 * at the default message threshold.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InjectionDetector, type ModelData, type TextKind } from '../../src/guards/injection/detector.js';
import { MODEL_DATA } from '../../src/guards/injection/model-data.js';
import { sourceName } from '../../src/eval/data.js';
import { OBFUSCATIONS, obfuscate } from '../../src/eval/obfuscate.js';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const here = dirname(fileURLToPath(import.meta.url));
const dataDir = resolve(opt('--data') ?? process.env.CLAWGUARD_EVAL_DATA ?? join(here, '../../../shared/eval'));
const split = opt('--split') ?? 'dev';
const modelFile = opt('--model');
const model: ModelData = modelFile ? ((await import(resolve(modelFile))) as { MODEL_DATA: ModelData }).MODEL_DATA : MODEL_DATA;
const detector = new InjectionDetector(model);
const thresholds = model.thresholds ?? { message: 0.5, tool_result: 0.5 };

interface Row { text: string; label: string; source: string; lang?: string }
const read = (task: string): Row[] =>
  readFileSync(join(dataDir, task, `${split}.jsonl`), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Row);

function recallAt(pos: number[], neg: number[], rate: number): number {
  const sorted = [...neg].sort((a, b) => b - a);
  // Highest threshold t with FPR(score > t... ) <= rate: flag scores strictly above the k-th benign score.
  const k = Math.floor(neg.length * rate);
  const t = sorted[k] ?? -Infinity;
  return pos.filter((s) => s > t).length / pos.length;
}
const pct = (x: number): string => (100 * x).toFixed(1);
let cpu = 0;
let bytes = 0;
const score = (t: string, kind: TextKind): number => {
  const s = process.cpuUsage();
  const v = detector.assess(t, kind).score;
  const u = process.cpuUsage(s);
  cpu += u.user + u.system;
  bytes += Buffer.byteLength(t);
  return v;
};

const hard = new Set(['notinject_benign', 'wildguard_benign']);
const inj = read('injection');
const src = (r: Row): string => sourceName(r.source);
const attacks = inj.filter((r) => r.label === 'malicious');
const atkScores = attacks.map((r) => score(r.text, 'message'));
const ordinary = inj.filter((r) => r.label === 'benign' && !hard.has(src(r))).map((r) => score(r.text, 'message'));
const hardScores = inj.filter((r) => r.label === 'benign' && hard.has(src(r))).map((r) => score(r.text, 'message'));
console.log(`model ${model.version}, thresholds message ${thresholds.message}, tool_result ${thresholds.tool_result}`);
console.log(
  `direct   (${attacks.length} / ${ordinary.length} ordinary): recall@1% ${pct(recallAt(atkScores, ordinary, 0.01))}  @2% ${pct(recallAt(atkScores, ordinary, 0.02))}  @5% ${pct(recallAt(atkScores, ordinary, 0.05))}` +
    `  | at default: recall ${pct(atkScores.filter((s) => s >= thresholds.message).length / atkScores.length)}, FPR ordinary ${pct(ordinary.filter((s) => s >= thresholds.message).length / ordinary.length)}, FPR hard (${hardScores.length}) ${pct(hardScores.filter((s) => s >= thresholds.message).length / hardScores.length)}`,
);
const ind = read('indirect');
const indPos = ind.filter((r) => r.label === 'malicious').map((r) => score(r.text, 'tool_result'));
const indNeg = ind.filter((r) => r.label === 'benign').map((r) => score(r.text, 'tool_result'));
console.log(
  `indirect (${indPos.length} / ${indNeg.length}): recall@1% ${pct(recallAt(indPos, indNeg, 0.01))}  @2% ${pct(recallAt(indPos, indNeg, 0.02))}  @5% ${pct(recallAt(indPos, indNeg, 0.05))}` +
    `  | at default: recall ${pct(indPos.filter((s) => s >= thresholds.tool_result).length / indPos.length)}, FPR ${pct(indNeg.filter((s) => s >= thresholds.tool_result).length / indNeg.length)}`,
);
if (!args.includes('--no-obfuscated')) {
  const parts: string[] = [];
  for (const v of ['plain', ...OBFUSCATIONS] as const) {
    const hit = attacks.filter((r) => score(v === 'plain' ? r.text : obfuscate(r.text, v), 'message') >= thresholds.message).length;
    parts.push(`${v} ${pct(hit / attacks.length)}`);
  }
  console.log(`obfuscated recall at default: ${parts.join(', ')}`);
}
console.log(`CPU ${(cpu / (bytes / 1024)).toFixed(1)} µs/KB over ${(bytes / 1048576).toFixed(1)} MB`);
