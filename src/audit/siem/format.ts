import { hostname } from 'node:os';
import { parseBody, type StoredRecord } from '../record.js';

/** A record as forwarded: chain fields plus the body (payload bytes are never forwarded). */
export type SiemEvent = Record<string, unknown> & { readonly seq: number };

/** One JSON object per record: chain fields plus the body (payload bytes are never forwarded). */
export function recordToJson(record: StoredRecord): SiemEvent {
  const { payload, ...body } = parseBody(record.body) as unknown as Record<string, unknown> & { payload?: unknown };
  return { seq: record.seq, hash: record.hash, ...body, ...(payload ? { payload } : {}) };
}

const FACILITY_LOG_AUDIT = 13;

/** Syslog severity from the event (3 err, 4 warning, 5 notice, 6 info): errors and blocks stand out. */
export function severityOf(json: Record<string, unknown>): number {
  const data = (json.data ?? {}) as Record<string, unknown>;
  switch (json.type) {
    case 'error':
    case 'guard.failure':
      return 3;
    case 'auth':
      return data.outcome === 'failure' ? 4 : 6;
    case 'decision':
    case 'finding':
    case 'tool.call':
      return data.action === 'block' || data.verdict === 'block' ? 4 : 6;
    case 'admin':
      return 5;
    default:
      return 6;
  }
}

function sdValue(v: string): string {
  return v.replace(/[\\\]"]/g, (c) => `\\${c}`);
}

/** RFC 5424 message from a forwarded event: `<PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD] BOM JSON`. */
export function eventToSyslog5424(json: SiemEvent, options: { appName?: string; host?: string } = {}): string {
  const pri = FACILITY_LOG_AUDIT * 8 + severityOf(json);
  const ts = new Date(Number(json.ts)).toISOString();
  const host = (options.host ?? hostname()).replace(/[^!-~]/g, '').slice(0, 255) || '-';
  const msgId = String(json.type).replace(/[^!-~]/g, '').slice(0, 32) || '-';
  const sd: string[] = [`seq="${json.seq}"`, `hash="${sdValue(String(json.hash))}"`];
  for (const key of ['principal', 'tenant', 'requestId'] as const) {
    if (typeof json[key] === 'string') sd.push(`${key}="${sdValue(json[key] as string)}"`);
  }
  return `<${pri}>1 ${ts} ${host} ${options.appName ?? 'clawguard'} ${process.pid} ${msgId} [clawguard@32473 ${sd.join(' ')}] \uFEFF${JSON.stringify(json)}`;
}

/** RFC 5424 message for a stored record. */
export function toSyslog5424(record: StoredRecord, options: { appName?: string; host?: string } = {}): string {
  return eventToSyslog5424(recordToJson(record), options);
}
