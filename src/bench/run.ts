/**
 * `npm run bench`: direct-to-upstream vs through ClawGuard (default guards) [vs Portkey when the peer
 * harness has installed it], c=1 and c=32, stream and non-stream, plus a real 66 KB OpenClaw request;
 * then the in-process guard cost of that request. Prints Markdown and writes docs/benchmarks.md.
 *
 * Layout: ClawGuard (and Portkey) pinned to BENCH_GW_CPU (0); the fake upstream, wrk, the probe and
 * this driver pinned to BENCH_LOAD_CPU (1). Only 127.0.0.1 is contacted. Every process started here
 * is stopped by its PID. Knobs: see METHOD in report.ts.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import type { GuardCostResult } from './guard-cost.js';
import { fixturePath } from './guard-cost.js';
import { measurePipeline, type PipelineResult } from './pipeline.js';
import { createLoadGenerator, type LoadGenerator, type Target } from './load.js';
import { allowedCpus, CLK_TCK, cpuTicks, hostBusyTicks, hostTicks, memMiB, selfTicks } from './proc.js';
import { parseOpenAiStream, probe, request, streamIntegrity } from './probe.js';
import { type BenchResult, type Cell, checkPipelineTargets, checkTargets, FLOOR, type IntegrityRow, type ProbeRow, renderDoc, renderMachine, renderMarkdown, replaceSection } from './report.js';
import { fakeJsonContent, fakeStreamContent } from './fake-upstream.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const CLI = join(ROOT, 'dist/cli/main.js');
const env = process.env;
function num(name: string, def: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number of 0 or more, got '${raw}'`);
  return value;
}

const DURATION = num('BENCH_DURATION', 5);
const WARMUP = num('BENCH_WARMUP', 1);
const PREWARM = num('BENCH_PREWARM', 3);
const CONNS = (env.BENCH_CONNS || '1,32').split(',').map(Number);
const MODES = (env.BENCH_MODES || 'nonstream,stream,openclaw').split(',');
const PROBE_N = num('BENCH_PROBE_N', 200);
/** Gap between SSE chunks of a second fake upstream, for the spaced-stream TTFT probe (0 = skip it). */
const SPACED_MS = num('BENCH_SPACED_MS', 10);
const SPACED_N = num('BENCH_SPACED_N', 30);
const INTEGRITY_S = num('BENCH_INTEGRITY_S', 2);
/** A cell during which neighbours used more than this much CPU (% of one core) is re-run, up to BENCH_RETRIES times; the quietest run is kept. */
const NOISY_PCT = num('BENCH_NOISY_PCT', 25);
const RETRIES = num('BENCH_RETRIES', 2);
const PIPELINE_S = num('BENCH_PIPELINE_S', 2);
const GW_CPU = env.BENCH_GW_CPU || '0';
const LOAD_CPU = env.BENCH_LOAD_CPU || '1';
const OUT = env.BENCH_OUT ?? join(ROOT, 'docs/benchmarks.md');
const PORTKEY_DIR = env.BENCH_PORTKEY_DIR || join(os.homedir(), '.cache/clawguard-peer-bench');
const PORTKEY_MODE = env.BENCH_PORTKEY || 'auto';
const HAS_TASKSET = spawnSync('taskset', ['--version']).status === 0 && os.cpus().length > 1;
const log = (...a: unknown[]): void => console.error('[bench]', ...a);

const children: ChildProcess[] = [];
function stopAll(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null && c.pid) c.kill('SIGTERM');
}
process.on('exit', stopAll);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    stopAll();
    process.exit(130);
  });
}

function pinned(cpu: string, cmd: string, args: string[]): [string, string[]] {
  return HAS_TASKSET ? ['taskset', ['-c', cpu, cmd, ...args]] : [cmd, args];
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => res(port));
    });
  });
}

async function waitUp(url: string, seconds: number, child: ChildProcess): Promise<void> {
  const end = Date.now() + seconds * 1000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${url}: the process exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((res) => {
      http.get(url, (r) => {
        r.resume();
        res(true);
      }).on('error', () => res(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`${url} did not come up in ${seconds} s`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

function startProcess(cpu: string, cmd: string, args: string[], logFile: string, extraEnv: Record<string, string> = {}): ChildProcess {
  const fd = openSync(logFile, 'a');
  const [c, a] = pinned(cpu, cmd, args);
  const child = spawn(c, a, { env: { ...env, ...extraEnv }, stdio: ['ignore', fd, fd], cwd: ROOT });
  closeSync(fd);
  children.push(child);
  return child;
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((res) => {
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(t);
      res();
    });
    child.kill('SIGTERM');
  });
}

/** CPU used by every process over a short window, from /proc/<pid>/stat deltas (ps's %CPU is a lifetime average). */
function procTicks(): Map<string, { name: string; ticks: number }> {
  const out = new Map<string, { name: string; ticks: number }>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const name = s.slice(s.indexOf('(') + 1, s.lastIndexOf(')'));
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      out.set(pid, { name, ticks: Number(f[11]) + Number(f[12]) });
    } catch {
      // gone
    }
  }
  return out;
}

async function backgroundCpu(seconds: number): Promise<{ pct: number; top: string }> {
  const a = hostTicks();
  const pa = procTicks();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const b = hostTicks();
  const pb = procTicks();
  const pct = ((b.busy - a.busy) / (b.total - a.total)) * 100 * os.cpus().length;
  const busy: { name: string; pct: number }[] = [];
  for (const [pid, v] of pb) {
    const before = pa.get(pid)?.ticks ?? v.ticks;
    const p = ((v.ticks - before) / CLK_TCK / seconds) * 100;
    if (p >= 5 && Number(pid) !== process.pid) busy.push({ name: v.name, pct: p });
  }
  const top = busy
    .sort((x, y) => y.pct - x.pct)
    .slice(0, 4)
    .map((x) => `${x.name} ${x.pct.toFixed(0)}%`)
    .join(', ');
  return { pct, top };
}

function bodies(): Record<string, string> {
  // The peer harness's request: a system prompt plus a ~560-char English user message with no PII.
  const USER_TEXT =
    'Please summarise the following note for the weekly team update. ' +
    'The migration of the reporting service to the new cluster finished on schedule, ' +
    'the dashboards were checked by two reviewers, and the old nodes will be drained next week. ' +
    'We still need to agree on the alert thresholds for the ingestion queue, decide who owns the ' +
    'runbook for failovers, and book a short retrospective once the traffic has settled. ' +
    'Keep the summary under five sentences and use a neutral tone suitable for a status page.';
  const small = (stream: boolean): string =>
    JSON.stringify({
      model: 'gpt-4o-mini',
      stream,
      max_tokens: 64,
      temperature: 0,
      messages: [
        { role: 'system', content: 'You are a concise assistant that writes short status summaries.' },
        { role: 'user', content: USER_TEXT },
      ],
    });
  return { nonstream: small(false), stream: small(true), openclaw: readFileSync(fixturePath(), 'utf8') };
}

async function sanity(t: Target, body: Record<string, string>): Promise<void> {
  const agent = new http.Agent({ keepAlive: false });
  try {
    const expected = fakeStreamContent(20);
    const ns = await request(agent, t, body.nonstream!);
    if (ns.status !== 200) throw new Error(`non-stream HTTP ${ns.status}: ${ns.body.slice(0, 300)}`);
    const content = (JSON.parse(ns.body) as { choices?: { message?: { content?: string } }[] }).choices?.[0]?.message?.content;
    if (content !== fakeJsonContent(20)) throw new Error(`non-stream content differs: ${String(content).slice(0, 100)}`);
    for (const mode of ['stream', 'openclaw']) {
      if (!body[mode]) continue;
      const st = await request(agent, t, body[mode]!);
      if (st.status !== 200) throw new Error(`${mode} HTTP ${st.status}: ${st.body.slice(0, 300)}`);
      const s = parseOpenAiStream(st.body);
      if (!s.done || s.text !== expected) throw new Error(`${mode}: stream incomplete or altered (${s.chunks} chunks, done=${s.done}, text "${s.text.slice(0, 80)}")`);
    }
  } finally {
    agent.destroy();
  }
}

async function cellRun(gen: LoadGenerator, t: Target, mode: string, body: string, conns: number, upstreamPid: number | undefined): Promise<Cell> {
  if (WARMUP > 0) await gen.run(t, body, conns, WARMUP);
  let rssMax = 0;
  const sampler = t.pid
    ? setInterval(() => {
        const m = memMiB(t.pid);
        if (m && m.rss > rssMax) rssMax = m.rss;
      }, 250)
    : undefined;
  const c0 = cpuTicks(t.pid);
  const u0 = cpuTicks(upstreamPid);
  const s0 = selfTicks();
  const h0 = hostBusyTicks();
  const w = await gen.run(t, body, conns, DURATION);
  const c1 = cpuTicks(t.pid);
  const u1 = cpuTicks(upstreamPid);
  const s1 = selfTicks();
  const h1 = hostBusyTicks();
  if (sampler) clearInterval(sampler);
  const m = memMiB(t.pid);
  if (m && m.rss > rssMax) rssMax = m.rss;
  const ours = (c1 ?? 0) - (c0 ?? 0) + ((u1 ?? 0) - (u0 ?? 0)) + (s1 - s0);
  const otherCpuPct = Math.max(0, ((h1 - h0 - ours) / CLK_TCK / w.seconds) * 100);
  const gwCpuS = c0 !== undefined && c1 !== undefined ? (c1 - c0) / CLK_TCK : undefined;
  return {
    target: t.name,
    mode,
    conns,
    rps: w.requests / w.seconds,
    requests: w.requests,
    errors: w.errors,
    p50Us: w.latUs.p50,
    p99Us: w.latUs.p99,
    ...(gwCpuS === undefined ? {} : { gwCpuPct: (gwCpuS / w.seconds) * 100, gwCpuUsPerReq: w.requests ? (gwCpuS * 1e6) / w.requests : NaN, gwRssMaxMiB: rssMax }),
    otherCpuPct,
  };
}

async function guardCost(): Promise<GuardCostResult> {
  const [c, a] = pinned(GW_CPU, process.execPath, [join(HERE, 'guard-cost.js'), '--json']);
  const r = spawnSync(c, a, { encoding: 'utf8', env, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`guard-cost exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as GuardCostResult;
}

function gitCommit(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, encoding: 'utf8' }).trim() ? ' (working tree has uncommitted changes)' : '';
    return sha + dirty;
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  const imp = process.argv.indexOf('--import-peer');
  if (imp >= 0) {
    const file = process.argv[imp + 1];
    if (!file) throw new Error('--import-peer FILE');
    writeFileSync(OUT, replaceSection(OUT, 'peer', readFileSync(file, 'utf8')));
    log(`peer section of ${OUT} replaced with ${file}`);
    return;
  }
  const rep = process.argv.indexOf('--report');
  if (rep >= 0) {
    // Re-render a saved result (BENCH_JSON of an earlier run) into stdout and docs/benchmarks.md.
    const result = JSON.parse(readFileSync(process.argv[rep + 1]!, 'utf8')) as BenchResult;
    console.log(`## ClawGuard benchmark\n\n${renderMachine(result)}\n\n${renderMarkdown(result)}`);
    if (OUT !== '-') writeFileSync(OUT, renderDoc(result, OUT));
    return;
  }
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npm run build)`);
  if (HAS_TASKSET) spawnSync('taskset', ['-a', '-pc', LOAD_CPU, String(process.pid)], { stdio: 'ignore' });
  else log('taskset unavailable or one CPU: running unpinned');
  const started = new Date();
  log('sampling background CPU for 2 s');
  const bg = await backgroundCpu(2);
  if (bg.pct > 10) log(`WARNING: ${bg.pct.toFixed(0)} % CPU already busy (${bg.top}); figures will be noisy`);

  const work = mkdtempSync(join(os.tmpdir(), 'clawguard-bench-'));
  const gen = createLoadGenerator();
  const failures: string[] = [];
  const body = Object.fromEntries(Object.entries(bodies()).filter(([k]) => MODES.includes(k) || k === 'nonstream' || k === 'stream'));
  const upPort = await freePort();
  const gwPort = await freePort();
  const adminPort = await freePort();

  log(`fake upstream on 127.0.0.1:${upPort} (cpu ${LOAD_CPU})`);
  const upstream = startProcess(LOAD_CPU, process.execPath, [join(HERE, 'fake-upstream.js')], join(work, 'upstream.log'), { PORT: String(upPort), HOST: '127.0.0.1', CHUNK_DELAY_MS: String(num('BENCH_CHUNK_DELAY_MS', 0)) });
  await waitUp(`http://127.0.0.1:${upPort}/health`, 10, upstream);

  let spacedPort: number | undefined;
  if (SPACED_MS > 0) {
    spacedPort = await freePort();
    const spaced = startProcess(LOAD_CPU, process.execPath, [join(HERE, 'fake-upstream.js')], join(work, 'upstream-spaced.log'), { PORT: String(spacedPort), HOST: '127.0.0.1', CHUNK_DELAY_MS: String(SPACED_MS) });
    await waitUp(`http://127.0.0.1:${spacedPort}/health`, 10, spaced);
  }

  const init = spawnSync(process.execPath, [CLI, 'init', '--dir', join(work, 'cg'), '--port', String(gwPort), '--admin-port', String(adminPort), '--upstream', `openai=http://127.0.0.1:${upPort}/v1`, '--upstream-key', 'env:FAKE_UPSTREAM_KEY', '--json'], { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`clawguard init failed: ${init.stderr}`);
  const initOut = JSON.parse(init.stdout) as { config: string; clientKey: string; proxyUrl: string };
  if (spacedPort) {
    // One more upstream for the spaced-stream probe: models "spaced-*" go to it, everything else as `init` wrote it.
    const doc = parseDocument(readFileSync(initOut.config, 'utf8'));
    doc.addIn(['upstreams'], doc.createNode({ name: 'spaced', provider: 'openai', url: `http://127.0.0.1:${spacedPort}/v1`, apiKey: 'env:FAKE_UPSTREAM_KEY' }));
    const routes = doc.get('routes') as { items: unknown[] } | undefined;
    routes?.items.unshift(doc.createNode({ model: 'spaced-*', upstream: 'spaced' }));
    writeFileSync(initOut.config, doc.toString());
  }
  log(`ClawGuard on 127.0.0.1:${gwPort} (cpu ${GW_CPU}), config ${initOut.config}`);
  const gw = startProcess(GW_CPU, process.execPath, [CLI, 'serve', '--config', initOut.config], join(work, 'clawguard.log'), { FAKE_UPSTREAM_KEY: 'sk-fake' });
  await waitUp(`http://127.0.0.1:${gwPort}/healthz`, 30, gw);

  const targets: Target[] = [
    { name: 'direct', desc: 'client → fake upstream', url: `http://127.0.0.1:${upPort}/v1/chat/completions`, headers: { Authorization: 'Bearer sk-fake' } },
    { name: 'clawguard', desc: 'ClawGuard, default guards (init config), auth on', url: `http://127.0.0.1:${gwPort}/v1/chat/completions`, headers: { Authorization: `Bearer ${initOut.clientKey}` }, ...(gw.pid ? { pid: gw.pid } : {}) },
  ];

  let portkeyNote = 'not measured in this run (reference figures from ../shared/bench)';
  const pkStart = join(PORTKEY_DIR, 'node_modules/@portkey-ai/gateway/build/start-server.js');
  if (PORTKEY_MODE !== '0' && (PORTKEY_MODE === '1' || existsSync(pkStart))) {
    const pkPort = await freePort();
    log(`Portkey on :${pkPort} (cpu ${GW_CPU}) from ${PORTKEY_DIR}`);
    const pk = startProcess(GW_CPU, process.execPath, [pkStart, '--headless', `--port=${pkPort}`], join(work, 'portkey.log'));
    try {
      await waitUp(`http://127.0.0.1:${pkPort}/`, 30, pk);
      targets.push({
        name: 'portkey',
        desc: 'Portkey OSS gateway, header routing, no guardrails',
        url: `http://127.0.0.1:${pkPort}/v1/chat/completions`,
        headers: { Authorization: 'Bearer sk-fake', 'x-portkey-provider': 'openai', 'x-portkey-custom-host': `http://127.0.0.1:${upPort}/v1` },
        ...(pk.pid ? { pid: pk.pid } : {}),
      });
      let version = '?';
      try {
        version = (JSON.parse(readFileSync(join(PORTKEY_DIR, 'node_modules/@portkey-ai/gateway/package.json'), 'utf8')) as { version: string }).version;
      } catch {
        // unknown version
      }
      portkeyNote = `@portkey-ai/gateway ${version} from ${PORTKEY_DIR} (installed by the peer harness), measured in this run on the gateway core; it listens on all interfaces (no host flag), the benchmark talks to it on 127.0.0.1 only`;
    } catch (e) {
      failures.push(`portkey: ${(e as Error).message}`);
    }
  }

  if (env.BENCH_FLOOR !== '0') {
    // The runtime's own floor (floor-proxy.ts): node:http + undici with nothing of ClawGuard's, on the same core.
    const floorPort = await freePort();
    log(`node floor proxy on :${floorPort} (cpu ${GW_CPU})`);
    const floor = startProcess(GW_CPU, process.execPath, [join(HERE, 'floor-proxy.js')], join(work, 'floor.log'), { PORT: String(floorPort), UPSTREAM: `http://127.0.0.1:${upPort}`, CLIENT_KEY: 'floor-key' });
    try {
      await waitUp(`http://127.0.0.1:${floorPort}/healthz`, 15, floor);
      targets.push({ name: FLOOR, desc: 'bare Node proxy: node:http + undici, JSON parsed both ways, key checked; nothing else', url: `http://127.0.0.1:${floorPort}/v1/chat/completions`, headers: { Authorization: 'Bearer floor-key' }, ...(floor.pid ? { pid: floor.pid } : {}) });
    } catch (e) {
      failures.push(`${FLOOR}: ${(e as Error).message}`);
    }
  }

  const live: Target[] = [];
  // Sanity: every path answers correctly. A failure on the first requests after start is recorded (it is a finding:
  // a client would have seen it) and the check is repeated up to twice before the target is dropped.
  const startupIssues: string[] = [];
  for (const t of targets) {
    for (let attempt = 1; attempt <= 3; attempt++) {
      try {
        await sanity(t, body);
        live.push(t);
        log(`sanity ok: ${t.name}${attempt > 1 ? ` (attempt ${attempt})` : ''}`);
        break;
      } catch (e) {
        const msg = `${t.name}: ${(e as Error).message}`;
        log(`sanity FAILED (attempt ${attempt}): ${msg}`);
        if (attempt < 3) startupIssues.push(`attempt ${attempt} after start, ${msg}`);
        else failures.push(msg);
      }
    }
  }
  if (!live.some((t) => t.name === 'clawguard')) log('WARNING: ClawGuard failed its sanity check; its rows are missing');

  if (PREWARM > 0) {
    for (const t of live) for (const mode of MODES) if (body[mode]) await gen.run(t, body[mode]!, 32, t.name === 'portkey' ? Math.max(PREWARM, 5) : PREWARM);
    log(`prewarm done`);
  }

  const probes: ProbeRow[] = [];
  for (const mode of MODES) {
    if (!body[mode]) continue;
    for (const t of live) {
      const n = t.name === 'portkey' && mode !== 'nonstream' ? Math.min(PROBE_N, 100) : PROBE_N;
      const p = await probe(t, body[mode]!, n);
      probes.push({ target: t.name, mode, ...p });
      log(`probe ${t.name} ${mode}: ttfb p50 ${(p.ttfbUs.p50 / 1000).toFixed(2)} ms, ttft p50 ${(p.ttftUs.p50 / 1000).toFixed(2)} ms`);
    }
  }

  if (spacedPort) {
    // TTFT when tokens arrive spaced, as from a real model: what a stream guard holding text back costs in time.
    const spacedBody = JSON.stringify({ ...(JSON.parse(body.stream!) as object), model: 'spaced-model' });
    const mode = `stream, chunks ${SPACED_MS} ms apart`;
    const spacedTargets: Target[] = [
      { name: 'direct', desc: '', url: `http://127.0.0.1:${spacedPort}/v1/chat/completions`, headers: { Authorization: 'Bearer sk-fake' } },
      ...live.filter((t) => t.name === 'clawguard'),
    ];
    for (const t of spacedTargets) {
      const p = await probe(t, spacedBody, SPACED_N, 3);
      probes.push({ target: t.name, mode, ...p });
      log(`probe ${t.name} ${mode}: ttft p50 ${(p.ttftUs.p50 / 1000).toFixed(2)} ms`);
    }
  }

  const cells: Cell[] = [];
  for (const mode of MODES) {
    if (!body[mode]) continue;
    for (const conns of CONNS) {
      for (const t of live) {
        let c = await cellRun(gen, t, mode, body[mode]!, conns, upstream.pid);
        for (let retry = 1; retry <= RETRIES && c.otherCpuPct > NOISY_PCT; retry++) {
          log(`${t.name} ${mode} c=${conns}: neighbours used ${c.otherCpuPct.toFixed(0)} % CPU; waiting 3 s and re-running (${retry}/${RETRIES})`);
          await new Promise((r) => setTimeout(r, 3000));
          const again = await cellRun(gen, t, mode, body[mode]!, conns, upstream.pid);
          if (again.otherCpuPct < c.otherCpuPct) c = again;
        }
        cells.push(c);
        log(`${t.name} ${mode} c=${conns}: ${c.rps.toFixed(0)} req/s, p50 ${(c.p50Us / 1000).toFixed(2)} ms, p99 ${(c.p99Us / 1000).toFixed(2)} ms, err ${c.errors}, gw ${c.gwCpuUsPerReq?.toFixed(0) ?? '-'} µs/req, rss ${c.gwRssMaxMiB?.toFixed(0) ?? '-'} MiB, other ${c.otherCpuPct.toFixed(0)} %`);
      }
    }
  }

  const integrity: IntegrityRow[] = [];
  const cg = live.find((t) => t.name === 'clawguard');
  if (cg && INTEGRITY_S > 0) {
    const r = await streamIntegrity(cg, body.stream!, fakeStreamContent(20), 32, INTEGRITY_S);
    integrity.push({ target: cg.name, conns: 32, seconds: INTEGRITY_S, ...r });
    log(`integrity: ${JSON.stringify(r)}`);
  }
  const peak = memMiB(gw.pid)?.hwm;
  const logBytes = existsSync(join(work, 'clawguard.log')) ? readFileSync(join(work, 'clawguard.log')).length : 0;
  log(`ClawGuard wrote ${logBytes} B of log`);
  for (const c of [...children].reverse()) await stop(c);
  gen.close();

  let gc: GuardCostResult | undefined;
  try {
    log('guard cost (in-process)');
    gc = await guardCost();
  } catch (e) {
    failures.push(`guard cost: ${(e as Error).message}`);
  }
  rmSync(work, { recursive: true, force: true });

  // Issue 4: the input pipeline against @openai/guardrails' PII check, in this process (CPU time; the gateway is stopped).
  let pipeline: PipelineResult | undefined;
  if (env.BENCH_PIPELINE !== '0') {
    try {
      log('input pipeline and @openai/guardrails PII (in-process)');
      pipeline = await measurePipeline(PIPELINE_S);
    } catch (e) {
      failures.push(`pipeline: ${(e as Error).message}`);
    }
  }

  const result: BenchResult = {
    meta: {
      date: started.toISOString(),
      finished: new Date().toISOString(),
      commit: gitCommit(),
      node: process.version,
      kernel: os.release(),
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model.trim() ?? '?',
      memGiB: os.totalmem() / 2 ** 30,
      loadgen: gen.name,
      pinning: HAS_TASKSET ? `gateway cpu ${GW_CPU}; upstream, load generator, probe and driver cpu ${LOAD_CPU} (driver affinity ${allowedCpus()})` : 'no pinning',
      durationS: DURATION,
      chunkDelayMs: num('BENCH_CHUNK_DELAY_MS', 0),
      warmupS: WARMUP,
      prewarmS: PREWARM,
      probeN: PROBE_N,
      backgroundCpuPct: bg.pct,
      backgroundTop: bg.top,
      bodies: Object.fromEntries(Object.entries(body).map(([k, v]) => [k, Buffer.byteLength(v)])),
      guards: gc?.guards ?? [],
      portkey: portkeyNote,
    },
    targets: targets.map((t) => ({ name: t.name, desc: t.desc })),
    cells,
    probes,
    integrity,
    ...(peak === undefined ? {} : { gatewayPeakRssMiB: peak }),
    ...(gc ? { guardCost: gc } : {}),
    ...(pipeline ? { pipeline } : {}),
    failures,
    startupIssues,
  };
  console.log(`## ClawGuard benchmark\n\n${renderMachine(result)}\n\n${renderMarkdown(result)}`);
  if (env.BENCH_JSON) writeFileSync(env.BENCH_JSON, JSON.stringify(result, null, 2));
  const complete = cells.some((c) => c.target === 'clawguard');
  if (OUT !== '-' && complete) {
    writeFileSync(OUT, renderDoc(result, OUT));
    log(`wrote ${OUT}`);
  } else if (OUT !== '-') log(`not writing ${OUT}: no ClawGuard figures in this run`);
  const missed = [...checkTargets(result), ...(pipeline ? checkPipelineTargets(pipeline) : [])].filter((t) => t.met === false);
  log(missed.length ? `targets missed: ${missed.map((t) => t.target).join('; ')}` : 'no target missed');
  if (failures.length > 0 || !cells.some((c) => c.target === 'clawguard')) {
    log(`incomplete run: ${failures.join('; ') || 'no ClawGuard cells'}`);
    process.exitCode = 1;
  }
}

main().catch((e: unknown) => {
  console.error(e);
  stopAll();
  process.exit(1);
});
