import Fastify from 'fastify';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import type { AuditEvent, AuditSink } from '../../src/audit/events.js';
import { AuditLog } from '../../src/audit/log.js';
import { SqliteAuditStore } from '../../src/audit/sqlite-store.js';
import { Metrics, Telemetry, telemetryConfigSchema } from '../../src/telemetry/index.js';
import { tempDir } from '../audit/helpers.js';

type Families = ReturnType<typeof parsePrometheusTextFormat>;

function sample(families: Families, name: string, labels: Record<string, string> = {}): { value?: string; count?: string; sum?: string; buckets?: Record<string, string> } | undefined {
  const family = families.find((f) => f.name === name);
  return family?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
}

function memorySink(): AuditSink & { events: AuditEvent[] } {
  const events: AuditEvent[] = [];
  return { events, record: (e) => void events.push(e), flush: async () => {}, close: async () => {} };
}

describe('metrics', () => {
  it('counts what the audit events say and renders valid Prometheus text', async () => {
    const telemetry = await Telemetry.create(telemetryConfigSchema.parse({ metrics: { defaultMetrics: false } }), { timers: false });
    const sink = memorySink();
    const audit = telemetry.tap(sink);
    audit.record({ type: 'request.received', principal: 'key_a', route: '/v1/chat/completions' });
    audit.record({ type: 'finding', direction: 'input', guard: 'pii', findingType: 'pii.email', score: 1, segmentId: 's1', action: 'redact' });
    audit.record({ type: 'finding', direction: 'input', guard: 'pii', findingType: 'pii.email', score: 1, segmentId: 's2', action: 'redact' });
    audit.record({ type: 'guard.failure', guard: 'injection-remote', error: 'timeout', timedOut: true, failOpen: false });
    audit.record({ type: 'upstream.response', principal: 'key_a', upstream: 'openai', status: 200, latencyMs: 420, timeToFirstTokenMs: 130, tokensIn: 1000, tokensOut: 250 });
    audit.record({ type: 'upstream.response', principal: 'key_a', upstream: 'openai', status: 0, latencyMs: 30_000, error: 'timeout' });
    audit.record({ type: 'stream.intervention', intervention: 'tool_call_refused' });
    audit.record({ type: 'auth', outcome: 'failure', surface: 'proxy', reason: 'invalid_key' });
    telemetry.metrics.requestCompleted('/v1/chat/completions', 'redact', 200, 0.004);
    telemetry.metrics.requestCompleted('/v1/chat/completions', 'block', 403, 0.002);
    telemetry.metrics.guardRan('pii', 0.0003);
    telemetry.metrics.cacheLookup(true, 3);
    telemetry.metrics.cacheLookup(false);
    telemetry.metrics.watchPendingApprovals(() => 2);
    expect(sink.events).toHaveLength(8);

    const families = parsePrometheusTextFormat(await telemetry.metrics.render());
    expect(sample(families, 'clawguard_requests_total', { route: '/v1/chat/completions', decision: 'block', status: '403' })?.value).toBe('1');
    // Histograms: the parser folds each histogram's buckets into one sample (prom2json layout).
    const histogram = (name: string) => families.find((f) => f.name === name && f.type === 'HISTOGRAM')?.metrics[0]?.buckets;
    expect(histogram('clawguard_gateway_overhead_seconds')).toMatchObject({ '0.0025': '1', '0.005': '2', '+Inf': '2' });
    expect(histogram('clawguard_upstream_latency_seconds')).toMatchObject({ '0.25': '0', '0.5': '1', '+Inf': '1' });
    expect(histogram('clawguard_time_to_first_token_seconds')).toMatchObject({ '0.1': '0', '0.25': '1' });
    expect(histogram('clawguard_guard_latency_seconds')).toMatchObject({ '0.00025': '0', '0.0005': '1' });
    expect(sample(families, 'clawguard_findings_total', { guard: 'pii', type: 'pii.email' })?.value).toBe('2');
    expect(sample(families, 'clawguard_guard_failures_total', { guard: 'injection-remote', fail_open: 'false', timed_out: 'true' })?.value).toBe('1');
    expect(sample(families, 'clawguard_upstream_errors_total', { upstream: 'openai', kind: 'timeout' })?.value).toBe('1');
    expect(sample(families, 'clawguard_tokens_total', { principal: 'key_a', direction: 'in' })?.value).toBe('1000');
    expect(sample(families, 'clawguard_tokens_total', { principal: 'key_a', direction: 'out' })?.value).toBe('250');
    expect(sample(families, 'clawguard_stream_interventions_total', { kind: 'tool_call_refused' })?.value).toBe('1');
    expect(sample(families, 'clawguard_auth_failures_total', { surface: 'proxy', reason: 'invalid_key' })?.value).toBe('1');
    expect(sample(families, 'clawguard_scan_cache_lookups_total', { result: 'hit' })?.value).toBe('3');
    expect(sample(families, 'clawguard_pending_approvals')?.value).toBe('2');
    await telemetry.close();
  });

  it('counts requests and tokens between scrapes, label sets in the order first counted', async () => {
    const metrics = new Metrics();
    const values = async () => (await metrics.requests.get()).values.map((v) => `${v.labels.route} ${v.labels.decision} ${v.labels.status} ${v.value}`);
    metrics.requestCompleted('/a', 'allow', 200);
    metrics.requestCompleted('/b', 'allow', 200);
    metrics.requestCompleted('/a', 'block', 403);
    metrics.requestCompleted('/a', 'allow', 200);
    expect(await values()).toEqual(['/a allow 200 2', '/b allow 200 1', '/a block 403 1']);
    metrics.requestCompleted('/c', 'allow', 200);
    metrics.requestCompleted('/b', 'allow', 200);
    expect(await values()).toEqual(['/a allow 200 2', '/b allow 200 2', '/a block 403 1', '/c allow 200 1']);
    metrics.tokensUsed('k', 10, 0);
    metrics.tokensUsed('k', 5, 7);
    expect((await metrics.tokens.get()).values.map((v) => `${v.labels.principal} ${v.labels.direction} ${v.value}`)).toEqual(['k in 15', 'k out 7']);
    // What prom-client refuses is refused at once, as before, not at the next scrape.
    expect(() => metrics.tokensUsed('k', Infinity, 0)).toThrow();
    expect((await metrics.tokens.get()).values.map((v) => v.value)).toEqual([15, 7]);
  });

  it('keeps principal labels bounded', async () => {
    const metrics = new Metrics({ principalLabelLimit: 2 });
    for (const p of ['a', 'b', 'c', 'd']) metrics.tokensUsed(p, 10, 0);
    const families = parsePrometheusTextFormat(await metrics.render());
    const principals = families.find((f) => f.name === 'clawguard_tokens_total')!.metrics.map((m) => [m.labels?.principal, m.value]);
    expect(principals).toEqual([['a', '10'], ['b', '10'], ['other', '20']]);
  });

  it('reports the audit queue, spool and store state at scrape time, served at /metrics', async () => {
    const { dir, cleanup } = tempDir();
    const store = new SqliteAuditStore({ database: `${dir}/a.db` });
    const log = await AuditLog.open({ store, spool: { path: `${dir}/spool` }, flushIntervalMs: 60_000, batchSize: 1000 });
    const metrics = new Metrics({ defaultMetrics: true });
    metrics.watchAudit(log);
    for (let i = 0; i < 5; i++) log.record({ type: 'auth', outcome: 'success', surface: 'proxy' });
    const app = Fastify();
    app.get('/metrics', async (_req, reply) => reply.header('content-type', metrics.contentType).send(await metrics.render()));
    try {
      const before = await app.inject({ method: 'GET', url: '/metrics' });
      expect(before.headers['content-type']).toContain('text/plain');
      const families = parsePrometheusTextFormat(before.body);
      expect(sample(families, 'clawguard_audit_queue_depth')?.value).toBe('5');
      expect(Number(sample(families, 'clawguard_audit_spool_bytes')?.value)).toBeGreaterThan(0);
      expect(sample(families, 'clawguard_audit_store_up')?.value).toBe('1');
      expect(families.some((f) => f.name === 'clawguard_process_cpu_seconds_total')).toBe(true);
      await log.flush();
      const after = parsePrometheusTextFormat((await app.inject({ method: 'GET', url: '/metrics' })).body);
      expect(sample(after, 'clawguard_audit_queue_depth')?.value).toBe('0');
      expect(sample(after, 'clawguard_audit_spool_bytes')?.value).toBe('0');
    } finally {
      await app.close();
      await log.close();
      await store.close();
      cleanup();
    }
  });
});
