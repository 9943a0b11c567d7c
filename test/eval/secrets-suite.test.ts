import { randomBytes } from 'node:crypto';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { secretsSuite } from '../../src/eval/secrets-suite.js';

describe('secretsSuite', () => {
  it('counts a text as flagged when any credential is found', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cg-sec-'));
    mkdirSync(join(dir, 'secrets'));
    const token = ['np', 'm_', randomBytes(27).toString('base64').replace(/[^A-Za-z0-9]/g, 'a').slice(0, 36)].join('');
    const rows = [
      { text: `//registry.npmjs.org/:_authToken=${token}`, label: 'malicious', source: 't', kind: 'tp_literal' },
      { text: 'just some prose about tokens', label: 'benign', source: 't', kind: 'tool_output' },
      { text: 'also nothing', label: 'malicious', source: 't', kind: 'tp_literal' },
    ];
    writeFileSync(join(dir, 'secrets', 'dev.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n'));
    const report = await secretsSuite.run({ dataDir: dir, split: 'dev' });
    expect(report.metrics).toMatchObject({ tp: 1, fp: 0, fn: 1, tn: 1, precision: 1, recall: 0.5 });
    expect(report.breakdown?.['tp_literal']).toMatchObject({ tp: 1, fn: 1 });
  });
});
