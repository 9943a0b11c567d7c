/**
 * `npm run load`: many concurrent streaming connections through one ClawGuard process with its default
 * guards (`clawguard init`), on loopback, bounded in time. Two modes:
 *
 *   npm run load                         1,000 concurrent streams for 60 s (+100 readers that never read)
 *   npm run load -- --soak 10m           a steady rate (--rps, 20 streams/s) for 10 minutes: RSS and heap
 *                                        sampled every 5 s, linear trend and whether it exceeds the noise
 *
 * Options: --duration 60s, --conns 1000, --slow 100, --chunks 20, --chunk-delay 25, --big-chunks 3000, --big-pad 4000,
 * --rps 20, --sample 5s, --gateway-node-options '' (NODE_OPTIONS of the gateway only, e.g. '--max-semi-space-size=4'),
 * --out docs/load.md (its `<!-- load -->` / `<!-- soak -->` section is replaced;
 * --out - prints only). Environment variables of the same names in upper case (CONNS, DURATION…) work too.
 * GATEWAY_NODE_ARGS: node flags for the gateway that NODE_OPTIONS refuses (`--cpu-prof --cpu-prof-dir=DIR`).
 *
 * Reported: errors (goal 0), latency and the latency ClawGuard added (against the same stream fetched
 * straight from the upstream), time to first byte, gateway RSS (goal ≤ 300 MiB, read from /proc), V8
 * heap and event-loop delay (the gateway's own `/metrics`: prom-client's monitorEventLoopDelay
 * histogram, reset at each scrape), a /healthz probe every 100 ms, and how much of a 12 MB answer the
 * upstream could push into a stream whose client never reads (backpressure bounds it: what it pushed
 * sits in the kernel's socket buffers, ~8 MB on loopback, not in the gateway).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import { memMiB, percentile } from '../bench/proc.js';

/** `90`, `90s`, `1500ms`, `10m`, `1h` → milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new Error(`not a duration: "${text}" (e.g. 60s, 10m)`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
}

/** Least-squares line through (x, y): slope, intercept and the standard deviation of the residuals. */
export function linearFit(xs: readonly number[], ys: readonly number[]): { slope: number; intercept: number; residualSd: number } {
  const n = xs.length;
  if (n < 2) return { slope: 0, intercept: ys[0] ?? NaN, residualSd: 0 };
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  const slope = sxx === 0 ? 0 : sxy / sxx;
  const intercept = my - slope * mx;
  const residualSd = Math.sqrt(ys.reduce((a, y, i) => a + (y - (intercept + slope * xs[i]!)) ** 2, 0) / Math.max(1, n - 2));
  return { slope, intercept, residualSd };
}

/**
 * Growth beyond noise: the rise the fitted line predicts over the window exceeds three residual standard
 * deviations and 2 % of the mean. A sawtooth (GC) has a large residual; a leak has a steady slope.
 */
export function trendVerdict(xs: readonly number[], ys: readonly number[]): { slopePerMin: number; rise: number; noise: number; growing: boolean } {
  const fit = linearFit(xs, ys);
  const window = (xs[xs.length - 1] ?? 0) - (xs[0] ?? 0);
  const rise = fit.slope * window;
  const mean = ys.reduce((a, b) => a + b, 0) / Math.max(1, ys.length);
  return { slopePerMin: fit.slope, rise, noise: fit.residualSd, growing: rise > 3 * fit.residualSd && rise > 0.02 * mean };
}

function args(argv: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) continue;
    const eq = a.indexOf('=');
    if (eq > 0) out.set(a.slice(2, eq), a.slice(eq + 1));
    else out.set(a.slice(2), argv[i + 1] && !argv[i + 1]!.startsWith('--') ? argv[++i]! : 'true');
  }
  return out;
}

const ROOT = resolve(new URL('../..', import.meta.url).pathname);
const CLI = join(ROOT, 'dist/cli/main.js');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const pct = (values: readonly number[], p: number): number => (values.length ? percentile([...values].sort((a, b) => a - b), p) : NaN);
const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
const f1 = (n: number): string => (Number.isFinite(n) ? n.toFixed(1) : 'n/a');

async function waitFor(url: string, ms = 180_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not up yet */
    }
    await sleep(100);
  }
  throw new Error(`${url} did not come up`);
}

function start(cmd: string[], extraEnv: Record<string, string | undefined>): ChildProcess {
  return spawn(process.execPath, cmd, { env: { ...process.env, ...extraEnv }, stdio: ['ignore', 'ignore', 'inherit'] });
}

/** One scrape of the gateway's /metrics: event-loop delay since the last scrape, heap, RSS. */
interface Scrape {
  loopP99Ms: number;
  loopMaxMs: number;
  heapMiB: number;
}
async function scrape(adminUrl: string): Promise<Scrape | undefined> {
  try {
    const text = await (await fetch(`${adminUrl}/metrics`)).text();
    const value = (name: string): number => {
      const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.eE+-]+)$`, 'm').exec(text);
      return m ? Number(m[1]) : NaN;
    };
    return {
      loopP99Ms: value('clawguard_nodejs_eventloop_lag_p99_seconds') * 1000,
      loopMaxMs: value('clawguard_nodejs_eventloop_lag_max_seconds') * 1000,
      heapMiB: value('clawguard_nodejs_heap_size_used_bytes') / 2 ** 20,
    };
  } catch {
    return undefined;
  }
}

interface Run {
  ok: number;
  errors: number;
  errorKinds: Map<string, number>;
  latencies: number[];
  firstBytes: number[];
}
const newRun = (): Run => ({ ok: 0, errors: 0, errorKinds: new Map(), latencies: [], firstBytes: [] });
function fail(run: Run, kind: string): void {
  run.errors++;
  run.errorKinds.set(kind, (run.errorKinds.get(kind) ?? 0) + 1);
}

async function streamOnce(agent: Agent, url: string, key: string | undefined, body: string, run: Run): Promise<void> {
  const started = performance.now();
  try {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (key) headers.authorization = `Bearer ${key}`;
    const res = await request(url, { method: 'POST', dispatcher: agent, headers, body });
    let first: number | undefined;
    let text = '';
    for await (const chunk of res.body) {
      first ??= performance.now() - started;
      text += chunk.toString();
    }
    if (res.statusCode !== 200) return fail(run, `status ${res.statusCode}`);
    if (!text.trimEnd().endsWith('data: [DONE]')) return fail(run, 'stream cut short');
    run.ok++;
    run.latencies.push(performance.now() - started);
    run.firstBytes.push(first ?? NaN);
  } catch (error) {
    fail(run, error instanceof Error ? (error as { code?: string }).code ?? error.message : String(error));
  }
}

/** A client that sends its request and then never reads a byte of the answer. */
function neverReader(port: number, key: string, body: string): net.Socket {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  socket.write(`POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${key}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  socket.pause();
  return socket;
}

/** Replaces `<!-- NAME -->…<!-- /NAME -->` in the file (appends the section when absent). */
function writeSection(file: string, name: string, text: string): void {
  const open = `<!-- ${name} -->`;
  const close = `<!-- /${name} -->`;
  const doc = existsSync(file) ? readFileSync(file, 'utf8') : '# Load\n';
  const block = `${open}\n${text}\n${close}`;
  const a = doc.indexOf(open);
  const b = doc.indexOf(close);
  writeFileSync(file, a >= 0 && b > a ? doc.slice(0, a) + block + doc.slice(b + close.length) : `${doc.trimEnd()}\n\n${block}\n`);
}

const table = (rows: readonly (readonly [string, string])[]): string => ['| measure | value |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join('\n');

async function main(): Promise<void> {
  const a = args(process.argv.slice(2));
  const opt = (name: string, fallback: string): string => a.get(name) ?? process.env[name.toUpperCase().replaceAll('-', '_')] ?? fallback;
  const soakMs = a.has('soak') || process.env.SOAK ? parseDuration(opt('soak', '10m')) : 0;
  const durationMs = parseDuration(opt('duration', '60s'));
  const conns = Number(opt('conns', '1000'));
  const slowN = Number(opt('slow', soakMs ? '0' : '50'));
  const chunks = Number(opt('chunks', '20'));
  const chunkDelay = Number(opt('chunk-delay', '25'));
  const bigChunks = Number(opt('big-chunks', '3000'));
  const bigPad = Number(opt('big-pad', '4000'));
  const rps = Number(opt('rps', '20'));
  const sampleMs = parseDuration(opt('sample', '5s'));
  const out = opt('out', 'docs/load.md');

  const dir = mkdtempSync(join(tmpdir(), 'clawguard-load-'));
  const upPort = 19300 + Math.floor(Math.random() * 500);
  const gwPort = upPort + 1000;
  const upstream = start([join(ROOT, 'dist/load/upstream.js')], { PORT: String(upPort), CHUNKS: String(chunks), CHUNK_DELAY_MS: String(chunkDelay), BIG_CHUNKS: String(bigChunks), BIG_PAD: String(bigPad) });
  const initRun = spawnSync(process.execPath, [CLI, 'init', '--dir', dir, '--port', String(gwPort), '--admin-port', String(gwPort + 1), '--upstream', `openai=http://127.0.0.1:${upPort}/v1`, '--upstream-key', 'env:LOAD_UPSTREAM_KEY', '--json'], { encoding: 'utf8' });
  if (initRun.status !== 0) throw new Error(`clawguard init failed: ${initRun.stderr}`);
  const init = JSON.parse(initRun.stdout) as { config: string; clientKey: string; proxyUrl: string; adminUrl: string };
  writeFileSync(init.config, readFileSync(init.config, 'utf8').replace('level: info', 'level: warn'));
  // The shipped entry points (npm start, the Docker image) give node no semi-space flag: the gateway caps
  // its young generation itself (src/gateway/heap-tuning.ts). `--gateway-node-options` adds flags.
  const gatewayNodeOptions = opt('gateway-node-options', '');
  // Profiling hook: flags NODE_OPTIONS refuses (e.g. --cpu-prof, --heap-prof), split on spaces.
  const gatewayNodeArgs = (process.env.GATEWAY_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const gateway = start([...gatewayNodeArgs, CLI, 'serve', '--config', init.config], { LOAD_UPSTREAM_KEY: 'sk-load', ...(gatewayNodeOptions ? { NODE_OPTIONS: gatewayNodeOptions } : {}) });
  const stop = (): void => {
    gateway.kill('SIGTERM');
    upstream.kill('SIGTERM');
    // The throw-away config folder (keys, SQLite stores, audit spool).
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', stop);
  await waitFor(`http://127.0.0.1:${upPort}/health`);
  await waitFor(`${init.proxyUrl}/healthz`);
  const load0 = loadavg();
  const body = JSON.stringify({ model: 'gpt-load', stream: true, messages: [{ role: 'user', content: 'Tell me about the quick brown fox.' }] });
  const url = `${init.proxyUrl}/v1/chat/completions`;
  // Patient like the SDKs (the openai client waits up to 10 min): a slow accept or first byte is latency, not an error.
  const agent = new Agent({ connections: conns + 8, pipelining: 1, connect: { timeout: 60_000 }, headersTimeout: 120_000, bodyTimeout: 120_000 });

  // The same stream straight from the upstream: what ClawGuard adds is measured against this.
  const direct = newRun();
  for (let i = 0; i < 20; i++) await streamOnce(agent, `http://127.0.0.1:${upPort}/v1/chat/completions`, undefined, body, direct);
  const baseline = pct(direct.latencies, 50);
  await scrape(init.adminUrl); // resets the event-loop histogram
  const rssIdle = memMiB(gateway.pid)?.rss ?? NaN;

  if (soakMs > 0) {
    process.stderr.write(`soak: ${rps} streams/s for ${soakMs / 1000} s, sampling every ${sampleMs / 1000} s\n`);
    const run = newRun();
    const samples: { t: number; rss: number; heap: number; loopP99: number }[] = [];
    const t0 = Date.now();
    const sampler = setInterval(() => {
      const t = (Date.now() - t0) / 60_000;
      const rss = memMiB(gateway.pid)?.rss ?? NaN;
      void scrape(init.adminUrl).then((s) => samples.push({ t, rss, heap: s?.heapMiB ?? NaN, loopP99: s?.loopP99Ms ?? NaN }));
    }, sampleMs);
    const inflight = new Set<Promise<void>>();
    for (let i = 0; ; i++) {
      const due = t0 + (i * 1000) / rps;
      if (due >= t0 + soakMs) break;
      if (due > Date.now()) await sleep(due - Date.now());
      const p: Promise<void> = streamOnce(agent, url, init.clientKey, body, run).finally(() => inflight.delete(p));
      inflight.add(p);
    }
    await Promise.all(inflight);
    clearInterval(sampler);
    await sleep(200);
    const load1 = loadavg();
    stop();
    await agent.destroy();
    // Warm-up (JIT, caches, pools filling) is the first minute or the first 10 %, whichever is shorter.
    const warm = Math.min(1, soakMs / 60_000 / 10);
    const steady = samples.filter((s) => s.t >= warm && Number.isFinite(s.rss) && Number.isFinite(s.heap));
    const rssTrend = trendVerdict(steady.map((s) => s.t), steady.map((s) => s.rss));
    const heapTrend = trendVerdict(steady.map((s) => s.t), steady.map((s) => s.heap));
    const q = Math.max(1, Math.floor(steady.length / 4));
    const rows: [string, string][] = [
      ['rate / duration', `${rps} streams/s for ${soakMs / 60_000} min (${chunks} chunks × ${chunkDelay} ms each)`],
      ['streams completed / errors', `${run.ok} / ${run.errors}${run.errors ? ` (${[...run.errorKinds].map(([k, n]) => `${k}: ${n}`).join(', ')})` : ''}`],
      ['added latency p50 / p99', `${f1(pct(run.latencies, 50) - baseline)} / ${f1(pct(run.latencies, 99) - baseline)} ms`],
      ['samples (every ' + sampleMs / 1000 + ' s, after ' + warm + ' min warm-up)', String(steady.length)],
      ['RSS idle / first quarter mean / last quarter mean / max', `${f1(rssIdle)} / ${f1(mean(steady.slice(0, q).map((s) => s.rss)))} / ${f1(mean(steady.slice(-q).map((s) => s.rss)))} / ${f1(Math.max(...steady.map((s) => s.rss)))} MiB`],
      ['RSS trend (least squares)', `${rssTrend.slopePerMin.toFixed(2)} MiB/min; fitted rise ${f1(rssTrend.rise)} MiB vs noise (residual sd) ${f1(rssTrend.noise)} MiB → ${rssTrend.growing ? '**growth beyond noise**' : 'no growth beyond noise'}`],
      ['V8 heap used first quarter mean / last quarter mean', `${f1(mean(steady.slice(0, q).map((s) => s.heap)))} / ${f1(mean(steady.slice(-q).map((s) => s.heap)))} MiB`],
      ['heap trend (least squares)', `${heapTrend.slopePerMin.toFixed(2)} MiB/min; fitted rise ${f1(heapTrend.rise)} MiB vs noise ${f1(heapTrend.noise)} MiB → ${heapTrend.growing ? '**growth beyond noise**' : 'no growth beyond noise'}`],
      ['event-loop delay p99 (per 5 s window) median / max', `${f1(pct(steady.map((s) => s.loopP99), 50))} / ${f1(Math.max(...steady.map((s) => s.loopP99)))} ms`],
      ['host load average (1 min) at start / end', `${load0[0]!.toFixed(2)} / ${load1[0]!.toFixed(2)} on ${cpus().length} cores`],
    ];
    const series = steady.filter((_, i) => i % Math.max(1, Math.floor(steady.length / 12)) === 0).map((s) => `${s.t.toFixed(1)} min: ${s.rss.toFixed(0)} / ${s.heap.toFixed(0)}`).join(' · ');
    const text = `### Soak (${new Date().toISOString()})\n\n${table(rows)}\n\nRSS / heap MiB over time: ${series}\n`;
    process.stdout.write(`${text}\n`);
    if (out !== '-') writeSection(resolve(ROOT, out), 'soak', text);
    process.exit(run.errors > 0 || rssTrend.growing || heapTrend.growing ? 1 : 0);
  }

  // Readers that never read, asking for a 12 MB answer (more than loopback's socket buffers hold): backpressure must keep them from growing memory.
  const bigBody = JSON.stringify({ model: 'gpt-load-big', stream: true, messages: [{ role: 'user', content: 'Tell me a long story.' }] });
  const slow = Array.from({ length: slowN }, () => neverReader(gwPort, init.clientKey, bigBody));
  await sleep(3000);
  const rssSlow = memMiB(gateway.pid)?.rss ?? NaN;

  const rss: number[] = [];
  const heap: number[] = [];
  const loopP99: number[] = [];
  const loopMax: number[] = [];
  const probes: number[] = [];
  const sampler = setInterval(() => rss.push(memMiB(gateway.pid)?.rss ?? NaN), 1000);
  const scraper = setInterval(() => {
    void scrape(init.adminUrl).then((s) => {
      if (!s) return;
      heap.push(s.heapMiB);
      loopP99.push(s.loopP99Ms);
      loopMax.push(s.loopMaxMs);
    });
  }, sampleMs);
  const prober = setInterval(() => {
    const t = performance.now();
    fetch(`${init.proxyUrl}/healthz`).then(
      () => probes.push(performance.now() - t),
      () => probes.push(NaN),
    );
  }, 100);

  const run = newRun();
  const deadline = Date.now() + durationMs;
  process.stderr.write(`load: ${conns} concurrent streams for ${durationMs / 1000} s (+${slowN} readers that never read)\n`);
  await Promise.all(
    Array.from({ length: conns }, async () => {
      while (Date.now() < deadline) await streamOnce(agent, url, init.clientKey, body, run);
    }),
  );
  clearInterval(prober);
  clearInterval(sampler);
  clearInterval(scraper);
  const stats = (await (await fetch(`http://127.0.0.1:${upPort}/stats`)).json()) as { big: number[]; bigBytes: number };
  const rssEnd = memMiB(gateway.pid)?.rss ?? NaN;
  const load1 = loadavg();
  for (const s of slow) s.destroy();
  await sleep(2000);
  const rssAfter = memMiB(gateway.pid)?.rss ?? NaN;
  stop();
  await agent.destroy();

  const rssMax = Math.max(...rss.filter(Number.isFinite));
  const rows: [string, string][] = [
    ['concurrent streams', String(conns)],
    ...(gatewayNodeOptions ? ([['gateway NODE_OPTIONS', `\`${gatewayNodeOptions}\``]] as [string, string][]) : []),
    ['readers that never read (answer of ' + (bigChunks * (bigPad + 200) / 2 ** 20).toFixed(0) + ' MB each)', String(slowN)],
    ['duration', `${durationMs / 1000} s`],
    ['streams completed', String(run.ok)],
    ['errors', `${run.errors}${run.errors ? ` (${[...run.errorKinds].map(([k, n]) => `${k}: ${n}`).join(', ')})` : ''}`],
    ['stream at the upstream', `${chunks} chunks × ${chunkDelay} ms; fetched directly: p50 ${f1(baseline)} ms`],
    ['latency p50 / p99', `${f1(pct(run.latencies, 50))} / ${f1(pct(run.latencies, 99))} ms`],
    ['added latency p50 / p99', `${f1(pct(run.latencies, 50) - baseline)} / ${f1(pct(run.latencies, 99) - baseline)} ms`],
    ['time to first byte p50 / p99', `${f1(pct(run.firstBytes, 50))} / ${f1(pct(run.firstBytes, 99))} ms`],
    ['gateway RSS idle / with never-readers / max under load / end / after never-readers closed', `${f1(rssIdle)} / ${f1(rssSlow)} / ${f1(rssMax)} / ${f1(rssEnd)} / ${f1(rssAfter)} MiB`],
    ['RSS goal ≤ 300 MiB', rssMax <= 300 ? 'met' : '**missed**'],
    ['V8 heap used max', `${f1(Math.max(...heap.filter(Number.isFinite)))} MiB`],
    ['event-loop delay p99 per 5 s window: median / max; max single delay', `${f1(pct(loopP99, 50))} / ${f1(Math.max(...loopP99))} ms; ${f1(Math.max(...loopMax))} ms`],
    ['/healthz probe p50 / p99 (failed probes)', `${f1(pct(probes.filter(Number.isFinite), 50))} / ${f1(pct(probes.filter(Number.isFinite), 99))} ms (${probes.filter((p) => !Number.isFinite(p)).length} of ${probes.length})`],
    ['never-read streams: bytes the upstream could push (max of one / full answer)', `${f1(Math.max(0, ...stats.big) / 2 ** 20)} / ${f1(stats.bigBytes / 2 ** 20)} MiB`],
    ['host load average (1 min) at start / end', `${load0[0]!.toFixed(2)} / ${load1[0]!.toFixed(2)} on ${cpus().length} cores`],
  ];
  const text = `### Load (${new Date().toISOString()})\n\n${table(rows)}\n`;
  process.stdout.write(`${text}\n`);
  if (out !== '-') writeSection(resolve(ROOT, out), 'load', text);
  process.exit(run.errors > 0 ? 1 : 0);
}

if (process.argv[1] && import.meta.url === new URL(`file://${resolve(process.argv[1])}`).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`load: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
