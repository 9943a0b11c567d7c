import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { decide, type PolicyConfig, ScanCache, scanSegments, type Segment } from '../../src/core/index.js';
import { PII_ENTITIES, piiConfigSchema, piiGuardFactory } from '../../src/guards/pii/index.js';
import { secretsConfigSchema, secretsGuardFactory } from '../../src/guards/secrets/index.js';
import { applySpanRewrites, pseudonymizeRewrites, PseudonymVault, SqliteVaultStore, vaultKeyFrom } from '../../src/transform/index.js';

const policy: PolicyConfig = {
  rules: [
    { type: 'secret.*', action: 'redact', replacement: '[SECRET]' },
    { type: 'pii.*', direction: 'input', action: 'pseudonymize' },
  ],
  defaultAction: 'allow',
  thresholds: { message: 0.5, tool_call: 0.5, tool_result: 0.5 },
};
const guards = [
  piiGuardFactory.create(piiConfigSchema.parse({ entities: [...PII_ENTITIES] }), { id: 'pii', failOpen: false, timeoutMs: 1000 }),
  secretsGuardFactory.create(secretsConfigSchema.parse({}), { id: 'secrets', failOpen: false, timeoutMs: 1000 }),
];

function userSegment(text: string): Segment {
  return { id: 'm0', direction: 'input', role: 'user', kind: 'message', text, trusted: false, path: ['messages', 0, 'content'] };
}

/** What the gateway does with one input segment: scan, decide, redact secrets, pseudonymize PII. */
async function protect(segment: Segment, vault: PseudonymVault, conversation: string): Promise<string> {
  const scan = await scanSegments([segment], guards, { requestId: 'r', direction: 'input' }, new ScanCache(0));
  // A guard that failed would block the request in the gateway: here it must not fail at all.
  expect(scan.failures).toEqual([]);
  const decision = decide(policy, 'input', scan.findings, scan.failures, new Map([[segment.id, segment]]));
  const map = await vault.open(conversation);
  const pseudo = decision.verdicts.filter((v) => v.action === 'pseudonymize' && v.finding.span);
  const redact = decision.verdicts.filter((v) => v.action === 'redact' && v.finding.span);
  // One pass: redactions and placeholders together, overlaps merged.
  const text = applySpanRewrites(segment.text, [
    ...redact.map((v) => ({ ...v.finding.span!, replacement: v.replacement ?? '[REDACTED]' })),
    ...pseudonymizeRewrites(segment.text, pseudo.map((v) => ({ ...v.finding.span!, type: v.finding.type })), map),
  ]);
  if (map.changed) await vault.save(map);
  return text;
}

describe('pseudonymize → provider → restore, through guards and policy', () => {
  // As the gateway does before it serves: one pass that loads the name tagger (seconds on a busy
  // machine), so that the 1 s guard budget measures scanning, not loading.
  beforeAll(async () => {
    await scanSegments([userSegment('Warm-up: Ada Lovelace lives at 12 Baker Street, London.')], guards, { requestId: 'warm-up', direction: 'input' }, new ScanCache(0));
  }, 60_000);

  const key = vaultKeyFrom('0123456789abcdef0123456789abcdef');
  const aws = ['AK', 'IA', 'Z7Q2MX4KJH3NV5WB'].join('');

  it('sends placeholders upstream and restores the answer, also across a restart and a stream', async () => {
    const db = new Database(':memory:');
    const vault = new PseudonymVault({ store: new SqliteVaultStore(db), key });
    const prompt = `My name is Hedvig Arvidsson, mail hedvig.arvidsson@example.org, card 4111 1111 1111 1111, key ${aws}.`;
    const sent = await protect(userSegment(prompt), vault, 'conv-1');

    expect(sent).not.toContain('Hedvig Arvidsson');
    expect(sent).not.toContain('hedvig.arvidsson@example.org');
    expect(sent).not.toContain('4111 1111 1111 1111');
    expect(sent).not.toContain(aws);
    expect(sent).toContain('[SECRET]');
    const placeholders = sent.match(/<[A-Z_]+_\d+>/g)!;
    expect(placeholders).toEqual(['<PERSON_1>', '<EMAIL_1>', '<CREDIT_CARD_1>']);

    // The provider answers with the placeholders; a restarted gateway (new vault over the same DB) restores.
    const answer = `Thanks <PERSON_1>, I will write to <EMAIL_1> about card <CREDIT_CARD_1>.`;
    const restarted = new PseudonymVault({ store: new SqliteVaultStore(db), key });
    const map = await restarted.open('conv-1');
    expect(map.restore(answer)).toBe('Thanks Hedvig Arvidsson, I will write to hedvig.arvidsson@example.org about card 4111 1111 1111 1111.');

    const restorer = map.streamRestorer();
    const deltas = ['Thanks <PER', 'SON_1>, I will write to <EMA', 'IL_1', '> about card <CREDIT_', 'CARD_1>.'];
    expect(deltas.map((d) => restorer.push(d)).join('') + restorer.end()).toBe(map.restore(answer));

    // The next turn of the same conversation reuses the placeholders.
    const again = await protect(userSegment('Hedvig Arvidsson again, and Bob Stone.'), restarted, 'conv-1');
    expect(again.startsWith('<PERSON_1> again')).toBe(true);
    expect(again).toContain('<PERSON_2>');
  });
});
