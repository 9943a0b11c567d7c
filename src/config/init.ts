import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { SqliteKeyStore } from '../auth/api-keys.js';
import { SECRET_REF } from '../secrets/secret-ref.js';
import { openSqlite } from '../storage/sqlite.js';

export interface InitOptions {
  readonly dir: string;
  readonly port?: number;
  readonly adminPort?: number;
  /** `openai=https://api.openai.com/v1` or `anthropic=https://api.anthropic.com`. */
  readonly upstream?: string;
  readonly upstreamKey?: string;
  readonly force?: boolean;
}

export interface InitResult {
  readonly config: string;
  readonly clientKey: string;
  readonly adminKey: string;
  readonly proxyUrl: string;
  readonly adminUrl: string;
}

export class InitError extends Error {}

function parseUpstream(spec: string): { provider: 'openai' | 'anthropic'; url: string } {
  const eq = spec.indexOf('=');
  const provider = spec.slice(0, eq);
  const url = spec.slice(eq + 1);
  if (eq < 0 || (provider !== 'openai' && provider !== 'anthropic')) throw new InitError(`--upstream must be openai=URL or anthropic=URL, got "${spec}"`);
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error();
  } catch {
    throw new InitError(`--upstream: "${url}" is not an http(s) URL`);
  }
  return { provider, url };
}

function checkPort(name: string, port: number | undefined): void {
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65_535)) throw new InitError(`${name} must be a port number 0-65535`);
}

/** The commented default config: secure by default (loopback, auth on, guards fail closed). */
export function renderConfig(o: { port: number; adminPort: number; upstream?: { provider: string; url: string }; upstreamKey?: string; vaultKeyFile?: string }): string {
  const upstreams = o.upstream
    ? `upstreams:
  - name: ${o.upstream.provider}
    provider: ${o.upstream.provider}          # which API it speaks: openai | anthropic | demo
    url: ${o.upstream.url}
    apiKey: ${o.upstreamKey ?? (o.upstream.provider === 'openai' ? 'env:OPENAI_API_KEY' : 'env:ANTHROPIC_API_KEY')}   # a secret reference (env:NAME or file:PATH), never the key itself
    timeoutMs: 120000             # headers + whole body; streams: until the first byte
    idleTimeoutMs: 60000          # longest silence inside a response
routes:                           # model name (glob) -> upstream, first match wins
  - model: "*"
    upstream: ${o.upstream.provider}`
    : `# No provider yet: every model is answered by the built-in DEMO upstream (offline, not a model).
# To use a real provider:
#   upstreams:
#     - name: openai
#       provider: openai            # openai | anthropic
#       url: https://api.openai.com/v1
#       apiKey: env:OPENAI_API_KEY   # env:NAME or file:PATH: never the key itself
#   routes:
#     - model: "*"
#       upstream: openai
upstreams: []
routes: []`;
  return `# ClawGuard configuration. Validate with: clawguard config validate <file>
# JSON Schema for editors: clawguard config schema > clawguard.schema.json

server:                 # the LLM proxy surface (OpenAI /v1/chat/completions, Anthropic /v1/messages)
  host: 127.0.0.1       # loopback only; put TLS in front before exposing it
  port: ${o.port}
admin:                  # the operator surface (keys), apart from the proxy; needs an admin key
  enabled: true
  host: 127.0.0.1
  port: ${o.adminPort}
auth:
  enabled: true         # client keys required (cg_...); keep it on

storage:
  sqlite:
    path: clawguard.db  # relative to this file; keys are stored as hashes only

${upstreams}

guards:                 # every guard fails closed: an error or timeout blocks the request
  limits:
    maxBodyBytes: 4194304
    maxMessages: 1000
    maxSegmentChars: 400000
    maxRequestChars: 2000000
    maxOutputChars: 400000
  patterns:             # your own deny list, RE2 syntax (linear time: no pattern can hang the gateway)
    deny: []
    #  - id: internal-hosts
    #    pattern: "\\\\b[a-z0-9-]+\\\\.corp\\\\.example\\\\b"
    allow: []
  invisible-text:       # zero-width, bidi controls, Unicode tag characters (ASCII smuggling)
    zeroWidth: true
    bidi: true
    tags: true

${
    o.vaultKeyFile
      ? `pseudonymization:       # reversible placeholders (<EMAIL_1>) for values the policy pseudonymizes
  vaultKey: file:${o.vaultKeyFile}   # seals each conversation's mapping (AES-256-GCM); a relative path is relative to this file's folder
  ttlSeconds: 86400
`
      : ''
  }
policy:
  defaultAction: block  # a finding no rule names, at or above its threshold, blocks
  thresholds: { message: 0.5, tool_call: 0.5, tool_result: 0.5 }
  rules: []             # yours, checked first; first match wins. Conditions: type, guard, direction, kind, role, minScore
  #  - { type: pattern.internal-hosts, direction: output, action: redact }
  # defaultRules (checked after yours) strip invisible characters, pseudonymize secrets and personal
  # data on the way in, and block injections; see docs/configuration.md. "defaultRules: []" drops them.

logging:
  level: info           # one line per request; keys and secrets are never logged
`;
}

/** Writes DIR/clawguard.yaml and its store with one client key and one admin key (returned once). */
export function initProject(options: InitOptions): InitResult {
  checkPort('--port', options.port);
  checkPort('--admin-port', options.adminPort);
  if (options.upstreamKey !== undefined && !SECRET_REF.test(options.upstreamKey)) {
    throw new InitError('--upstream-key must be a secret reference: env:NAME or file:PATH');
  }
  if (options.upstreamKey !== undefined && options.upstream === undefined) throw new InitError('--upstream-key needs --upstream');
  const upstream = options.upstream === undefined ? undefined : parseUpstream(options.upstream);
  const port = options.port ?? 8080;
  const adminPort = options.adminPort ?? 8081;
  if (port === adminPort && port !== 0) throw new InitError('--port and --admin-port must differ: the admin surface listens apart from the proxy');
  const dir = resolve(options.dir);
  const configPath = join(dir, 'clawguard.yaml');
  if (existsSync(configPath) && !options.force) throw new InitError(`${configPath} already exists (use --force to replace it; existing keys stay valid)`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const vaultKeyFile = join(dir, 'vault.key');
  if (!existsSync(vaultKeyFile)) writeFileSync(vaultKeyFile, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  // The config names the vault key relative to its own folder (moving the folder keeps it working);
  // a relative `file:` key given on the command line means relative to where the command ran.
  const upstreamKey = options.upstreamKey?.startsWith('file:') && !isAbsolute(options.upstreamKey.slice(5)) ? `file:${resolve(options.upstreamKey.slice(5))}` : options.upstreamKey;
  const text = renderConfig({ port, adminPort, vaultKeyFile: 'vault.key', ...(upstream ? { upstream } : {}), ...(upstreamKey ? { upstreamKey } : {}) });
  writeFileSync(configPath, text, { mode: 0o600 });
  const db = openSqlite(join(dir, 'clawguard.db'));
  try {
    const keys = new SqliteKeyStore(db);
    const client = keys.createSync({ kind: 'client', name: 'default-client' });
    const admin = keys.createSync({ kind: 'admin', name: 'default-admin' });
    return { config: configPath, clientKey: client.key, adminKey: admin.key, proxyUrl: `http://127.0.0.1:${port}`, adminUrl: `http://127.0.0.1:${adminPort}` };
  } finally {
    db.close();
  }
}
