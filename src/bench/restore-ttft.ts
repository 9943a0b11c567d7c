/**
 * What reversible pseudonymization adds to a stream's time to first token (issue 4: ≤ 1 ms).
 *
 * One gateway (`clawguard init` defaults: personal data pseudonymized on the way in, restored on the
 * way out) in front of a loopback upstream that streams 20 SSE chunks and starts its answer with
 * every placeholder it was sent. Alternating, c=1, the same prompt shape:
 *   with PII:    "Write to alice@example.com and bob@example.net …" → the upstream sees <EMAIL_1>, <EMAIL_2>
 *                and streams them back; the gateway puts the addresses back in the first chunk.
 *   without PII: the same words without addresses: nothing to replace, nothing to restore.
 * TTFT = first chunk with non-empty `content`, as the client reads it. The difference is the input
 * pseudonymization (vault write included) plus the restore of the first chunk.
 *
 * Run: npm run bench:restore   Env: BENCH_RESTORE_N (500), BENCH_RESTORE_JSON=1, GATEWAY_NODE_ARGS (node flags
 * for the gateway, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initProject } from '../config/init.js';
import { request } from './probe.js';
import { summarize } from './proc.js';

const N = Number(process.env.BENCH_RESTORE_N ?? 500);
const CLI = resolve(dirname(fileURLToPath(import.meta.url)), '../cli/main.js');
const PLACEHOLDERS = /<[A-Z_]+_\d+>/g;
const HAS_PLACEHOLDER = /<[A-Z_]+_\d+>/;

async function freePort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
  const { port } = s.address() as AddressInfo;
  await new Promise((ok) => s.close(ok));
  return port;
}

function startUpstream(): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const messages = (JSON.parse(body) as { messages: { content: string }[] }).messages;
      const placeholders = messages[messages.length - 1]!.content.match(PLACEHOLDERS) ?? [];
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunk = (content: string) =>
        `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;
      let out = chunk(placeholders.length ? `Sent to ${placeholders.join(' and ')}.` : 'Sent to both of them.');
      for (let i = 1; i < 20; i++) out += chunk(` word${i}`);
      res.end(`${out}data: [DONE]\n\n`);
    });
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

async function main(): Promise<void> {
  const upstream = await startUpstream();
  const dir = mkdtempSync(join(tmpdir(), 'cg-restore-bench-'));
  const init = initProject({ dir, port: await freePort(), adminPort: await freePort(), upstream: `openai=http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`, upstreamKey: 'env:BENCH_UPSTREAM_KEY' });
  const nodeArgs = (process.env.GATEWAY_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, CLI, 'serve', '--config', init.config], { env: { ...process.env, BENCH_UPSTREAM_KEY: 'bench' }, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const proxy = await new Promise<string>((ok, fail) => {
      let out = '';
      const timer = setTimeout(() => fail(new Error(`the gateway did not start: ${out}`)), 30_000);
      const onData = (d: Buffer) => {
        out += d.toString();
        const m = /LLM proxy:\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          ok(m[1]!);
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.on('exit', (code) => fail(new Error(`the gateway exited (${code}): ${out}`)));
    });
    const target = { name: 'clawguard', desc: 'ClawGuard, init defaults', url: `${proxy}/v1/chat/completions`, headers: { authorization: `Bearer ${init.clientKey}` } };
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const payload = (i: number, pii: boolean) =>
      JSON.stringify({
        model: 'gpt-4o-mini',
        stream: true,
        messages: [
          { role: 'system', content: 'You send mail for the team.' },
          // A new conversation each time (the first message differs), so every request writes its own vault entry.
          { role: 'user', content: pii ? `Write to alice${i}@example.com and bob${i}@example.net about the launch.` : `Write to the two of them (${i}) about the launch, today.` },
        ],
      });
    const ttft: Record<'pii' | 'plain', number[]> = { pii: [], plain: [] };
    let restored = 0;
    for (let i = -50; i < N; i++) {
      for (const pii of [true, false]) {
        const sample = await request(agent, target, payload(i, pii));
        if (sample.status !== 200) throw new Error(`status ${sample.status}: ${sample.body.slice(0, 300)}`);
        if (pii && sample.body.includes(`alice${i}@example.com`) && !HAS_PLACEHOLDER.test(sample.body)) restored++;
        if (i >= 0) ttft[pii ? 'pii' : 'plain'].push(sample.ttftUs / 1000);
      }
    }
    agent.destroy();
    const withPii = summarize(ttft.pii);
    const plain = summarize(ttft.plain);
    const result = { n: N, restoredAnswers: restored - 50, ttftMs: { withPii, plain }, addedP50Ms: withPii.p50 - plain.p50, addedP99Ms: withPii.p99 - plain.p99 };
    if (process.env.BENCH_RESTORE_JSON) {
      process.stdout.write(`${JSON.stringify(result)}\n`);
      return;
    }
    const f = (x: number) => x.toFixed(3);
    process.stdout.write(
      `| stream, c=1, ${N} each, alternating | TTFT p50 ms | TTFT p99 ms |\n|---|---:|---:|\n` +
        `| with two e-mail addresses (pseudonymized, restored in the first chunk) | ${f(withPii.p50)} | ${f(withPii.p99)} |\n` +
        `| without personal data | ${f(plain.p50)} | ${f(plain.p99)} |\n` +
        `| added by pseudonymize + restore | ${f(result.addedP50Ms)} | ${f(result.addedP99Ms)} |\n\n` +
        `answers whose addresses came back restored: ${result.restoredAnswers} of ${N}\n`,
    );
  } finally {
    child.kill('SIGTERM');
    await new Promise((ok) => child.once('exit', ok));
    upstream.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
