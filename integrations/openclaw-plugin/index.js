// @ts-check
/**
 * ClawGuard for OpenClaw: before every tool call OpenClaw runs, ask ClawGuard's admin API for a verdict
 * (`POST /v1/tool-verdicts`) — the same tool policy, lockdowns and human approvals as ClawGuard's LLM
 * proxy — so they hold where the model's traffic cannot be proxied (OAuth subscription providers).
 *
 * Fails closed: no valid verdict (ClawGuard down, slow, 5xx, a bad answer, no configuration) blocks the
 * call with a reason the agent reads. A `review` verdict waits for an operator's decision
 * (`clawguard approvals approve|deny ID` or the admin API); silence until the timeout blocks.
 *
 * Plain JavaScript, no dependencies: OpenClaw loads this file as it is, with its own Node's `fetch`.
 */

export const PLUGIN_ID = 'clawguard';
export const DEFAULT_TIMEOUT_MS = 5_000;
export const DEFAULT_APPROVAL_TIMEOUT_MS = 300_000;
/** The longest one long-poll for a decision asks ClawGuard to wait (ClawGuard's limit is 60 s). */
const POLL_WAIT_SECONDS = 25;
/** Consecutive failed polls while waiting for a decision before the call is blocked. */
const MAX_POLL_FAILURES = 5;
const API_KEY_ENV = 'CLAWGUARD_API_KEY';
const URL_ENV = 'CLAWGUARD_URL';

/**
 * @typedef {{ url: string, apiKey: string, timeoutMs: number, approvalTimeoutMs: number, tools?: string[] }} GateConfig
 * @typedef {{ toolName: string, params?: Record<string, unknown>, toolCallId?: string, runId?: string }} ToolCallEvent
 * @typedef {{ agentId?: string, sessionKey?: string, sessionId?: string, runId?: string, abortSignal?: AbortSignal }} ToolCallContext
 * @typedef {{ block?: boolean, blockReason?: string, params?: Record<string, unknown> } | undefined} ToolCallResult
 * @typedef {{ debug?: (m: string) => void, info?: (m: string) => void, warn?: (m: string) => void, error?: (m: string) => void }} Logger
 */

/** @param {unknown} v @returns {v is Record<string, unknown>} */
function isObject(v) {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The plugin's settings from `plugins.entries.clawguard.config`, with the environment as fallback for
 * the URL and the key (`CLAWGUARD_URL`, `CLAWGUARD_API_KEY`). Returns an error text instead when they
 * cannot make a working gate; the plugin then blocks every tool call (fail closed).
 * @param {unknown} raw @param {Record<string, string | undefined>} env
 * @returns {{ ok: true, config: GateConfig } | { ok: false, error: string }}
 */
export function resolveConfig(raw, env = process.env) {
  const c = isObject(raw) ? raw : {};
  // OpenClaw leaves a `${VAR}` it cannot resolve in place: that is no value.
  const given = (/** @type {unknown} */ v) => (typeof v === 'string' && v && !/^\$\{[A-Z_][A-Z0-9_]*\}$/.test(v) ? v : undefined);
  const url = given(c.url) ?? env[URL_ENV];
  const apiKey = given(c.apiKey) ?? env[API_KEY_ENV];
  if (!url) return { ok: false, error: `no ClawGuard URL configured (plugins.entries.${PLUGIN_ID}.config.url or ${URL_ENV})` };
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, error: 'the configured ClawGuard URL is not a URL' };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return { ok: false, error: 'the ClawGuard URL must be http(s)' };
  if (!apiKey) return { ok: false, error: `no ClawGuard client key configured (plugins.entries.${PLUGIN_ID}.config.apiKey or ${API_KEY_ENV})` };
  const int = (/** @type {unknown} */ v, /** @type {number} */ d, /** @type {number} */ min, /** @type {number} */ max) =>
    typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? v : d;
  const tools = Array.isArray(c.tools) && c.tools.length > 0 && c.tools.every((t) => typeof t === 'string' && t) ? /** @type {string[]} */ (c.tools) : undefined;
  return {
    ok: true,
    config: {
      url: parsed.href.replace(/\/+$/, ''),
      apiKey,
      timeoutMs: int(c.timeoutMs, DEFAULT_TIMEOUT_MS, 100, 60_000),
      approvalTimeoutMs: int(c.approvalTimeoutMs, DEFAULT_APPROVAL_TIMEOUT_MS, 1_000, 3_600_000),
      ...(tools ? { tools } : {}),
    },
  };
}

/** @param {string} tool @param {string} why */
function blocked(tool, why) {
  return { block: true, blockReason: `[ClawGuard] The tool call "${tool}" was blocked: ${why}. It was not executed.` };
}

class VerdictError extends Error {}

/**
 * One JSON request to ClawGuard. Throws VerdictError with a short, key-free reason on anything but a
 * 2xx JSON object.
 * @param {typeof fetch} fetchImpl @param {string} url @param {RequestInit} init @param {number} budgetMs @param {AbortSignal | undefined} cancel
 * @returns {Promise<Record<string, unknown>>}
 */
async function requestJson(fetchImpl, url, init, budgetMs, cancel) {
  const signals = [AbortSignal.timeout(budgetMs)];
  if (cancel) signals.push(cancel);
  let res;
  try {
    res = await fetchImpl(url, { ...init, signal: AbortSignal.any(signals), redirect: 'error' });
  } catch (error) {
    if (cancel?.aborted) throw new VerdictError('the tool call was cancelled while ClawGuard was asked');
    const name = error instanceof Error ? error.name : '';
    if (name === 'TimeoutError' || name === 'AbortError') throw new VerdictError(`ClawGuard did not answer within ${budgetMs} ms (fail closed)`);
    throw new VerdictError('ClawGuard could not be reached (fail closed)');
  }
  let text = '';
  try {
    text = await res.text();
  } catch {
    throw new VerdictError('ClawGuard\'s answer could not be read (fail closed)');
  }
  /** @type {unknown} */
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (res.status === 401 || res.status === 403) throw new VerdictError(`ClawGuard refused the plugin's credential (HTTP ${res.status})`);
  if (res.status < 200 || res.status >= 300) {
    const message = isObject(body) && isObject(body.error) && typeof body.error.message === 'string' ? `: ${body.error.message.slice(0, 200)}` : '';
    throw new VerdictError(`ClawGuard answered HTTP ${res.status}${message} (fail closed)`);
  }
  if (!isObject(body)) throw new VerdictError('ClawGuard\'s answer was not a verdict (fail closed)');
  return body;
}

/**
 * The `before_tool_call` handler. `deps.fetch` and `deps.now` exist for tests of this module alone.
 * @param {GateConfig} config
 * @param {{ fetch?: typeof fetch, logger?: Logger }} [deps]
 * @returns {(event: ToolCallEvent, ctx?: ToolCallContext) => Promise<ToolCallResult>}
 */
export function createToolGate(config, deps = {}) {
  const fetchImpl = deps.fetch ?? fetch;
  const log = deps.logger ?? {};
  const headers = { authorization: `Bearer ${config.apiKey}`, 'content-type': 'application/json', accept: 'application/json' };

  return async function clawguardBeforeToolCall(event, ctx = {}) {
    const tool = typeof event?.toolName === 'string' && event.toolName ? event.toolName : 'unknown';
    // Parameters that are not an object cannot be judged as the call OpenClaw runs: block, never judge {}.
    if (event?.params !== undefined && event?.params !== null && !isObject(event.params)) return blocked(tool, 'its parameters are not an object, so ClawGuard could not judge them');
    const params = isObject(event?.params) ? event.params : {};
    const cancel = ctx.abortSignal;
    /** @type {Record<string, unknown>} */
    const question = { tool, params };
    if (typeof event.toolCallId === 'string' && event.toolCallId) question.toolCallId = event.toolCallId.slice(0, 200);
    for (const [key, value] of /** @type {const} */ ([['agentId', ctx.agentId], ['sessionKey', ctx.sessionKey], ['sessionId', ctx.sessionId], ['runId', event.runId ?? ctx.runId]])) {
      if (typeof value === 'string' && value) question[key] = value.slice(0, key === 'sessionKey' ? 500 : 200);
    }
    let verdict;
    try {
      verdict = await requestJson(fetchImpl, `${config.url}/v1/tool-verdicts`, { method: 'POST', headers, body: JSON.stringify(question) }, config.timeoutMs, cancel);
    } catch (error) {
      const why = error instanceof VerdictError ? error.message : 'the ClawGuard plugin failed (fail closed)';
      log.warn?.(`[clawguard] ${tool}: blocked, ${why}`);
      return blocked(tool, why);
    }
    if (verdict.verdict === 'allow') {
      if (verdict.params === undefined) return undefined;
      if (isObject(verdict.params)) return { params: verdict.params };
      return blocked(tool, 'ClawGuard\'s answer was not a verdict (fail closed)');
    }
    if (verdict.verdict === 'block') {
      const reason = typeof verdict.reason === 'string' && verdict.reason ? verdict.reason : `[ClawGuard] The tool call "${tool}" was refused by policy. It was not executed.`;
      log.info?.(`[clawguard] ${tool}: blocked by policy`);
      return { block: true, blockReason: reason };
    }
    if (verdict.verdict === 'review' && typeof verdict.approvalId === 'string' && /^[\w-]{1,100}$/.test(verdict.approvalId)) {
      log.info?.(`[clawguard] ${tool}: held for review, approval ${verdict.approvalId}`);
      return waitForDecision(tool, verdict.approvalId, typeof verdict.expiresAt === 'string' ? Date.parse(verdict.expiresAt) : NaN, cancel, params);
    }
    return blocked(tool, 'ClawGuard\'s answer was not a verdict (fail closed)');
  };

  /**
   * Long-polls ClawGuard until a human decides, the approval expires or the plugin's own deadline passes.
   * @param {string} tool @param {string} approvalId @param {number} expiresAt @param {AbortSignal | undefined} cancel @param {Record<string, unknown>} asked
   * @returns {Promise<ToolCallResult>}
   */
  async function waitForDecision(tool, approvalId, expiresAt, cancel, asked) {
    const deadline = Date.now() + config.approvalTimeoutMs;
    let failures = 0;
    for (;;) {
      if (cancel?.aborted) return blocked(tool, 'the tool call was cancelled while it waited for approval');
      const left = deadline - Date.now();
      if (left <= 0) return blocked(tool, `no approval within ${Math.round(config.approvalTimeoutMs / 1000)} s (approval ${approvalId})`);
      const wait = Math.max(0, Math.min(POLL_WAIT_SECONDS, Math.ceil(left / 1000)));
      try {
        const answer = await requestJson(fetchImpl, `${config.url}/v1/tool-verdicts/approvals/${encodeURIComponent(approvalId)}?wait=${wait}`, { method: 'GET', headers }, wait * 1000 + config.timeoutMs, cancel);
        failures = 0;
        if (answer.verdict === 'allow' && answer.status === 'approved') {
          log.info?.(`[clawguard] ${tool}: approved (approval ${approvalId})`);
          // Run what the operator approved: the held arguments (redacted where the policy said so).
          if (answer.params === undefined) return undefined;
          if (isObject(answer.params)) return JSON.stringify(answer.params) === JSON.stringify(asked) ? undefined : { params: answer.params };
          return blocked(tool, 'ClawGuard\'s answer was not a verdict (fail closed)');
        }
        if (answer.verdict === 'block') {
          const reason = typeof answer.reason === 'string' && answer.reason ? answer.reason : `[ClawGuard] The tool call "${tool}" was refused (review ${String(answer.status)}). It was not executed.`;
          log.info?.(`[clawguard] ${tool}: ${String(answer.status)} (approval ${approvalId})`);
          return { block: true, blockReason: reason };
        }
        if (answer.verdict !== 'review' || answer.status !== 'pending') return blocked(tool, 'ClawGuard\'s answer was not a verdict (fail closed)');
        // Still pending: ClawGuard expires it at its own timeout; past that with no answer, stop asking.
        if (Number.isFinite(expiresAt) && Date.now() > expiresAt + config.timeoutMs) return blocked(tool, `no approval in time (approval ${approvalId})`);
      } catch (error) {
        if (cancel?.aborted) return blocked(tool, 'the tool call was cancelled while it waited for approval');
        failures++;
        const why = error instanceof VerdictError ? error.message : 'the ClawGuard plugin failed (fail closed)';
        if (failures >= MAX_POLL_FAILURES || /credential/.test(why)) return blocked(tool, `waiting for approval ${approvalId}: ${why}`);
        await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, Math.max(0, deadline - Date.now()))));
      }
    }
  }
}

/**
 * The hook's own budget in OpenClaw: long enough for a human to decide. OpenClaw's default for
 * `before_tool_call` (15 s) would fail the call closed while an operator is still reading it.
 * @param {GateConfig} config
 */
export function hookTimeoutMs(config) {
  return config.timeoutMs * 2 + config.approvalTimeoutMs + 5_000;
}

const plugin = {
  id: PLUGIN_ID,
  name: 'ClawGuard',
  description: 'Asks ClawGuard for a verdict on every tool call before it runs (tool policy, lockdowns, human approvals). Fails closed.',
  /** @param {{ pluginConfig?: unknown, logger?: Logger, on: (hook: string, handler: (event: any, ctx: any) => unknown, options?: Record<string, unknown>) => void }} api */
  register(api) {
    const log = api.logger ?? {};
    const resolved = resolveConfig(api.pluginConfig);
    if (!resolved.ok) {
      // Misconfigured: every tool call is blocked, with the reason, rather than silently unguarded.
      const error = resolved.error;
      log.error?.(`[clawguard] ${error}: every tool call will be blocked`);
      api.on('before_tool_call', (/** @type {ToolCallEvent} */ event) => blocked(event?.toolName || 'unknown', `the ClawGuard plugin is not configured (${error})`), { priority: 1000 });
      return;
    }
    const config = resolved.config;
    api.on('before_tool_call', createToolGate(config, { logger: log }), {
      priority: 1000,
      timeoutMs: hookTimeoutMs(config),
      ...(config.tools ? { matcher: config.tools } : {}),
    });
    log.info?.(`[clawguard] guarding ${config.tools ? config.tools.join(', ') : 'every tool call'} through ${config.url}`);
  },
};

export default plugin;
