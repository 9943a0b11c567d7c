import { hostname } from 'node:os';
import { gzipSync } from 'node:zlib';
import { type CollectorOptions, HttpCollectorForwarder } from './collector.js';
import { severityOf, type SiemEvent } from './format.js';
import type { HttpAnswer } from './http.js';

export interface DatadogLogsOptions extends CollectorOptions {
  /** The API key value (resolved from its secret reference). */
  readonly apiKey: string;
  /** Datadog site: `datadoghq.com`, `datadoghq.eu`, `us3.datadoghq.com`, `us5.datadoghq.com`, `ap1.datadoghq.com`, `ddog-gov.com`. */
  readonly site?: string;
  /** Full intake URL instead of the site's (a proxy, or a test receiver). */
  readonly url?: string;
  readonly service?: string;
  readonly source?: string;
  readonly tags?: readonly string[];
  readonly hostname?: string;
  /** gzip the body (`Content-Encoding: gzip`). */
  readonly compress?: boolean;
  /** Datadog accepts at most 5 MB (uncompressed) per request. */
  readonly batchBytes?: number;
}

export function datadogIntakeUrl(site: string): string {
  return `https://http-intake.logs.${site}/api/v2/logs`;
}

const STATUS: Record<number, string> = { 3: 'error', 4: 'warn', 5: 'notice', 6: 'info' };

/**
 * Datadog logs intake (HTTP API v2): a JSON array per POST with `DD-API-KEY`. Each entry carries the
 * reserved attributes (`ddsource`, `ddtags`, `hostname`, `service`, `status`, `timestamp`), a short
 * `message`, and the whole event under `clawguard` (queryable as `@clawguard.type`, …).
 */
export class DatadogLogsForwarder extends HttpCollectorForwarder {
  private readonly common: { ddsource: string; ddtags?: string; hostname: string; service: string };

  constructor(private readonly options: DatadogLogsOptions) {
    super(
      {
        label: 'Datadog',
        credential: 'API key',
        credentialHint: 'check the apiKey secret reference and that the site matches the key.',
        secret: options.apiKey,
        defaultBatchSize: 500,
        batchBytes: Math.min(options.batchBytes ?? 4 * 1024 * 1024, 5_000_000),
      },
      { url: options.url ?? datadogIntakeUrl(options.site ?? 'datadoghq.com') },
      { ...options, batchSize: Math.min(options.batchSize ?? 500, 1000), name: options.name ?? 'datadog' },
    );
    this.common = {
      ddsource: options.source ?? 'clawguard',
      ...(options.tags?.length ? { ddtags: options.tags.join(',') } : {}),
      hostname: options.hostname ?? hostname(),
      service: options.service ?? 'clawguard',
    };
  }

  protected encode(event: SiemEvent): string {
    const data = (event.data ?? {}) as Record<string, unknown>;
    const action = typeof data.action === 'string' ? ` ${data.action}` : typeof data.outcome === 'string' ? ` ${data.outcome}` : '';
    return JSON.stringify({ ...this.common, status: STATUS[severityOf(event)] ?? 'info', timestamp: Number(event.ts), message: `clawguard audit ${String(event.type)}${action} seq ${event.seq}`, clawguard: event });
  }

  protected post(encoded: readonly string[]): Promise<HttpAnswer> {
    const json = `[${encoded.join(',')}]`;
    const compress = this.options.compress ?? true;
    const headers: Record<string, string> = { 'dd-api-key': this.options.apiKey, 'content-type': 'application/json', ...(compress ? { 'content-encoding': 'gzip' } : {}) };
    return this.http.post(headers, compress ? gzipSync(json) : json);
  }

  protected describe(answer: HttpAnswer): string {
    let detail = '';
    try {
      const body = JSON.parse(answer.text) as { errors?: unknown[] };
      if (Array.isArray(body.errors) && body.errors.length) detail = `: ${body.errors.map((e) => (typeof e === 'string' ? e : JSON.stringify(e))).join('; ').slice(0, 300)}`;
    } catch {
      // `{}` on success, or not JSON: the status says it.
    }
    return `HTTP ${answer.status}${detail}`;
  }
}
