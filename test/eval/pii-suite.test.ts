import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { piiSuite } from '../../src/eval/pii-suite.js';

function dataDir(rows: unknown[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'cg-pii-'));
  mkdirSync(join(dir, 'pii'));
  writeFileSync(join(dir, 'pii', 'dev.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return dir;
}

describe('piiSuite', () => {
  it('scores spans per dataset type, exact and overlapping, with code-point offsets', async () => {
    // The emoji is one code point but two UTF-16 units: the e-mail's offsets must be converted.
    const text = '😀 mail ann@example.org now';
    const rows = [
      { text, spans: [{ start: 7, end: 22, type: 'EMAIL_ADDRESS' }], source: 't', lang: 'en' },
      { text: 'card 4111 1111 1111 1111', spans: [{ start: 5, end: 14, type: 'CREDIT_CARD' }], source: 't', lang: 'en' },
      // A recognizer row: only the tested type counts, so the e-mail here is neither TP nor FP.
      { text: 'x@y.com GB82 WEST 1234 5698 7654 32', spans: [{ start: 8, end: 35, type: 'IBAN_CODE' }], source: 't', lang: 'en', entity_type_tested: 'IBAN_CODE' },
    ];
    const report = await piiSuite.run({ dataDir: dataDir(rows), split: 'dev' });
    expect(report.examples).toBe(3);
    const b = report.breakdown as unknown as Record<string, { tp: number; fp: number; fn: number; f1_overlap: number }>;
    expect(b['EMAIL_ADDRESS']).toMatchObject({ tp: 1, fp: 0, fn: 0 });
    expect(b['IBAN_CODE']).toMatchObject({ tp: 1, fp: 0, fn: 0 });
    // The card span in the data is shorter than the card: an exact miss, an overlap hit.
    expect(b['CREDIT_CARD']).toMatchObject({ tp: 0, fp: 1, fn: 1, f1_overlap: 1 });
    expect(report.metrics['structured_f1']).toBeCloseTo(2 / 3, 3);
    expect(report.metrics['structured_f1_overlap']).toBe(1);
  });

  it('honours the row limit and reports progress', async () => {
    const rows = Array.from({ length: 5 }, () => ({ text: 'nothing here', spans: [], source: 't', lang: 'en' }));
    const seen: number[] = [];
    const report = await piiSuite.run({ dataDir: dataDir(rows), split: 'dev', limit: 2, onProgress: (done) => seen.push(done) });
    expect(report.examples).toBe(2);
    expect(seen).toEqual([1, 2]);
  });
});
