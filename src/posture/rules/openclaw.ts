import { basename } from 'node:path';
import JSON5 from 'json5';
import { isIndirectValue, isLoopbackHost, lineOf, urlHost } from '../heuristics.js';
import { report } from '../rules.js';
import type { PostureFinding, SourceFile } from '../types.js';
import { get, isRecord } from '../yaml-source.js';

export interface OpenClawScanOptions {
  /** URLs or host names of ClawGuard's LLM proxy; loopback and `*clawguard*` hosts always count. */
  readonly clawguardUrls?: readonly string[];
}

export function isOpenClawConfigName(path: string): boolean {
  return /^openclaw\.json5?$/i.test(basename(path));
}

/** OpenClaw's host-side exec approvals file (`~/.openclaw/exec-approvals.json`). */
export function isExecApprovalsName(path: string): boolean {
  return /^exec-approvals\.json$/i.test(basename(path));
}

/** `defaults` and each `agents.<id>` with `security: full` and `ask: off` let the model run anything. */
export function scanExecApprovals(file: SourceFile, value: unknown): PostureFinding[] {
  const findings: PostureFinding[] = [];
  const scopes: [string, unknown, (string | number)[]][] = [['defaults', get(value, ['defaults']), ['defaults']]];
  const agents = get(value, ['agents']);
  if (isRecord(agents)) for (const [id, conf] of Object.entries(agents)) scopes.push([`agents.${id}`, conf, ['agents', id]]);
  for (const [where, conf, path] of scopes) {
    if (get(conf, ['security']) === 'full' && get(conf, ['ask']) === 'off') {
      const line = lineOfPath(file.text, path);
      findings.push(report('CG-OC-005', file.path, `${where} in exec-approvals.json has security: full and ask: off`, line === undefined ? {} : { line }));
    }
  }
  return findings;
}

/** Parses openclaw.json (JSON5: comments, unquoted keys, trailing commas). */
export function parseOpenClawConfig(text: string): unknown {
  return JSON5.parse(text);
}

/** Whether a parsed JSON document looks like an OpenClaw config. */
export function looksLikeOpenClawConfig(value: unknown): boolean {
  return isRecord(value) && isRecord(value.gateway) && (isRecord(value.agents) || isRecord(value.channels) || isRecord(value.tools));
}

/**
 * Line of a key path in JSON5 text, found by searching each key in turn after the previous one.
 * An approximation (JSON5 keeps no positions), exact for ordinary hand-written configs.
 */
function lineOfPath(text: string, path: readonly (string | number)[]): number | undefined {
  let from = 0;
  let found: number | undefined;
  for (const key of path) {
    if (typeof key === 'number') continue;
    const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const re = new RegExp(`(["']?)${escaped}\\1\\s*:`, 'g');
    re.lastIndex = from;
    const m = re.exec(text);
    if (!m) break;
    found = m.index;
    from = m.index + m[0].length;
  }
  return found === undefined ? undefined : lineOf(text, found);
}

const WEAK_DEFAULTS = new Set(['changeme', 'change-me', 'password', 'openclaw', 'token', 'secret', 'admin', 'test', 'default', '123456', '12345678', 'letmein', 'your-secure-token-here', 'your-token']);
const EXEC_LIKE = ['exec', 'process', 'elevated', 'group:runtime', 'bash'];
const RESTRICTED_PROFILES = new Set(['minimal', 'messaging']);
const CREDENTIAL_FIELD = /^(token|bottoken|apptoken|usertoken|accesstoken|password|secret|signingsecret|webhooksecret|clientsecret|appsecret|apikey|key)$/i;

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function isLiteral(value: unknown): value is string {
  return typeof value === 'string' && !isIndirectValue(value);
}

function weakness(secret: string): string | undefined {
  if (WEAK_DEFAULTS.has(secret.toLowerCase())) return 'is a well-known default';
  if (secret.length < 24) return `is only ${secret.length} characters long`;
  if (new Set(secret).size < 8) return 'uses fewer than 8 distinct characters';
  return undefined;
}

/** Whether any of `names` can be used given deny/allow lists and the tool profile. */
function toolReachable(tools: unknown, names: readonly string[]): boolean {
  const deny = strings(get(tools, ['deny']));
  if (deny.includes('*') || names.some((n) => deny.includes(n))) return false;
  const profile = get(tools, ['profile']);
  if (typeof profile === 'string' && RESTRICTED_PROFILES.has(profile)) return false;
  const allow = get(tools, ['allow']);
  if (Array.isArray(allow)) {
    const list = strings(allow);
    return list.includes('*') || names.some((n) => list.includes(n));
  }
  return true;
}

function pointsAtClawGuard(baseUrl: string, options: OpenClawScanOptions): boolean {
  const host = urlHost(baseUrl);
  if (!host) return false;
  if (isLoopbackHost(host) || /clawguard/i.test(host)) return true;
  return (options.clawguardUrls ?? []).some((u) => baseUrl.startsWith(u) || urlHost(u) === host || u === host);
}

function walkCredentials(node: unknown, path: string[], out: string[][]): void {
  if (Array.isArray(node)) {
    node.forEach((item, i) => walkCredentials(item, [...path, String(i)], out));
    return;
  }
  if (!isRecord(node)) return;
  for (const [key, value] of Object.entries(node)) {
    const here = [...path, key];
    const dotted = here.join('.');
    if (dotted.startsWith('models.providers.') || dotted.startsWith('gateway.auth.')) continue;
    if (CREDENTIAL_FIELD.test(key) && isLiteral(value)) out.push(here);
    else walkCredentials(value, here, out);
  }
}

export function scanOpenClawConfig(file: SourceFile, cfg: unknown, options: OpenClawScanOptions = {}): PostureFinding[] {
  const findings: PostureFinding[] = [];
  const at = (...path: (string | number)[]) => {
    const line = lineOfPath(file.text, path);
    return line === undefined ? {} : { line };
  };

  const bind = get(cfg, ['gateway', 'bind']);
  const loopback = bind === undefined || bind === 'loopback' || (typeof bind === 'string' && isLoopbackHost(bind));
  const auth = get(cfg, ['gateway', 'auth']);
  const mode = get(auth, ['mode']);
  const token = get(auth, ['token']);
  const password = get(auth, ['password']);
  const noCredential = mode === undefined && token === undefined && password === undefined;
  const weakCredential = [token, password].some((v) => isLiteral(v) && weakness(v) !== undefined);
  if (!loopback && (mode === 'none' || noCredential || weakCredential)) {
    const why = mode === 'none' ? 'gateway.auth.mode is none' : noCredential ? 'no gateway token or password is configured' : 'the gateway token/password is weak';
    findings.push(report('CG-OC-001', file.path, `gateway.bind is ${String(bind)} and ${why}`, at('gateway', 'bind')));
  } else if (mode === 'none') {
    findings.push(report('CG-OC-002', file.path, 'gateway.auth.mode is none', at('gateway', 'auth', 'mode')));
  }
  for (const [field, value] of [['token', token], ['password', password]] as const) {
    if (!isLiteral(value)) continue;
    const why = weakness(value);
    if (why) findings.push(report('CG-OC-003', file.path, `gateway.auth.${field} ${why}`, at('gateway', 'auth', field)));
  }

  const defaultSandbox = get(cfg, ['agents', 'defaults', 'sandbox', 'mode']);
  if (defaultSandbox === undefined || defaultSandbox === 'off') {
    findings.push(report('CG-OC-004', file.path, defaultSandbox === 'off' ? 'agents.defaults.sandbox.mode is off' : 'no agents.defaults.sandbox.mode is set, so tools run on the host', defaultSandbox === 'off' ? at('agents', 'defaults', 'sandbox', 'mode') : at('agents')));
  }
  const agents = get(cfg, ['agents', 'list']);
  const agentList = Array.isArray(agents) ? agents.filter(isRecord) : [];
  for (const agent of agentList) {
    if (get(agent, ['sandbox', 'mode']) === 'off') {
      findings.push(report('CG-OC-004', file.path, `agent ${String(agent.id ?? '?')} turns the sandbox off`, at('agents', 'list', 'sandbox', 'mode')));
    }
  }

  const execScopes: [string, unknown][] = [['tools.exec', get(cfg, ['tools', 'exec'])]];
  for (const agent of agentList) execScopes.push([`agent ${String(agent.id ?? '?')} tools.exec`, get(agent, ['tools', 'exec'])]);
  for (const [where, exec] of execScopes) {
    if (get(exec, ['security']) === 'full' && get(exec, ['ask']) === 'off') {
      findings.push(report('CG-OC-005', file.path, `${where} has security: full and ask: off`, at('tools', 'exec', 'security')));
    }
  }

  const tools = get(cfg, ['tools']);
  if (toolReachable(tools, EXEC_LIKE)) {
    findings.push(report('CG-OC-006', file.path, 'exec-like tools are neither denied nor left out of an allow list', at('tools')));
  }

  const fetchDisabled = get(tools, ['web', 'fetch', 'enabled']) === false || !toolReachable(tools, ['web_fetch', 'group:web']);
  const allowlist = [get(tools, ['web', 'urlAllowlist']), get(tools, ['web', 'fetch', 'allowlist']), get(tools, ['web', 'fetch', 'allowedDomains'])].some(
    (v) => strings(v).length > 0,
  );
  const env = get(cfg, ['env']);
  const proxy = [env, get(env, ['vars'])].some((scope) => isRecord(scope) && Object.keys(scope).some((k) => /^https?_proxy$/i.test(k) && typeof scope[k] === 'string'));
  if (!fetchDisabled && !allowlist && !proxy) {
    findings.push(report('CG-OC-007', file.path, 'web_fetch is available with no URL allowlist and no egress proxy', at('tools', 'web')));
  }

  const channels = get(cfg, ['channels']);
  const profile = get(tools, ['profile']);
  const toolsRestricted = typeof profile === 'string' && RESTRICTED_PROFILES.has(profile);
  if (isRecord(channels) && !toolsRestricted) {
    for (const [name, channel] of Object.entries(channels)) {
      if (!isRecord(channel)) continue;
      const open = channel.dmPolicy === 'open' || strings(channel.allowFrom).includes('*');
      if (open) findings.push(report('CG-OC-008', file.path, `channel ${name} accepts DMs from anyone while tools are enabled`, at('channels', name)));
    }
  }

  const providers = get(cfg, ['models', 'providers']);
  if (!isRecord(providers) || Object.keys(providers).length === 0) {
    findings.push(report('CG-OC-010', file.path, 'no models.providers entry is configured, so built-in providers call the vendors directly', at('models')));
  } else {
    for (const [id, provider] of Object.entries(providers)) {
      for (const field of ['apiKey', 'key']) {
        const value = get(provider, [field]);
        if (isLiteral(value)) findings.push(report('CG-OC-009', file.path, `models.providers.${id}.${field} is an inline key`, at('models', 'providers', id, field)));
      }
      const baseUrl = get(provider, ['baseUrl']);
      if (typeof baseUrl !== 'string' || !pointsAtClawGuard(baseUrl, options)) {
        findings.push(report('CG-OC-010', file.path, typeof baseUrl === 'string' ? `models.providers.${id}.baseUrl ${baseUrl} is not ClawGuard` : `models.providers.${id} has no baseUrl`, at('models', 'providers', id)));
      }
    }
  }

  const credentials: string[][] = [];
  walkCredentials(cfg, [], credentials);
  for (const path of credentials) {
    findings.push(report('CG-OC-011', file.path, `${path.join('.')} is a plaintext credential`, at(...path.filter((p) => !/^\d+$/.test(p)))));
  }

  if (file.mode !== undefined && process.platform !== 'win32' && (file.mode & 0o077) !== 0) {
    findings.push(report('CG-OC-012', file.path, `file mode is ${(file.mode & 0o777).toString(8).padStart(3, '0')}; expected 600`));
  }
  return findings;
}
