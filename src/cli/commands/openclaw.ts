import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { ConfigError } from '../../config/load.js';
import { connectOpenClaw, OpenClawConnectError, undoConnect } from '../../openclaw/index.js';
import { SecretError } from '../../secrets/secret-ref.js';

/** Where the command writes; the process's streams unless a test passes its own. */
export interface OpenClawIo {
  readonly out?: (text: string) => void;
  readonly err?: (text: string) => void;
}

interface ConnectFlags {
  config?: string;
  clawguardConfig?: string;
  undo?: boolean;
  dryRun?: boolean;
  proxyUrl?: string;
  egressUrl?: string;
  json?: boolean;
}

/** `clawguard.yaml` here, else the quick start's `data/clawguard.yaml`. */
function defaultClawGuardConfig(): string {
  return !existsSync('clawguard.yaml') && existsSync('data/clawguard.yaml') ? 'data/clawguard.yaml' : 'clawguard.yaml';
}

function httpUrl(value: string | undefined, flag: string): string | undefined {
  if (value === undefined) return undefined;
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return value;
  } catch {
    /* reported below */
  }
  throw new OpenClawConnectError(`${flag} must be an http(s) URL, got "${value}"`);
}

export async function runOpenClawConnect(flags: ConnectFlags, io: OpenClawIo = {}): Promise<number> {
  const out = io.out ?? ((t: string) => process.stdout.write(`${t}\n`));
  const err = io.err ?? ((t: string) => process.stderr.write(`${t}\n`));
  try {
    if (flags.undo) {
      const result = await undoConnect({ ...(flags.config ? { openclawConfig: flags.config } : {}), dryRun: flags.dryRun ?? false });
      if (flags.json) out(JSON.stringify(result));
      else {
        if (result.diff) out(result.diff.trimEnd());
        out(`${result.dryRun ? 'would restore' : 'restored'} ${result.openclawConfig} and ${result.clawguardConfig} from their backups`);
        if (!result.dryRun) out(`removed ${result.removedSecrets.length} provider key file(s), revoked ${result.revokedKeys} client key(s)`);
      }
      return 0;
    }
    const result = await connectOpenClaw({
      clawguardConfig: flags.clawguardConfig ?? defaultClawGuardConfig(),
      ...(flags.config ? { openclawConfig: flags.config } : {}),
      dryRun: flags.dryRun ?? false,
      ...(httpUrl(flags.proxyUrl, '--proxy-url') ? { proxyUrl: flags.proxyUrl! } : {}),
      ...(httpUrl(flags.egressUrl, '--egress-url') ? { egressUrl: flags.egressUrl! } : {}),
    });
    if (flags.json) {
      out(JSON.stringify(result));
      return 0;
    }
    if (!result.changed) {
      out(`${result.openclawConfig} already goes through ClawGuard (${result.proxyUrl}); nothing to do`);
    } else {
      if (result.diff) out(result.diff.trimEnd());
      for (const p of result.providers) out(`provider ${p.id} -> ClawGuard upstream ${p.upstream} (key: ${p.key}; routes: ${p.models.length > 0 ? p.models.join(', ') : '*'})`);
      out(`OpenClaw proxy.proxyUrl -> ClawGuard egress ${result.egressUrl}`);
    }
    for (const s of result.skipped) err(`skipped provider ${s.id}: ${s.reason}`);
    for (const n of result.notes) err(`note: ${n}`);
    if (result.changed) {
      if (result.dryRun) out('dry run: nothing was written');
      else {
        out(`backups kept; undo with: clawguard openclaw connect --undo --config ${result.openclawConfig}`);
        out('restart ClawGuard (new upstreams, egress) and then the OpenClaw gateway for the change to take effect');
      }
    }
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) err(error.message);
    else err(`error: ${error instanceof Error ? error.message : String(error)}`);
    if (!(error instanceof OpenClawConnectError || error instanceof ConfigError || error instanceof SecretError) && error instanceof Error && error.stack && process.env.CLAWGUARD_DEBUG) err(error.stack);
    return 1;
  }
}

/** `clawguard openclaw connect`: wire an OpenClaw install through ClawGuard (see docs/openclaw.md). */
export function registerOpenClawCommands(program: Command): void {
  const openclaw = program.command('openclaw').description('wire an OpenClaw agent through ClawGuard');
  openclaw
    .command('connect')
    .description("move OpenClaw's provider keys into ClawGuard, point its providers at ClawGuard's LLM proxy and its proxy.proxyUrl at the egress proxy (backup kept, diff printed)")
    .option('--config <path>', "OpenClaw's config (default: $OPENCLAW_CONFIG_PATH, $OPENCLAW_STATE_DIR/openclaw.json, ~/.openclaw/openclaw.json)")
    .option('--clawguard-config <file>', "ClawGuard's config (default: clawguard.yaml, else data/clawguard.yaml)")
    .option('--undo', 'restore both configs from the backups of the first connect, delete the key files, revoke the client key')
    .option('--dry-run', 'print the diff; write nothing and create no key')
    .option('--proxy-url <url>', "ClawGuard's LLM proxy as OpenClaw reaches it (default: from server.host/port)")
    .option('--egress-url <url>', "ClawGuard's egress proxy as OpenClaw reaches it (default: from egress.host/port)")
    .option('--json', 'print the result as JSON')
    .action(async (flags: ConnectFlags) => {
      process.exitCode = await runOpenClawConnect(flags);
    });
}
