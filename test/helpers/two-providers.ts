import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { json, type ScriptedUpstream, startScriptedUpstream } from './scripted-upstream.js';
import { startTestGateway, type TestGateway } from './gateway.js';

/**
 * A gateway on the default guards and policy with a vault key (what `clawguard init` writes), in front
 * of two scripted upstreams: models `claude-*` go to the Anthropic one, the rest to the OpenAI one.
 * Both answer 500 until a test scripts them. With the real SDK clients pointed at the gateway.
 */
export interface TwoProviders {
  readonly oai: ScriptedUpstream;
  readonly ant: ScriptedUpstream;
  readonly gw: TestGateway;
  readonly openai: OpenAI;
  readonly anthropic: Anthropic;
  /** Forgets the requests both upstreams saw. */
  reset(): void;
  close(): Promise<void>;
}

export async function startTwoProviders(extra: Record<string, unknown> = {}): Promise<TwoProviders> {
  const keyFile = join(mkdtempSync(join(tmpdir(), 'cg-vault-')), 'vault.key');
  writeFileSync(keyFile, randomBytes(32).toString('base64'), { mode: 0o600 });
  const oai = await startScriptedUpstream((_req, res) => json(res, 500, {}));
  const ant = await startScriptedUpstream((_req, res) => json(res, 500, {}));
  const gw = await startTestGateway({
    upstreams: [
      { name: 'openai', provider: 'openai', url: `${oai.url}/v1` },
      { name: 'anthropic', provider: 'anthropic', url: ant.url },
    ],
    routes: [
      { model: 'claude-*', upstream: 'anthropic' },
      { model: '*', upstream: 'openai' },
    ],
    pseudonymization: { vaultKey: `file:${keyFile}` },
    ...extra,
  });
  return {
    oai,
    ant,
    gw,
    openai: new OpenAI({ baseURL: `${gw.proxyUrl}/v1`, apiKey: gw.clientKey, maxRetries: 0 }),
    anthropic: new Anthropic({ baseURL: gw.proxyUrl, apiKey: gw.clientKey, maxRetries: 0 }),
    reset() {
      oai.requests.length = 0;
      ant.requests.length = 0;
    },
    async close() {
      await gw.close();
      await oai.close();
      await ant.close();
    },
  };
}

/** An OpenAI chat completion answer with this message. */
export const completion = (message: Record<string, unknown>, finish = 'stop') => ({ id: 'c', object: 'chat.completion', created: 1, model: 'gpt-test', choices: [{ index: 0, message: { role: 'assistant', content: null, ...message }, finish_reason: finish }] });

/** An Anthropic message answer with these content blocks. */
export const anthropicAnswer = (content: unknown[], stop = 'tool_use') => ({ id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-test', content, stop_reason: stop, stop_sequence: null, usage: { input_tokens: 1, output_tokens: 1 } });
