import { hostname } from 'node:os';
import { type CollectorOptions, HttpCollectorForwarder } from './collector.js';
import type { SiemEvent } from './format.js';
import type { HttpAnswer } from './http.js';

export interface SplunkHecOptions extends CollectorOptions {
  /** HEC base URL, e.g. `https://splunk.example:8088`; events go to `/services/collector/event`. */
  readonly url: string;
  /** The HEC token value (resolved from its secret reference). */
  readonly token: string;
  readonly index?: string;
  readonly source?: string;
  readonly sourcetype?: string;
  readonly host?: string;
  /** Bytes of one POST at most (HEC's `max_content_length` is 1 MB on older releases). */
  readonly batchBytes?: number;
}

export const SPLUNK_HEC_PATH = '/services/collector/event';

/** HEC's answer: `{"text":"Invalid data format","code":6,"invalid-event-number":2}`. */
interface HecAnswer {
  readonly text?: string;
  readonly code?: number;
  readonly 'invalid-event-number'?: number;
}

function hecAnswer(answer: HttpAnswer): HecAnswer {
  try {
    const parsed: unknown = JSON.parse(answer.text);
    return parsed && typeof parsed === 'object' ? (parsed as HecAnswer) : {};
  } catch {
    return {}; // not HEC's JSON (a proxy's page): the status alone decides
  }
}

/**
 * Splunk HTTP Event Collector: several events per POST as concatenated JSON objects with the HEC
 * envelope (`time`, `host`, `source`, `sourcetype`, `index`, `event`), `Authorization: Splunk TOKEN`.
 * A 400 names the refused event (`invalid-event-number`): HEC indexed the ones before it, that one
 * is dead-lettered, the rest go on.
 */
export class SplunkHecForwarder extends HttpCollectorForwarder {
  private readonly envelope: { host: string; source: string; sourcetype: string; index?: string };

  constructor(private readonly options: SplunkHecOptions) {
    super(
      { label: 'Splunk HEC', credential: 'token', credentialHint: "check the token's secret reference and that the token is enabled.", secret: options.token, defaultBatchSize: 500, batchBytes: options.batchBytes ?? 1024 * 1024 },
      { url: options.url },
      { ...options, name: options.name ?? 'splunk' },
    );
    this.envelope = { host: options.host ?? hostname(), source: options.source ?? 'clawguard', sourcetype: options.sourcetype ?? 'clawguard:audit', ...(options.index ? { index: options.index } : {}) };
  }

  /** `time` is epoch seconds with milliseconds. */
  protected encode(event: SiemEvent): string {
    return JSON.stringify({ time: Number(event.ts) / 1000, ...this.envelope, event });
  }

  protected post(encoded: readonly string[]): Promise<HttpAnswer> {
    return this.http.post({ authorization: `Splunk ${this.options.token}`, 'content-type': 'application/json' }, encoded.join('\n'), SPLUNK_HEC_PATH);
  }

  protected describe(answer: HttpAnswer): string {
    const hec = hecAnswer(answer);
    return `HTTP ${answer.status}${typeof hec.text === 'string' ? `: ${hec.text}` : ''}${typeof hec.code === 'number' ? ` (code ${hec.code})` : ''}`;
  }

  protected override refusedIndex(answer: HttpAnswer): number | undefined {
    const n = hecAnswer(answer)['invalid-event-number'];
    return typeof n === 'number' ? n : undefined;
  }
}
