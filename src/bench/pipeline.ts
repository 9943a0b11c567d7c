/**
 * Throughput of the default input pipeline, guard by guard, on 2 KB of ordinary English text, side
 * by side with @openai/guardrails' local PII check ("Contains PII") in the same process, and span F1
 * of both on the PII dev data for the entity types both detect.
 *
 *   node dist/bench/pipeline.js [--json] [--markdown FILE] [--docs] [--seconds S]
 *   npm run bench:pipeline   (builds, then --docs: rewrites the marked section of docs/benchmarks.md)
 *
 * Speed is CPU time of this process (process.cpuUsage: user + system, so GC threads count), not
 * wall time: the build machine is shared and heavily loaded, and CPU time is what "per core" means.
 * Every call gets a fresh text (a counter in front), so no cache anywhere answers.
 *
 * @openai/guardrails is loaded from $GUARDRAILS_DIR (default ~/.cache/clawguard-peer-bench, where
 * ../shared/bench/run-baseline.sh installs it with `npm ci`); without it that half is skipped.
 * PII data: $CLAWGUARD_EVAL_DATA or ../shared/eval (pii/dev.jsonl); without it F1 is skipped.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, homedir, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { renderConfig } from '../config/init.js';
import { parseConfigText } from '../config/load.js';
import type { Guard, GuardContext, Segment } from '../core/index.js';
import { PII_TYPE_MAP, matchSpans, type SpanCounts } from '../eval/pii-suite.js';
import { createGuards, GuardEngine } from '../gateway/guard-engine.js';
import { builtinGuards } from '../guards/index.js';
import { detectPii, PII_ENTITIES, piiConfigSchema } from '../guards/pii/index.js';
import { CodeUnits } from '../normalize/codeunits.js';
import { GUARDRAILS_SAMPLE, ORDINARY } from './pipeline-texts.js';

export interface Rate {
  readonly name: string;
  readonly calls: number;
  /** CPU µs per call. */
  readonly cpuUs: number;
  readonly callsPerCpuSecond: number;
  /** MB (10^6 bytes of UTF-8) per CPU second. */
  readonly mbPerCpuSecond: number;
}

export interface PipelineResult {
  readonly date: string;
  readonly node: string;
  readonly cpu: string;
  readonly loadavg: readonly number[];
  readonly textBytes: { ordinary: number; guardrailsSample: number };
  readonly defaultGuards: string[];
  readonly rates: Rate[];
  /**
   * sideBySide: the whole default pipeline; withoutInjection: the same engine without the injection
   * guard (issue 3's detector), measured in the same rounds, to show what the rest costs.
   */
  readonly guardrails?: { version: string; rates: Rate[]; sideBySide?: SideBySide; withoutInjection?: SideBySide };
  readonly f1?: { types: string[]; ours: F1; oursAll: F1; guardrails?: F1; rows: number };
  readonly notes: string[];
}

/** Ours against theirs in alternating rounds: on a busy machine the load changes between two long runs, not within a round. */
export interface SideBySide {
  readonly rounds: number;
  /** Per round: their CPU µs per call over ours (how many times our calls per CPU second). */
  readonly ratios: number[];
  readonly median: number;
}

export interface F1 extends SpanCounts {
  precision: number;
  recall: number;
  f1: number;
}

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

/**
 * For scale: the least a hashed character-n-gram classifier does, one 4-gram hash per position
 * looked up in a table of the injection model's size (2^17 one-byte weights) and summed. No
 * de-duplication, no words, no windows, no normalization, no signatures.
 */
const FLOOR_TABLE = new Int8Array(1 << 17).map((_, i) => ((i * 2654435761) >>> 24) - 128);
const floorUnits = new CodeUnits();
function ngramFloor(text: string): number {
  const units = floorUnits.load(text);
  let h = 0;
  let sum = 0;
  for (let i = 0; i < text.length; i++) {
    h = ((h << 8) | units[i]!) >>> 0;
    sum += FLOOR_TABLE[Math.imul(h, 0x9e3779b1) >>> 15]!;
  }
  return sum;
}

function sideBySide(ratios: number[]): SideBySide {
  const sorted = [...ratios].sort((a, b) => a - b);
  return { rounds: ratios.length, ratios, median: sorted[Math.floor(sorted.length / 2)]! };
}

/** Alternating rounds of the headline comparison (odd: the median is one round's). */
const SIDE_BY_SIDE_ROUNDS = 9;

/** Calls `fn` until `seconds` of CPU time are spent (after `warm` calls); CPU time of the whole process. */
async function rate(name: string, textBytes: number, fn: (i: number) => unknown, seconds: number, warm = 200): Promise<Rate> {
  for (let i = 0; i < warm; i++) await fn(-1 - i);
  const start = process.cpuUsage();
  let used = 0;
  let calls = 0;
  while (used < seconds * 1e6) {
    for (let k = 0; k < 50; k++) await fn(calls++);
    const d = process.cpuUsage(start);
    used = d.user + d.system;
  }
  const cpuUs = used / calls;
  return { name, calls, cpuUs, callsPerCpuSecond: 1e6 / cpuUs, mbPerCpuSecond: textBytes / cpuUs };
}

function defaultConfig(): ReturnType<typeof parseConfigText>['config'] {
  const registry = builtinGuards();
  const text = renderConfig({ port: 8080, adminPort: 8081, upstream: { provider: 'openai', url: 'http://127.0.0.1:9100/v1' }, upstreamKey: 'env:FAKE_UPSTREAM_KEY' });
  const { config, issues } = parseConfigText(text, '<init config>', registry);
  if (!config) throw new Error(`the init config does not validate: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  return config;
}

const segmentOf = (text: string): Segment => ({ id: 'm0', path: [], direction: 'input', role: 'user', kind: 'message', trusted: false, text });

/**
 * Texts made unique per call, built before timing (a ring of 512), and flat as JSON.parse leaves
 * request texts (a concatenated string is a rope, slower to read character by character).
 */
function variants(base: string): (i: number) => string {
  const ring = Array.from({ length: 512 }, (_, k) => JSON.parse(JSON.stringify(`[${k}] ${base}`)) as string);
  return (i) => ring[(i + 1024) & 511]!;
}

interface PiiRow {
  text: string;
  spans: { start: number; end: number; type: string }[];
  entity_type_tested?: string;
}

function prf(c: SpanCounts): F1 {
  const precision = c.tp + c.fp === 0 ? 0 : c.tp / (c.tp + c.fp);
  const recall = c.tp + c.fn === 0 ? 0 : c.tp / (c.tp + c.fn);
  return { ...c, precision, recall, f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall) };
}

/** Code-point offsets (the dataset's) → UTF-16 offsets. */
function toUtf16(text: string, cp: number): number {
  return [...text].slice(0, cp).join('').length;
}

/** Every occurrence of every reported value, as spans (guardrails reports values, not offsets). */
function spansOfValues(text: string, byType: Record<string, string[]>, types: ReadonlySet<string>): { start: number; end: number; type: string }[] {
  const out: { start: number; end: number; type: string }[] = [];
  const seen = new Set<string>();
  for (const [type, values] of Object.entries(byType)) {
    if (!types.has(type)) continue;
    for (const v of values) {
      if (!v) continue;
      for (let at = text.indexOf(v); at >= 0; at = text.indexOf(v, at + 1)) {
        const key = `${type}:${at}:${v.length}`;
        if (!seen.has(key)) out.push({ start: at, end: at + v.length, type });
        seen.add(key);
      }
    }
  }
  return out;
}

function scoreRows(rows: PiiRow[], types: ReadonlySet<string>, predict: (text: string) => { start: number; end: number; type: string }[]): F1 {
  const counts = new Map<string, SpanCounts>();
  for (const row of rows) {
    let gold = row.spans.map((s) => ({ start: toUtf16(row.text, s.start), end: toUtf16(row.text, s.end), type: s.type })).filter((g) => types.has(g.type));
    let pred = predict(row.text).filter((p) => types.has(p.type));
    if (row.entity_type_tested) {
      gold = gold.filter((g) => g.type === row.entity_type_tested);
      pred = pred.filter((p) => p.type === row.entity_type_tested);
    }
    matchSpans(gold, pred, 'exact', counts);
  }
  const total = { tp: 0, fp: 0, fn: 0 };
  for (const c of counts.values()) {
    total.tp += c.tp;
    total.fp += c.fp;
    total.fn += c.fn;
  }
  return prf(total);
}

export async function measurePipeline(seconds = 2): Promise<PipelineResult> {
  if (!Number.isFinite(seconds) || seconds <= 0) throw new Error(`CPU seconds per row must be a number above 0, got ${seconds}`);
  const notes: string[] = [];
  const config = defaultConfig()!;
  const registry = builtinGuards();
  const guards = createGuards(config, registry);
  const ctx: GuardContext = { requestId: 'bench', direction: 'input' };
  const base = config.policy as typeof config.policy & { defaultRules?: typeof config.policy.rules };
  const policy = Array.isArray(base.defaultRules) ? { ...base, rules: [...base.rules, ...base.defaultRules] } : base;
  const engine = new GuardEngine(guards, policy, 0);
  await Promise.all(guards.map((g) => (g as Guard & { ready?: () => Promise<void> }).ready?.()));
  const inputGuards = guards.filter((g) => !g.appliesTo || g.appliesTo(segmentOf('x')));
  const withoutInjection = new GuardEngine(guards.filter((g) => g.id !== 'injection'), policy, 0);

  const ordinary = variants(ORDINARY);
  const sample = variants(GUARDRAILS_SAMPLE);
  const ob = bytes(ORDINARY) + 6;
  const sb = bytes(GUARDRAILS_SAMPLE) + 6;
  const rates: Rate[] = [];
  rates.push(await rate('default input pipeline (all default input guards, GuardEngine.inspect, no cache), ordinary 2 KB', ob, (i) => engine.inspect([segmentOf(ordinary(i))], ctx, 1, { useCache: false }), seconds));
  rates.push(await rate('  the same pipeline without the injection guard, ordinary 2 KB', ob, (i) => withoutInjection.inspect([segmentOf(ordinary(i))], ctx, 1, { useCache: false }), seconds));
  for (const id of ['injection', 'pii', 'secrets']) {
    const g = inputGuards.find((x) => x.id === id);
    if (g) rates.push(await rate(`  guard "${id}" alone, ordinary 2 KB`, ob, (i) => g.inspect(segmentOf(ordinary(i)), { requestId: 'bench', direction: 'input' }), seconds));
  }
  const others = inputGuards.filter((g) => !['injection', 'pii', 'secrets'].includes(g.id));
  if (others.length)
    rates.push(
      await rate(`  the other input guards (${others.map((g) => g.id).join(', ')}), ordinary 2 KB`, ob, async (i) => {
        const s = segmentOf(ordinary(i));
        for (const g of others) await g.inspect(s, ctx);
      }, seconds),
    );
  rates.push(await rate('  for scale: one character 4-gram per position looked up in a 2^17-entry table (the least an n-gram classifier does), ordinary 2 KB', ob, (i) => ngramFloor(ordinary(i)), seconds));
  const piiDefault = piiConfigSchema.parse({});
  rates.push(await rate('pii detectPii (default config), ordinary 2 KB', ob, (i) => detectPii(ordinary(i), piiDefault), seconds));
  const piiAll = piiConfigSchema.parse({ entities: [...PII_ENTITIES] });
  rates.push(await rate('pii detectPii with the name/location/address tagger (all entities), ordinary 2 KB', ob, (i) => detectPii(ordinary(i), piiAll), seconds));
  rates.push(await rate('pii detectPii (default config), guardrails sample 2 KB', sb, (i) => detectPii(sample(i), piiDefault), seconds));
  rates.push(await rate('default input pipeline, guardrails sample 2 KB', sb, (i) => engine.inspect([segmentOf(sample(i))], ctx, 1, { useCache: false }), seconds));
  rates.push(await rate('  the same pipeline without the injection guard, guardrails sample 2 KB', sb, (i) => withoutInjection.inspect([segmentOf(sample(i))], ctx, 1, { useCache: false }), seconds));
  for (const id of ['injection', 'pii', 'secrets']) {
    const g = inputGuards.find((x) => x.id === id);
    if (g) rates.push(await rate(`  guard "${id}" alone, guardrails sample 2 KB`, sb, (i) => g.inspect(segmentOf(sample(i)), { requestId: 'bench', direction: 'input' }), seconds));
  }

  // @openai/guardrails, same process, same texts.
  let guardrails: PipelineResult['guardrails'];
  let G: any;
  const dir = resolve(process.env.GUARDRAILS_DIR ?? join(homedir(), '.cache', 'clawguard-peer-bench'));
  if (existsSync(join(dir, 'node_modules', '@openai', 'guardrails'))) {
    const req = createRequire(join(dir, 'package.json'));
    G = req('@openai/guardrails');
    const version = (req('@openai/guardrails/package.json') as { version: string }).version;
    const cfgAll = G.PIIConfig.parse({ block: false });
    const cfgFew = G.PIIConfig.parse({ entities: ['EMAIL_ADDRESS', 'PHONE_NUMBER', 'CREDIT_CARD', 'US_SSN'], block: false });
    const gr: Rate[] = [];
    gr.push(await rate(`guardrails pii() default entities (${cfgAll.entities.length}), guardrails sample 2 KB`, sb, (i) => G.pii({}, sample(i), cfgAll), seconds));
    gr.push(await rate('guardrails pii() 4 entities, guardrails sample 2 KB', sb, (i) => G.pii({}, sample(i), cfgFew), seconds));
    gr.push(await rate(`guardrails pii() default entities (${cfgAll.entities.length}), ordinary 2 KB`, ob, (i) => G.pii({}, ordinary(i), cfgAll), seconds));
    const ratios: number[] = [];
    const ratiosWithout: number[] = [];
    for (let round = 0; round < SIDE_BY_SIDE_ROUNDS; round++) {
      const ours = await rate('ours', sb, (i) => engine.inspect([segmentOf(sample(i))], ctx, 1, { useCache: false }), seconds / 4, 20);
      const theirs = await rate('theirs', sb, (i) => G.pii({}, sample(i), cfgAll), seconds / 4, 20);
      const without = await rate('ours without injection', sb, (i) => withoutInjection.inspect([segmentOf(sample(i))], ctx, 1, { useCache: false }), seconds / 4, 20);
      ratios.push(theirs.cpuUs / ours.cpuUs);
      ratiosWithout.push(theirs.cpuUs / without.cpuUs);
    }
    guardrails = { version, rates: gr, sideBySide: sideBySide(ratios), withoutInjection: sideBySide(ratiosWithout) };
  } else notes.push(`@openai/guardrails not found under ${dir}: its half was skipped (run ../shared/bench/run-baseline.sh once, or npm ci in a copy of ../shared/bench).`);

  // F1 on the PII dev data, the entity types both detect.
  let f1: PipelineResult['f1'];
  const dataDir = resolve(process.env.CLAWGUARD_EVAL_DATA ?? join(process.cwd(), '..', 'shared', 'eval'));
  const devFile = join(dataDir, 'pii', 'dev.jsonl');
  if (existsSync(devFile)) {
    const rows = readFileSync(devFile, 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as PiiRow);
    const ours = new Set(Object.values(PII_TYPE_MAP).filter((t) => t !== 'DATE_TIME'));
    const theirs: string[] = G ? G.PIIConfig.parse({ block: false }).entities : [...ours];
    const types = new Set(theirs.filter((t) => ours.has(t)));
    const oursF1 = scoreRows(rows, types, (text) => detectPii(text, piiDefault).map((c) => ({ start: c.start, end: c.end, type: PII_TYPE_MAP[c.entity] ?? c.entity })));
    const oursAllF1 = scoreRows(rows, types, (text) => detectPii(text, piiAll).map((c) => ({ start: c.start, end: c.end, type: PII_TYPE_MAP[c.entity] ?? c.entity })));
    let theirsF1: F1 | undefined;
    if (G) {
      const cfgAll = G.PIIConfig.parse({ block: false });
      const found = new Map<string, Record<string, string[]>>();
      for (const row of rows) found.set(row.text, ((await G.pii({}, row.text, cfgAll)).info?.detected_entities ?? {}) as Record<string, string[]>);
      theirsF1 = scoreRows(rows, types, (text) => spansOfValues(text, found.get(text) ?? {}, types));
      notes.push('guardrails reports values, not offsets: each reported value counts at every place it occurs in the text.');
    }
    f1 = { types: [...types].sort(), ours: oursF1, oursAll: oursAllF1, ...(theirsF1 ? { guardrails: theirsF1 } : {}), rows: rows.length };
  } else notes.push(`${devFile} not found: F1 skipped.`);

  return {
    date: new Date().toISOString(),
    node: process.version,
    cpu: `${cpus().length} × ${cpus()[0]?.model ?? '?'}`,
    loadavg: loadavg().map((x) => Math.round(x * 10) / 10),
    textBytes: { ordinary: ob, guardrailsSample: sb },
    defaultGuards: inputGuards.map((g) => g.id),
    rates,
    ...(guardrails ? { guardrails } : {}),
    ...(f1 ? { f1 } : {}),
    notes,
  };
}

const fmt = (x: number, d = 1): string => x.toFixed(d);

export function pipelineMarkdown(r: PipelineResult): string {
  const L: string[] = [];
  L.push(`Measured ${r.date.slice(0, 10)}, node ${r.node}, ${r.cpu}, load average ${r.loadavg.join(' / ')} (shared machine; CPU time of the benchmark process, so the load inflates figures less than wall time would, but caches and frequency are shared).`);
  L.push(`Default input guards: ${r.defaultGuards.join(', ')}. Texts: ordinary English ${r.textBytes.ordinary} B; the @openai/guardrails bench sample ${r.textBytes.guardrailsSample} B (e-mails, phones, cards, an SSN). A counter in front makes every text unique.`);
  L.push('');
  L.push('| what | CPU µs / call | calls / CPU s | MB / CPU s |');
  L.push('|---|---:|---:|---:|');
  for (const x of [...r.rates, ...(r.guardrails?.rates ?? [])]) L.push(`| ${x.name.replace(/^ {2}/, '↳ ')} | ${fmt(x.cpuUs)} | ${Math.round(x.callsPerCpuSecond)} | ${fmt(x.mbPerCpuSecond)} |`);
  if (r.guardrails) {
    const ours = r.rates.find((x) => x.name.startsWith('default input pipeline, guardrails sample'));
    const theirs = r.guardrails.rates[0]!;
    const sbs = r.guardrails.sideBySide;
    if (sbs) {
      const lo = Math.min(...sbs.ratios);
      const hi = Math.max(...sbs.ratios);
      L.push('', `Whole default input pipeline vs @openai/guardrails ${r.guardrails.version} PII check alone (default entities), same 2 KB sample: **${fmt(sbs.median, 2)}×** the calls per CPU second (median of ${sbs.rounds} alternating rounds, range ${fmt(lo, 2)}–${fmt(hi, 2)}; the two long runs above give ${ours ? fmt(ours.callsPerCpuSecond / theirs.callsPerCpuSecond, 2) : '?'}×).`);
      const w = r.guardrails.withoutInjection;
      if (w) L.push('', `The same pipeline without the injection guard, in the same rounds: **${fmt(w.median, 2)}×** (range ${fmt(Math.min(...w.ratios), 2)}–${fmt(Math.max(...w.ratios), 2)}).`);
    } else if (ours) L.push('', `Whole default input pipeline vs @openai/guardrails ${r.guardrails.version} PII check alone (default entities), same 2 KB sample: **${fmt(ours.callsPerCpuSecond / theirs.callsPerCpuSecond, 2)}×** the calls per CPU second.`);
  }
  if (r.f1) {
    L.push('', `Span F1 (exact) on pii/dev.jsonl (${r.f1.rows} texts; recognizer rows scored on their tested type only), types both detect: ${r.f1.types.join(', ')}.`, '');
    L.push('| detector | TP | FP | FN | precision | recall | F1 |', '|---|---:|---:|---:|---:|---:|---:|');
    const row = (n: string, m: F1): string => `| ${n} | ${m.tp} | ${m.fp} | ${m.fn} | ${fmt(m.precision, 3)} | ${fmt(m.recall, 3)} | ${fmt(m.f1, 3)} |`;
    L.push(row('ClawGuard pii (default config)', r.f1.ours));
    L.push(row('ClawGuard pii (all entities: names, locations, addresses too)', r.f1.oursAll));
    if (r.f1.guardrails && r.guardrails) L.push(row(`@openai/guardrails ${r.guardrails.version} pii (default entities)`, r.f1.guardrails));
  }
  for (const n of r.notes) L.push('', `Note: ${n}`);
  return `${L.join('\n')}\n`;
}

const START = '<!-- pipeline:start -->';
const END = '<!-- pipeline:end -->';

/** Replaces the marked pipeline section of docs/benchmarks.md (appends it the first time). */
export function writeDocsSection(md: string, file = resolve(process.cwd(), 'docs', 'benchmarks.md')): void {
  const doc = readFileSync(file, 'utf8');
  const section = `${START}\n${md}${END}`;
  const a = doc.indexOf(START);
  const b = doc.indexOf(END);
  const next = a >= 0 && b > a ? doc.slice(0, a) + section + doc.slice(b + END.length) : `${doc.trimEnd()}\n\n## Input pipeline throughput and @openai/guardrails PII (\`npm run bench:pipeline\`)\n\n${section}\n`;
  writeFileSync(file, next);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const opt = (n: string): string | undefined => (args.includes(`--${n}`) ? args[args.indexOf(`--${n}`) + 1] : undefined);
  measurePipeline(Number(opt('seconds') ?? 2)).then(
    (r) => {
      const md = pipelineMarkdown(r);
      if (opt('markdown')) writeFileSync(opt('markdown')!, md);
      if (args.includes('--docs')) writeDocsSection(md);
      process.stdout.write(args.includes('--json') ? `${JSON.stringify(r)}\n` : md);
    },
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
