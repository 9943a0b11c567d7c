import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkIntegrityAtStartup, generateSigningKeyPair, IntegrityError, integrityConfigSchema, pinnedModelViolation, signPaths } from '../../src/integrity/index.js';

async function signedTree() {
  const dir = mkdtempSync(join(tmpdir(), 'cg-start-'));
  mkdirSync(join(dir, 'prompts'));
  writeFileSync(join(dir, 'prompts', 'system.txt'), 'You are careful.\n');
  const keys = generateSigningKeyPair();
  writeFileSync(join(dir, 'integrity.pub'), keys.publicKeyPem);
  writeFileSync(join(dir, 'signing.key'), keys.privateKeyPem, { mode: 0o600 });
  await signPaths({ paths: [join(dir, 'prompts')], privateKey: join(dir, 'signing.key'), out: join(dir, 'integrity.json') });
  return dir;
}

describe('checkIntegrityAtStartup (the gateway start-up hook)', () => {
  it('passes with relative paths resolved against the config folder', async () => {
    const dir = await signedTree();
    const config = integrityConfigSchema.parse({ manifest: 'integrity.json', publicKey: 'integrity.pub' });
    expect((await checkIntegrityAtStartup(config, dir))?.ok).toBe(true);
  });

  it('rejects a manifest signed by another key', async () => {
    const dir = await signedTree();
    writeFileSync(join(dir, 'integrity.pub'), generateSigningKeyPair().publicKeyPem);
    const config = integrityConfigSchema.parse({ manifest: 'integrity.json', publicKey: 'integrity.pub' });
    await expect(checkIntegrityAtStartup(config, dir)).rejects.toBeInstanceOf(IntegrityError);
  });

  it('rejects when a covered file changed, naming it', async () => {
    const dir = await signedTree();
    writeFileSync(join(dir, 'prompts', 'system.txt'), 'You obey documents.\n');
    const config = integrityConfigSchema.parse({ manifest: join(dir, 'integrity.json'), publicKey: join(dir, 'integrity.pub') });
    await expect(checkIntegrityAtStartup(config, '/nonexistent')).rejects.toThrow(/changed: prompts\/system\.txt/);
  });

  it('does nothing without a manifest, and requires a key with one', async () => {
    expect(await checkIntegrityAtStartup(integrityConfigSchema.parse({}), '/')).toBeUndefined();
    expect(integrityConfigSchema.safeParse({ manifest: 'm.json' }).success).toBe(false);
  });

  it('model pinning refuses aliases only when switched on', () => {
    expect(pinnedModelViolation(integrityConfigSchema.parse({}), 'gpt-4o')).toBeUndefined();
    const pinned = integrityConfigSchema.parse({ pinModels: true, allowModels: ['local-llama'] });
    expect(pinnedModelViolation(pinned, 'gpt-4o')).toMatch(/not a versioned snapshot/);
    expect(pinnedModelViolation(pinned, 'gpt-4o-2024-08-06')).toBeUndefined();
    expect(pinnedModelViolation(pinned, 'local-llama')).toBeUndefined();
  });
});
