import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';
import { RetryableSiemError } from './forwarder.js';

export interface HttpTarget {
  readonly url: string;
  /** PEM file of a private CA for the collector's certificate. */
  readonly caFile?: string;
  /** TLS certificate verification; on unless explicitly turned off. */
  readonly tlsVerify?: boolean;
  readonly timeoutMs?: number;
}

export interface HttpAnswer {
  readonly status: number;
  readonly text: string;
}

/** One connection pool per target, with its own trust settings (never the process-wide ones). */
export class HttpPoster {
  private readonly agent: Agent;

  constructor(private readonly target: HttpTarget) {
    this.agent = new Agent({
      connect: { rejectUnauthorized: target.tlsVerify ?? true, ...(target.caFile ? { ca: readFileSync(target.caFile) } : {}) },
      headersTimeout: target.timeoutMs ?? 10_000,
      bodyTimeout: target.timeoutMs ?? 10_000,
    });
  }

  /** POSTs; network and TLS failures become retryable errors naming the host, never the headers. */
  async post(headers: Record<string, string>, body: string | Buffer, path?: string): Promise<HttpAnswer> {
    const url = path ? new URL(path, this.target.url) : new URL(this.target.url);
    try {
      const res = await request(url, { method: 'POST', headers, body, dispatcher: this.agent, signal: AbortSignal.timeout(this.target.timeoutMs ?? 10_000) });
      const text = (await res.body.text()).slice(0, 2000);
      return { status: res.statusCode, text };
    } catch (error) {
      const e = error as Error & { code?: string; cause?: { code?: string; message?: string } };
      const code = e.code ?? e.cause?.code;
      const detail = e.cause?.message ?? e.message;
      throw new RetryableSiemError(`cannot reach ${url.origin}: ${code && !detail.includes(code) ? `${code} ` : ''}${detail}`);
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}
