import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKeyPair, signPaths } from '../../src/integrity/index.js';
import { StreamModelSniffer } from '../../src/integrity/lineage.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { anthropicTextEvents, json, openAiTextChunks, type ScriptedUpstream, sse, startScriptedUpstream } from '../helpers/scripted-upstream.js';
import { type FakeMlflow, startFakeMlflow } from './mlflow-fake.js';

/** The audit records a closed gateway left in its SQLite audit store, parsed. */
function auditRecords(gw: TestGateway): { type: string; data: Record<string, any>; requestId?: string }[] {
  const db = new Database(join(gw.dir, 'clawguard-audit.db'), { readonly: true });
  try {
    return (db.prepare('SELECT body FROM audit_records ORDER BY seq').all() as { body: string }[]).map((r) => JSON.parse(r.body));
  } finally {
    db.close();
  }
}

async function chat(gw: TestGateway, model: string, stream = false): Promise<Response> {
  return fetch(`${gw.proxyUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${gw.clientKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, stream, messages: [{ role: 'user', content: 'Hello' }] }),
  });
}

const completion = (model: string) => ({ id: 'c1', object: 'chat.completion', created: 1, model, choices: [{ index: 0, message: { role: 'assistant', content: 'Hi there' }, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } });

describe('model lineage in the audit trail', () => {
  let openai: ScriptedUpstream;
  let local: ScriptedUpstream;
  let anthropic: ScriptedUpstream;
  let weightsDigest: string;
  let gw: TestGateway;
  let records: ReturnType<typeof auditRecords>;
  let root: string;

  beforeAll(async () => {
    // The provider answers an alias with its dated snapshot, streamed or not.
    openai = await startScriptedUpstream((req, res) => {
      if (req.body?.stream) return sse(res, openAiTextChunks(['Hi ', 'there']).map((e) => (typeof e.data === 'object' ? { data: { ...(e.data as object), model: 'gpt-4o-2024-08-06' } } : e)));
      return json(res, 200, completion('gpt-4o-2024-08-06'));
    });
    local = await startScriptedUpstream((_req, res) => json(res, 200, completion('llama-3.1-8b-instruct')));
    anthropic = await startScriptedUpstream((_req, res) => sse(res, anthropicTextEvents(['Hi'])));
    // A self-hosted model's weights, signed into an integrity manifest.
    root = mkdtempSync(join(tmpdir(), 'clawguard-lineage-'));
    mkdirSync(join(root, 'models'));
    const weights = Buffer.from('GGUF fake weights for the lineage test');
    writeFileSync(join(root, 'models', 'llama.gguf'), weights);
    weightsDigest = createHash('sha256').update(weights).digest('hex');
    const keys = generateSigningKeyPair();
    writeFileSync(join(root, 'signing.key'), keys.privateKeyPem);
    writeFileSync(join(root, 'signing.pub'), keys.publicKeyPem);
    await signPaths({ paths: [join(root, 'models')], privateKey: join(root, 'signing.key'), out: join(root, 'integrity.json'), root });

    gw = await startTestGateway({
      upstreams: [
        { name: 'openai', provider: 'openai', url: `${openai.url}/v1` },
        { name: 'local-vllm', provider: 'openai', url: `${local.url}/v1` },
        { name: 'claude', provider: 'anthropic', url: anthropic.url },
      ],
      routes: [
        { model: 'llama*', upstream: 'local-vllm' },
        { model: 'claude*', upstream: 'claude' },
        { model: '*', upstream: 'openai' },
      ],
      integrity: { manifest: join(root, 'integrity.json'), publicKey: join(root, 'signing.pub'), root },
      lineage: { artifacts: [{ upstream: 'local-vllm', model: 'llama*', path: 'models/llama.gguf' }] },
    });
    expect((await chat(gw, 'gpt-4o')).status).toBe(200);
    const streamed = await chat(gw, 'gpt-4o', true);
    expect(streamed.status).toBe(200);
    expect(await streamed.text()).toContain('[DONE]');
    expect((await chat(gw, 'llama-3.1-8b-instruct')).status).toBe(200);
    const claude = await fetch(`${gw.proxyUrl}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': gw.clientKey, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'Hello' }] }),
    });
    expect(claude.status).toBe(200);
    await claude.text();
    await gw.close();
    records = auditRecords(gw);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([openai.close(), local.close(), anthropic.close()]);
  });

  const responses = () => records.filter((r) => r.type === 'upstream.response').map((r) => r.data);

  it('records the upstream, the requested model and the model the provider answered with (JSON and streams, both APIs)', () => {
    const r = responses();
    expect(r).toHaveLength(4);
    expect(r[0]).toMatchObject({ upstream: 'openai', model: 'gpt-4o', modelAnswered: 'gpt-4o-2024-08-06', status: 200 });
    expect(r[1]).toMatchObject({ upstream: 'openai', model: 'gpt-4o', modelAnswered: 'gpt-4o-2024-08-06', stream: true });
    expect(r[3]).toMatchObject({ upstream: 'claude', model: 'claude-sonnet-4-5', modelAnswered: 'claude-test', stream: true });
    for (const i of [0, 1, 3]) expect(r[i]!.artifactDigest).toBeUndefined();
  });

  it('records the signed digest of a self-hosted model artifact', () => {
    expect(responses()[2]).toMatchObject({ upstream: 'local-vllm', model: 'llama-3.1-8b-instruct', modelAnswered: 'llama-3.1-8b-instruct', artifactDigest: `sha256:${weightsDigest}` });
  });

  it('refuses to start when an artifact is not in the manifest, or no manifest is configured', async () => {
    await expect(startTestGateway({ lineage: { artifacts: [{ path: 'models/llama.gguf' }] } })).rejects.toThrow('lineage.artifacts needs integrity.manifest');
    const integrity = { manifest: join(root, 'integrity.json'), publicKey: join(root, 'signing.pub'), root };
    await expect(startTestGateway({ integrity, lineage: { artifacts: [{ path: 'models/other.gguf' }] } })).rejects.toThrow('lineage.artifacts: "models/other.gguf" is not in the integrity manifest');
  });
});

describe('StreamModelSniffer', () => {
  it('takes the model from the first events only', () => {
    const s = new StreamModelSniffer();
    for (let i = 0; i < 4; i++) s.observe({ data: '{"type":"ping"}' });
    s.observe({ data: '{"model":"late"}' });
    expect(s.model).toBeUndefined();
    const t = new StreamModelSniffer();
    t.observe({ event: 'message_start', data: '{"type":"message_start","message":{"model":"claude-x"}}' });
    expect(t.model).toBe('claude-x');
  });
});

describe('MLflow pins in the gateway', () => {
  let mlflow: FakeMlflow;
  let upstream: ScriptedUpstream;
  beforeAll(async () => {
    mlflow = await startFakeMlflow(undefined);
    mlflow.models.set('support-llm', new Map([['4', { stage: 'Production', tags: { model_id: 'support-llm-v4' } }]]));
    mlflow.aliases.set('support-llm@champion', '4');
    upstream = await startScriptedUpstream((req, res) => json(res, 200, completion(String(req.body?.model))));
  });
  afterAll(async () => {
    await mlflow.stop();
    await upstream.close();
  });
  const config = (url: string) => ({
    upstreams: [{ name: 'vllm', provider: 'openai', url: `${upstream.url}/v1` }],
    routes: [{ model: '*', upstream: 'vllm' }],
    integrity: { pinModels: true },
    lineage: { mlflow: { url, pins: [{ uri: 'models:/support-llm@champion', model: 'support-llm*' }] } },
  });

  it('allows the pinned model id (undated, yet pinned by the registry), refuses other versions, audits the resolution', async () => {
    const gw = await startTestGateway(config(mlflow.url));
    try {
      expect((await chat(gw, 'support-llm-v4')).status).toBe(200);
      const other = await chat(gw, 'support-llm-v5');
      expect(other.status).toBe(403);
      const body = (await other.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('model_not_pinned');
      expect(body.error.message).toContain('pinned by models:/support-llm@champion in MLflow, which allows "support-llm-v4" (version 4) only');
      // Models no pin governs still follow pinModels: an undated alias is refused.
      expect((await chat(gw, 'gpt-4o')).status).toBe(403);
    } finally {
      await gw.close();
    }
    const resolved = auditRecords(gw).find((r) => r.type === 'system' && r.data.action === 'model.pin.resolved');
    expect(resolved?.data.detail).toEqual({ uri: 'models:/support-llm@champion', version: '4', stage: 'Production', modelId: 'support-llm-v4' });
  });

  it('registry down: the gateway starts, and fails closed for the pinned models', async () => {
    const gw = await startTestGateway(config('http://127.0.0.1:9'));
    try {
      const res = await chat(gw, 'support-llm-v4');
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error: { message: string } }).error.message).toContain('which could not be resolved (the MLflow registry could not be reached)');
      expect(upstream.requests.filter((r) => r.body?.model === 'support-llm-v4')).toHaveLength(1); // only the earlier test's request
    } finally {
      await gw.close();
    }
  });
});
