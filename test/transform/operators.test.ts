import { describe, expect, it } from 'vitest';
import { hashSpans, hashValue, labelForType, maskSpans, maskValue, redactSpans } from '../../src/transform/operators.js';

describe('labelForType', () => {
  it('names PII by its kind and hides the provider of secrets', () => {
    expect(labelForType('pii.email')).toBe('EMAIL');
    expect(labelForType('pii.credit_card')).toBe('CREDIT_CARD');
    expect(labelForType('secret.aws_access_key')).toBe('SECRET');
  });
});

describe('redactSpans', () => {
  it('replaces values with their label', () => {
    const text = 'write to ann@example.org today';
    expect(redactSpans(text, [{ start: 9, end: 24, type: 'pii.email' }])).toBe('write to [EMAIL] today');
  });
});

describe('maskValue', () => {
  it('keeps the last four digits and the separators of a card number', () => {
    expect(maskValue('4111 1111 1111 1234')).toBe('**** **** **** 1234');
  });
  it('masks short values whole', () => {
    expect(maskValue('12345')).toBe('*****');
  });
  it('masks spans inside a text', () => {
    expect(maskSpans('ssn 123-45-6789.', [{ start: 4, end: 15, type: 'pii.us_ssn' }])).toBe('ssn ***-**-6789.');
  });
});

describe('hashValue', () => {
  it('is stable under one key and differs under another', () => {
    const a = hashValue('+44 20 7946 0958', 'k1', 'PHONE');
    expect(a).toBe(hashValue('+44 20 7946 0958', 'k1', 'PHONE'));
    expect(a).not.toBe(hashValue('+44 20 7946 0958', 'k2', 'PHONE'));
    expect(a).toMatch(/^<PHONE_[0-9a-f]{16}>$/);
  });
  it('replaces spans and keeps the value out of the text', () => {
    const out = hashSpans('id 123-45-6789', [{ start: 3, end: 14, type: 'pii.us_ssn' }], 'key');
    expect(out).toMatch(/^id <US_SSN_[0-9a-f]{16}>$/);
    expect(out).not.toContain('6789');
  });
});
