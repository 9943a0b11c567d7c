import { parseBody } from '../../audit/record.js';
import { openAuditStore } from '../../audit/setup.js';
import type { AuditQuery, AuditStore } from '../../audit/store.js';
import type { LoadedConfig } from '../../config/load.js';
import { type AlertRules, type AuditItem, incidentMarkdown, summarize } from './timeline.js';

export interface ReportWindow {
  /** Inclusive, ms since the epoch. */
  readonly since: number;
  /** Exclusive. */
  readonly until?: number;
}

/** Records matching a query, in chain order, one page at a time. */
export async function* queryItems(store: AuditStore, filter: AuditQuery, pageSize = 5000): AsyncGenerator<AuditItem & { hash: string; body: ReturnType<typeof parseBody> }> {
  let after = 0;
  for (;;) {
    const rows = await store.query(filter, after, pageSize);
    if (rows.length === 0) return;
    for (const r of rows) yield { seq: r.seq, hash: r.hash, body: parseBody(r.body) };
    after = rows[rows.length - 1]!.seq;
  }
}

export function alertRules(loaded: LoadedConfig): AlertRules {
  return loaded.config.telemetry.alerts.rules;
}

/** `clawguard incident report`: the Markdown post-incident timeline of a time window, from the audit log. */
export async function buildReport(loaded: LoadedConfig, window: ReportWindow, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const audit = loaded.config.audit;
  if (!audit.enabled) throw new Error('audit is disabled in this config: there is no audit log to report on');
  const store = await openAuditStore(audit, { baseDir: loaded.baseDir, env });
  try {
    const items: AuditItem[] = [];
    for await (const item of queryItems(store, { since: window.since, ...(window.until !== undefined ? { until: window.until } : {}) })) items.push(item);
    const { summary, timeline } = summarize(items, alertRules(loaded));
    return incidentMarkdown(summary, timeline, {
      title: 'ClawGuard post-incident report',
      window,
      preamble: [`Source: the ${store.kind === 'postgres' ? 'PostgreSQL' : 'SQLite'} audit log of ${loaded.file}; generated ${new Date().toISOString()}.`, 'For evidence, export a signed bundle (`clawguard incident export`) and check it with `clawguard incident verify`.'],
    });
  } finally {
    await store.close();
  }
}
