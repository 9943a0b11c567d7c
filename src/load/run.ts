/**
 * `npm run load`: many concurrent streaming connections through one ClawGuard process, on loopback,
 * bounded in time. Reports errors, added latency, time to first byte, the gateway's RSS, and how
 * responsive its event loop stayed (latency of a /healthz probe every 100 ms while under load).
 *
 * Env: CONNS (1000), DURATION (60 s), CHUNKS (20), CHUNK_DELAY_MS (25), SLOW_READERS (100: streams
 * opened and never read, to show they cannot exhaust memory), SOAK (0; seconds of steady load at
 * SOAK_RPS (200) for the memory-growth check), OUT (docs/load.md).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import { memMiB, percentile } from '../bench/proc.js';

const env = (name: string, fallback: number): number => (process.env[name] ? Number(process.env[name]) : fallback);
const CONNS = env('CONNS', 1000);
const DURATION_S = env('DURATION', 60);
const CHUNKS = env('CHUNKS', 20);
const CHUNK_DELAY_MS = env('CHUNK_DELAY_MS', 25);
const SLOW_READERS = env('SLOW_READERS', 100);
const SOAK_S = env('SOAK', 0);
const SOAK_RPS = env('SOAK_RPS', 200);
const OUT = process.env.OUT ?? 'docs/load.md';
const ROOT = resolve(new URL('../..', import.meta.url).pathname);
const CLI = join(ROOT, 'dist/cli/main.js');

const rssMiB = (pid: number): number => memMiB(pid)?.rss ?? NaN;
/** Percentile of unsorted samples (the shared helper takes them sorted). */
const pct = (values: readonly number[], p: number): number => percentile([...values].sort((a, b) => a - b), p);

async function waitFor(url: string, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up`);
}

function start(cmd: string[], extraEnv: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, cmd, { env: { ...process.env, ...extraEnv }, stdio: ['ignore', 'ignore', 'inherit'] });
  child.unref();
  return child;
}

interface Run {
  ok: number;
  errors: number;
  latencies: number[];
  firstBytes: number[];
}

async function streamOnce(agent: Agent, url: string, key: string, body: string, run: Run): Promise<void> {
  const started = performance.now();
  try {
    const res = await request(url, { method: 'POST', dispatcher: agent, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body });
    let first: number | undefined;
    let text = '';
    for await (const chunk of res.body) {
      first ??= performance.now() - started;
      text += chunk.toString();
    }
    if (res.statusCode !== 200 || !text.includes('[DONE]')) {
      run.errors++;
      return;
    }
    run.ok++;
    run.latencies.push(performance.now() - started);
    run.firstBytes.push(first ?? NaN);
  } catch {
    run.errors++;
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'clawguard-load-'));
  const upPort = 19300 + Math.floor(Math.random() * 500);
  const gwPort = upPort + 1000;
  const upstream = start([join(ROOT, 'dist/bench/fake-upstream.js')], { PORT: String(upPort), CHUNKS: String(CHUNKS), CHUNK_DELAY_MS: String(CHUNK_DELAY_MS) });
  const init = JSON.parse(
    spawnSync(process.execPath, [CLI, 'init', '--dir', dir, '--port', String(gwPort), '--admin-port', String(gwPort + 1), '--upstream', `openai=http://127.0.0.1:${upPort}/v1`, '--upstream-key', 'env:LOAD_UPSTREAM_KEY', '--json'], { encoding: 'utf8' })
      .stdout,
  );
  writeFileSync(init.config, readFileSync(init.config, 'utf8').replace('level: info', 'level: warn'));
  const gateway = start([CLI, 'serve', '--config', init.config], { LOAD_UPSTREAM_KEY: 'sk-load' });
  const stop = (): void => {
    gateway.kill('SIGTERM');
    upstream.kill('SIGTERM');
  };
  process.on('exit', stop);
  await waitFor(`http://127.0.0.1:${upPort}/health`);
  await waitFor(`${init.proxyUrl}/healthz`);
  const body = JSON.stringify({ model: 'gpt-load', stream: true, messages: [{ role: 'user', content: 'Tell me about the quick brown fox.' }] });
  const url = `${init.proxyUrl}/v1/chat/completions`;
  const agent = new Agent({ connections: CONNS + SLOW_READERS + 8, pipelining: 1, headersTimeout: 60_000, bodyTimeout: 60_000 });

  // Slow readers: streams opened and never read. Backpressure must keep them from growing memory.
  const slow: Promise<unknown>[] = [];
  for (let i = 0; i < SLOW_READERS; i++) {
    slow.push(
      request(url, { method: 'POST', dispatcher: agent, headers: { authorization: `Bearer ${init.clientKey}`, 'content-type': 'application/json' }, body })
        .then((res) => res.body.pause())
        .catch(() => undefined),
    );
  }

  const rss: number[] = [];
  const probes: number[] = [];
  const sampler = setInterval(() => rss.push(rssMiB(gateway.pid!)), 1000);
  const prober = setInterval(() => {
    const t = performance.now();
    fetch(`${init.proxyUrl}/healthz`).then(
      () => probes.push(performance.now() - t),
      () => probes.push(NaN),
    );
  }, 100);

  const run: Run = { ok: 0, errors: 0, latencies: [], firstBytes: [] };
  const deadline = Date.now() + DURATION_S * 1000;
  process.stderr.write(`load: ${CONNS} concurrent streams for ${DURATION_S} s (+${SLOW_READERS} slow readers)\n`);
  await Promise.all(
    Array.from({ length: CONNS }, async () => {
      while (Date.now() < deadline) await streamOnce(agent, url, init.clientKey, body, run);
    }),
  );
  clearInterval(prober);

  let soak: { start: number; end: number; max: number } | undefined;
  if (SOAK_S > 0) {
    process.stderr.write(`soak: ${SOAK_RPS} req/s for ${SOAK_S} s\n`);
    const soakRun: Run = { ok: 0, errors: 0, latencies: [], firstBytes: [] };
    const soakRss: number[] = [];
    const soakSampler = setInterval(() => soakRss.push(rssMiB(gateway.pid!)), 5000);
    const end = Date.now() + SOAK_S * 1000;
    const inflight = new Set<Promise<void>>();
    while (Date.now() < end) {
      const p = streamOnce(agent, url, init.clientKey, body, soakRun).finally(() => inflight.delete(p));
      inflight.add(p);
      await new Promise((r) => setTimeout(r, 1000 / SOAK_RPS));
    }
    await Promise.all(inflight);
    clearInterval(soakSampler);
    const tail = soakRss.slice(Math.floor(soakRss.length / 2));
    soak = { start: soakRss[1] ?? soakRss[0] ?? NaN, end: tail.reduce((a, b) => a + b, 0) / Math.max(1, tail.length), max: Math.max(...soakRss) };
  }
  clearInterval(sampler);
  stop();
  await agent.destroy();
  await Promise.allSettled(slow);

  const streamMs = CHUNKS * CHUNK_DELAY_MS;
  const rows: [string, string][] = [
    ['concurrent streams', String(CONNS)],
    ['slow readers (never read)', String(SLOW_READERS)],
    ['duration', `${DURATION_S} s`],
    ['streams completed', String(run.ok)],
    ['errors', String(run.errors)],
    ['stream length at the upstream', `${CHUNKS} chunks × ${CHUNK_DELAY_MS} ms = ${streamMs} ms`],
    ['latency p50 / p99', `${pct(run.latencies, 50).toFixed(1)} / ${pct(run.latencies, 99).toFixed(1)} ms`],
    ['added latency p50 / p99', `${(pct(run.latencies, 50) - streamMs).toFixed(1)} / ${(pct(run.latencies, 99) - streamMs).toFixed(1)} ms`],
    ['time to first byte p50 / p99', `${pct(run.firstBytes, 50).toFixed(1)} / ${pct(run.firstBytes, 99).toFixed(1)} ms`],
    ['gateway RSS max', `${Math.max(...rss.filter(Number.isFinite)).toFixed(0)} MiB`],
    ['event-loop responsiveness (/healthz probe) p50 / p99', `${pct(probes, 50).toFixed(1)} / ${pct(probes, 99).toFixed(1)} ms`],
  ];
  if (soak) rows.push(['soak RSS: after warm-up / second-half mean / max', `${soak.start.toFixed(0)} / ${soak.end.toFixed(0)} / ${soak.max.toFixed(0)} MiB`]);
  const table = ['| measure | value |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join('\n');
  process.stdout.write(`${table}\n`);
  const doc = `# Load\n\nProduced by \`npm run load\` (src/load/run.ts) on ${new Date().toISOString()}: one ClawGuard process with its\ndefault config (\`clawguard init\`), a fake streaming upstream, and the load generator, all on 127.0.0.1 of\nthis 2-core machine (they share the cores; other work on the machine shows in the figures).\n\n${table}\n`;
  writeFileSync(resolve(ROOT, OUT), doc);
  process.exit(run.errors > 0 ? 1 : 0);
}

main().catch((error: unknown) => {
  process.stderr.write(`load: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
