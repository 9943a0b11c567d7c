import { randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import { type AuditConfig, loadAuditConfigFile } from '../../audit/config.js';
import { generateAuditSigningKey } from '../../audit/signing.js';
import { eraseSubject, exportRecords, purgeAuditLog, rewrapDataKeys } from '../../audit/maintenance.js';
import type { StoredRecord } from '../../audit/record.js';
import { loadAuditKeys, openAuditStore } from '../../audit/setup.js';
import { toSyslog5424 } from '../../audit/siem.js';
import type { AuditQuery, AuditStore } from '../../audit/store.js';
import { verifyAuditLog, type VerifyResult } from '../../audit/verify.js';

export interface AuditCommandOptions {
  /** Standard output; default process.stdout. */
  readonly out?: (text: string) => void;
  /** Diagnostics and the progress bar; default process.stderr. */
  readonly err?: (text: string) => void;
  /** Whether diagnostics go to a terminal (draws a progress bar); default process.stderr.isTTY. */
  readonly isTTY?: boolean;
  readonly env?: NodeJS.ProcessEnv;
  readonly now?: () => number;
}

const DURATION = /^(\d+)(ms|s|m|h|d)$/;
const UNIT: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** An ISO date, epoch milliseconds, or a duration back from now (`15m`, `24h`, `7d`). */
export function parseTimeArg(value: string, now = Date.now()): number {
  const d = DURATION.exec(value);
  if (d) return now - Number(d[1]) * UNIT[d[2]!]!;
  if (/^\d{10,}$/.test(value)) return Number(value);
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new InvalidArgumentError('use an ISO date (2026-01-31T00:00:00Z), epoch ms, or a duration such as 24h or 7d');
  return t;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number of days');
  return n;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

class Progress {
  private last = 0;
  private drawn = false;
  constructor(
    private readonly err: (text: string) => void,
    private readonly enabled: boolean,
    private readonly label: string,
  ) {}

  update(done: number, total: number): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.last < 100 && done < total) return;
    this.last = now;
    const width = 30;
    const frac = total > 0 ? Math.min(1, done / total) : 1;
    const filled = Math.round(frac * width);
    this.err(`\r${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}% ${done}/${total}`);
    this.drawn = true;
  }

  end(): void {
    if (this.drawn) this.err('\r\x1b[2K');
  }
}

async function withStore<T>(configPath: string, env: NodeJS.ProcessEnv | undefined, fn: (store: AuditStore, config: AuditConfig) => Promise<T>): Promise<T> {
  const { config, baseDir } = loadAuditConfigFile(configPath);
  const store = await openAuditStore(config, { baseDir, ...(env ? { env } : {}) });
  try {
    return await fn(store, config);
  } finally {
    await store.close();
  }
}

function describeVerify(r: VerifyResult): string[] {
  const lines: string[] = [];
  if (r.ok) lines.push(`audit log intact: ${r.records} records${r.lastSeq !== undefined ? ` (${r.anchoredAt + 1}..${r.lastSeq})` : ''}, ${r.checkpoints} signed checkpoints`);
  else lines.push(`audit log BROKEN at record ${r.problem!.seq} (${r.problem!.kind}): ${r.problem!.message}`);
  if (r.anchoredAt > 0) lines.push(`starts after the retention anchor at ${r.anchoredAt}`);
  if (!r.signaturesChecked) lines.push('warning: no public key configured (audit.signing): checkpoint signatures were not checked');
  if (r.unsignedTail > 0) lines.push(`note: the last ${r.unsignedTail} records are not yet covered by a signed checkpoint`);
  lines.push(`checked in ${(r.elapsedMs / 1000).toFixed(2)} s (${Math.round(r.records / Math.max(r.elapsedMs / 1000, 1e-6))} records/s)`);
  return lines;
}

/** Adds `audit verify|export|purge|erase|rewrap|keygen`. Actions set process.exitCode. */
export function registerAuditCommands(program: Command, options: AuditCommandOptions = {}): void {
  const out = options.out ?? ((text: string) => void process.stdout.write(text));
  const err = options.err ?? ((text: string) => void process.stderr.write(text));
  const isTTY = options.isTTY ?? Boolean(process.stderr.isTTY);
  const env = options.env;
  const now = options.now ?? Date.now;
  const fail = (error: unknown): void => {
    err(`error: ${message(error)}\n`);
    process.exitCode = 2;
  };

  const audit = program.command('audit').description('tamper evidence, export, retention and erasure of the audit log');

  audit
    .command('verify')
    .description('prove the audit log complete and unmodified, or name the first broken record (exit 0 only when intact)')
    .option('-c, --config <file>', 'config file', 'clawguard.yaml')
    .option('--json', 'JSON output')
    .action(async (opts: { config: string; json?: boolean }) => {
      try {
        const result = await withStore(opts.config, env, async (store, config) => {
          const keys = await loadAuditKeys({ ...config, encryption: undefined }, env);
          const progress = new Progress(err, isTTY && !opts.json, 'verifying');
          try {
            return await verifyAuditLog(store, { ...(keys.verifier ? { verifier: keys.verifier } : {}), onProgress: (d, t) => progress.update(d, t) });
          } finally {
            progress.end();
          }
        });
        if (opts.json) out(`${JSON.stringify(result)}\n`);
        else {
          const lines = describeVerify(result);
          (result.ok ? out : err)(`${lines[0]}\n`);
          for (const l of lines.slice(1)) err(`${l}\n`);
        }
        process.exitCode = result.ok ? 0 : 1;
      } catch (error) {
        fail(error);
      }
    });

  audit
    .command('export')
    .description('write audit records as JSON lines (or RFC 5424 syslog lines), filtered by time, principal, subject and type')
    .option('-c, --config <file>', 'config file', 'clawguard.yaml')
    .option('--since <time>', 'from (ISO date, epoch ms, or 24h / 7d ago)')
    .option('--until <time>', 'until, exclusive')
    .option('--principal <id>', 'only this principal')
    .option('--subject <id>', 'only this subject')
    .option('--type <type>', 'only this event type (repeatable)', collect)
    .option('--decrypt', 'decrypt encrypted payloads (needs audit.encryption keys)')
    .option('--format <format>', 'jsonl or syslog', 'jsonl')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .action(async (opts: { config: string; since?: string; until?: string; principal?: string; subject?: string; type?: string[]; decrypt?: boolean; format: string; output?: string }) => {
      let file: WriteStream | undefined;
      try {
        if (opts.format !== 'jsonl' && opts.format !== 'syslog') throw new Error('--format must be jsonl or syslog');
        if (opts.decrypt && opts.format === 'syslog') throw new Error('--decrypt only applies to --format jsonl');
        const filter: AuditQuery = {
          ...(opts.since ? { since: parseTimeArg(opts.since, now()) } : {}),
          ...(opts.until ? { until: parseTimeArg(opts.until, now()) } : {}),
          ...(opts.principal ? { principal: opts.principal } : {}),
          ...(opts.subject ? { subject: opts.subject } : {}),
          ...(opts.type ? { types: opts.type } : {}),
        };
        if (opts.output) file = createWriteStream(opts.output, { mode: 0o600 });
        const write = async (text: string): Promise<void> => {
          if (file) {
            if (!file.write(text)) await new Promise<void>((r) => file!.once('drain', () => r()));
          } else if (options.out) out(text);
          // Respect backpressure on a slow pipe (`| gzip`, `| ssh`): a large export must not pile up in memory.
          else if (!process.stdout.write(text)) await new Promise<void>((r) => process.stdout.once('drain', () => r()));
        };
        let count = 0;
        await withStore(opts.config, env, async (store, config) => {
          if (opts.format === 'syslog') {
            let after = 0;
            for (;;) {
              const rows: StoredRecord[] = await store.query(filter, after, 5000);
              if (rows.length === 0) break;
              for (const r of rows) {
                await write(`${toSyslog5424(r)}\n`);
                count++;
              }
              after = rows[rows.length - 1]!.seq;
            }
            return;
          }
          const keys = opts.decrypt ? await loadAuditKeys(config, env) : {};
          if (opts.decrypt && !keys.keyring) throw new Error('--decrypt needs audit.encryption in the config');
          for await (const r of exportRecords(store, { filter, ...(keys.keyring ? { keyring: keys.keyring } : {}) })) {
            await write(`${JSON.stringify(r)}\n`);
            count++;
          }
        });
        if (file) {
          const f = file;
          await new Promise<void>((resolve, reject) => f.end((e?: Error | null) => (e ? reject(e) : resolve())));
          file = undefined;
        }
        err(`exported ${count} records\n`);
      } catch (error) {
        file?.destroy();
        fail(error);
      }
    });

  audit
    .command('purge')
    .description('delete records older than N days behind a signed anchor checkpoint; the rest still verifies')
    .option('-c, --config <file>', 'config file', 'clawguard.yaml')
    .option('--older-than <days>', 'days to keep (default: audit.retention.days)', positiveInt)
    .option('--dry-run', 'report what would be deleted, delete nothing')
    .option('--json', 'JSON output')
    .action(async (opts: { config: string; olderThan?: number; dryRun?: boolean; json?: boolean }) => {
      try {
        const result = await withStore(opts.config, env, async (store, config) => {
          const days = opts.olderThan ?? config.retention.days;
          if (!days) throw new Error('no retention: pass --older-than DAYS or set audit.retention.days');
          const keys = await loadAuditKeys({ ...config, encryption: undefined }, env);
          if (!keys.signer) throw new Error('purge signs an anchor checkpoint: set audit.signing.privateKey');
          const progress = new Progress(err, isTTY && !opts.json, 'checking');
          try {
            return await purgeAuditLog(store, {
              before: now() - days * 86_400_000,
              signer: keys.signer,
              ...(keys.verifier ? { verifier: keys.verifier } : {}),
              dryRun: opts.dryRun ?? false,
              onProgress: (d, t) => progress.update(d, t),
            });
          } finally {
            progress.end();
          }
        });
        if (opts.json) out(`${JSON.stringify(result)}\n`);
        else if (result.refused) err(`refused: the records to purge do not verify: record ${result.refused.seq} (${result.refused.kind}): ${result.refused.message}\n`);
        else if (result.cutSeq === undefined) out('nothing to purge\n');
        else out(`${result.dryRun ? 'would delete' : 'deleted'} ${result.records} records (through ${result.cutSeq}); the log now starts from a signed anchor\n`);
        process.exitCode = result.refused ? 1 : 0;
      } catch (error) {
        fail(error);
      }
    });

  audit
    .command('erase')
    .description("crypto-shred a subject's payloads: destroy its data keys (records and chain stay verifiable)")
    .option('-c, --config <file>', 'config file', 'clawguard.yaml')
    .requiredOption('--subject <id>', 'principal or end-user id whose payloads to erase')
    .option('--dry-run', 'report what would be erased')
    .option('--json', 'JSON output')
    .action(async (opts: { config: string; subject: string; dryRun?: boolean; json?: boolean }) => {
      try {
        const result = await withStore(opts.config, env, (store) => eraseSubject(store, opts.subject, { dryRun: opts.dryRun ?? false, now: now() }));
        if (opts.json) out(`${JSON.stringify(result)}\n`);
        else out(`${result.dryRun ? 'would erase' : 'erased'} ${result.keys} data keys of subject ${JSON.stringify(result.subject)}: ${result.payloads} stored payloads ${result.dryRun ? 'would become' : 'are now'} unreadable\n`);
      } catch (error) {
        fail(error);
      }
    });

  audit
    .command('rewrap')
    .description('re-wrap every data key under the active master key (after a rotation); no audit record changes')
    .option('-c, --config <file>', 'config file', 'clawguard.yaml')
    .action(async (opts: { config: string }) => {
      try {
        const n = await withStore(opts.config, env, async (store, config) => {
          const keys = await loadAuditKeys(config, env);
          if (!keys.keyring) throw new Error('rewrap needs audit.encryption in the config');
          return rewrapDataKeys(store, keys.keyring);
        });
        out(`re-wrapped ${n} data keys\n`);
      } catch (error) {
        fail(error);
      }
    });

  audit
    .command('keygen')
    .description('print a new checkpoint signing key pair and a new payload master key (store the secrets in your secret store)')
    .option('--json', 'JSON output')
    .action((opts: { json?: boolean }) => {
      const pair = generateAuditSigningKey();
      const masterKey = randomBytes(32).toString('base64');
      if (opts.json) out(`${JSON.stringify({ signingPrivateKey: pair.privateKey, signingPublicKey: pair.publicKey, masterKey })}\n`);
      else {
        out(`signing private key (secret):  ${pair.privateKey}\n`);
        out(`signing public key (config):   ${pair.publicKey}\n`);
        out(`payload master key (secret):   ${masterKey}\n`);
      }
    });
}
