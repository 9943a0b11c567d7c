import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Metrics } from '../../src/telemetry/metrics.js';

describe('Grafana dashboard', () => {
  it('queries only metrics the gateway exports', async () => {
    const dashboard = JSON.parse(readFileSync('src/telemetry/grafana-dashboard.json', 'utf8')) as { panels: { targets: { expr: string }[] }[] };
    const exported = new Set((await new Metrics().registry.getMetricsAsJSON()).map((m) => m.name));
    const used = new Set<string>();
    for (const panel of dashboard.panels) for (const t of panel.targets) for (const m of t.expr.matchAll(/clawguard_[a-z_]+/g)) used.add(m[0].replace(/_(bucket|sum|count)$/, ''));
    expect(used.size).toBeGreaterThan(10);
    expect([...used].filter((name) => !exported.has(name))).toEqual([]);
  });
});
