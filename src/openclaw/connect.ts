import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import JSON5 from 'json5';
import { parseDocument } from 'yaml';
import { openKeyStore } from '../auth/open-key-store.js';
import type { GuardRegistry } from '../core/index.js';
import { type LoadedConfig, loadConfigFile, parseConfigText } from '../config/load.js';
import { builtinGuards } from '../guards/index.js';
import { applyClawGuardEdits, type RouteEdit, type UpstreamEdit } from './clawguard-yaml.js';
import { formatDiff, maskSecrets } from './diff.js';
import { openClawConfigPath, openClawEnvFiles } from './locate.js';
import { isRecord, parseDotenv, type ProviderPlan, scanProviders, type SkippedProvider } from './providers.js';

/** An expected failure (missing file, bad JSON5, nothing to undo): the CLI prints the message, no stack. */
export class OpenClawConnectError extends Error {
  override readonly name = 'OpenClawConnectError';
}

export interface ConnectOptions {
  /** OpenClaw's config file; default: `OPENCLAW_CONFIG_PATH`, `$OPENCLAW_STATE_DIR/openclaw.json`, `~/.openclaw/openclaw.json`. */
  readonly openclawConfig?: string;
  /** ClawGuard's YAML config. */
  readonly clawguardConfig: string;
  /** Print what would change; write nothing, create no key. */
  readonly dryRun?: boolean;
  /** ClawGuard's LLM proxy as OpenClaw reaches it (default: from `server` in the YAML). */
  readonly proxyUrl?: string;
  /** ClawGuard's egress proxy as OpenClaw reaches it, without credentials (default: from `egress`). */
  readonly egressUrl?: string;
  /** Use this client key instead of creating one. */
  readonly clientKey?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly registry?: GuardRegistry;
}

export interface ConnectResult {
  /** False when everything already pointed at ClawGuard. */
  readonly changed: boolean;
  readonly dryRun: boolean;
  readonly openclawConfig: string;
  readonly clawguardConfig: string;
  readonly providers: readonly { id: string; upstream: string; models: readonly string[]; key: string }[];
  readonly skipped: readonly SkippedProvider[];
  readonly connected: readonly string[];
  readonly proxyUrl: string;
  readonly egressUrl: string;
  readonly notes: readonly string[];
  /** Both files' changes, secrets masked. */
  readonly diff: string;
  readonly stateFile: string;
}

export interface UndoResult {
  readonly dryRun: boolean;
  readonly openclawConfig: string;
  readonly clawguardConfig: string;
  readonly removedSecrets: readonly string[];
  readonly revokedKeys: number;
  readonly diff: string;
}

/** What `connect` did, kept next to OpenClaw's config so `--undo` can put everything back. */
interface ConnectState {
  readonly version: 1;
  readonly openclawConfig: string;
  readonly openclawBackup: string;
  readonly clawguardConfig: string;
  readonly clawguardBackup: string;
  readonly secretFiles: string[];
  readonly clientKeyIds: string[];
  readonly connectedAt: string;
}

export function stateFilePath(openclawConfig: string): string {
  return `${openclawConfig}.clawguard.json`;
}

const PLACEHOLDER_KEY = 'cg_<client key created on connect>';

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new OpenClawConnectError(code === 'ENOENT' ? `${what} not found: ${path}` : `cannot read ${what} ${path} (${code})`);
  }
}

export function parseOpenClawConfig(text: string, path: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = text.trim() === '' ? {} : JSON5.parse(text);
  } catch (error) {
    throw new OpenClawConnectError(`${path}: not valid JSON5 (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!isRecord(parsed)) throw new OpenClawConnectError(`${path}: the config must be an object`);
  if (JSON.stringify(parsed).includes('"$include"')) {
    throw new OpenClawConnectError(`${path}: uses $include; connect edits single-file configs only (point baseUrl and apiKey at ClawGuard by hand, see docs/openclaw.md)`);
  }
  return parsed;
}

/** How OpenClaw would resolve `${NAME}`: its process environment, `env.vars`, then its `.env` files. */
function envLookup(config: Record<string, unknown>, openclawConfig: string, env: NodeJS.ProcessEnv): (name: string) => string | undefined {
  const vars = isRecord(config.env) && isRecord(config.env.vars) ? config.env.vars : {};
  const files = openClawEnvFiles(openclawConfig, env).map((file) => (existsSync(file) ? parseDotenv(readFileSync(file, 'utf8')) : new Map<string, string>()));
  return (name) => {
    const fromEnv = env[name];
    if (fromEnv) return fromEnv;
    const fromVars = vars[name];
    if (typeof fromVars === 'string' && fromVars && !fromVars.includes('${')) return fromVars;
    for (const file of files) {
      const value = file.get(name);
      if (value) return value;
    }
    return undefined;
  };
}

function loopbackFor(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

export function defaultProxyUrl(loaded: LoadedConfig): string {
  const s = loaded.config.server;
  return `${s.tls ? 'https' : 'http'}://${loopbackFor(s.host)}:${s.port}`;
}

export function defaultEgressUrl(loaded: LoadedConfig): string {
  const e = loaded.config.egress;
  return `http://${loopbackFor(e.host)}:${e.port}`;
}

function withCredentials(egressUrl: string, key: string, requireAuth: boolean): string {
  const url = new URL(egressUrl);
  if (requireAuth) {
    url.username = 'openclaw';
    url.password = key;
  }
  return url.toString().replace(/\/$/, '');
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

/** Writes through a temporary file and a rename, so a crash never leaves half a config. */
function writeAtomic(path: string, text: string, mode: number): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  writeFileSync(tmp, text, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}

function fileMode(path: string, fallback: number): number {
  try {
    return statSync(path).mode & 0o777;
  } catch {
    return fallback;
  }
}

function renderOpenClaw(config: unknown): string {
  return `${JSON5.stringify(config, null, 2)}\n`;
}

function readState(path: string): ConnectState | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const state = JSON.parse(readFileSync(path, 'utf8')) as ConnectState;
    return state.version === 1 ? state : undefined;
  } catch {
    throw new OpenClawConnectError(`${path}: unreadable connect state; restore the backups next to it by hand`);
  }
}

/**
 * Moves OpenClaw's provider keys into ClawGuard and points OpenClaw at ClawGuard:
 * each provider key goes to a 0600 file under ClawGuard's config folder, referenced as
 * `file:/abs/path` from a new (or updated) upstream with one route per model; the provider's
 * `baseUrl` becomes ClawGuard's LLM proxy and its `apiKey` a ClawGuard client key;
 * `proxy.proxyUrl` becomes the egress proxy (enabled in the YAML). Both files are backed up once
 * (the first connect's originals are what `--undo` restores).
 */
export async function connectOpenClaw(options: ConnectOptions): Promise<ConnectResult> {
  const env = options.env ?? process.env;
  const dryRun = options.dryRun ?? false;
  const openclawConfig = openClawConfigPath(options.openclawConfig, env);
  const openclawText = readText(openclawConfig, 'OpenClaw config');
  const openclaw = parseOpenClawConfig(openclawText, openclawConfig);

  const registry = options.registry ?? builtinGuards();
  const loaded = loadConfigFile(options.clawguardConfig, registry);
  const clawguardConfig = loaded.file;
  const yamlText = readFileSync(clawguardConfig, 'utf8');

  const proxyUrl = trimSlash(options.proxyUrl ?? defaultProxyUrl(loaded)).replace(/\/v1$/, '');
  const egressBase = trimSlash(options.egressUrl ?? defaultEgressUrl(loaded));
  const scan = scanProviders(openclaw, proxyUrl, envLookup(openclaw, openclawConfig, env));
  const currentProxy = isRecord(openclaw.proxy) && typeof openclaw.proxy.proxyUrl === 'string' ? openclaw.proxy.proxyUrl : undefined;
  const proxyConnected = currentProxy !== undefined && trimSlash(currentProxy.replace(/\/\/[^@/]*@/, '//')) === egressBase;
  const notes: string[] = [];
  const stateFile = stateFilePath(openclawConfig);

  if (scan.plans.length === 0 && proxyConnected && loaded.config.egress.enabled) {
    return { changed: false, dryRun, openclawConfig, clawguardConfig, providers: [], skipped: scan.skipped, connected: scan.connected, proxyUrl, egressUrl: egressBase, notes, diff: '', stateFile };
  }

  // Provider keys: one 0600 file each under ClawGuard's config folder.
  const secretsDir = join(loaded.baseDir, 'secrets');
  const secretWrites: { path: string; value: string }[] = [];
  const upstreams: UpstreamEdit[] = [];
  const routes: RouteEdit[] = [];
  const catchAll = scan.plans.filter((p) => p.models.length === 0);
  const seenModels = new Map<string, string>();
  const secrets = new Set<string>();
  for (const plan of scan.plans) {
    let ref: string;
    if (plan.key.kind === 'value') {
      const path = join(secretsDir, `${plan.upstream}.key`);
      secretWrites.push({ path, value: plan.key.value });
      secrets.add(plan.key.value);
      ref = `file:${path}`;
    } else {
      ref = `env:${plan.key.name}`;
      notes.push(`${plan.id}: $${plan.key.name} is not set here; ClawGuard reads it as ${ref}, so start ClawGuard with it set`);
    }
    upstreams.push({ name: plan.upstream, provider: plan.provider, url: plan.url, apiKey: ref });
    for (const model of plan.models) {
      const other = seenModels.get(model);
      if (other) {
        notes.push(`model "${model}" is listed by both ${other} and ${plan.id}; ClawGuard routes it to ${other}`);
        continue;
      }
      seenModels.set(model, plan.id);
      routes.push({ model, upstream: plan.upstream });
    }
    for (const note of plan.notes) notes.push(`${plan.id}: ${note}`);
  }
  if (catchAll.length > 0) {
    routes.push({ model: '*', upstream: catchAll[0]!.upstream });
    if (catchAll.length > 1) notes.push(`providers ${catchAll.map((p) => p.id).join(', ')} list no models; only ${catchAll[0]!.id} gets the catch-all route: add routes for the others by hand`);
  }

  // ClawGuard's YAML, edited as a document so comments survive, and validated before anything is written.
  const doc = parseDocument(yamlText);
  applyClawGuardEdits(doc, { upstreams, routes, enableEgress: !loaded.config.egress.enabled });
  const newYaml = doc.toString({ flowCollectionPadding: false });
  const check = parseConfigText(newYaml, clawguardConfig, registry);
  if (!check.config) {
    throw new OpenClawConnectError(`the edited ClawGuard config would not be valid, nothing was written:\n${check.issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`);
  }

  // The client key OpenClaw presents: the one it already uses for ClawGuard, the caller's, or a new one
  // (created only now, once the edited YAML is known to be valid).
  const providersMap = isRecord(openclaw.models) && isRecord(openclaw.models.providers) ? openclaw.models.providers : {};
  const existingKey = scan.connected.map((id) => (isRecord(providersMap[id]) ? providersMap[id].apiKey : undefined)).find((k): k is string => typeof k === 'string' && k.startsWith('cg_'));
  let clientKey = options.clientKey ?? existingKey;
  let clientKeyId: string | undefined;
  if (!clientKey) {
    if (dryRun) clientKey = PLACEHOLDER_KEY;
    else {
      const keys = await openKeyStore(loaded, env);
      try {
        const created = await keys.create({ kind: 'client', name: 'openclaw' });
        clientKey = created.key;
        clientKeyId = created.record.id;
      } finally {
        await keys.close();
      }
    }
  }
  secrets.add(clientKey);

  // OpenClaw's config: providers point at ClawGuard with the client key, tools' traffic at the egress proxy.
  const next = structuredClone(openclaw);
  const nextProviders = (next.models as Record<string, unknown>).providers as Record<string, Record<string, unknown>>;
  for (const plan of scan.plans) {
    const provider = nextProviders[plan.id]!;
    provider.baseUrl = plan.provider === 'openai' ? `${proxyUrl}/v1` : proxyUrl;
    provider.apiKey = clientKey;
    provider.api = plan.api;
  }
  const egressUrl = withCredentials(egressBase, clientKey, check.config.egress.requireAuth);
  secrets.add(encodeURIComponent(clientKey));
  const proxySection = isRecord(next.proxy) ? next.proxy : {};
  proxySection.proxyUrl = egressUrl;
  if (proxySection.enabled === false) notes.push('proxy.enabled is false in openclaw.json: OpenClaw keeps the URL but does not use it until you remove that');
  next.proxy = proxySection;
  const newOpenClaw = renderOpenClaw(next);
  if (/\/\/|\/\*/.test(openclawText.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""'))) {
    notes.push('openclaw.json had comments; the rewritten file has none (the original is in the backup)');
  }

  const diff = maskSecrets(
    formatDiff(renderOpenClaw(openclaw), newOpenClaw, { before: `${openclawConfig} (before)`, after: `${openclawConfig} (after)` }) +
      formatDiff(yamlText, newYaml, { before: `${clawguardConfig} (before)`, after: `${clawguardConfig} (after)` }),
    secrets,
  );

  if (!dryRun) {
    const previous = readState(stateFile);
    const openclawBackup = previous?.openclawBackup ?? `${openclawConfig}.pre-clawguard`;
    const clawguardBackup = previous?.clawguardBackup ?? `${clawguardConfig}.pre-openclaw`;
    if (!previous) {
      writeFileSync(openclawBackup, openclawText, { mode: 0o600 });
      writeFileSync(clawguardBackup, yamlText, { mode: fileMode(clawguardConfig, 0o600) });
    }
    if (secretWrites.length > 0) mkdirSync(secretsDir, { recursive: true, mode: 0o700 });
    for (const s of secretWrites) writeAtomic(s.path, `${s.value}\n`, 0o600);
    writeAtomic(clawguardConfig, newYaml, fileMode(clawguardConfig, 0o600));
    writeAtomic(openclawConfig, newOpenClaw, 0o600);
    const state: ConnectState = {
      version: 1,
      openclawConfig,
      openclawBackup,
      clawguardConfig,
      clawguardBackup,
      secretFiles: [...new Set([...(previous?.secretFiles ?? []), ...secretWrites.map((s) => s.path)])],
      clientKeyIds: [...new Set([...(previous?.clientKeyIds ?? []), ...(clientKeyId ? [clientKeyId] : [])])],
      connectedAt: new Date().toISOString(),
    };
    writeAtomic(stateFile, `${JSON.stringify(state, null, 2)}\n`, 0o600);
  }

  return {
    changed: true,
    dryRun,
    openclawConfig,
    clawguardConfig,
    providers: scan.plans.map((p: ProviderPlan) => ({ id: p.id, upstream: p.upstream, models: p.models, key: p.key.kind === 'value' ? `file:${join(secretsDir, `${p.upstream}.key`)}` : `env:${p.key.name}` })),
    skipped: scan.skipped,
    connected: scan.connected,
    proxyUrl,
    egressUrl: egressBase,
    notes,
    diff,
    stateFile,
  };
}

/**
 * Puts back what the first `connect` found (both files from their backups), deletes the provider key
 * files it wrote and revokes the client keys it created.
 */
export async function undoConnect(options: { openclawConfig?: string; dryRun?: boolean; env?: NodeJS.ProcessEnv; registry?: GuardRegistry }): Promise<UndoResult> {
  const env = options.env ?? process.env;
  const dryRun = options.dryRun ?? false;
  const openclawConfig = openClawConfigPath(options.openclawConfig, env);
  const stateFile = stateFilePath(openclawConfig);
  const state = readState(stateFile);
  if (!state) throw new OpenClawConnectError(`nothing to undo: no ${basename(stateFile)} next to ${openclawConfig} (connect was not run on this config, or was already undone)`);
  const openclawOriginal = readText(state.openclawBackup, 'backup');
  const clawguardOriginal = readText(state.clawguardBackup, 'backup');
  const openclawNow = existsSync(openclawConfig) ? readFileSync(openclawConfig, 'utf8') : '';
  const clawguardNow = existsSync(state.clawguardConfig) ? readFileSync(state.clawguardConfig, 'utf8') : '';

  const secrets = new Set<string>();
  for (const file of state.secretFiles) if (existsSync(file)) secrets.add(readFileSync(file, 'utf8').trim());
  try {
    const now = JSON5.parse(openclawNow) as unknown;
    collectClientKeys(now, secrets);
  } catch {
    /* a config edited into invalid JSON5 since connect still gets restored */
  }
  const diff = maskSecrets(
    formatDiff(openclawNow, openclawOriginal, { before: `${openclawConfig} (now)`, after: `${openclawConfig} (restored)` }) +
      formatDiff(clawguardNow, clawguardOriginal, { before: `${state.clawguardConfig} (now)`, after: `${state.clawguardConfig} (restored)` }),
    secrets,
  );

  let revoked = 0;
  if (!dryRun) {
    // Revoke first: should the store be unreachable, nothing is restored yet and the operator can retry.
    if (state.clientKeyIds.length > 0 && existsSync(state.clawguardConfig)) {
      const loaded = loadConfigFile(state.clawguardConfig, options.registry ?? builtinGuards());
      const keys = await openKeyStore(loaded, env);
      try {
        for (const id of state.clientKeyIds) if (await keys.revoke(id)) revoked++;
      } finally {
        await keys.close();
      }
    }
    writeAtomic(state.clawguardConfig, clawguardOriginal, fileMode(state.clawguardBackup, 0o600));
    writeAtomic(openclawConfig, openclawOriginal, fileMode(state.openclawBackup, 0o600));
    for (const file of state.secretFiles) rmSync(file, { force: true });
    rmSync(state.openclawBackup, { force: true });
    rmSync(state.clawguardBackup, { force: true });
    rmSync(stateFile, { force: true });
  }
  return { dryRun, openclawConfig, clawguardConfig: state.clawguardConfig, removedSecrets: state.secretFiles, revokedKeys: revoked, diff };
}

function collectClientKeys(value: unknown, out: Set<string>): void {
  if (typeof value === 'string') {
    for (const m of value.matchAll(/cg_[A-Za-z0-9_-]+/g)) out.add(m[0]);
  } else if (Array.isArray(value)) value.forEach((v) => collectClientKeys(v, out));
  else if (isRecord(value)) Object.values(value).forEach((v) => collectClientKeys(v, out));
}
