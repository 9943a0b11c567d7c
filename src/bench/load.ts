import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { summarize } from './proc.js';

/** One way of reaching the fake upstream: direct, through ClawGuard, through a peer gateway. */
export interface Target {
  readonly name: string;
  readonly desc: string;
  /** Must be a 127.0.0.1 URL: the benchmark never talks to anything else. */
  readonly url: string;
  readonly headers: Record<string, string>;
  /** The gateway process whose CPU and memory are sampled (none for `direct`). */
  readonly pid?: number;
}

export interface LoadResult {
  readonly requests: number;
  readonly seconds: number;
  readonly errors: number;
  readonly errorsDetail: Record<string, number>;
  /** Full-response latency (for SSE: the last chunk), microseconds. */
  readonly latUs: { p50: number; p90: number; p99: number; mean: number; max: number };
}

/** wrk script: POST a fixed body with extra headers, write a JSON summary (µs percentiles). */
const WRK_LUA = `
local function slurp(path)
  local f = assert(io.open(path, "rb")); local s = f:read("*a"); f:close(); return s
end
wrk.method = "POST"
wrk.body = slurp(os.getenv("WRK_BODY_FILE"))
wrk.headers["Content-Type"] = "application/json"
local hf = os.getenv("WRK_HEADERS_FILE")
if hf and hf ~= "" then
  for line in io.lines(hf) do
    local k, v = line:match("^([^:]+):%s*(.-)%s*$")
    if k then wrk.headers[k] = v end
  end
end
local non2xx = 0
response = function(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end
done = function(summary, latency, requests)
  local out = assert(io.open(os.getenv("WRK_OUT"), "w"))
  local e = summary.errors
  out:write(string.format(
    '{"requests":%d,"duration_us":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"lat_us":{"mean":%.1f,"p50":%d,"p90":%d,"p99":%d,"max":%d}}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
  out:close()
end
`;

export function wrkVersion(bin = process.env.WRK_BIN || 'wrk'): string | undefined {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  if (r.error) return undefined;
  return ((r.stdout || '') + (r.stderr || '')).split('\n')[0]?.trim() || undefined;
}

function assertLoopback(url: string): void {
  const u = new URL(url);
  if (u.hostname !== '127.0.0.1') throw new Error(`benchmark targets must be 127.0.0.1, got ${u.hostname}`);
}

/** Runs load against a target for `seconds` at `conns` connections; closed loop. */
export interface LoadGenerator {
  readonly name: string;
  run(target: Target, body: string, conns: number, seconds: number): Promise<LoadResult>;
  close(): void;
}

export class WrkLoad implements LoadGenerator {
  readonly name: string;
  private readonly dir = mkdtempSync(join(tmpdir(), 'clawguard-bench-wrk-'));
  private readonly lua = join(this.dir, 'post.lua');

  constructor(private readonly bin = process.env.WRK_BIN || 'wrk') {
    this.name = wrkVersion(bin) ?? 'wrk';
    writeFileSync(this.lua, WRK_LUA);
  }

  async run(target: Target, body: string, conns: number, seconds: number): Promise<LoadResult> {
    assertLoopback(target.url);
    const bodyFile = join(this.dir, 'body.json');
    const hdrFile = join(this.dir, 'headers.txt');
    const out = join(this.dir, `out-${Date.now()}.json`);
    writeFileSync(bodyFile, body);
    writeFileSync(hdrFile, Object.entries(target.headers).map(([k, v]) => `${k}: ${v}`).join('\n') + '\n');
    const child = spawn(this.bin, ['-t1', `-c${conns}`, `-d${seconds}s`, '--timeout', '10s', '-s', this.lua, target.url], {
      env: { ...process.env, WRK_BODY_FILE: bodyFile, WRK_HEADERS_FILE: hdrFile, WRK_OUT: out },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stdout.resume();
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), (seconds + 30) * 1000);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearTimeout(killer);
    if (code !== 0) throw new Error(`wrk exited ${code}: ${stderr}`);
    const j = JSON.parse(readFileSync(out, 'utf8')) as { requests: number; duration_us: number; errors: Record<string, number>; lat_us: LoadResult['latUs'] };
    unlinkSync(out);
    const errors = Object.values(j.errors).reduce((a, b) => a + b, 0);
    return { requests: j.requests, seconds: j.duration_us / 1e6, errors, errorsDetail: j.errors, latUs: j.lat_us };
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Fallback when wrk is not installed: `conns` closed-loop workers over an undici pool for a fixed
 * duration. Costs more CPU than wrk on the load core, so its req/s is lower; latency stays comparable.
 */
export class UndiciLoad implements LoadGenerator {
  readonly name = 'undici (node) closed loop';

  async run(target: Target, body: string, conns: number, seconds: number): Promise<LoadResult> {
    assertLoopback(target.url);
    const u = new URL(target.url);
    const pool = new Pool(u.origin, { connections: conns, pipelining: 1 });
    const headers = { 'content-type': 'application/json', ...target.headers };
    const lat: number[] = [];
    const errorsDetail = { status: 0, other: 0 };
    const started = performance.now();
    const end = started + seconds * 1000;
    const hardStop = AbortSignal.timeout((seconds + 15) * 1000);
    await Promise.all(
      Array.from({ length: conns }, async () => {
        while (performance.now() < end && !hardStop.aborted) {
          const t0 = performance.now();
          try {
            const r = await pool.request({ method: 'POST', path: u.pathname, headers, body, signal: hardStop });
            for await (const _ of r.body) {
              // drain
            }
            if (r.statusCode < 200 || r.statusCode > 299) errorsDetail.status++;
            lat.push((performance.now() - t0) * 1000);
          } catch {
            errorsDetail.other++;
          }
        }
      }),
    );
    const secs = (performance.now() - started) / 1000;
    await pool.close();
    const s = summarize(lat);
    return { requests: lat.length, seconds: secs, errors: errorsDetail.status + errorsDetail.other, errorsDetail, latUs: { p50: s.p50, p90: s.p90, p99: s.p99, mean: s.mean, max: s.max } };
  }

  close(): void {}
}

export function createLoadGenerator(): LoadGenerator {
  if (process.env.BENCH_LOADGEN !== 'undici' && wrkVersion()) return new WrkLoad();
  return new UndiciLoad();
}
