import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { pseudonymizeSpans } from '../../src/transform/pseudonymize.js';
import {
  deriveConversationId,
  MemoryVaultStore,
  PseudonymMap,
  PseudonymVault,
  vaultKeyFrom,
  VaultError,
} from '../../src/transform/vault.js';
import { SqliteVaultStore } from '../../src/transform/vault-sqlite.js';

const key = vaultKeyFrom('correct horse battery staple, long enough');

function spansOf(text: string, values: [string, string][]) {
  return values.map(([value, type]) => {
    const start = text.indexOf(value);
    return { start, end: start + value.length, type };
  });
}

describe('pseudonymizeSpans', () => {
  it('gives the same value the same placeholder and restores the originals', () => {
    const map = new PseudonymMap('c1');
    const text = 'Ann Lee (ann@example.org) wrote to Bob Stone; Ann Lee again.';
    const spans = spansOf(text, [['Ann Lee', 'pii.person'], ['ann@example.org', 'pii.email'], ['Bob Stone', 'pii.person']]);
    const second = text.lastIndexOf('Ann Lee');
    spans.push({ start: second, end: second + 7, type: 'pii.person' });
    const out = pseudonymizeSpans(text, spans, map);
    expect(out).toBe('<PERSON_1> (<EMAIL_1>) wrote to <PERSON_2>; <PERSON_1> again.');
    expect(map.restore('Dear <PERSON_2>, <PERSON_1> says hi at <EMAIL_1>.')).toBe('Dear Bob Stone, Ann Lee says hi at ann@example.org.');
  });

  it('knows which values the user sent in this conversation', () => {
    const map = new PseudonymMap('c1');
    expect(map.knowsValue('ann@example.org')).toBe(false);
    pseudonymizeSpans('mail ann@example.org', [{ start: 5, end: 20, type: 'pii.email' }], map);
    expect(map.knowsValue('ann@example.org')).toBe(true);
    expect(map.knowsValue('bob@example.org')).toBe(false);
    const reloaded = PseudonymMap.fromJSON('c1', map.toJSON());
    expect(reloaded.knowsValue('ann@example.org')).toBe(true);
  });

  it('leaves placeholders it never made untouched', () => {
    const map = new PseudonymMap('c1');
    pseudonymizeSpans('Ann', [{ start: 0, end: 3, type: 'pii.person' }], map);
    expect(map.restore('<PERSON_9> and <PERSON_1>')).toBe('<PERSON_9> and Ann');
  });
});

describe('PseudonymVault', () => {
  it('keeps placeholders consistent across turns', async () => {
    const vault = new PseudonymVault({ store: new MemoryVaultStore(), key });
    const turn1 = await vault.open('conv');
    pseudonymizeSpans('Ann', [{ start: 0, end: 3, type: 'pii.person' }], turn1);
    await vault.save(turn1);
    const turn2 = await vault.open('conv');
    const out = pseudonymizeSpans('Bob and Ann', [
      { start: 0, end: 3, type: 'pii.person' },
      { start: 8, end: 11, type: 'pii.person' },
    ], turn2);
    expect(out).toBe('<PERSON_2> and <PERSON_1>');
  });

  it('stores only ciphertext', async () => {
    const store = new MemoryVaultStore();
    const vault = new PseudonymVault({ store, key });
    const map = await vault.open('conv');
    map.placeholderFor('EMAIL', 'secret.person@example.org');
    await vault.save(map);
    const row = store.get('conv');
    expect(row?.sealed.startsWith('v1.')).toBe(true);
    expect(row?.sealed).not.toContain('secret.person');
    expect(Buffer.from(row!.sealed.split('.')[3]!, 'base64').toString('latin1')).not.toContain('example.org');
  });

  it('fails closed with a clear error under the wrong key', async () => {
    const store = new MemoryVaultStore();
    const map = await new PseudonymVault({ store, key }).open('conv');
    map.placeholderFor('PERSON', 'Ann');
    await new PseudonymVault({ store, key }).save(map);
    const other = new PseudonymVault({ store, key: vaultKeyFrom('a different key, also long') });
    await expect(other.open('conv')).rejects.toThrow(VaultError);
    await expect(other.open('conv')).rejects.toThrow(/wrong vault key or corrupted/);
  });

  it('fails closed on a corrupted row and on a row moved to another conversation', async () => {
    const store = new MemoryVaultStore();
    const vault = new PseudonymVault({ store, key });
    const map = await vault.open('a');
    map.placeholderFor('PERSON', 'Ann');
    await vault.save(map);
    const row = store.get('a')!;
    const parts = row.sealed.split('.');
    const body = Buffer.from(parts[3]!, 'base64');
    body[0] = body[0]! ^ 1;
    store.put('a', { ...row, sealed: [parts[0], parts[1], parts[2], body.toString('base64')].join('.') });
    await expect(vault.open('a')).rejects.toThrow(VaultError);
    store.put('b', row);
    await expect(vault.open('b')).rejects.toThrow(VaultError);
    store.put('c', { ...row, sealed: 'garbage' });
    await expect(vault.open('c')).rejects.toThrow(/malformed/);
  });

  it('forgets a conversation after its TTL', async () => {
    let now = 1_000;
    const store = new MemoryVaultStore(() => now);
    const vault = new PseudonymVault({ store, key, ttlMs: 500, now: () => now });
    const map = await vault.open('conv');
    map.placeholderFor('PERSON', 'Ann');
    await vault.save(map);
    now = 1_400;
    expect((await vault.open('conv')).restore('<PERSON_1>')).toBe('Ann');
    now = 1_600;
    expect((await vault.open('conv')).restore('<PERSON_1>')).toBe('<PERSON_1>');
  });

  it('restores across a restart with the SQLite store', async () => {
    const db = new Database(':memory:');
    const first = new PseudonymVault({ store: new SqliteVaultStore(db), key });
    const map = await first.open('conv');
    const sent = pseudonymizeSpans('card 4111111111111111', [{ start: 5, end: 21, type: 'pii.credit_card' }], map);
    await first.save(map);
    const restarted = new PseudonymVault({ store: new SqliteVaultStore(db), key });
    const reopened = await restarted.open('conv');
    expect(reopened.restore(`You said ${sent.slice(5)}`)).toBe('You said 4111111111111111');
    expect(await restarted.purgeExpired()).toBe(0);
    await restarted.forget('conv');
    expect((await restarted.open('conv')).size).toBe(0);
  });
});

describe('vaultKeyFrom', () => {
  it('uses 32-byte hex keys as is and derives others', () => {
    const hex = 'ab'.repeat(32);
    expect(vaultKeyFrom(hex).toString('hex')).toBe(hex);
    expect(vaultKeyFrom('some passphrase here').length).toBe(32);
    expect(() => vaultKeyFrom('short')).toThrow(VaultError);
  });
});

describe('deriveConversationId', () => {
  it('is stable for the same opening and differs by principal', () => {
    const a = deriveConversationId('k', 'p1', ['hello', 'hi']);
    expect(deriveConversationId('k', 'p1', ['hello', 'hi'])).toBe(a);
    expect(deriveConversationId('k', 'p2', ['hello', 'hi'])).not.toBe(a);
  });
});
