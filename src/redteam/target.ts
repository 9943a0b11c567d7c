/**
 * Talks to the endpoint under test the way an agent would: the provider's own request shape
 * (OpenAI chat completions or Anthropic messages), with the case's tools, tool calls and tool
 * results, and reads back what the client would receive.
 */
import type { RedteamCase, Turn } from './types.js';

export type Provider = 'openai' | 'anthropic';

export interface TargetOptions {
  /** OpenAI: base URL with /v1 (as the SDK's baseURL); Anthropic: the base URL (`/v1/messages` is added). */
  readonly url: string;
  readonly provider: Provider;
  readonly key?: string;
  readonly model: string;
  readonly timeoutMs: number;
  readonly maxTokens?: number;
}

/** What came back, provider-neutral. */
export interface TargetAnswer {
  /** HTTP status; 0 when no answer came (network error, timeout). */
  readonly status: number;
  readonly ms: number;
  readonly text: string;
  readonly toolCalls: readonly { readonly name: string; readonly args: string }[];
  /** `stop`, `tool_calls`, `content_filter`, `end_turn`, `refusal`, … */
  readonly finish?: string;
  /** Error type from the body of a non-2xx answer (`policy_violation`, `invalid_request_error`, …). */
  readonly errorType?: string;
  readonly errorCode?: string;
  /** Why there is no usable answer (network error, timeout, unreadable body). */
  readonly failure?: string;
}

const TOOL_DESCRIPTIONS: Record<string, string> = {
  exec: 'Run a shell command in the workspace and return its output.',
  read_file: 'Read a file and return its text.',
  write_file: 'Write text to a file.',
  web_fetch: 'Fetch a URL and return the page text.',
  http_request: 'Send an HTTP request to a URL.',
  send_email: 'Send an email.',
};

function toolSchema(name: string): { description: string; parameters: Record<string, unknown> } {
  const props: Record<string, Record<string, unknown>> = {
    exec: { command: { type: 'string' } },
    read_file: { path: { type: 'string' } },
    write_file: { path: { type: 'string' }, content: { type: 'string' } },
    web_fetch: { url: { type: 'string' } },
    http_request: { url: { type: 'string' }, method: { type: 'string' }, body: { type: 'string' } },
    send_email: { to: { type: 'string' }, subject: { type: 'string' }, body: { type: 'string' } },
  }[name] ?? {};
  return { description: TOOL_DESCRIPTIONS[name] ?? `The ${name} tool.`, parameters: { type: 'object', properties: props } };
}

/** Tools the conversation used (its tool results) are offered too, so providers accept the history. */
function toolNames(c: RedteamCase): string[] {
  const names = new Set(c.tools);
  for (const t of c.turns) if (t.role === 'tool') names.add(t.name);
  return [...names];
}

export function openAiRequest(c: RedteamCase, model: string, maxTokens: number): Record<string, unknown> {
  const messages: unknown[] = [];
  if (c.system !== undefined) messages.push({ role: 'system', content: c.system });
  for (const t of c.turns) {
    if (t.role === 'user') messages.push({ role: 'user', content: t.text });
    else if (t.role === 'tool') messages.push({ role: 'tool', tool_call_id: t.toolCallId, content: t.text });
    else if ('toolCall' in t) messages.push({ role: 'assistant', content: null, tool_calls: [{ id: t.toolCall.id, type: 'function', function: { name: t.toolCall.name, arguments: JSON.stringify(t.toolCall.args) } }] });
    else messages.push({ role: 'assistant', content: t.text });
  }
  const tools = toolNames(c).map((name) => ({ type: 'function', function: { name, ...toolSchema(name) } }));
  return { model, messages, max_tokens: maxTokens, ...(tools.length > 0 ? { tools } : {}) };
}

export function anthropicRequest(c: RedteamCase, model: string, maxTokens: number): Record<string, unknown> {
  const messages: { role: 'user' | 'assistant'; content: unknown[] }[] = [];
  const push = (role: 'user' | 'assistant', block: unknown): void => {
    const last = messages[messages.length - 1];
    if (last && last.role === role) last.content.push(block);
    else messages.push({ role, content: [block] });
  };
  for (const t of c.turns as Turn[]) {
    if (t.role === 'user') push('user', { type: 'text', text: t.text });
    else if (t.role === 'tool') push('user', { type: 'tool_result', tool_use_id: t.toolCallId, content: t.text });
    else if ('toolCall' in t) push('assistant', { type: 'tool_use', id: t.toolCall.id, name: t.toolCall.name, input: t.toolCall.args });
    else push('assistant', { type: 'text', text: t.text });
  }
  const tools = toolNames(c).map((name) => {
    const s = toolSchema(name);
    return { name, description: s.description, input_schema: s.parameters };
  });
  return { model, max_tokens: maxTokens, ...(c.system !== undefined ? { system: c.system } : {}), messages, ...(tools.length > 0 ? { tools } : {}) };
}

export function endpointOf(options: Pick<TargetOptions, 'url' | 'provider'>): string {
  const base = options.url.replace(/\/+$/, '');
  return options.provider === 'openai' ? `${base}/chat/completions` : `${base.replace(/\/v1$/, '')}/v1/messages`;
}

export function parseAnswer(provider: Provider, status: number, body: any, ms: number): TargetAnswer {
  if (status < 200 || status >= 300) {
    const error = provider === 'openai' ? body?.error : (body?.error ?? body);
    return { status, ms, text: typeof error?.message === 'string' ? error.message : '', toolCalls: [], ...(typeof error?.type === 'string' ? { errorType: error.type } : {}), ...(typeof error?.code === 'string' ? { errorCode: error.code } : {}) };
  }
  if (provider === 'openai') {
    const choice = body?.choices?.[0];
    if (!choice || typeof choice !== 'object') return { status, ms, text: '', toolCalls: [], failure: 'answer without choices' };
    const message = choice.message ?? {};
    const text = [typeof message.content === 'string' ? message.content : Array.isArray(message.content) ? message.content.map((p: any) => p?.text ?? '').join('') : '', typeof message.refusal === 'string' ? message.refusal : ''].filter(Boolean).join('\n');
    const toolCalls = (Array.isArray(message.tool_calls) ? message.tool_calls : []).map((tc: any) => ({ name: String(tc?.function?.name ?? ''), args: String(tc?.function?.arguments ?? '') }));
    const finish = typeof message.refusal === 'string' && message.refusal ? 'refusal' : choice.finish_reason;
    return { status, ms, text, toolCalls, ...(typeof finish === 'string' ? { finish } : {}) };
  }
  if (!Array.isArray(body?.content)) return { status, ms, text: '', toolCalls: [], failure: 'answer without content' };
  const text = body.content
    .filter((b: any) => b?.type === 'text')
    .map((b: any) => String(b.text ?? ''))
    .join('\n');
  const toolCalls = body.content.filter((b: any) => b?.type === 'tool_use').map((b: any) => ({ name: String(b.name ?? ''), args: JSON.stringify(b.input ?? {}) }));
  return { status, ms, text, toolCalls, ...(typeof body.stop_reason === 'string' ? { finish: body.stop_reason } : {}) };
}

/** Sends one case; never throws (network errors and timeouts become `failure`). */
export async function sendCase(c: RedteamCase, options: TargetOptions): Promise<TargetAnswer> {
  const maxTokens = options.maxTokens ?? 512;
  const body = options.provider === 'openai' ? openAiRequest(c, options.model, maxTokens) : anthropicRequest(c, options.model, maxTokens);
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'clawguard-redteam' };
  if (options.key) {
    if (options.provider === 'openai') headers.authorization = `Bearer ${options.key}`;
    else headers['x-api-key'] = options.key;
  }
  if (options.provider === 'anthropic') headers['anthropic-version'] = '2023-06-01';
  const started = performance.now();
  try {
    const response = await fetch(endpointOf(options), { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(options.timeoutMs) });
    const raw = await response.text();
    const ms = Math.round(performance.now() - started);
    let parsed: unknown;
    try {
      parsed = raw ? JSON.parse(raw) : undefined;
    } catch {
      if (response.ok) return { status: response.status, ms, text: '', toolCalls: [], failure: 'the answer is not JSON' };
    }
    return parseAnswer(options.provider, response.status, parsed, ms);
  } catch (error) {
    const ms = Math.round(performance.now() - started);
    const name = (error as Error).name;
    const why = name === 'TimeoutError' || name === 'AbortError' ? `no answer within ${options.timeoutMs} ms` : `${(error as Error).message}${(error as { cause?: { code?: string } }).cause?.code ? ` (${(error as { cause: { code: string } }).cause.code})` : ''}`;
    return { status: 0, ms, text: '', toolCalls: [], failure: why };
  }
}
