import { createHash, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import * as tar from 'tar';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { parseBody, type RecordBody, recordHashWithDigest, sha256Base64 } from '../../audit/record.js';
import { openAuditStore } from '../../audit/setup.js';
import { type Checkpoint, CheckpointVerifier, parsePublicKey, parseSigningKey, publicKeyId, rawPublicKey } from '../../audit/signing.js';
import type { LoadedConfig } from '../../config/load.js';
import { resolveSecret, SECRET_REF } from '../../secrets/secret-ref.js';
import { alertRules, queryItems } from './report.js';
import { type AuditItem, incidentMarkdown, summarize } from './timeline.js';

/**
 * The forensic bundle: a .tgz of
 *   manifest.json   what is inside (SHA-256 per file), the query, the signer's public key
 *   manifest.sig    Ed25519 signature over manifest.json, by the audit signing key
 *   records.jsonl   the selected audit records, readable
 *   chain.jsonl     the chain segment proving them: every record from the first selected one to the
 *                   signed checkpoint after the last (body, prev, hash, payload digest; payload bytes never)
 *   checkpoints.json  the signed checkpoints inside the segment;  keys.json  the keys that verify them
 *   config.yaml     the config, secret-looking values redacted (config digest in the manifest)
 *   metrics.json    counts from the audit records;  metrics.prom  the live /metrics when reachable
 *   timeline.json, timeline.md
 */
export const BUNDLE_FORMAT = 'clawguard-incident-bundle/v1';

export interface BundleQuery {
  readonly since: number;
  readonly until?: number;
  readonly principal?: string;
}

export interface ChainLine {
  readonly seq: number;
  readonly prev: string;
  readonly hash: string;
  readonly body: string;
  readonly payloadSha: string | null;
}

export interface Manifest {
  readonly format: string;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly query: { readonly since: string; readonly until: string | null; readonly principal: string | null };
  readonly store: string;
  readonly segment: { readonly from: number | null; readonly to: number | null; readonly records: number; readonly selected: number };
  readonly signer: { readonly keyId: string; readonly publicKey: string };
  readonly config: { readonly file: string; readonly sha256: string | null; readonly redactions: number };
  readonly metrics: { readonly live: boolean; readonly source: string };
  readonly files: Record<string, { readonly sha256: string; readonly bytes: number }>;
}

/** Whether a record belongs to the export: in the window and, with a principal, by it or aimed at it. */
export function selects(body: RecordBody, q: { since: number; until?: number | undefined; principal?: string | undefined }): boolean {
  if (body.ts < q.since || (q.until !== undefined && body.ts >= q.until)) return false;
  if (q.principal === undefined) return true;
  if (body.principal === q.principal) return true;
  const target = body.data?.target;
  return body.type === 'admin' && (target === q.principal || target === `principal:${q.principal}`);
}

const hex = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

const SECRET_KEY = /(secret|password|passwd|token|api[-_]?key|private[-_]?key|credential|authorization|cookie|^key$)/i;
const SECRET_VALUE = [
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /\bcg_[A-Za-z0-9_-]{20,}/,
  /\bsk-[A-Za-z0-9_-]{16,}/,
  /\bAKIA[0-9A-Z]{16}\b/,
  /\bgh[pousr]_[A-Za-z0-9]{30,}/,
  /\bxox[abpr]-[A-Za-z0-9-]{10,}/,
  /\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\./,
];
const URL_PASSWORD = /^([a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:)([^/\s@]+)(@)/i;

/**
 * The config with anything secret-looking replaced by `[REDACTED]`: values under secret-sounding keys
 * that are not secret references, passwords in URLs, and known credential formats anywhere. Public keys
 * stay. Comments go (the YAML is re-written).
 */
export function redactConfig(text: string): { text: string; redactions: number } {
  let redactions = 0;
  const walk = (node: unknown, key: string): unknown => {
    if (typeof node === 'string') {
      if (SECRET_REF.test(node) || /public/i.test(key)) return node;
      if (SECRET_KEY.test(key) || SECRET_VALUE.some((re) => re.test(node))) {
        redactions++;
        return '[REDACTED]';
      }
      if (URL_PASSWORD.test(node)) {
        redactions++;
        return node.replace(URL_PASSWORD, '$1[REDACTED]$3');
      }
      return node;
    }
    if (Array.isArray(node)) return node.map((v) => walk(v, key));
    if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v, k)]));
    return node;
  };
  const redacted = walk(parseYaml(text) ?? {}, '');
  return { text: stringifyYaml(redacted), redactions };
}

async function liveMetrics(loaded: LoadedConfig, adminUrl: string | undefined, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const { admin, telemetry } = loaded.config;
  if (!telemetry.metrics.enabled) return undefined;
  const base = adminUrl ?? (admin.enabled && admin.port !== 0 ? `${admin.tls ? 'https' : 'http'}://${admin.host.includes(':') ? `[${admin.host}]` : admin.host}:${admin.port}` : undefined);
  if (!base) return undefined;
  try {
    const key = env.CLAWGUARD_ADMIN_KEY;
    const res = await fetch(`${base.replace(/\/$/, '')}${telemetry.metrics.path}`, { signal: AbortSignal.timeout(2000), ...(key ? { headers: { authorization: `Bearer ${key}` } } : {}) });
    return res.ok ? await res.text() : undefined;
  } catch {
    return undefined;
  }
}

export interface ExportResult {
  readonly records: number;
  readonly chainFrom: number | null;
  readonly chainTo: number | null;
  readonly checkpoints: number;
  readonly keyId: string;
  readonly manifestSha256: string;
}

/** `clawguard incident export`: writes the signed bundle. Needs `audit.signing.privateKey`. */
export async function exportBundle(
  loaded: LoadedConfig,
  options: BundleQuery & { out: string; adminUrl?: string; createdBy?: string; env?: NodeJS.ProcessEnv },
): Promise<ExportResult> {
  const env = options.env ?? process.env;
  const audit = loaded.config.audit;
  if (!audit.enabled) throw new Error('audit is disabled in this config: there is no audit log to export');
  if (!audit.signing.privateKey) throw new Error('incident export signs the bundle with the audit signing key: set audit.signing.privateKey (clawguard audit keygen)');
  const privateKey = parseSigningKey(await resolveSecret(audit.signing.privateKey, env));
  const publicKey = createPublicKey(privateKey);
  const keyId = publicKeyId(publicKey);
  const verifyKeys = new Map<string, KeyObject>([[keyId, publicKey]]);
  for (const k of audit.signing.publicKeys.map(parsePublicKey)) verifyKeys.set(publicKeyId(k), k);

  const store = await openAuditStore(audit, { baseDir: loaded.baseDir, env });
  const dir = mkdtempSync(join(tmpdir(), 'clawguard-bundle-'));
  try {
    const q = { since: options.since, until: options.until, principal: options.principal };
    // The selection, in chain order.
    const selected: (AuditItem & { hash: string; prev?: string })[] = [];
    for await (const item of queryItems(store, { since: q.since, ...(q.until !== undefined ? { until: q.until } : {}) })) {
      if (selects(item.body, q)) selected.push(item);
    }
    // The segment: from the first selected record to the first signed checkpoint at or after the last one
    // (else to the head: those records are vouched for by the bundle signature only).
    const checkpoints = await store.checkpoints();
    const chain: ChainLine[] = [];
    let to: number | null = null;
    if (selected.length > 0) {
      const from = selected[0]!.seq;
      const last = selected[selected.length - 1]!.seq;
      const covering = checkpoints.filter((c) => c.kind !== 'anchor' && c.seq >= last).sort((a, b) => a.seq - b.seq)[0];
      to = covering?.seq ?? (await store.head())!.seq;
      let prev = (await store.record(from))!.prev;
      let after = from - 1;
      while (after < to) {
        const rows = await store.page(after, 5000);
        if (rows.length === 0) break;
        for (const [seq, hash, body, payload] of rows) {
          if (seq > to) break;
          chain.push({ seq, prev, hash, body, payloadSha: payload === null ? null : sha256Base64(payload) });
          prev = hash;
        }
        after = rows[rows.length - 1]![0];
      }
    }
    const from = chain[0]?.seq ?? null;
    const inSegment = checkpoints.filter((c) => from !== null && to !== null && c.seq >= from && c.seq <= to);
    const prevOf = new Map(chain.map((c) => [c.seq, c.prev]));

    const files: Record<string, string | Buffer> = {};
    files['records.jsonl'] = selected.map((r) => `${JSON.stringify({ seq: r.seq, hash: r.hash, prev: prevOf.get(r.seq) ?? null, ...r.body })}\n`).join('');
    files['chain.jsonl'] = chain.map((c) => `${JSON.stringify(c)}\n`).join('');
    files['checkpoints.json'] = `${JSON.stringify(inSegment, null, 2)}\n`;
    files['keys.json'] = `${JSON.stringify([...verifyKeys].map(([id, k]) => ({ keyId: id, publicKey: rawPublicKey(k) })), null, 2)}\n`;
    files['public-key.pem'] = publicKey.export({ type: 'spki', format: 'pem' }).toString();

    let configSha: string | null = null;
    let redactions = 0;
    if (loaded.file !== '<defaults>') {
      const original = readFileSync(loaded.file);
      configSha = hex(original);
      const redacted = redactConfig(original.toString('utf8'));
      redactions = redacted.redactions;
      files['config.yaml'] = `# ${basename(loaded.file)}, secret-looking values redacted; SHA-256 of the original file: ${configSha}\n${redacted.text}`;
    }

    const { summary, timeline } = summarize(selected, alertRules(loaded));
    const live = await liveMetrics(loaded, options.adminUrl, env);
    if (live) files['metrics.prom'] = live;
    files['metrics.json'] = `${JSON.stringify({ source: 'audit records of this bundle', ...summary }, null, 2)}\n`;
    files['timeline.json'] = `${JSON.stringify(timeline, null, 2)}\n`;
    files['timeline.md'] = incidentMarkdown(summary, timeline, {
      title: 'ClawGuard incident timeline',
      window: q,
      preamble: [`Forensic bundle of ${loaded.file}${q.principal ? `, principal ${q.principal}` : ''}; created ${new Date().toISOString()}.`],
    });

    const manifest: Manifest = {
      format: BUNDLE_FORMAT,
      createdAt: new Date().toISOString(),
      createdBy: options.createdBy ?? 'clawguard',
      query: { since: new Date(q.since).toISOString(), until: q.until !== undefined ? new Date(q.until).toISOString() : null, principal: q.principal ?? null },
      store: store.kind,
      segment: { from, to, records: chain.length, selected: selected.length },
      signer: { keyId, publicKey: rawPublicKey(publicKey) },
      config: { file: loaded.file, sha256: configSha, redactions },
      metrics: { live: live !== undefined, source: live !== undefined ? 'admin /metrics at export time, and counts from the audit records' : 'counts from the audit records (the admin listener was not reachable)' },
      files: Object.fromEntries(Object.entries(files).map(([name, content]) => [name, { sha256: hex(content), bytes: Buffer.byteLength(content) }])),
    };
    const manifestText = `${JSON.stringify(manifest, null, 2)}\n`;
    files['manifest.json'] = manifestText;
    files['manifest.sig'] = `${sign(null, Buffer.from(manifestText), privateKey).toString('base64')}\n`;
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content, { mode: 0o600 });
    await tar.c({ gzip: true, file: options.out, cwd: dir, portable: true }, Object.keys(files).sort());
    chmodSync(options.out, 0o600);
    return { records: selected.length, chainFrom: from, chainTo: to, checkpoints: inSegment.length, keyId, manifestSha256: hex(manifestText) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await store.close();
  }
}

/** Every regular file in a .tgz, by name. Links, folders, odd names and duplicates are refused. */
export async function readBundle(file: string): Promise<Map<string, Buffer>> {
  const entries = new Map<string, Buffer>();
  const problems: string[] = [];
  await tar.t({
    file,
    onReadEntry(entry) {
      const name = entry.path;
      if (entry.type !== 'File' || !/^[A-Za-z0-9._-]+$/.test(name)) {
        problems.push(`unexpected entry "${name}" (${entry.type})`);
        entry.resume();
        return;
      }
      if (entries.has(name)) problems.push(`duplicate file ${name}`);
      const chunks: Buffer[] = [];
      entry.on('data', (c: Buffer) => chunks.push(c));
      entry.on('end', () => entries.set(name, Buffer.concat(chunks)));
    },
  });
  if (problems.length) throw new Error(`not a ClawGuard bundle: ${problems.join('; ')}`);
  return entries;
}

export interface BundleCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface BundleVerifyResult {
  readonly ok: boolean;
  readonly keyId?: string;
  readonly checks: readonly BundleCheck[];
  /** What is broken, each naming the part (file, record, checkpoint, signature). */
  readonly problems: readonly string[];
  readonly records: number;
  readonly segment?: { readonly from: number | null; readonly to: number | null };
  /** Records after the last signed checkpoint of the segment: vouched for by the bundle signature only. */
  readonly unsignedTail: number;
}

/** `clawguard incident verify`: offline, from the bundle alone (and the expected public key, if given). */
export async function verifyBundle(file: string, options: { publicKeyFile?: string } = {}): Promise<BundleVerifyResult> {
  const checks: BundleCheck[] = [];
  const problems: string[] = [];
  const check = (name: string, found: readonly string[], okDetail: string): void => {
    checks.push({ name, ok: found.length === 0, detail: found.length === 0 ? okDetail : found.join('; ') });
    problems.push(...found);
  };
  const files = await readBundle(file);
  const manifestBytes = files.get('manifest.json');
  const sig = files.get('manifest.sig');
  if (!manifestBytes || !sig) {
    check('manifest signature', [`missing ${!manifestBytes ? 'manifest.json' : 'manifest.sig'}`], '');
    return { ok: false, checks, problems, records: 0, unsignedTail: 0 };
  }
  let manifest: Manifest;
  try {
    manifest = JSON.parse(manifestBytes.toString('utf8')) as Manifest;
    if (manifest.format !== BUNDLE_FORMAT) throw new Error(`format ${String(manifest.format)}`);
  } catch (error) {
    check('manifest signature', [`manifest.json is not a ${BUNDLE_FORMAT} manifest (${error instanceof Error ? error.message : 'unreadable'})`], '');
    return { ok: false, checks, problems, records: 0, unsignedTail: 0 };
  }

  // 1. The manifest's signature, by the embedded key, which must be the expected one when given.
  const sigProblems: string[] = [];
  let signerKey: KeyObject | undefined;
  try {
    signerKey = parsePublicKey(manifest.signer.publicKey);
    if (publicKeyId(signerKey) !== manifest.signer.keyId) sigProblems.push(`manifest.sig: the manifest names key ${manifest.signer.keyId} but carries ${publicKeyId(signerKey)}`);
  } catch {
    sigProblems.push('manifest.sig: the manifest carries no valid Ed25519 public key');
  }
  if (options.publicKeyFile && signerKey) {
    const expected = parsePublicKey(readFileSync(options.publicKeyFile, 'utf8'));
    if (publicKeyId(expected) !== publicKeyId(signerKey)) sigProblems.push(`manifest.sig: bundle signed by key ${publicKeyId(signerKey)}, not by the expected key ${publicKeyId(expected)}`);
  }
  if (signerKey) {
    let valid = false;
    try {
      valid = verify(null, manifestBytes, signerKey, Buffer.from(sig.toString('utf8').trim(), 'base64'));
    } catch {
      valid = false;
    }
    if (!valid) sigProblems.push('manifest.sig: bad signature (the manifest or its signature was changed)');
  }
  check('manifest signature', sigProblems, `Ed25519 by key ${manifest.signer.keyId}${options.publicKeyFile ? ' (the expected key)' : ' (no expected key given: compare this fingerprint with your own)'}`);

  // 2. Every file as the manifest lists it, and nothing else.
  const fileProblems: string[] = [];
  for (const [name, meta] of Object.entries(manifest.files ?? {})) {
    const content = files.get(name);
    if (!content) fileProblems.push(`missing file ${name}`);
    else if (hex(content) !== meta.sha256) fileProblems.push(`tampered file ${name} (SHA-256 does not match the manifest)`);
  }
  for (const name of files.keys()) {
    if (name !== 'manifest.json' && name !== 'manifest.sig' && !(name in (manifest.files ?? {}))) fileProblems.push(`unlisted file ${name}`);
  }
  if (manifest.config?.sha256 && !files.get('config.yaml')?.toString('utf8').includes(manifest.config.sha256)) fileProblems.push('config.yaml does not name the config digest of the manifest');
  check('file digests', fileProblems, `${Object.keys(manifest.files ?? {}).length} files match their SHA-256`);

  // 3. Checkpoint signatures, by the keys the bundle carries (covered by the manifest signature).
  const cpProblems: string[] = [];
  let cps: Checkpoint[] = [];
  let keys: KeyObject[] = [];
  try {
    cps = JSON.parse(files.get('checkpoints.json')?.toString('utf8') ?? '[]') as Checkpoint[];
    keys = (JSON.parse(files.get('keys.json')?.toString('utf8') ?? '[]') as { publicKey: string }[]).map((k) => parsePublicKey(k.publicKey));
  } catch {
    cpProblems.push('checkpoints.json or keys.json is unreadable');
  }
  const verifier = new CheckpointVerifier(keys);
  for (const cp of cps) {
    const why = verifier.check(cp);
    if (why) cpProblems.push(`checkpoint at record ${cp.seq}: ${why}`);
  }
  check('checkpoint signatures', cpProblems, `${cps.length} checkpoint(s) verify`);

  // 4. The chain segment: consecutive, linked, each hash recomputed, matching the signed checkpoints.
  const chainProblems: string[] = [];
  const chain: ChainLine[] = [];
  for (const [i, line] of (files.get('chain.jsonl')?.toString('utf8') ?? '').split('\n').entries()) {
    if (line.trim() === '') continue;
    try {
      chain.push(JSON.parse(line) as ChainLine);
    } catch {
      chainProblems.push(`chain.jsonl line ${i + 1} is not JSON`);
    }
  }
  const hashAt = new Map<number, string>();
  for (let i = 0; i < chain.length && chainProblems.length < 20; i++) {
    const c = chain[i]!;
    const before = chain[i - 1];
    if (before && c.seq !== before.seq + 1) chainProblems.push(c.seq > before.seq + 1 ? `record ${before.seq + 1}${c.seq - before.seq > 2 ? `..${c.seq - 1}` : ''} missing from the chain (it jumps from ${before.seq} to ${c.seq})` : `record ${c.seq} out of order after ${before.seq}`);
    else if (before && c.prev !== before.hash) chainProblems.push(`broken chain link at record ${c.seq}: its prev is not the hash of record ${before.seq}`);
    if (recordHashWithDigest(c.prev, c.seq, c.body, c.payloadSha) !== c.hash) chainProblems.push(`record ${c.seq} was modified (its content does not match its hash)`);
    hashAt.set(c.seq, c.hash);
  }
  let lastSigned = 0;
  for (const cp of cps) {
    const h = hashAt.get(cp.seq);
    if (h === undefined) chainProblems.push(`checkpoint at record ${cp.seq} lies outside the chain segment`);
    else if (h !== cp.hash) chainProblems.push(`the chain does not match the signed checkpoint at record ${cp.seq}`);
    else if (!verifier.check(cp)) lastSigned = Math.max(lastSigned, cp.seq);
  }
  const seg = manifest.segment;
  const firstSeq = chain[0]?.seq ?? null;
  const lastSeq = chain[chain.length - 1]?.seq ?? null;
  if (seg && (seg.from !== firstSeq || seg.to !== lastSeq || seg.records !== chain.length)) chainProblems.push(`chain.jsonl holds ${firstSeq ?? '-'}..${lastSeq ?? '-'} (${chain.length}), the manifest says ${seg.from ?? '-'}..${seg.to ?? '-'} (${seg.records})`);
  const unsignedTail = lastSeq === null ? 0 : lastSeq - Math.max(lastSigned, firstSeq! - 1);
  check(
    'chain segment',
    chainProblems,
    chain.length === 0 ? 'empty (no record matched)' : `records ${firstSeq}..${lastSeq} link and hash correctly${lastSigned ? `; signed checkpoint at ${lastSigned}` : ''}${unsignedTail ? `; ${unsignedTail} record(s) after the last checkpoint are vouched for by the bundle signature only` : ''}`,
  );

  // 5. The readable records are exactly the chain's records that the export's query selects.
  const recProblems: string[] = [];
  const bySeq = new Map(chain.map((c) => [c.seq, c]));
  const listed = new Set<number>();
  let records = 0;
  for (const line of (files.get('records.jsonl')?.toString('utf8') ?? '').split('\n')) {
    if (line.trim() === '') continue;
    records++;
    let r: Record<string, unknown>;
    try {
      r = JSON.parse(line) as Record<string, unknown>;
    } catch {
      recProblems.push('records.jsonl holds a line that is not JSON');
      continue;
    }
    const { seq, hash, prev: _prev, ...body } = r as { seq: number; hash: string; prev: unknown };
    listed.add(seq);
    const c = bySeq.get(seq);
    if (!c) recProblems.push(`records.jsonl: record ${seq} is not in the chain segment`);
    else if (c.hash !== hash || JSON.stringify(parseBody(c.body)) !== JSON.stringify(body)) recProblems.push(`records.jsonl: record ${seq} differs from the chain`);
  }
  const q = manifest.query;
  const window = { since: Date.parse(q.since), ...(q.until ? { until: Date.parse(q.until) } : {}), ...(q.principal ? { principal: q.principal } : {}) };
  for (const c of chain) {
    let body: RecordBody | undefined;
    try {
      body = parseBody(c.body);
    } catch {
      recProblems.push(`chain record ${c.seq} has a body that is not JSON`);
    }
    if (body && selects(body, window) && !listed.has(c.seq)) recProblems.push(`record ${c.seq} matches the export's query but is missing from records.jsonl`);
  }
  check('records', recProblems, `${records} record(s), exactly those the query selects`);

  return { ok: problems.length === 0, keyId: manifest.signer.keyId, checks, problems, records, segment: { from: firstSeq, to: lastSeq }, unsignedTail };
}
