import pino, { type Logger } from 'pino';

/** Where a logger's request lines go as bytes: `length` bytes of `line`, which is reused afterwards. */
export type LineSink = (line: Buffer, length: number) => void;

const sinks = new WeakMap<Logger, LineSink>();

/**
 * Lets `logRequest` write this logger's request lines itself. Only for loggers whose options it knows:
 * those of createLogger (no mixin, hooks, formatters, custom levels or message key; epoch time; the
 * redaction paths and serializers name none of the fields below).
 */
export function writeRequestLinesOf(logger: Logger, sink: LineSink): void {
  sinks.set(logger, sink);
}

/** The fields the proxy logs; a line with any other field goes through pino. */
const FIELDS: ReadonlySet<string> = new Set([
  'requestId', 'api', 'route', 'principal', 'role', 'model', 'stream', 'upstream', 'conversation', 'upstreamStatus', 'upstreamMs', 'status',
  'decision', 'guardMs', 'totalMs', 'findings', 'outputFindings', 'guardFailures', 'error', 'internalError', 'authFailure', 'lockdown',
  'rateLimited', 'review', 'refusedToolCalls', 'streamError', 'streamIntervened', 'upstreamFirstByteMs',
]);

const INFO = 30;
const HEAD = `{"level":${INFO},"time":`;
const TAIL = ',"msg":"request"}\n';
/** Longer lines (long error messages) go through pino. */
const line = Buffer.allocUnsafe(16 * 1024);

/**
 * `log.info(fields, 'request')`, byte for byte, for loggers registered with writeRequestLinesOf. pino
 * quotes every key and value and joins them with `+` (~3.6 KB of short-lived strings per line, then a
 * copy to encode it); here each piece is written once into a reused buffer. Values are written as pino
 * writes them: strings quoted with `"` and `\` escaped (JSON.stringify beyond 100 characters or with a
 * control character), finite numbers as JavaScript prints them, others as null, objects through
 * JSON.stringify; what it would not write the same way (an unknown field, lone surrogates, circular
 * objects, a line longer than the buffer) goes to pino itself.
 */
export function logRequest(log: Logger, fields: Record<string, unknown>): void {
  const sink = sinks.get(log);
  if (sink && log.isLevelEnabled('info')) {
    const length = serialize(fields, (log as unknown as Record<symbol, unknown>)[pino.symbols.chindingsSym]);
    if (length > 0) {
      sink(line, length);
      return;
    }
  }
  log.info(fields, 'request');
}

/** The line's length in `line`, or 0 when pino must write it. */
function serialize(fields: Record<string, unknown>, bindings: unknown): number {
  if (typeof bindings !== 'string') return 0;
  let at = line.write(HEAD, 0, 'latin1');
  at = writeInteger(Date.now(), at);
  at = put(bindings, at);
  for (const key in fields) {
    if (!Object.hasOwn(fields, key)) continue;
    const value = fields[key];
    if (value === undefined || typeof value === 'function') continue;
    if (!FIELDS.has(key)) return 0;
    at = put(',"', at);
    at = put(key, at);
    at = put('":', at);
    if (typeof value === 'string') at = putString(value, at);
    else if (typeof value === 'number') at = Number.isFinite(value) ? (Number.isSafeInteger(value) && value >= 0 ? writeInteger(value, at) : put(String(value), at)) : put('null', at);
    else if (typeof value === 'boolean') at = put(value ? 'true' : 'false', at);
    else if (typeof value === 'object') at = putJson(value, at);
    else return 0;
    if (at < 0) return 0;
  }
  return put(TAIL, at);
}

/** Writes `text` at `at`; -1 when it may not fit (or `at` is already -1). */
function put(text: string, at: number): number {
  if (at < 0 || at + 3 * text.length > line.length) return -1;
  return at + line.write(text, at, 'utf8');
}

/** pino's string quoting (tools.js asString). */
function putString(text: string, at: number): number {
  if (text.length > 100) return put(JSON.stringify(text), at);
  let escapes = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 32) return put(JSON.stringify(text), at);
    if (c === 34 || c === 92) escapes = true;
    // pino keeps a lone surrogate as it is, which only a string destination would keep: pino's own line.
    else if (c >= 0xd800 && c <= 0xdfff) return -1;
  }
  at = put('"', at);
  at = put(escapes ? text.replace(/["\\]/g, '\\$&') : text, at);
  return put('"', at);
}

/** pino's default `stringify`: JSON.stringify; what it cannot do (circular objects, BigInt) goes to pino. */
function putJson(value: object | null, at: number): number {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch {
    return -1;
  }
  return json === undefined ? -1 : put(json, at);
}

/** A non-negative safe integer's decimal digits, written without making a string. */
function writeInteger(value: number, at: number): number {
  if (at < 0 || at + 16 > line.length) return -1;
  let digits = 1;
  for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) digits++;
  let rest = value;
  for (let i = at + digits - 1; i >= at; i--) {
    line[i] = 48 + (rest % 10);
    rest = Math.floor(rest / 10);
  }
  return at + digits;
}
