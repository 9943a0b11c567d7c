import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import pino from 'pino';
import { openKeyStore } from '../../auth/open-key-store.js';
import type { AdminEvent } from '../../audit/events.js';
import { type LoadedConfig, loadConfigFile } from '../../config/load.js';
import { builtinGuards } from '../../guards/index.js';
import { resolveRedisUrl } from '../../gateway/server.js';
import { openStateStores } from '../../gateway/open-state-stores.js';
import { CONVERSATION_PREFIX, LockdownService } from '../../gateway/incident/lockdown.js';
import { recordAdminActions } from '../../gateway/incident/audit-actions.js';
import { parseTimeArg } from './audit.js';

const out = (text: string): void => {
  process.stdout.write(`${text}\n`);
};
const err = (text: string): void => {
  process.stderr.write(`${text}\n`);
};
const failed = (error: unknown): void => {
  err(`error: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
};

/** Runs against the shared store and, when Redis is configured, tells every replica at once. */
async function withLockdowns<T>(loaded: LoadedConfig, fn: (service: LockdownService) => Promise<T>): Promise<T> {
  const state = await openStateStores(loaded);
  let announce: (() => Promise<void>) | undefined;
  let redis: { disconnect(): void } | undefined;
  if (loaded.config.rateLimits.store === 'redis') {
    const { Redis } = await import('ioredis');
    const client = new Redis(await resolveRedisUrl(loaded.config.rateLimits.redisUrl!, process.env), { maxRetriesPerRequest: 1, connectTimeout: 2000 });
    client.on('error', () => undefined);
    redis = client;
    announce = async () => {
      await client.publish('clawguard:lockdown', 'changed');
    };
  }
  const service = new LockdownService(state.lockdowns, pino({ level: 'silent' }), 60_000, announce);
  try {
    return await fn(service);
  } finally {
    redis?.disconnect();
    await state.close();
  }
}

const load = (configPath: string): LoadedConfig => loadConfigFile(configPath, builtinGuards());
const actor = (): string => `cli:${process.env.USER ?? 'operator'}`;
/** An operator action, into the audit log (when auditing is on). */
const audited = (loaded: LoadedConfig, ...events: Omit<AdminEvent, 'type'>[]): Promise<void> => recordAdminActions(loaded, events);

/** `clawguard incident …`: kill switch, revocation, quarantine, forensic export and verify, report. */
export function registerIncidentCommands(program: Command): void {
  const incident = program.command('incident').description('incident response: lockdown (kill switch), unlock, revoke, quarantine, export, verify, report');
  incident
    .command('lockdown')
    .description('refuse a scope from the next request on, on every replica')
    .requiredOption('--scope <scope>', 'all | tenant:T | principal:P | tool:NAME')
    .option('--read-only', 'let the scope talk to models but run no tool calls')
    .option('--reason <text>', 'why (shown to callers and in logs)')
    .option('-c, --config <file>', 'config file', 'clawguard.yaml')
    .action(async (opts: { scope: string; readOnly?: boolean; reason?: string; config: string }) => {
      try {
        const loaded = load(opts.config);
        const l = await withLockdowns(loaded, (s) => s.lock(opts.scope, opts.readOnly ? 'read-only' : 'refuse', opts.reason, actor()));
        await audited(loaded, { action: 'lockdown.on', actor: actor(), target: l.scope, outcome: 'success', detail: { mode: l.mode } });
        out(`lockdown ${l.scope} (${l.mode}) engaged`);
      } catch (error) {
        failed(error);
      }
    });
  incident
    .command('unlock')
    .requiredOption('--scope <scope>', 'the scope to lift')
    .option('-c, --config <file>', 'config file', 'clawguard.yaml')
    .action(async (opts: { scope: string; config: string }) => {
      try {
        const loaded = load(opts.config);
        if (await withLockdowns(loaded, (s) => s.unlock(opts.scope, actor()))) {
          await audited(loaded, { action: 'lockdown.off', actor: actor(), target: opts.scope, outcome: 'success' });
          out(`lockdown ${opts.scope} lifted`);
        } else {
          err(`no lockdown with scope ${opts.scope}`);
          process.exitCode = 1;
        }
      } catch (error) {
        failed(error);
      }
    });
  incident
    .command('status')
    .description('active lockdowns and quarantines')
    .option('-c, --config <file>', 'config file', 'clawguard.yaml')
    .option('--json', 'JSON output')
    .action(async (opts: { config: string; json?: boolean }) => {
      try {
        const list = await withLockdowns(load(opts.config), (s) => s.store.list());
        if (opts.json) out(JSON.stringify(list));
        else if (list.length === 0) out('no lockdown');
        else for (const l of list) out(`${l.scope}  ${l.mode}  since ${l.createdAt} by ${l.createdBy}${l.reason ? `  (${l.reason})` : ''}`);
      } catch (error) {
        failed(error);
      }
    });
  incident
    .command('revoke')
    .description('refuse a principal at once: revoke its key (API-key principals) and lock it out (tokens, certificates)')
    .requiredOption('--principal <id>', 'principal id: a key id, jwt:SUBJECT or mtls:CN')
    .option('--reason <text>', 'why')
    .option('-c, --config <file>', 'config file', 'clawguard.yaml')
    .action(async (opts: { principal: string; reason?: string; config: string }) => {
      try {
        const loaded = load(opts.config);
        let revoked;
        if (!opts.principal.includes(':')) {
          const keys = await openKeyStore(loaded);
          try {
            revoked = await keys.revoke(opts.principal);
          } finally {
            await keys.close();
          }
        }
        const principal = revoked?.id ?? opts.principal;
        await withLockdowns(loaded, (s) => s.lock(`principal:${principal}`, 'refuse', opts.reason ?? 'revoked', actor()));
        await audited(
          loaded,
          ...(revoked ? [{ action: 'key.revoke', actor: actor(), target: revoked.id, outcome: 'success' as const }] : []),
          { action: 'lockdown.on', actor: actor(), target: `principal:${principal}`, outcome: 'success', detail: { mode: 'refuse', revoke: true } },
        );
        out(`${revoked ? `revoked key ${revoked.id} and ` : ''}locked out principal ${principal}`);
      } catch (error) {
        failed(error);
      }
    });
  incident
    .command('quarantine')
    .description("send a conversation's further turns to human review, on every replica")
    .requiredOption('--conversation <id>', 'the conversation id (x-clawguard-conversation header value, or the conv_… id the gateway derived)')
    .option('--reason <text>', 'why')
    .option('-c, --config <file>', 'config file', 'clawguard.yaml')
    .action(async (opts: { conversation: string; reason?: string; config: string }) => {
      try {
        const loaded = load(opts.config);
        const l = await withLockdowns(loaded, (s) => s.lock(`${CONVERSATION_PREFIX}${opts.conversation}`, 'review', opts.reason, actor()));
        await audited(loaded, { action: 'quarantine.on', actor: actor(), target: l.scope, outcome: 'success' });
        out(`conversation ${opts.conversation} quarantined: its further turns wait for approval (clawguard approvals list)`);
      } catch (error) {
        failed(error);
      }
    });
  incident
    .command('release')
    .description('lift a quarantine')
    .requiredOption('--conversation <id>', 'the conversation id')
    .option('-c, --config <file>', 'config file', 'clawguard.yaml')
    .action(async (opts: { conversation: string; config: string }) => {
      try {
        const loaded = load(opts.config);
        const scope = `${CONVERSATION_PREFIX}${opts.conversation}`;
        if (await withLockdowns(loaded, (s) => s.unlock(scope, actor()))) {
          await audited(loaded, { action: 'quarantine.off', actor: actor(), target: scope, outcome: 'success' });
          out(`conversation ${opts.conversation} released`);
        } else {
          err(`conversation ${opts.conversation} is not quarantined`);
          process.exitCode = 1;
        }
      } catch (error) {
        failed(error);
      }
    });
  incident
    .command('export')
    .description('write a signed forensic bundle: audit records with their chain proof, config snapshot, metrics, timeline')
    .requiredOption('--since <time>', 'from (ISO date, epoch ms, or 24h / 7d ago)')
    .option('--until <time>', 'until, exclusive')
    .option('--principal <id>', 'only this principal (and admin actions aimed at it)')
    .requiredOption('--out <file>', 'the bundle (.tgz)')
    .option('--admin-url <url>', 'admin listener for the metrics snapshot (default: from the config)')
    .option('-c, --config <file>', 'config file', 'clawguard.yaml')
    .action(async (opts: { since: string; until?: string; principal?: string; out: string; adminUrl?: string; config: string }) => {
      try {
        const { exportBundle } = await import('../../gateway/incident/bundle.js');
        const now = Date.now();
        const loaded = load(opts.config);
        const result = await exportBundle(loaded, {
          since: parseTimeArg(opts.since, now),
          ...(opts.until ? { until: parseTimeArg(opts.until, now) } : {}),
          ...(opts.principal ? { principal: opts.principal } : {}),
          out: opts.out,
          ...(opts.adminUrl ? { adminUrl: opts.adminUrl } : {}),
          createdBy: actor(),
        });
        await audited(loaded, { action: 'incident.export', actor: actor(), target: opts.out, outcome: 'success', detail: { records: result.records, manifestSha256: result.manifestSha256 } });
        out(`wrote ${opts.out}: ${result.records} record(s), chain ${result.chainFrom}..${result.chainTo}, ${result.checkpoints} checkpoint(s), signed by ${result.keyId}`);
      } catch (error) {
        failed(error);
      }
    });
  incident
    .command('verify <bundle>')
    .description('check a forensic bundle offline: manifest signature, file digests, chain segment, checkpoint signatures')
    .option('--public-key <file>', "the audit signing key's public key (PEM or raw base64) the bundle must be signed with")
    .option('--json', 'print the full result as JSON')
    .action(async (bundle: string, opts: { publicKey?: string; json?: boolean }) => {
      try {
        const { verifyBundle } = await import('../../gateway/incident/bundle.js');
        const result = await verifyBundle(bundle, opts.publicKey ? { publicKeyFile: opts.publicKey } : {});
        if (opts.json) out(JSON.stringify(result, null, 2));
        else {
          for (const line of result.checks) out(`${line.ok ? 'ok  ' : 'FAIL'}  ${line.name}: ${line.detail}`);
          out(result.ok ? `bundle intact (signed by ${result.keyId ?? '?'})` : `bundle NOT intact: ${result.problems.join('; ')}`);
        }
        process.exitCode = result.ok ? 0 : 1;
      } catch (error) {
        err(`error: ${error instanceof Error ? error.message : String(error)}`);
        process.exitCode = 2;
      }
    });
  incident
    .command('report')
    .description('a Markdown post-incident timeline from the audit log: what was seen, which controls fired, what operators did')
    .requiredOption('--since <time>', 'from (ISO date, epoch ms, or 24h / 7d ago)')
    .option('--until <time>', 'until, exclusive')
    .option('--out <file>', 'write to a file instead of stdout')
    .option('-c, --config <file>', 'config file', 'clawguard.yaml')
    .action(async (opts: { since: string; until?: string; out?: string; config: string }) => {
      try {
        const { buildReport } = await import('../../gateway/incident/report.js');
        const now = Date.now();
        const markdown = await buildReport(load(opts.config), { since: parseTimeArg(opts.since, now), ...(opts.until ? { until: parseTimeArg(opts.until, now) } : {}) });
        if (opts.out) writeFileSync(opts.out, markdown, { mode: 0o600 });
        else process.stdout.write(markdown);
      } catch (error) {
        failed(error);
      }
    });
}
