import { describe, expect, it } from 'vitest';
import { auditConfigSchema } from '../../src/audit/config.js';
import { telemetryConfigSchema } from '../../src/telemetry/config.js';

describe('audit and telemetry config sections', () => {
  it('an absent section gets safe defaults: SQLite, no payloads, a spool that fails closed', () => {
    const c = auditConfigSchema.parse(undefined);
    expect(c).toMatchObject({ enabled: true, store: { type: 'sqlite', path: 'clawguard-audit.db' }, payloads: 'none', onFull: 'fail-closed', spool: { path: 'clawguard-audit.spool' }, siem: [] });
    expect(telemetryConfigSchema.parse(undefined)).toMatchObject({ metrics: { enabled: true, path: '/metrics' }, anomaly: { enabled: true, bucketSeconds: 60 } });
  });

  it('names every inconsistent field', () => {
    const r = auditConfigSchema.safeParse({
      store: { type: 'postgres' },
      payloads: 'encrypted',
      signing: { privateKey: 'my-raw-key' },
      siem: [{ type: 'http', url: 'ftp://x' }],
    });
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['store.url', 'encryption', 'signing.privateKey', 'siem.0.url']));
    const active = auditConfigSchema.safeParse({ encryption: { activeKey: 'k9', keys: [{ id: 'k1', secret: 'env:K1' }] } });
    expect(active.error!.issues.map((i) => i.path.join('.'))).toEqual(['encryption.activeKey']);
  });

  it('webhook URLs may be secret references; plain secrets are refused in headers', () => {
    expect(telemetryConfigSchema.parse({ alerts: { webhooks: [{ url: 'env:SLACK_URL', format: 'slack' }] } }).alerts.webhooks[0]).toMatchObject({ url: 'env:SLACK_URL', minSeverity: 'warning' });
    expect(telemetryConfigSchema.safeParse({ alerts: { webhooks: [{ url: 'https://h', headers: { authorization: 'Bearer abc' } }] } }).success).toBe(false);
  });
});
