import { createHash, sign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar';
import { parseSigningKey } from '../../src/audit/signing.js';
import { readBundle } from '../../src/gateway/incident/bundle.js';
import type { TestGateway } from '../helpers/gateway.js';

export const chat = (gw: TestGateway, key: string, content = 'hi', headers: Record<string, string> = {}) =>
  fetch(`${gw.proxyUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content }] }),
  });

export const admin = (gw: TestGateway, method: string, path: string, body?: unknown) =>
  fetch(`${gw.adminUrl}${path}`, { method, headers: { authorization: `Bearer ${gw.adminKey}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });

export const answer = { id: 'c', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }] };

/**
 * Rewrites a bundle: `edit` changes its files; with `resignWith` (an Ed25519 seed) the manifest's
 * digests are recomputed and it is signed again (with that key, which becomes the manifest's signer
 * when `replaceSigner` is set) — an attacker with the key, or one re-signing with their own.
 */
export async function tamper(
  bundle: string,
  out: string,
  edit: (files: Map<string, Buffer>) => void,
  options: { resignWith?: string; replaceSigner?: { keyId: string; publicKey: string } } = {},
): Promise<void> {
  const files = await readBundle(bundle);
  edit(files);
  if (options.resignWith) {
    const manifest = JSON.parse(files.get('manifest.json')!.toString('utf8'));
    for (const name of Object.keys(manifest.files)) {
      const content = files.get(name);
      if (content) manifest.files[name] = { sha256: createHash('sha256').update(content).digest('hex'), bytes: content.length };
    }
    if (options.replaceSigner) manifest.signer = options.replaceSigner;
    const text = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
    files.set('manifest.json', text);
    files.set('manifest.sig', Buffer.from(`${sign(null, text, parseSigningKey(options.resignWith)).toString('base64')}\n`));
  }
  const dir = mkdtempSync(join(tmpdir(), 'cg-tamper-'));
  try {
    for (const [name, content] of files) writeFileSync(join(dir, name), content);
    await tar.c({ gzip: true, file: out, cwd: dir, portable: true }, [...files.keys()]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The lines of a JSONL file, parsed. */
export const jsonl = (buf: Buffer): any[] =>
  buf
    .toString('utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l));
export const toJsonl = (rows: readonly unknown[]): Buffer => Buffer.from(rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
