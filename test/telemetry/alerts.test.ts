import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WrappedDataKey } from '../../src/audit/encryption.js';
import { AuditLog } from '../../src/audit/log.js';
import type { RecordDraft, StoredRecord } from '../../src/audit/record.js';
import { SqliteAuditStore } from '../../src/audit/sqlite-store.js';
import { AlertManager, Telemetry, telemetryConfigSchema } from '../../src/telemetry/index.js';
import { tempDir } from '../audit/helpers.js';

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

async function receiver(status = 200): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let b = '';
    req.on('data', (c) => (b += c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(b) as Record<string, unknown> });
      res.statusCode = status;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, server };
}

describe('alerts', () => {
  let hook: Awaited<ReturnType<typeof receiver>>;
  let clock: number;
  beforeEach(async () => {
    hook = await receiver();
    clock = Date.UTC(2026, 2, 1);
  });
  afterEach(async () => {
    await new Promise<void>((r) => hook.server.close(() => r()));
  });

  async function telemetry(extra: Record<string, unknown> = {}): Promise<Telemetry> {
    const config = telemetryConfigSchema.parse({
      metrics: { defaultMetrics: false },
      alerts: {
        webhooks: [
          { url: `${hook.url}/json`, format: 'json', minSeverity: 'info', headers: { authorization: 'env:HOOK_TOKEN' } },
          { url: 'env:SLACK_URL', format: 'slack', minSeverity: 'critical' },
        ],
        ...extra,
      },
      anomaly: { warmupBuckets: 5 },
    });
    return Telemetry.create(config, { env: { HOOK_TOKEN: 'Bearer hook-secret-xyz', SLACK_URL: `${hook.url}/slack` }, now: () => clock, timers: false });
  }

  it('an auth-failure burst alerts once (deduplicated), as JSON and not to a sink above its severity', async () => {
    const t = await telemetry();
    for (let i = 0; i < 45; i++) {
      clock += 500;
      t.observe({ type: 'auth', outcome: 'failure', surface: 'proxy', reason: 'invalid_key', clientIp: '203.0.113.9', time: clock });
    }
    await t.close();
    expect(hook.received.map((r) => r.path)).toEqual(['/json']);
    const [alert] = hook.received;
    expect(alert!.body).toMatchObject({ source: 'clawguard', rule: 'auth_failure_burst', severity: 'warning', labels: { surface: 'proxy', clientIp: '203.0.113.9' } });
    expect(alert!.headers.authorization).toBe('Bearer hook-secret-xyz');
    expect(JSON.stringify(alert!.body)).not.toContain('hook-secret');
    expect(t.alerts.stats.deduplicated).toBeGreaterThanOrEqual(1);
  });

  it('a burst of blocked injections, a guard failing open and a lockdown reach both JSON and Slack sinks', async () => {
    const t = await telemetry();
    for (let i = 0; i < 5; i++) t.observe({ type: 'decision', principal: 'key_x', direction: 'input', action: 'block', findings: 1, failures: 0, findingTypes: ['injection.override'], time: (clock += 1000) });
    for (let i = 0; i < 3; i++) t.observe({ type: 'guard.failure', guard: 'injection-remote', error: 'timeout', timedOut: true, failOpen: true, time: (clock += 1000) });
    t.observe({ type: 'admin', action: 'lockdown.on', actor: 'admin_ops', time: (clock += 1000) });
    await t.close();
    const json = hook.received.filter((r) => r.path === '/json').map((r) => r.body.rule);
    expect(json).toEqual(['injection_burst', 'guard_failures', 'lockdown']);
    const slack = hook.received.filter((r) => r.path === '/slack').map((r) => r.body.text as string);
    expect(slack).toHaveLength(3);
    expect(slack[0]).toMatch(/^:rotating_light: \*ClawGuard: burst of blocked prompt injections\*/);
    expect(slack[1]).toContain('failing OPEN');
  });

  it('anomalies and a first-seen high-risk tool become alerts', async () => {
    const t = await telemetry();
    for (let m = 0; m < 10; m++) {
      clock += 60_000;
      for (let i = 0; i < 3; i++) t.observe({ type: 'upstream.response', principal: 'key_q', upstream: 'openai', status: 200, latencyMs: 100, tokensIn: 900, tokensOut: 100, time: clock });
    }
    clock += 60_000;
    for (let i = 0; i < 3; i++) t.observe({ type: 'upstream.response', principal: 'key_q', upstream: 'openai', status: 200, latencyMs: 100, tokensIn: 50_000, tokensOut: 1000, time: clock });
    t.observe({ type: 'tool.call', principal: 'key_q', tool: 'exec', verdict: 'review', time: clock });
    clock += 60_000;
    t.anomaly!.tick(clock);
    await t.close();
    const rules = hook.received.filter((r) => r.path === '/json').map((r) => `${r.body.rule}:${(r.body.labels as Record<string, string>).metric}`);
    expect(rules).toEqual(['anomaly:newHighRiskTool', 'anomaly:tokens']);
    expect(hook.received.filter((r) => r.path === '/slack')).toHaveLength(1);
  });

  it('audit spooling raises a critical alert', async () => {
    const t = await telemetry();
    const { dir, cleanup } = tempDir();
    const inner = new SqliteAuditStore({ database: join(dir, 'a.db') });
    const store = Object.create(inner) as SqliteAuditStore;
    let down = true;
    store.append = async (d: readonly RecordDraft[], k: readonly WrappedDataKey[]): Promise<StoredRecord[]> => {
      if (down) throw new Error('store unreachable');
      return inner.append(d, k);
    };
    const log = await AuditLog.open({ store, spool: { path: join(dir, 'spool') }, flushIntervalMs: 1, hooks: t.auditHooks() });
    log.record({ type: 'auth', outcome: 'success', surface: 'proxy' });
    await expect(log.flush(200)).rejects.toThrow();
    down = false;
    await log.close();
    await inner.close();
    cleanup();
    await t.close();
    expect(hook.received.map((r) => `${r.path}:${r.body.rule ?? ''}`)).toEqual(['/json:audit_spooling', '/slack:']);
  });

  it('rate-limits per target and counts failed deliveries', async () => {
    const failing = await receiver(500);
    try {
      const manager = new AlertManager({ targets: [{ url: hook.url, format: 'json' }, { url: failing.url, format: 'json' }], maxPerMinute: 3, now: () => clock });
      for (let i = 0; i < 6; i++) manager.fire({ rule: 'r', severity: 'warning', title: 't', message: `m${i}`, dedupKey: `k${i}` });
      await manager.flush();
      expect(hook.received).toHaveLength(3);
      expect(manager.stats).toMatchObject({ sent: 3, rateLimited: 6, failed: 3 });
      expect(failing.received).toHaveLength(6);
      clock += 60_000;
      manager.fire({ rule: 'r', severity: 'warning', title: 't', message: 'later', dedupKey: 'k-late' });
      await manager.flush();
      expect(hook.received).toHaveLength(4);
    } finally {
      await new Promise<void>((r) => failing.server.close(() => r()));
    }
  });
});
