import { type Dispatcher, errors, Pool } from 'undici';
import type { ProviderName, UpstreamConfig } from '../config/schema.js';

export interface UpstreamResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Dispatcher.ResponseData['body'];
}

/** Why an upstream call failed, mapped to the status the client sees. */
export class UpstreamError extends Error {
  constructor(
    readonly status: 502 | 504,
    message: string,
  ) {
    super(message);
    this.name = 'UpstreamError';
  }
}

/**
 * Largest upstream answer, JSON or stream. Enforced by undici itself, which then closes the
 * connection: a body given up by its reader would otherwise keep a paused socket in the pool.
 */
export const MAX_UPSTREAM_RESPONSE_BYTES = 32 * 1024 * 1024;

export function classifyUpstreamError(error: unknown, upstream: string): UpstreamError {
  if (error instanceof UpstreamError) return error;
  if (error instanceof errors.ResponseExceededMaxSizeError) return new UpstreamError(502, `the upstream response exceeds ${MAX_UPSTREAM_RESPONSE_BYTES} bytes`);
  if (error instanceof errors.HeadersTimeoutError || error instanceof errors.BodyTimeoutError || error instanceof errors.ConnectTimeoutError) {
    return new UpstreamError(504, `upstream "${upstream}" timed out`);
  }
  if (error instanceof Error && (error.name === 'TimeoutError' || (error.name === 'AbortError' && String(error.message).includes('timeout')))) {
    return new UpstreamError(504, `upstream "${upstream}" timed out`);
  }
  const code = (error as { code?: string }).code;
  if (code === 'ECONNREFUSED') return new UpstreamError(502, `upstream "${upstream}" refused the connection`);
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return new UpstreamError(502, `upstream "${upstream}" closed the connection`);
  return new UpstreamError(502, `upstream "${upstream}" could not be reached`);
}

/**
 * Aborts one proxied call: the client going away, the upstream time budget, a relayed stream's end.
 * undici takes it as the request's `signal` in the EventEmitter form it documents (`aborted`,
 * `reason`, `on`/`once`/`removeListener`). A real AbortSignal is made only when something asks for
 * `signal` (approvals, stream guards): the AbortController's signal with undici's listener on it was
 * ~2 KB per request (an EventTarget, listener records, the `{ once }` options).
 */
export class CallAbort {
  aborted = false;
  reason: unknown = undefined;
  /** undici adds one listener per call: held without an array. */
  private listener: (() => void) | undefined;
  private more: (() => void)[] | undefined;
  private controller: AbortController | undefined;

  /** An AbortSignal that follows this one. */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listener = this.listener;
    const more = this.more;
    this.listener = undefined;
    this.more = undefined;
    listener?.();
    if (more) for (const l of more) l();
    this.controller?.abort(reason);
  }

  /** For undici: `event` is always 'abort'; a listener is called once, on abort. */
  once(_event: 'abort', listener: () => void): this {
    if (this.aborted) return this;
    if (this.listener === undefined) this.listener = listener;
    else (this.more ??= []).push(listener);
    return this;
  }

  on(event: 'abort', listener: () => void): this {
    return this.once(event, listener);
  }

  removeListener(_event: 'abort', listener: () => void): this {
    if (this.listener === listener) this.listener = this.more?.shift();
    else {
      const i = this.more?.indexOf(listener) ?? -1;
      if (i >= 0) this.more!.splice(i, 1);
    }
    return this;
  }
}

function toResponse(response: Dispatcher.ResponseData): UpstreamResponse {
  return { status: response.statusCode, headers: response.headers, body: response.body };
}

/** One configured upstream: a connection pool, its credential and its timeouts. */
export class Upstream {
  private readonly pool: Pool;
  private readonly basePath: string;
  private madeAuth: { make: (apiKey: string) => Record<string, string>; credential: string; headers: Record<string, string> } | undefined;

  constructor(
    readonly name: string,
    readonly provider: ProviderName,
    readonly url: string,
    /** Read on every request: a rotated key is used from the next request on. */
    private readonly apiKey: (() => string) | undefined,
    private readonly config: Pick<UpstreamConfig, 'timeoutMs' | 'connectTimeoutMs' | 'idleTimeoutMs'> & { tls: { rejectUnauthorized: boolean }; serverTools?: 'deny' | 'allow' },
    ca?: string,
  ) {
    const parsed = new URL(url);
    this.basePath = parsed.pathname.replace(/\/$/, '');
    this.pool = new Pool(parsed.origin, {
      connections: 128,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      headersTimeout: config.timeoutMs,
      bodyTimeout: config.idleTimeoutMs,
      maxResponseSize: MAX_UPSTREAM_RESPONSE_BYTES,
      connect: { timeout: config.connectTimeoutMs, rejectUnauthorized: config.tls.rejectUnauthorized, ...(ca ? { ca } : {}) },
    });
  }

  /** Whether requests may declare tools the provider runs itself (`serverTools: allow`). */
  get allowsServerTools(): boolean {
    return this.config.serverTools === 'allow';
  }

  get credential(): string | undefined {
    return this.apiKey?.();
  }

  /** Sends a request; the returned body must be consumed or destroyed by the caller. */
  send(method: 'GET' | 'POST', path: string, headers: Record<string, string>, body: Buffer | string | undefined, signal: AbortSignal | CallAbort): Promise<UpstreamResponse> {
    // `then` rather than an async function awaiting undici: one await less per request (~0.4 KB).
    return this.pool
      .request({
        method,
        path: this.basePath + path,
        headers,
        ...(body === undefined ? {} : { body }),
        // A CallAbort is the EventEmitter form of a signal (see there); undici's types name only EventEmitter.
        signal: signal as AbortSignal,
      })
      .then(toResponse, (error: unknown) => {
        if (signal.aborted && signal.reason instanceof UpstreamError) throw signal.reason;
        throw classifyUpstreamError(error, this.name);
      });
  }

  /**
   * Starts the request's time budget: when it runs out, `controller` (the request's own, also aborted when
   * the client goes away) is aborted with a 504 UpstreamError. clearTimeout on the returned timer stops it.
   */
  budget(controller: { abort(reason: unknown): void }): NodeJS.Timeout {
    return setTimeout(() => controller.abort(new UpstreamError(504, `upstream "${this.name}" timed out after ${this.config.timeoutMs} ms`)), this.config.timeoutMs);
  }

  /**
   * `make(credential)` (an adapter's auth headers), made again only when the credential changes (a
   * rotated key): the same header object and text serve every request, not new ones per request.
   */
  authHeaders(make: (apiKey: string) => Record<string, string>): Record<string, string> | undefined {
    const credential = this.credential;
    if (!credential) return undefined;
    const made = this.madeAuth;
    if (made && made.make === make && made.credential === credential) return made.headers;
    const headers = make(credential);
    this.madeAuth = { make, credential, headers };
    return headers;
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
