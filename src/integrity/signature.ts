import { sign as edSign, verify as edVerify, type KeyObject } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { canonicalJson } from './canonical.js';
import { keyId, loadPrivateKey, loadPublicKey } from './keys.js';
import { createManifest, listFiles, type Manifest, MANIFEST_VERSION, sha256File, underRoot } from './manifest.js';

/** The file written by `clawguard integrity sign`: the manifest and its detached Ed25519 signature. */
export interface SignedManifest {
  readonly manifest: Manifest;
  readonly signature: {
    readonly algorithm: 'ed25519';
    readonly keyId: string;
    /** base64 signature over `canonicalJson(manifest)`. */
    readonly value: string;
  };
}

export function signManifest(manifest: Manifest, privateKey: KeyObject): SignedManifest {
  const value = edSign(null, Buffer.from(canonicalJson(manifest), 'utf8'), privateKey).toString('base64');
  return { manifest, signature: { algorithm: 'ed25519', keyId: keyId(privateKey), value } };
}

export function signatureValid(signed: SignedManifest, publicKey: KeyObject): boolean {
  if (signed.signature?.algorithm !== 'ed25519' || typeof signed.signature.value !== 'string') return false;
  try {
    return edVerify(null, Buffer.from(canonicalJson(signed.manifest), 'utf8'), publicKey, Buffer.from(signed.signature.value, 'base64'));
  } catch {
    return false;
  }
}

export interface SignOptions {
  readonly paths: readonly string[];
  /** Key reference: path, `file:/path`, `env:NAME` or PEM. */
  readonly privateKey: string;
  readonly out: string;
  /** Paths in the manifest are relative to this folder; default: the manifest's folder. */
  readonly root?: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

export async function signPaths(options: SignOptions): Promise<SignedManifest> {
  const key = loadPrivateKey(options.privateKey);
  const out = resolve(options.out);
  const root = resolve(options.root ?? dirname(out));
  let exclude: Set<string>;
  try {
    exclude = new Set([underRoot(root, out)]);
  } catch {
    exclude = new Set();
  }
  const manifest = await createManifest({ root, paths: options.paths, exclude, ...(options.metadata ? { metadata: options.metadata } : {}) });
  const signed = signManifest(manifest, key);
  await writeFile(out, `${JSON.stringify(signed, null, 2)}\n`, { mode: 0o644 });
  return signed;
}

export interface ChangedFile {
  readonly path: string;
  readonly expected: string;
  readonly actual: string;
}

export interface IntegrityResult {
  readonly ok: boolean;
  readonly signatureValid: boolean;
  /** Key id recorded in the manifest, and of the key that verified (they differ when the wrong key is used). */
  readonly manifestKeyId?: string;
  readonly verifyingKeyId: string;
  readonly added: string[];
  readonly removed: string[];
  readonly changed: ChangedFile[];
  /** Problems that make the result untrustworthy (unreadable or malformed manifest). */
  readonly errors: string[];
  readonly checked: number;
}

function isSignedManifest(value: unknown): value is SignedManifest {
  const v = value as SignedManifest | null;
  return (
    typeof v === 'object' && v !== null &&
    typeof v.manifest === 'object' && v.manifest !== null &&
    v.manifest.version === MANIFEST_VERSION &&
    typeof v.manifest.files === 'object' && Array.isArray(v.manifest.include) &&
    typeof v.signature === 'object' && v.signature !== null
  );
}

/** Manifest paths are root-relative POSIX paths; nothing may climb out of the root. */
function isSafeRelative(path: string): boolean {
  if (path === '' || path.startsWith('/') || /^[A-Za-z]:/.test(path) || path.includes('\\')) return false;
  return !path.split('/').some((segment) => segment === '..');
}

export interface VerifyOptions {
  /** Default: the manifest's folder. */
  readonly root?: string;
}

/**
 * Checks the signature, then every file: each one added, removed or changed since signing is named.
 * The file check runs even when the signature is bad, so the operator sees what was touched.
 */
export async function verifyManifestFile(manifestPath: string, publicKeyRef: string, options: VerifyOptions = {}): Promise<IntegrityResult> {
  const publicKey = loadPublicKey(publicKeyRef);
  const verifyingKeyId = keyId(publicKey);
  const path = resolve(manifestPath);
  const root = resolve(options.root ?? dirname(path));
  const empty = { added: [], removed: [], changed: [], checked: 0 };
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    return { ok: false, signatureValid: false, verifyingKeyId, ...empty, errors: [`cannot read manifest: ${error instanceof Error ? error.message : String(error)}`] };
  }
  if (!isSignedManifest(parsed)) {
    return { ok: false, signatureValid: false, verifyingKeyId, ...empty, errors: ['not a ClawGuard signed manifest (version 1)'] };
  }
  const unsafe = [...parsed.manifest.include, ...Object.keys(parsed.manifest.files)].filter((p) => typeof p !== 'string' || !isSafeRelative(p));
  if (unsafe.length > 0) {
    return { ok: false, signatureValid: false, verifyingKeyId, ...empty, errors: [`manifest names paths outside its root: ${unsafe.slice(0, 5).join(', ')}`] };
  }
  const valid = signatureValid(parsed, publicKey);
  const manifest = parsed.manifest;
  let self: string | undefined;
  try {
    self = underRoot(root, path);
  } catch {
    self = undefined;
  }
  const present = await listFiles(root, manifest.include, new Set(self ? [self] : []));
  const expected = new Set(Object.keys(manifest.files));
  const added = present.filter((p) => !expected.has(p));
  const presentSet = new Set(present);
  const removed: string[] = [];
  const changed: ChangedFile[] = [];
  for (const [rel, digest] of Object.entries(manifest.files).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!presentSet.has(rel)) {
      removed.push(rel);
      continue;
    }
    const actual = await sha256File(join(root, rel));
    if (actual.sha256 !== digest.sha256) changed.push({ path: rel, expected: digest.sha256, actual: actual.sha256 });
  }
  const errors: string[] = [];
  if (!valid) errors.push(parsed.signature.keyId !== verifyingKeyId ? `signature does not verify (signed by key ${parsed.signature.keyId}, checked with ${verifyingKeyId})` : 'signature does not verify');
  return {
    ok: valid && added.length === 0 && removed.length === 0 && changed.length === 0,
    signatureValid: valid,
    manifestKeyId: parsed.signature.keyId,
    verifyingKeyId,
    added,
    removed,
    changed,
    errors,
    checked: expected.size,
  };
}

export class IntegrityError extends Error {
  constructor(readonly result: IntegrityResult) {
    super(describeFailure(result));
    this.name = 'IntegrityError';
  }
}

export function describeFailure(result: IntegrityResult): string {
  const parts = [...result.errors];
  if (result.changed.length) parts.push(`changed: ${result.changed.map((c) => c.path).join(', ')}`);
  if (result.removed.length) parts.push(`removed: ${result.removed.join(', ')}`);
  if (result.added.length) parts.push(`added: ${result.added.join(', ')}`);
  return parts.length ? `integrity check failed: ${parts.join('; ')}` : 'integrity check passed';
}

/**
 * For the gateway's start-up: resolves when the manifest's signature and every file check out,
 * throws `IntegrityError` (naming each added, removed or changed file) otherwise.
 */
export async function verifyIntegrity(manifestPath: string, publicKeyRef: string, options: VerifyOptions = {}): Promise<IntegrityResult> {
  const result = await verifyManifestFile(manifestPath, publicKeyRef, options);
  if (!result.ok) throw new IntegrityError(result);
  return result;
}
