import { anthropicTextEvents, anthropicToolUseEvents, json, openAiTextChunks, type RecordedRequest, type ScriptedUpstream, sse, startScriptedUpstream } from '../../test/helpers/scripted-upstream.js';

/**
 * The scripted "model" behind ClawGuard. OpenClaw re-sends the whole conversation every turn, so the
 * script reads the scenario tag (`[e2e:NAME]`) from the user's message and counts the tool results
 * already in the history to know which step it is at. It answers the way OpenClaw's provider does:
 * streamed OpenAI chat completion chunks, with a usage chunk.
 */
export type Step = { readonly text: string } | { readonly tool: string; readonly args: Record<string, unknown> };
export type Scenario = (toolResults: readonly string[]) => Step;

export interface FakeModel {
  readonly upstream: ScriptedUpstream;
  /** Requests that carried a scenario tag, by scenario. */
  requestsFor(scenario: string): RecordedRequest[];
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((part) => (typeof part?.text === 'string' ? part.text : '')).join('\n');
  return '';
}

export function scenarioOf(body: any): string | undefined {
  const messages: any[] = Array.isArray(body?.messages) ? body.messages : [];
  let found: string | undefined;
  for (const m of messages) {
    if (m?.role !== 'user') continue;
    for (const match of textOf(m.content).matchAll(/\[e2e:([a-z0-9-]+)\]/g)) found = match[1];
  }
  return found;
}

export function toolResultsOf(body: any): string[] {
  const messages: any[] = Array.isArray(body?.messages) ? body.messages : [];
  return messages.filter((m) => m?.role === 'tool').map((m) => textOf(m.content));
}

/** Anthropic carries tool results as `tool_result` blocks inside user messages. */
export function anthropicToolResultsOf(body: any): string[] {
  const messages: any[] = Array.isArray(body?.messages) ? body.messages : [];
  return messages.flatMap((m) => (Array.isArray(m?.content) ? m.content.filter((b: any) => b?.type === 'tool_result').map((b: any) => textOf(b.content)) : []));
}

function toolCallChunks(name: string, args: string, id: string): { data: unknown }[] {
  const base = { id: `chatcmpl-${id}`, object: 'chat.completion.chunk', created: 1, model: 'fake-model' };
  const half = Math.floor(args.length / 2);
  return [
    { data: { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: null, tool_calls: [{ index: 0, id, type: 'function', function: { name, arguments: '' } }] }, finish_reason: null }] } },
    { data: { ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: args.slice(0, half) } }] }, finish_reason: null }] } },
    { data: { ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: args.slice(half) } }] }, finish_reason: null }] } },
    { data: { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] } },
    { data: { ...base, choices: [], usage: { prompt_tokens: 100, completion_tokens: 10, total_tokens: 110 } } },
    { data: '[DONE]' },
  ];
}

export async function startFakeModel(providerKey: string, scenarios: Record<string, Scenario>): Promise<FakeModel> {
  let calls = 0;
  const upstream = await startScriptedUpstream((req, res) => {
    // ClawGuard must inject the provider's own key: OpenClaw no longer has it.
    if (req.method === 'POST' && req.url.endsWith('/v1/messages')) {
      if (req.headers['x-api-key'] !== providerKey) return json(res, 401, { type: 'error', error: { type: 'authentication_error', message: 'bad provider key' } });
      const name = scenarioOf(req.body);
      const step: Step = name && scenarios[name] ? scenarios[name](anthropicToolResultsOf(req.body)) : { text: 'pong from the fake Anthropic model' };
      if ('text' in step) return sse(res, anthropicTextEvents([step.text]));
      return sse(res, anthropicToolUseEvents(step.tool, [JSON.stringify(step.args)], `toolu_e2e${++calls}`));
    }
    if (req.headers.authorization !== `Bearer ${providerKey}`) return json(res, 401, { error: { message: 'bad provider key', type: 'invalid_request_error' } });
    if (req.method !== 'POST' || !req.url.endsWith('/chat/completions')) return json(res, 404, { error: { message: 'not found' } });
    const name = scenarioOf(req.body);
    const scenario = name ? scenarios[name] : undefined;
    const step: Step = scenario ? scenario(toolResultsOf(req.body)) : { text: 'ok' };
    if ('text' in step) return sse(res, [...openAiTextChunks([step.text]).slice(0, -1), { data: { id: 'u', object: 'chat.completion.chunk', created: 1, model: 'fake-model', choices: [], usage: { prompt_tokens: 100, completion_tokens: 5, total_tokens: 105 } } }, { data: '[DONE]' }]);
    return sse(res, toolCallChunks(step.tool, JSON.stringify(step.args), `call_e2e${++calls}`));
  });
  return {
    upstream,
    requestsFor: (scenario) => upstream.requests.filter((r) => scenarioOf(r.body) === scenario),
  };
}
