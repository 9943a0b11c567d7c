import type { SiemEvent } from './format.js';
import { QueueForwarder, RetryableSiemError } from './forwarder.js';
import { HttpPoster } from './http.js';
import { MemoryQueue, type ForwardQueue } from './queue.js';

/** JSON lines over HTTP(S): one POST per batch, `application/x-ndjson`. */
export class HttpJsonLinesForwarder extends QueueForwarder {
  private readonly http: HttpPoster;

  constructor(
    url: string,
    private readonly headers: Record<string, string> = {},
    options: { batchSize?: number; flushIntervalMs?: number; maxQueue?: number; caFile?: string; tlsVerify?: boolean; queue?: ForwardQueue; log?: (message: string) => void; name?: string } = {},
  ) {
    super({
      batchSize: options.batchSize ?? 500,
      flushIntervalMs: options.flushIntervalMs ?? 1000,
      queue: options.queue ?? new MemoryQueue(options.maxQueue ?? 10_000),
      ...(options.log ? { log: options.log } : {}),
      name: options.name ?? 'http',
    });
    this.http = new HttpPoster({ url, ...(options.caFile ? { caFile: options.caFile } : {}), ...(options.tlsVerify === false ? { tlsVerify: false } : {}) });
  }

  protected async deliver(batch: readonly SiemEvent[]): Promise<{ consumed: number }> {
    const body = batch.map((e) => JSON.stringify(e)).join('\n') + '\n';
    const res = await this.http.post({ ...this.headers, 'content-type': 'application/x-ndjson' }, body);
    if (res.status < 200 || res.status > 299) throw new RetryableSiemError(`collector answered HTTP ${res.status}`);
    return { consumed: batch.length };
  }

  protected override shutdown(): Promise<void> {
    return this.http.close();
  }
}
