import { existsSync, readFileSync } from 'node:fs';
import type { GuardCostResult } from './guard-cost.js';
import { type PipelineResult, pipelineMarkdown } from './pipeline.js';
import type { ProbeResult } from './probe.js';

export interface Cell {
  readonly target: string;
  readonly mode: string;
  readonly conns: number;
  readonly rps: number;
  readonly requests: number;
  readonly errors: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly gwCpuPct?: number;
  readonly gwCpuUsPerReq?: number;
  readonly gwRssMaxMiB?: number;
  readonly otherCpuPct: number;
}

export interface ProbeRow extends ProbeResult {
  readonly target: string;
  readonly mode: string;
}

export interface IntegrityRow {
  readonly target: string;
  readonly conns: number;
  readonly seconds: number;
  readonly total: number;
  readonly ok: number;
  readonly truncated: number;
  readonly status: number;
  readonly error: number;
}

export interface BenchResult {
  readonly meta: {
    readonly date: string;
    readonly finished: string;
    readonly commit: string;
    readonly node: string;
    readonly kernel: string;
    readonly cpus: number;
    readonly cpuModel: string;
    readonly memGiB: number;
    readonly loadgen: string;
    readonly pinning: string;
    readonly durationS: number;
    /** Gap between the fake upstream's SSE chunks (0 = back-to-back). */
    readonly chunkDelayMs?: number;
    readonly warmupS: number;
    readonly prewarmS: number;
    readonly probeN: number;
    readonly backgroundCpuPct: number;
    readonly backgroundTop: string;
    readonly bodies: Record<string, number>;
    readonly guards: string[];
    readonly portkey: string;
  };
  readonly targets: { name: string; desc: string }[];
  readonly cells: Cell[];
  readonly probes: ProbeRow[];
  readonly integrity: IntegrityRow[];
  readonly gatewayPeakRssMiB?: number;
  readonly guardCost?: GuardCostResult;
  /** The input pipeline against @openai/guardrails' PII check (pipeline.ts), measured in the same run. */
  readonly pipeline?: PipelineResult;
  readonly failures: string[];
  /** Errors a client met on the first requests after start (the sanity check then retried). */
  readonly startupIssues?: string[];
}

const ms = (us: number | undefined): string => (us !== undefined && Number.isFinite(us) ? (us / 1000).toFixed(2) : '-');
const ms3 = (x: number | undefined): string => (x !== undefined && Number.isFinite(x) ? x.toFixed(3) : '-');
const f0 = (x: number | undefined): string => (x !== undefined && Number.isFinite(x) ? Math.round(x).toString() : '-');
const f1 = (x: number | undefined): string => (x !== undefined && Number.isFinite(x) ? x.toFixed(1) : '-');

/** Reference Portkey figures (../shared/bench README, REPEATS=3 median, same machine) when it is not measured in the run. */
export const PORTKEY_REFERENCE = { nonstream: 902, stream: 695, source: '../shared/bench README, 2026-11-25, median of 3 runs' };

/** The bare Node proxy of floor-proxy.ts: what the runtime alone costs, shown next to the targets for scale. */
export const FLOOR = 'node-floor';

export interface TargetCheck {
  readonly target: string;
  readonly goal: string;
  readonly measured: string;
  readonly met: boolean | undefined;
  readonly margin: string;
}

/** Issue 4's throughput targets for the default input pipeline. */
export const PIPELINE_MB_PER_S = 50;
export const PIPELINE_VS_GUARDRAILS = 2;

/**
 * Issue 4's targets: the whole default input pipeline at >= 50 MB per CPU second on ordinary English,
 * and >= 2x the calls per CPU second of @openai/guardrails' PII check (default entities) on its own
 * 2 KB sample, with a better span F1 on the same data. Rows for what the run measured.
 */
export function checkPipelineTargets(p: PipelineResult): TargetCheck[] {
  const out: TargetCheck[] = [];
  const ordinary = p.rates.find((x) => x.name.startsWith('default input pipeline (all default input guards'));
  if (ordinary) {
    const need = (p.textBytes.ordinary / PIPELINE_MB_PER_S).toFixed(1);
    out.push({
      target: `default input pipeline, ordinary English (${p.textBytes.ordinary} B)`,
      goal: `≥ ${PIPELINE_MB_PER_S} MB per CPU second`,
      measured: `${ordinary.mbPerCpuSecond.toFixed(1)} MB/s (${ordinary.cpuUs.toFixed(1)} µs per call)`,
      met: ordinary.mbPerCpuSecond >= PIPELINE_MB_PER_S,
      margin: ordinary.mbPerCpuSecond >= PIPELINE_MB_PER_S ? `${(ordinary.mbPerCpuSecond - PIPELINE_MB_PER_S).toFixed(1)} MB/s to spare` : `needs ≤ ${need} µs per call`,
    });
  }
  const sbs = p.guardrails?.sideBySide;
  if (p.guardrails && sbs) {
    out.push({
      target: `default input pipeline vs @openai/guardrails ${p.guardrails.version} PII check (default entities), its 2 KB sample`,
      goal: `≥ ${PIPELINE_VS_GUARDRAILS}× its calls per CPU second`,
      measured: `${sbs.median.toFixed(2)}× (median of ${sbs.rounds} alternating rounds, ${Math.min(...sbs.ratios).toFixed(2)}–${Math.max(...sbs.ratios).toFixed(2)})`,
      met: sbs.median >= PIPELINE_VS_GUARDRAILS,
      margin: sbs.median >= PIPELINE_VS_GUARDRAILS ? `${(sbs.median / PIPELINE_VS_GUARDRAILS).toFixed(2)}× the goal` : `needs ${(PIPELINE_VS_GUARDRAILS / sbs.median).toFixed(2)}× less CPU per call`,
    });
  }
  // For scale: what the pipeline costs without issue 3's injection detector (data guards, engine, the rest).
  const without = p.rates.find((x) => x.name.startsWith('  the same pipeline without the injection guard, ordinary'));
  const w = p.guardrails?.withoutInjection;
  if (without || w) {
    out.push({
      target: 'for scale: the same pipeline without the injection guard',
      goal: 'not a target',
      measured: [without ? `${without.mbPerCpuSecond.toFixed(1)} MB/s on ordinary English` : '', w ? `${w.median.toFixed(2)}× guardrails on its sample` : ''].filter(Boolean).join('; '),
      met: undefined,
      margin: '',
    });
  }
  if (p.f1?.guardrails) {
    const ours = p.f1.ours.f1;
    const theirs = p.f1.guardrails.f1;
    out.push({
      target: `PII span F1 (exact) on pii/dev, the ${p.f1.types.length} types both detect`,
      goal: 'better than @openai/guardrails',
      measured: `${ours.toFixed(3)} against ${theirs.toFixed(3)}`,
      met: ours > theirs,
      margin: `${(ours - theirs).toFixed(3)}`,
    });
  }
  return out;
}

/** Requests per second one gateway core could serve at this cell's CPU cost per request. */
export function capacity(c: Cell): number {
  return c.gwCpuUsPerReq && Number.isFinite(c.gwCpuUsPerReq) ? 1e6 / c.gwCpuUsPerReq : NaN;
}

function cell(r: BenchResult, target: string, mode: string, conns: number): Cell | undefined {
  return r.cells.find((c) => c.target === target && c.mode === mode && c.conns === conns);
}
function probeOf(r: BenchResult, target: string, mode: string): ProbeRow | undefined {
  return r.probes.find((p) => p.target === target && p.mode === mode);
}

/** The issue-2 performance targets, each against what this run measured. */
export function checkTargets(r: BenchResult, ours = 'clawguard'): TargetCheck[] {
  const out: TargetCheck[] = [];
  const ratio = (a: number, b: number): string => `${(a / b).toFixed(1)}×`;
  for (const mode of ['nonstream', 'stream']) {
    const c = cell(r, ours, mode, 32);
    const pk = cell(r, 'portkey', mode, 32);
    const ref = PORTKEY_REFERENCE[mode as 'nonstream' | 'stream'];
    if (!c) continue;
    // Judged on capacity per gateway core (1e6 / CPU µs per request at c=32): on this shared 2-core VM the load core is
    // often starved by neighbours, so measured req/s can stop short of what the gateway core can do; CPU per request
    // barely depends on the load side. The measured req/s is shown next to it.
    const cap = capacity(c);
    const pkCap = pk ? capacity(pk) : ref;
    const src = pk ? `Portkey in this run: ${f0(pk.rps)} req/s measured, ${f0(pk.gwCpuUsPerReq)} µs/req → ${f0(pkCap)} req/s per core` : `Portkey reference ${f0(ref)} req/s at 100 % of a core (${PORTKEY_REFERENCE.source})`;
    const goal = 10 * pkCap;
    out.push({
      target: `throughput c=32 ${mode}, default guards`,
      goal: `≥ 10× Portkey = ${f0(goal)} req/s per core (${src})`,
      measured: `${f0(cap)} req/s per core (${f0(c.gwCpuUsPerReq)} µs/req) = ${ratio(cap, pkCap)} Portkey; measured ${f0(c.rps)} req/s at ${f0(c.gwCpuPct)} % gateway CPU`,
      met: cap >= goal,
      margin: cap >= goal ? `+${f0(cap - goal)} req/s` : `short by ${f0(goal - cap)} req/s (needs ≤ ${f0(1e6 / goal)} µs/req)`,
    });
    const floor = cell(r, FLOOR, mode, 32);
    if (floor?.gwCpuUsPerReq !== undefined && Number.isFinite(floor.gwCpuUsPerReq)) {
      const budget = 1e6 / goal;
      out.push({
        target: `for scale: bare Node proxy (${FLOOR}), c=32 ${mode}`,
        goal: 'not a target',
        measured: `${f0(floor.gwCpuUsPerReq)} µs/req = ${ratio(capacity(floor), pkCap)} Portkey; RSS max ${f1(floor.gwRssMaxMiB)} MiB`,
        met: undefined,
        margin: `the 10× goal (≤ ${f0(budget)} µs/req) leaves ${f0(budget - floor.gwCpuUsPerReq)} µs/req above this floor for auth, guards, audit, logs and metrics; ClawGuard spends ${f0(c.gwCpuUsPerReq! - floor.gwCpuUsPerReq)}`,
      });
    }
  }
  for (const mode of ['nonstream', 'stream']) {
    const c = cell(r, ours, mode, 1);
    const d = cell(r, 'direct', mode, 1);
    if (c && d) {
      const a50 = (c.p50Us - d.p50Us) / 1000;
      const a99 = (c.p99Us - d.p99Us) / 1000;
      out.push({ target: `added latency c=1 ${mode} p50`, goal: '≤ 0.30 ms', measured: `${a50.toFixed(3)} ms (${ms(c.p50Us)} vs direct ${ms(d.p50Us)})`, met: a50 <= 0.3, margin: `${(0.3 - a50).toFixed(3)} ms headroom` });
      out.push({ target: `added latency c=1 ${mode} p99`, goal: '≤ 1.00 ms', measured: `${a99.toFixed(3)} ms (${ms(c.p99Us)} vs direct ${ms(d.p99Us)})`, met: a99 <= 1, margin: `${(1 - a99).toFixed(3)} ms headroom` });
      const floor = cell(r, FLOOR, mode, 1);
      if (floor) {
        out.push({ target: `for scale: bare Node proxy (${FLOOR}), added latency c=1 ${mode}`, goal: 'not a target', measured: `p50 ${((floor.p50Us - d.p50Us) / 1000).toFixed(3)} ms, p99 ${((floor.p99Us - d.p99Us) / 1000).toFixed(3)} ms`, met: undefined, margin: '' });
      }
    }
  }
  {
    const c = probeOf(r, ours, 'stream');
    const d = probeOf(r, 'direct', 'stream');
    if (c && d) {
      const a = (c.ttftUs.p50 - d.ttftUs.p50) / 1000;
      out.push({ target: 'added time to first token c=1 (stream, p50)', goal: '≤ 0.50 ms', measured: `${a.toFixed(3)} ms (${ms(c.ttftUs.p50)} vs direct ${ms(d.ttftUs.p50)})`, met: a <= 0.5, margin: `${(0.5 - a).toFixed(3)} ms headroom` });
      const floor = probeOf(r, FLOOR, 'stream');
      if (floor) out.push({ target: `for scale: bare Node proxy (${FLOOR}), added time to first token c=1`, goal: 'not a target', measured: `${((floor.ttftUs.p50 - d.ttftUs.p50) / 1000).toFixed(3)} ms (p50)`, met: undefined, margin: '' });
    }
  }
  {
    const spaced = r.probes.find((p) => p.target === ours && p.mode.startsWith('stream, chunks'));
    const d = spaced && probeOf(r, 'direct', spaced.mode);
    if (spaced && d) {
      const a = (spaced.ttftUs.p50 - d.ttftUs.p50) / 1000;
      out.push({ target: `added time to first token c=1 (${spaced.mode}, p50)`, goal: '≤ 0.50 ms', measured: `${a.toFixed(3)} ms (${ms(spaced.ttftUs.p50)} vs direct ${ms(d.ttftUs.p50)})`, met: a <= 0.5, margin: `${(0.5 - a).toFixed(3)} ms headroom` });
    }
  }
  {
    const rss = Math.max(...r.cells.filter((c) => c.target === ours && c.gwRssMaxMiB !== undefined).map((c) => c.gwRssMaxMiB!));
    const peak = r.gatewayPeakRssMiB;
    if (Number.isFinite(rss)) {
      out.push({ target: 'gateway RSS under load (max sampled)', goal: '≤ 100 MB (MiB here)', measured: `${f1(rss)} MiB (VmHWM ${f1(peak)} MiB)`, met: rss <= 100, margin: `${f1(100 - rss)} MiB headroom` });
    }
  }
  const g = r.guardCost;
  if (g) {
    const cold = g.cases.find((c) => c.name.includes('cold'));
    const warm = g.cases.find((c) => c.name.includes('warm cache'));
    if (cold) out.push({ target: `guard cost, 60 KB OpenClaw first turn`, goal: '≤ 5 ms', measured: `mean ${ms3(cold.mean)} / p50 ${ms3(cold.p50)} / p99 ${ms3(cold.p99)} ms`, met: cold.p50 <= 5, margin: `${ms3(5 - cold.p50)} ms headroom (p50)` });
    const start = g.cases.find((c) => c.name.includes('first request after start'));
    if (r.startupIssues?.some((i) => i.startsWith('attempt') && i.includes('clawguard'))) {
      out.push({ target: 'first requests after start through the gateway', goal: 'answered like any other', measured: r.startupIssues.filter((i) => i.includes('clawguard')).join('; ').slice(0, 300), met: false, margin: 'refused' });
    }
    if (start) {
      const blocked = /(\d+)\/5 BLOCKED/.exec(start.name);
      out.push({
        target: 'first request after start is not refused (guard set-up within budget)',
        goal: 'no guard over its time budget',
        measured: `p50 ${ms3(start.p50)} / max ${ms3(start.max)} ms${blocked ? `; ${blocked[1]} of 5 fresh starts blocked` : ''}`,
        met: !blocked,
        margin: blocked ? (start.name.split('BLOCKED: ')[1]?.replace(/\)$/, '') ?? '') : 'ok',
      });
    }
    if (warm) out.push({ target: `guard cost, same conversation + 1 new message`, goal: '≤ 0.3 ms', measured: `mean ${ms3(warm.mean)} / p50 ${ms3(warm.p50)} / p99 ${ms3(warm.p99)} ms`, met: warm.p50 <= 0.3, margin: `${ms3(0.3 - warm.p50)} ms headroom (p50)` });
  }
  return out;
}

export function renderMarkdown(r: BenchResult): string {
  const m = r.meta;
  const lines: string[] = [];
  const direct: Record<string, Cell> = {};
  for (const c of r.cells) if (c.target === 'direct') direct[`${c.mode}/${c.conns}`] = c;
  const checks = checkTargets(r);

  lines.push('### Targets (issue 2)', '');
  lines.push('| target | goal | measured | met? | margin |', '|---|---|---|---|---|');
  for (const t of checks) lines.push(`| ${t.target} | ${t.goal} | ${t.measured} | ${t.met === undefined ? '-' : t.met ? 'yes' : '**no**'} | ${t.margin} |`);
  lines.push('');
  if (r.pipeline) {
    lines.push('### Targets (issue 4: the default input pipeline, in process; figures in the pipeline section below)', '');
    lines.push('| target | goal | measured | met? | margin |', '|---|---|---|---|---|');
    for (const t of checkPipelineTargets(r.pipeline)) lines.push(`| ${t.target} | ${t.goal} | ${t.measured} | ${t.met === undefined ? '-' : t.met ? 'yes' : '**no**'} | ${t.margin} |`);
    lines.push('');
  }

  lines.push(`### Load (${m.loadgen}, closed loop, ${m.durationS} s per cell after ${m.warmupS} s warm-up)`, '');
  lines.push('Latency is the time to the complete response (for SSE: the last chunk). `+p50`/`+p99` are over `direct` at the same mode and concurrency. "req/s per gw core" = 1e6 / gateway CPU µs per request: what the gateway core could serve if the load side kept up.', '');
  lines.push('| target | mode | conc | req/s | p50 ms | p99 ms | +p50 ms | +p99 ms | errors | gw CPU % | gw CPU µs/req | req/s per gw core | gw RSS max MiB | other CPU % |');
  lines.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const c of r.cells) {
    const d = direct[`${c.mode}/${c.conns}`];
    const add50 = d && c.target !== 'direct' ? ms(c.p50Us - d.p50Us) : '';
    const add99 = d && c.target !== 'direct' ? ms(c.p99Us - d.p99Us) : '';
    lines.push(`| ${c.target} | ${c.mode} | ${c.conns} | ${f0(c.rps)} | ${ms(c.p50Us)} | ${ms(c.p99Us)} | ${add50} | ${add99} | ${c.errors} | ${f1(c.gwCpuPct)} | ${f0(c.gwCpuUsPerReq)} | ${f0(capacity(c))} | ${f1(c.gwRssMaxMiB)} | ${f0(c.otherCpuPct)} |`);
  }
  lines.push('');

  lines.push(`### First byte and first token (c=1, ${m.probeN} sequential keep-alive requests, node:http client)`, '');
  lines.push('TTFB = first body byte; TTFT = first chunk carrying non-empty `content` (for non-stream both are the body). `+TTFT` is over `direct`.', '');
  lines.push('| target | mode | TTFB p50 ms | TTFB p99 ms | TTFT p50 ms | TTFT p99 ms | +TTFT p50 ms | total p50 ms | total p99 ms | errors |');
  lines.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const p of r.probes) {
    const d = probeOf(r, 'direct', p.mode);
    const add = d && p.target !== 'direct' ? ms(p.ttftUs.p50 - d.ttftUs.p50) : '';
    lines.push(`| ${p.target} | ${p.mode} | ${ms(p.ttfbUs.p50)} | ${ms(p.ttfbUs.p99)} | ${ms(p.ttftUs.p50)} | ${ms(p.ttftUs.p99)} | ${add} | ${ms(p.totalUs.p50)} | ${ms(p.totalUs.p99)} | ${p.errors} |`);
  }
  lines.push('');

  if (r.integrity.length > 0) {
    lines.push('### Stream integrity under load (every SSE body checked: HTTP 200, the full 20-token text, `[DONE]`)', '');
    lines.push('| target | conc | seconds | streams | ok | truncated/altered | non-200 | errors |', '|---|---:|---:|---:|---:|---:|---:|---:|');
    for (const i of r.integrity) lines.push(`| ${i.target} | ${i.conns} | ${i.seconds} | ${i.total} | ${i.ok} | ${i.truncated} | ${i.status} | ${i.error} |`);
    lines.push('');
  }

  const g = r.guardCost;
  if (g) {
    lines.push(`### Guard cost in-process: OpenClaw turn 3 (${g.bodyBytes} B body, ${g.segments} segments, ${g.totalChars} chars of which ${g.systemChars} system prompt)`, '');
    lines.push(`Guards (the \`init\` config's defaults): ${g.guards.join(', ')}. Engine built as \`src/gateway/server.ts\` builds it; pinned to cpu ${m.pinning.match(/gateway cpu (\d+)/)?.[1] ?? '?'}.`, '');
    lines.push('| case | iterations | mean ms | p50 ms | p99 ms | max ms |', '|---|---:|---:|---:|---:|---:|');
    for (const c of g.cases) lines.push(`| ${c.name} | ${c.iterations} | ${ms3(c.mean)} | ${ms3(c.p50)} | ${ms3(c.p99)} | ${ms3(c.max)} |`);
    lines.push('');
  }
  if (r.startupIssues && r.startupIssues.length > 0) lines.push(`**Errors on the first requests after start** (the sanity check retried): ${r.startupIssues.join('; ')}`, '');
  if (r.failures.length > 0) lines.push(`**Failures:** ${r.failures.join('; ')}`, '');
  return lines.join('\n');
}

export function renderMachine(r: BenchResult): string {
  const m = r.meta;
  return [
    `- date: ${m.date} (finished ${m.finished}); commit ${m.commit}`,
    `- machine: ${m.cpus} × ${m.cpuModel}, ${m.memGiB.toFixed(0)} GiB RAM, kernel ${m.kernel}; node ${m.node}`,
    `- load generator: ${m.loadgen}; ${m.pinning}`,
    `- cells: ${m.durationS} s measured after ${m.warmupS} s warm-up; every target pre-warmed ${m.prewarmS} s per mode at c=32 first`,
    `- fake upstream: SSE chunks ${m.chunkDelayMs ? `${m.chunkDelayMs} ms apart` : 'back-to-back'}`,
    `- request bodies: ${Object.entries(m.bodies).map(([k, v]) => `${k} ${v} B`).join(', ')}`,
    `- default guards on in ClawGuard: ${m.guards.join(', ')} (config from \`clawguard init\`, logging level info to a file)`,
    `- Portkey: ${m.portkey}`,
    `- background CPU before start: ${m.backgroundCpuPct.toFixed(0)} % of ${m.cpus * 100} %${m.backgroundTop ? ` (top: ${m.backgroundTop})` : ''}`,
  ].join('\n');
}

const GEN_START = '<!-- bench:generated:start -->';
const GEN_END = '<!-- bench:generated:end -->';

function section(text: string, name: string): string | undefined {
  const a = text.indexOf(`<!-- ${name}:start -->`);
  const b = text.indexOf(`<!-- ${name}:end -->`);
  return a >= 0 && b > a ? text.slice(a, b + `<!-- ${name}:end -->`.length) : undefined;
}

/**
 * docs/benchmarks.md: the generated part is replaced on every run; the hand-written notes and the
 * peer-harness section (between their markers) are kept as they are.
 */
export function renderDoc(r: BenchResult, existingPath: string): string {
  const existing = existsSync(existingPath) ? readFileSync(existingPath, 'utf8') : '';
  const notes = section(existing, 'notes') ?? '<!-- notes:start -->\n<!-- notes:end -->';
  const peer = section(existing, 'peer') ?? '<!-- peer:start -->\n_Not run yet: see "Peer comparison" above._\n<!-- peer:end -->';
  // Measured by this run, or else what `npm run bench:pipeline` (pipeline.ts) wrote last, kept as it is.
  const pipeline = r.pipeline ? `<!-- pipeline:start -->\n${pipelineMarkdown(r.pipeline)}<!-- pipeline:end -->` : section(existing, 'pipeline');
  return [
    '# Benchmarks',
    '',
    'Produced by `npm run bench` (src/bench/run.ts); the peer comparison at the end comes from `../shared/bench/run-baseline.sh`.',
    'Issue 2 targets: throughput at c=32 with all default guards ≥ 10× Portkey\'s with none; added latency at c=1 p50 ≤ 0.3 ms and',
    'p99 ≤ 1 ms; added time to first token at c=1 ≤ 0.5 ms; RSS ≤ 100 MB under load; guard cost of a 60 KB OpenClaw turn ≤ 5 ms',
    '(first turn) and ≤ 0.3 ms (same conversation plus one new message).',
    '',
    GEN_START,
    '## Latest `npm run bench`',
    '',
    renderMachine(r),
    '',
    renderMarkdown(r),
    GEN_END,
    '',
    '## Method',
    '',
    METHOD,
    '',
    '## Notes and findings',
    '',
    notes,
    '',
    '## Peer comparison (`../shared/bench/run-baseline.sh` with `SCENARIOS=direct,portkey,ours`)',
    '',
    peer,
    '',
    ...(pipeline ? ['## Input pipeline throughput and @openai/guardrails PII (`npm run bench`, or `npm run bench:pipeline` alone)', '', pipeline, ''] : []),
  ].join('\n');
}

export function replaceSection(existingPath: string, name: string, body: string): string {
  const existing = readFileSync(existingPath, 'utf8');
  const old = section(existing, name);
  const fresh = `<!-- ${name}:start -->\n${body.trim()}\n<!-- ${name}:end -->`;
  if (!old) throw new Error(`${existingPath} has no ${name} section markers`);
  return existing.replace(old, fresh);
}

const METHOD = `- **Layout (2 vCPUs).** ClawGuard (\`node dist/cli/main.js serve\`, config written by \`clawguard init\`) runs under
  \`taskset -c 0\`: the gateway and its GC/libuv threads own cpu 0. The fake upstream (\`src/bench/fake-upstream.ts\`, the same bytes as
  \`../shared/bench/fake-upstream.js\`: 430 B JSON, or SSE of 1 role chunk + 20 content chunks + stop + \`[DONE]\`), the load
  generator, the probe client and the bench driver share cpu 1. So "direct" req/s is bounded by the load generator and the
  upstream sharing one core: it is a floor on the fake's capacity, not a gateway figure.
- **Load.** \`wrk -t1 -cN\` (closed loop) with a Lua script that POSTs a fixed body with \`Authorization: Bearer <client key>\`
  (when wrk is missing, a Node/undici closed-loop generator with the same duration). Each cell: a discarded warm-up run, then the
  measured run. wrk's latency is the time to the complete response (for SSE, the last chunk).
- **Modes.** \`nonstream\` and \`stream\`: the peer harness's 705 B request (system + ~560-char user message, no PII);
  \`openclaw\`: the real 66 KB OpenClaw turn-3 request (\`stream: true\`, 9 messages, 12 tools, ~48 KB system prompt), re-sent
  byte-identical, so ClawGuard's scan cache is warm after the first request (what an agent re-sending its history sees).
- **Gateway CPU.** \`utime+stime\` from \`/proc/<pid>/stat\` before and after each measured run: % of one core and µs of CPU per
  request. **RSS**: \`VmRSS\` from \`/proc/<pid>/status\` sampled every 250 ms during each cell (max), plus \`VmHWM\` at the end.
- **Other CPU %.** Host user+nice+system ticks minus the gateway, the upstream and the bench process with its children (wrk):
  anything above a few % is a neighbour competing for the cores, and the cell is noisy.
- **First byte / first token.** Sequential keep-alive requests (c=1) from a \`node:http\` client on cpu 1, after 20 discarded:
  TTFB = first body byte, TTFT = first chunk that carries a non-empty \`content\` delta. The fake upstream writes its 22 SSE events
  back-to-back, so that TTFT includes the gateway's whole-stream processing. A second fake upstream spaces its chunks
  \`BENCH_SPACED_MS\` (10) ms apart, as a real model does; ClawGuard routes the model \`spaced-*\` to it (one extra upstream and
  route added to the \`init\` config). The "chunks 10 ms apart" probe shows what holding streamed text back costs in time.
- **Stream integrity.** A short c=32 streaming run through ClawGuard in which every body is checked for the exact 20-token text and \`[DONE]\`:
  wrk only sees HTTP framing.
- **Guard cost.** \`src/bench/guard-cost.ts\`, pinned to the gateway core with nothing else of ours running. The GuardEngine is
  built as \`src/gateway/server.ts\` builds it: \`createGuards\` over \`builtinGuards()\` and the \`init\` config parsed by
  \`parseConfigText\`, the policy rules followed by the default rules, each guard's \`ready()\`, and a warm-up pass. It times
  \`engine.inspect(segments)\` on \`openAiChatAdapter.requestSegments(openai-turn3.json)\`:
  - first turn: an empty scan cache per iteration, and every text made unique by a per-iteration marker so nothing keyed by
    text can answer. The same is measured per guard alone, to show where the cost is.
  - first request after start: new guard instances, after \`ready()\` and warm-up.
  - warm: an engine that has seen the conversation, each iteration adding a different new user message.
  - the rest of the per-request input work on that body (parse, schema, segments).
- **Knobs** (env): \`BENCH_DURATION\` (5 s), \`BENCH_WARMUP\` (1 s), \`BENCH_PREWARM\` (3 s), \`BENCH_CONNS\` (1,32), \`BENCH_MODES\`
  (nonstream,stream,openclaw), \`BENCH_PROBE_N\` (200), \`BENCH_SPACED_MS\` (10; 0 skips the spaced probe), \`BENCH_SPACED_N\` (30), \`BENCH_INTEGRITY_S\` (2), \`BENCH_GUARD_SECONDS\` (2 per case), \`BENCH_GW_CPU\` (0),
  \`BENCH_LOAD_CPU\` (1), \`BENCH_NOISY_PCT\` (25) and \`BENCH_RETRIES\` (2): a cell during which
  neighbours used more CPU than that is re-run and the quietest run kept, \`BENCH_LOADGEN=undici\`, \`BENCH_CHUNK_DELAY_MS\` (0: gap between the fake upstream's SSE chunks, for spaced streams), \`BENCH_PORTKEY\` (auto: include Portkey when the peer harness has installed it
  under \`BENCH_PORTKEY_DIR\`, default \`~/.cache/clawguard-peer-bench\`; 0 = never), \`BENCH_OUT\` (docs/benchmarks.md; \`-\` = do not write),
  \`BENCH_JSON\` (also write the raw result), \`BENCH_FLOOR\` (0 = skip the node-floor target), \`BENCH_PIPELINE\` (0 = skip the
  in-process input-pipeline comparison with @openai/guardrails, issue 4) and \`BENCH_PIPELINE_S\` (2 CPU seconds per pipeline row). \`node dist/bench/run.js --import-peer FILE\` puts a peer-harness summary into the last section;
  \`--report FILE\` re-renders a saved \`BENCH_JSON\` result.
- **Caveat.** This is a shared VM: neighbours and host contention move figures by 10–20 % between runs; compare targets only
  within one run, and read the "other CPU %" column before trusting a cell.`;
