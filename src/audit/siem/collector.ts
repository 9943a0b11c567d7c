import type { SiemEvent } from './format.js';
import { type ForwarderOptions, QueueForwarder, RetryableSiemError } from './forwarder.js';
import { type HttpAnswer, HttpPoster, type HttpTarget } from './http.js';

export interface CollectorOptions extends Omit<ForwarderOptions, 'batchSize' | 'flushIntervalMs'> {
  readonly batchSize?: number;
  readonly flushIntervalMs?: number;
  readonly caFile?: string;
  readonly tlsVerify?: boolean;
  readonly timeoutMs?: number;
}

/** How a collector names itself and its credential in errors. */
export interface CollectorProfile {
  /** `Splunk HEC`, `Datadog`. */
  readonly label: string;
  /** What the credential is called: `token`, `API key`. */
  readonly credential: string;
  /** What to check when the collector answers 401/403. */
  readonly credentialHint: string;
  /** The credential value: masked in every message, whatever a collector echoes. */
  readonly secret: string;
  readonly defaultBatchSize: number;
  /** Bytes of one request at most (before compression). */
  readonly batchBytes: number;
}

/**
 * An HTTPS log collector with the answer semantics Splunk HEC and Datadog share: 2xx accepted; 400
 * refused as invalid, dead-lettered and never retried (a collector may say which event was bad:
 * the ones before it were accepted); 413 halves the request; 401/403 a credential error; anything
 * else (408, 429, 5xx, network) retried with backoff while events wait in the spool.
 */
export abstract class HttpCollectorForwarder extends QueueForwarder {
  protected readonly http: HttpPoster;

  constructor(
    private readonly profile: CollectorProfile,
    target: HttpTarget,
    options: CollectorOptions,
  ) {
    super({ ...options, batchSize: options.batchSize ?? profile.defaultBatchSize, flushIntervalMs: options.flushIntervalMs ?? 1000 });
    this.http = new HttpPoster({
      url: target.url,
      ...(options.caFile ? { caFile: options.caFile } : {}),
      ...(options.tlsVerify === false ? { tlsVerify: false } : {}),
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    });
  }

  /** One event as the collector wants it. */
  protected abstract encode(event: SiemEvent): string;
  /** Sends encoded events as one request. */
  protected abstract post(encoded: readonly string[]): Promise<HttpAnswer>;
  /** The answer in words: `HTTP 503: Server is busy (code 9)`. */
  protected abstract describe(answer: HttpAnswer): string;
  /** Index of the event a 400 refused, when the collector says (the ones before it were accepted). */
  protected refusedIndex(_answer: HttpAnswer): number | undefined {
    return undefined;
  }

  private clean(text: string): string {
    return this.profile.secret ? text.split(this.profile.secret).join('[redacted]') : text;
  }

  protected async deliver(batch: readonly SiemEvent[]): Promise<{ consumed: number; deadLettered?: number }> {
    const encoded: string[] = [];
    let bytes = 2;
    for (const e of batch) {
      const text = this.encode(e);
      const n = Buffer.byteLength(text, 'utf8') + 1;
      if (encoded.length > 0 && bytes + n > this.profile.batchBytes) break;
      encoded.push(text);
      bytes += n;
    }
    const sent = batch.slice(0, encoded.length);
    const answer = await this.post(encoded);
    const what = this.clean(`${this.profile.label} ${this.describe(answer)}`);
    if (answer.status >= 200 && answer.status <= 299) return { consumed: sent.length };
    if (answer.status === 400) {
      const bad = this.refusedIndex(answer);
      if (bad !== undefined && Number.isInteger(bad) && bad >= 0 && bad < sent.length) {
        this.deadLetter([sent[bad]!], what);
        return { consumed: bad + 1, deadLettered: 1 };
      }
      this.deadLetter(sent, what);
      return { consumed: sent.length, deadLettered: sent.length };
    }
    if (answer.status === 413) {
      if (sent.length > 1) return this.deliver(sent.slice(0, Math.ceil(sent.length / 2)));
      this.deadLetter(sent, `${what}: one event is larger than the collector accepts`);
      return { consumed: 1, deadLettered: 1 };
    }
    if (answer.status === 401 || answer.status === 403) {
      throw new RetryableSiemError(this.clean(`${this.profile.label} refused the ${this.profile.credential} (${this.describe(answer)}); ${this.profile.credentialHint} Events wait in the spool.`));
    }
    throw new RetryableSiemError(`${what}; retrying`);
  }

  protected override shutdown(): Promise<void> {
    return this.http.close();
  }
}
