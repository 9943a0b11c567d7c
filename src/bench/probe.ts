import http from 'node:http';
import { summarize } from './proc.js';
import type { Target } from './load.js';

export interface ProbeSample {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  /** First response body byte, µs from sending. */
  readonly ttfbUs: number;
  /** First non-empty content token (SSE: first `"content":"x…"` delta; JSON: the whole body), µs. */
  readonly ttftUs: number;
  readonly totalUs: number;
}

const FIRST_TOKEN = /"content":"[^"]/;

/** One POST over a keep-alive agent, timing the first byte, the first content token and the end. */
export function request(agent: http.Agent, target: Target, payload: string): Promise<ProbeSample> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    let tFirst: bigint | undefined;
    let tToken: bigint | undefined;
    const req = http.request(
      target.url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...target.headers } },
      (res) => {
        const parts: Buffer[] = [];
        let tail = '';
        res.on('data', (c: Buffer) => {
          const now = process.hrtime.bigint();
          tFirst ??= now;
          parts.push(c);
          if (tToken === undefined) {
            const s = tail + c.toString('utf8');
            if (FIRST_TOKEN.test(s)) tToken = now;
            tail = s.slice(-16);
          }
        });
        res.on('end', () => {
          const tEnd = process.hrtime.bigint();
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(parts).toString('utf8'),
            ttfbUs: Number((tFirst ?? tEnd) - t0) / 1e3,
            ttftUs: Number((tToken ?? tEnd) - t0) / 1e3,
            totalUs: Number(tEnd - t0) / 1e3,
          });
        });
        res.on('error', reject);
      },
    );
    req.setTimeout(15_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(payload);
  });
}

export interface ProbeResult {
  readonly n: number;
  readonly errors: number;
  readonly ttfbUs: ReturnType<typeof summarize>;
  readonly ttftUs: ReturnType<typeof summarize>;
  readonly totalUs: ReturnType<typeof summarize>;
}

/** `n` sequential keep-alive requests (c=1) after `warm` discarded ones. */
export async function probe(target: Target, payload: string, n: number, warm = 20): Promise<ProbeResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let i = 0; i < warm; i++) await request(agent, target, payload);
    const ttfb: number[] = [];
    const ttft: number[] = [];
    const total: number[] = [];
    let errors = 0;
    for (let i = 0; i < n; i++) {
      const r = await request(agent, target, payload);
      if (r.status !== 200) errors++;
      ttfb.push(r.ttfbUs);
      ttft.push(r.ttftUs);
      total.push(r.totalUs);
    }
    return { n, errors, ttfbUs: summarize(ttfb), ttftUs: summarize(ttft), totalUs: summarize(total) };
  } finally {
    agent.destroy();
  }
}

/** Content deltas of an OpenAI SSE body, joined; and whether it ended with `[DONE]`. */
export function parseOpenAiStream(body: string): { text: string; chunks: number; done: boolean; finish?: string } {
  let text = '';
  let chunks = 0;
  let finish: string | undefined;
  for (const line of body.split('\n')) {
    if (!line.startsWith('data: ') || line === 'data: [DONE]') continue;
    try {
      const j = JSON.parse(line.slice(6)) as { choices?: { delta?: { content?: string }; finish_reason?: string | null }[] };
      for (const c of j.choices ?? []) {
        if (typeof c.delta?.content === 'string' && c.delta.content !== '') {
          text += c.delta.content;
          chunks++;
        }
        if (c.finish_reason) finish = c.finish_reason;
      }
    } catch {
      // not JSON: counted as missing content
    }
  }
  return { text, chunks, done: body.includes('data: [DONE]'), ...(finish ? { finish } : {}) };
}

/** Streams at c=`conns` for `seconds`, every body checked: HTTP 200, the full text, `[DONE]`. */
export async function streamIntegrity(target: Target, payload: string, expected: string, conns: number, seconds: number): Promise<{ total: number; ok: number; truncated: number; status: number; error: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: conns });
  const counts = { total: 0, ok: 0, truncated: 0, status: 0, error: 0 };
  const end = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: conns }, async () => {
      while (Date.now() < end) {
        counts.total++;
        try {
          const r = await request(agent, target, payload);
          if (r.status !== 200) counts.status++;
          else {
            const s = parseOpenAiStream(r.body);
            if (s.done && s.text === expected) counts.ok++;
            else counts.truncated++;
          }
        } catch {
          counts.error++;
        }
      }
    }),
  );
  agent.destroy();
  return counts;
}
