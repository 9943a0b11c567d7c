/**
 * Fake OpenAI-compatible upstream for the benchmark (node:http only). Byte-for-byte the same answers
 * as ../shared/bench/fake-upstream.js, so figures compare with the peer harness:
 *
 *   POST /v1/chat/completions          -> fixed chat.completion JSON
 *   POST /v1/chat/completions (stream) -> SSE: 1 role chunk, CHUNKS content chunks, 1 stop chunk, `data: [DONE]`
 *   GET  /health                       -> 200 ok
 *
 * Env: PORT (9100), HOST (127.0.0.1), DELAY_MS, CHUNKS (20), CHUNK_DELAY_MS. Run: node dist/bench/fake-upstream.js
 */
import http from 'node:http';
import { pathToFileURL } from 'node:url';

const CREATED = 1700000000;
const WORDS = 'The quick brown fox jumps over the lazy dog while the benchmark harness keeps counting every single token here'.split(' ');

export interface FakeUpstreamOptions {
  readonly host?: string;
  readonly port?: number;
  readonly delayMs?: number;
  readonly chunks?: number;
  readonly chunkDelayMs?: number;
}

/** The text a non-streaming answer carries (the first `chunks` words, at most all of them). */
export function fakeJsonContent(chunks = 20): string {
  return WORDS.slice(0, chunks).join(' ');
}

/** The concatenated content deltas of a stream (words wrap around after the last one). */
export function fakeStreamContent(chunks = 20): string {
  const words: string[] = [];
  for (let i = 0; i < chunks; i++) words.push(WORDS[i % WORDS.length]!);
  return words.join(' ');
}

export function createFakeUpstream(options: FakeUpstreamOptions = {}): http.Server {
  const chunksN = options.chunks ?? 20;
  const delayDefault = options.delayMs ?? 0;
  const chunkDelayDefault = options.chunkDelayMs ?? 0;
  const content = WORDS.slice(0, chunksN).join(' ');
  const cache = new Map<string, { json: Buffer; chunks: Buffer[] }>();
  const chunkLine = (model: string, delta: unknown, finish: string | null): string =>
    'data: ' +
    JSON.stringify({ id: 'chatcmpl-fake-0001', object: 'chat.completion.chunk', created: CREATED, model, system_fingerprint: 'fp_fake', choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] }) +
    '\n\n';
  const rendered = (model: string): { json: Buffer; chunks: Buffer[] } => {
    const hit = cache.get(model);
    if (hit) return hit;
    const chunks = [chunkLine(model, { role: 'assistant', content: '' }, null)];
    for (let i = 0; i < chunksN; i++) {
      const w = WORDS[i % WORDS.length]!;
      chunks.push(chunkLine(model, { content: i === 0 ? w : ' ' + w }, null));
    }
    chunks.push(chunkLine(model, {}, 'stop'));
    chunks.push('data: [DONE]\n\n');
    const json = JSON.stringify({
      id: 'chatcmpl-fake-0001',
      object: 'chat.completion',
      created: CREATED,
      model,
      system_fingerprint: 'fp_fake',
      choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'stop' }],
      usage: { prompt_tokens: 12, completion_tokens: chunksN, total_tokens: 12 + chunksN },
    });
    const r = { json: Buffer.from(json), chunks: chunks.map((c) => Buffer.from(c)) };
    if (cache.size < 64) cache.set(model, r);
    return r;
  };
  const sleep = (ms: number): Promise<void> => new Promise((res) => setTimeout(res, ms));

  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && (req.url === '/health' || req.url === '/')) {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
      return;
    }
    if (req.method !== 'POST' || !req.url?.startsWith('/v1/chat/completions')) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `no route ${req.method} ${req.url}`, type: 'invalid_request_error' } }));
      return;
    }
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      void (async () => {
        let body: { model?: unknown; stream?: unknown };
        try {
          body = JSON.parse(Buffer.concat(parts).toString('utf8') || '{}');
        } catch {
          res.writeHead(400, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { message: 'invalid JSON body', type: 'invalid_request_error' } }));
          return;
        }
        const model = typeof body.model === 'string' ? body.model : 'fake-model';
        const delay = Number(req.headers['x-fake-delay-ms'] ?? delayDefault);
        const chunkDelay = Number(req.headers['x-fake-chunk-delay-ms'] ?? chunkDelayDefault);
        if (delay > 0) await sleep(delay);
        const r = rendered(model);
        if (body.stream === true) {
          res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
          for (const c of r.chunks) {
            if (res.destroyed) return;
            res.write(c);
            if (chunkDelay > 0) await sleep(chunkDelay);
          }
          res.end();
        } else {
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': r.json.length });
          res.end(r.json);
        }
      })();
    });
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  return server;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const host = process.env.HOST || '127.0.0.1';
  const port = Number(process.env.PORT || 9100);
  const server = createFakeUpstream({ host, port, delayMs: Number(process.env.DELAY_MS || 0), chunks: Number(process.env.CHUNKS || 20), chunkDelayMs: Number(process.env.CHUNK_DELAY_MS || 0) });
  server.listen(port, host, () => console.log(`fake-upstream listening on http://${host}:${port} pid=${process.pid}`));
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      server.close();
      process.exit(0);
    });
  }
}
