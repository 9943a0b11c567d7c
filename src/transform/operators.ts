import { createHmac } from 'node:crypto';
import { applySpanRewrites, type SpanRewrite } from './spans.js';

/** A detected value to transform: a span of the text and the finding type that found it. */
export interface TypedSpan {
  readonly start: number;
  readonly end: number;
  /** Finding type, e.g. `pii.email`, `secret.aws_access_key`. */
  readonly type: string;
}

/**
 * The label a finding type shows in redactions and placeholders: `pii.email` → `EMAIL`,
 * `pii.credit_card` → `CREDIT_CARD`, `secret.github_pat` → `SECRET`.
 * Secrets all read `SECRET` so a placeholder never tells which provider a key belongs to.
 */
export function labelForType(type: string): string {
  const dot = type.indexOf('.');
  const family = dot < 0 ? type : type.slice(0, dot);
  if (family === 'secret' || family === 'secrets') return 'SECRET';
  const last = type.slice(type.lastIndexOf('.') + 1);
  const label = last.toUpperCase().replace(/[^A-Z0-9_]/g, '_').slice(0, 24);
  return /^[A-Z]/.test(label) ? label : `X${label}`;
}

/** `[EMAIL]`-style replacement for each span. */
export function redactSpans(text: string, spans: readonly TypedSpan[], template = '[{LABEL}]'): string {
  return applySpanRewrites(
    text,
    spans.map((s) => ({ start: s.start, end: s.end, replacement: template.replaceAll('{LABEL}', labelForType(s.type)).replaceAll('{type}', s.type) })),
  );
}

export interface MaskOptions {
  /** Letters and digits left visible at the end. Default 4. */
  readonly keepLast?: number;
  readonly maskChar?: string;
}

/**
 * Masks a value, keeping its last `keepLast` letters or digits and its separators, so
 * `4111 1111 1111 1234` becomes `**** **** **** 1234`. Values too short to hide anything
 * (at most twice `keepLast` letters and digits) are masked whole.
 */
export function maskValue(value: string, options: MaskOptions = {}): string {
  const keep = options.keepLast ?? 4;
  const maskChar = options.maskChar ?? '*';
  let alnum = 0;
  for (const ch of value) if (/[\p{L}\p{N}]/u.test(ch)) alnum++;
  const visible = alnum > keep * 2 ? keep : 0;
  let seen = 0;
  let out = '';
  for (const ch of value) {
    if (/[\p{L}\p{N}]/u.test(ch)) {
      seen++;
      out += seen > alnum - visible ? ch : maskChar;
    } else {
      out += ch;
    }
  }
  return out;
}

export function maskSpans(text: string, spans: readonly TypedSpan[], options: MaskOptions = {}): string {
  return applySpanRewrites(
    text,
    spans.map((s) => ({ start: s.start, end: s.end, replacement: maskValue(text.slice(s.start, s.end), options) })),
  );
}

/**
 * Keyed hash of a value: the same value under the same key always gives the same token, so logs and
 * analytics can join on it, but without the key nobody can test guesses against it (unlike a plain hash
 * of a phone number, which is brute-forced in seconds).
 */
export function hashValue(value: string, key: Buffer | string, label = 'HASH', hexChars = 16): string {
  const digest = createHmac('sha256', key).update(value, 'utf8').digest('hex').slice(0, Math.max(8, Math.min(64, hexChars)));
  return `<${label}_${digest}>`;
}

export function hashSpans(text: string, spans: readonly TypedSpan[], key: Buffer | string): string {
  const rewrites: SpanRewrite[] = spans.map((s) => ({
    start: s.start,
    end: s.end,
    replacement: hashValue(text.slice(s.start, s.end), key, labelForType(s.type)),
  }));
  return applySpanRewrites(text, rewrites);
}
