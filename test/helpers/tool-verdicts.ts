import { TOOLCALLS_POLICY_RULES } from '../../src/guards/toolcalls/index.js';
import type { TestGateway } from './gateway.js';

/**
 * The plugin path's shared test set-up (POST /v1/tool-verdicts on the admin listener): a gateway config
 * with the OpenClaw tool profile and an internal-token pattern redacted in tool calls, the verdict
 * request, and waiting for a held call to show up among the pending approvals.
 */
export const TOOL_GATE_CONFIG = {
  guards: {
    toolcalls: { profile: 'openclaw', workspace: ['/srv/agent/workspace'] },
    patterns: { deny: [{ id: 'token', pattern: 'tok_[a-z0-9]{6,}', description: 'an internal token' }] },
  },
  policy: { rules: [{ type: 'pattern.token', kind: ['tool_call'], action: 'redact' }, ...TOOLCALLS_POLICY_RULES] },
};

/** POST /v1/tool-verdicts; `key: null` sends no credential. A string body is sent as it is. */
export async function postToolVerdict(gw: TestGateway, body: unknown, key: string | null = gw.clientKey): Promise<{ status: number; body: any }> {
  const res = await fetch(`${gw.adminUrl}/v1/tool-verdicts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/** A call to the admin API with the gateway's admin key; the parsed JSON answer. */
export async function adminCall(gw: TestGateway, path: string, method = 'GET', body?: unknown): Promise<any> {
  const res = await fetch(`${gw.adminUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${gw.adminKey}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return res.json();
}

/** The pending approval of `tool`, once the gateway has recorded it (5 s at most). */
export async function pendingApproval(gw: TestGateway, tool: string): Promise<any> {
  for (let i = 0; i < 200; i++) {
    const found = ((await adminCall(gw, '/v1/approvals?status=pending')) as { approvals: any[] }).approvals.find((a) => a.toolName === tool);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no pending approval for ${tool}`);
}
