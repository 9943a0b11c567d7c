import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import JSON5 from 'json5';
import { beforeEach, describe, expect, it } from 'vitest';
import { openKeyStore } from '../../src/auth/open-key-store.js';
import { runOpenClawConnect, registerOpenClawCommands } from '../../src/cli/commands/openclaw.js';
import { loadConfigFile } from '../../src/config/load.js';
import { builtinGuards } from '../../src/guards/index.js';
import { connectOpenClaw, undoConnect } from '../../src/openclaw/index.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const INLINE_KEY = 'sk-fixture-inline-key-0123456789';
const ANTHROPIC_KEY = 'sk-ant-fixture-from-dotenv-abcdef';

let dir: string;
let ocPath: string;
let cgPath: string;
/** No ambient variables: each test says what OpenClaw's environment holds. */
let env: NodeJS.ProcessEnv;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'clawguard-openclaw-'));
  ocPath = join(dir, 'openclaw', 'openclaw.json');
  cgPath = join(dir, 'clawguard', 'clawguard.yaml');
  for (const sub of ['openclaw', 'clawguard']) mkdirSync(join(dir, sub), { recursive: true });
  copyFileSync(join(FIXTURES, 'openclaw.json5'), ocPath);
  copyFileSync(join(FIXTURES, 'clawguard.yaml'), cgPath);
  env = { HOME: join(dir, 'home') };
});

const readOc = (): any => JSON5.parse(readFileSync(ocPath, 'utf8'));

describe('openclaw connect', () => {
  it('moves provider keys into 0600 files referenced from new upstreams, and points OpenClaw at ClawGuard', async () => {
    writeFileSync(join(dir, 'openclaw', '.env'), `ANTHROPIC_API_KEY="${ANTHROPIC_KEY}"\n`);
    const originalOc = readFileSync(ocPath, 'utf8');
    const result = await connectOpenClaw({ openclawConfig: ocPath, clawguardConfig: cgPath, env });

    expect(result.changed).toBe(true);
    expect(result.providers.map((p) => p.id)).toEqual(['fakeprov', 'anthropic']);
    expect(result.skipped.map((s) => s.id).sort()).toEqual(['gemini', 'vaulted']);

    // Provider keys: one 0600 file each, under ClawGuard's config folder.
    const fakeKeyFile = join(dir, 'clawguard', 'secrets', 'openclaw-fakeprov.key');
    const antKeyFile = join(dir, 'clawguard', 'secrets', 'openclaw-anthropic.key');
    expect(readFileSync(fakeKeyFile, 'utf8').trim()).toBe(INLINE_KEY);
    expect(readFileSync(antKeyFile, 'utf8').trim()).toBe(ANTHROPIC_KEY);
    expect(statSync(fakeKeyFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'clawguard', 'secrets')).mode & 0o777).toBe(0o700);

    // ClawGuard's YAML: valid, comments kept, upstreams + routes + egress on.
    const yaml = readFileSync(cgPath, 'utf8');
    expect(yaml).toContain('# ClawGuard config of the fixture (comments must survive `openclaw connect`).');
    expect(yaml).toContain('# tools may reach GitHub only');
    expect(yaml).not.toContain(INLINE_KEY);
    const loaded = loadConfigFile(cgPath, builtinGuards());
    expect(loaded.config.upstreams).toEqual([
      expect.objectContaining({ name: 'openclaw-fakeprov', provider: 'openai', url: 'http://127.0.0.1:18555/v1', apiKey: `file:${fakeKeyFile}` }),
      expect.objectContaining({ name: 'openclaw-anthropic', provider: 'anthropic', url: 'https://api.anthropic.com', apiKey: `file:${antKeyFile}` }),
    ]);
    expect(loaded.config.routes).toEqual([
      { model: 'fake-model', upstream: 'openclaw-fakeprov' },
      { model: 'fake-model-mini', upstream: 'openclaw-fakeprov' },
      { model: 'claude-sonnet-4-5', upstream: 'openclaw-anthropic' },
    ]);
    expect(loaded.config.egress).toMatchObject({ enabled: true, port: 8789, allowDomains: ['github.com'] });

    // OpenClaw: baseUrl at the proxy (OpenAI with /v1, Anthropic without), a client key the store knows.
    const oc = readOc();
    const clientKey: string = oc.models.providers.fakeprov.apiKey;
    expect(clientKey).toMatch(/^cg_/);
    expect(oc.models.providers.fakeprov).toMatchObject({ baseUrl: 'http://127.0.0.1:8787/v1', api: 'openai-completions' });
    expect(oc.models.providers.anthropic).toMatchObject({ baseUrl: 'http://127.0.0.1:8787', apiKey: clientKey, api: 'anthropic-messages' });
    expect(oc.models.providers.gemini).toMatchObject({ apiKey: 'AIza-fixture-gemini' });
    expect(oc.proxy.proxyUrl).toBe(`http://openclaw:${clientKey}@127.0.0.1:8789`);
    expect(oc.gateway.auth.token).toBe('${OPENCLAW_GATEWAY_TOKEN}');
    expect(JSON.stringify(oc)).not.toContain(INLINE_KEY);
    expect(statSync(ocPath).mode & 0o777).toBe(0o600);
    const keys = await openKeyStore(loaded, env);
    try {
      const clients = await keys.list('client');
      expect(clients.map((k) => k.name)).toEqual(['openclaw']);
      expect(clientKey.startsWith(clients[0]!.prefix)).toBe(true);
    } finally {
      await keys.close();
    }

    // Backup of the original bytes; a diff that names the changes but never a key.
    expect(readFileSync(`${ocPath}.pre-clawguard`, 'utf8')).toBe(originalOc);
    expect(result.diff).toContain('+  - name: openclaw-fakeprov');
    expect(result.diff).toContain('baseUrl');
    expect(result.diff).not.toContain(INLINE_KEY);
    expect(result.diff).not.toContain(ANTHROPIC_KEY);
    expect(result.diff).not.toContain(clientKey);
    expect(result.notes.join('\n')).toContain('comments');
  });

  it('references an env variable it cannot see instead of guessing, and says so', async () => {
    const result = await connectOpenClaw({ openclawConfig: ocPath, clawguardConfig: cgPath, env });
    const loaded = loadConfigFile(cgPath, builtinGuards());
    expect(loaded.config.upstreams.find((u) => u.name === 'openclaw-anthropic')?.apiKey).toBe('env:ANTHROPIC_API_KEY');
    expect(result.notes.join('\n')).toContain('$ANTHROPIC_API_KEY is not set here');
  });

  it('is idempotent: a second connect finds everything wired and changes nothing', async () => {
    await connectOpenClaw({ openclawConfig: ocPath, clawguardConfig: cgPath, env });
    const oc = readFileSync(ocPath, 'utf8');
    const yaml = readFileSync(cgPath, 'utf8');
    const again = await connectOpenClaw({ openclawConfig: ocPath, clawguardConfig: cgPath, env });
    expect(again.changed).toBe(false);
    expect([...again.connected].sort()).toEqual(['anthropic', 'fakeprov']);
    expect(readFileSync(ocPath, 'utf8')).toBe(oc);
    expect(readFileSync(cgPath, 'utf8')).toBe(yaml);
  });

  it('updates an upstream and a route of the same name in place, keeping their other fields', async () => {
    writeFileSync(
      cgPath,
      `server: {port: 8787}\nadmin: {port: 8788}\nupstreams:\n  - name: openclaw-fakeprov # mine\n    provider: openai\n    url: https://old.example/v1\n    apiKey: env:OLD\n    timeoutMs: 5000\nroutes:\n  - model: "*"\n    upstream: openclaw-fakeprov\n  - model: fake-model\n    upstream: openclaw-fakeprov\n`,
    );
    await connectOpenClaw({ openclawConfig: ocPath, clawguardConfig: cgPath, env });
    const yaml = readFileSync(cgPath, 'utf8');
    expect(yaml).toContain('# mine');
    const loaded = loadConfigFile(cgPath, builtinGuards());
    expect(loaded.config.upstreams[0]).toMatchObject({ name: 'openclaw-fakeprov', url: 'http://127.0.0.1:18555/v1', timeoutMs: 5000 });
    expect(loaded.config.routes.map((r) => r.model)).toEqual(['fake-model-mini', 'claude-sonnet-4-5', '*', 'fake-model']);
  });

  it('--dry-run prints the diff and writes nothing, not even a key', async () => {
    const before = readFileSync(ocPath, 'utf8');
    const yaml = readFileSync(cgPath, 'utf8');
    const result = await connectOpenClaw({ openclawConfig: ocPath, clawguardConfig: cgPath, env, dryRun: true });
    expect(result.diff).toContain('http://127.0.0.1:8787/v1');
    expect(result.diff).not.toContain(INLINE_KEY);
    expect(readFileSync(ocPath, 'utf8')).toBe(before);
    expect(readFileSync(cgPath, 'utf8')).toBe(yaml);
    expect(existsSync(join(dir, 'clawguard', 'secrets'))).toBe(false);
    expect(existsSync(`${ocPath}.pre-clawguard`)).toBe(false);
    expect(existsSync(join(dir, 'clawguard', 'clawguard.db'))).toBe(false);
  });

  it('--undo restores both files byte for byte, deletes the key files and revokes the client key', async () => {
    const oc = readFileSync(ocPath, 'utf8');
    const yaml = readFileSync(cgPath, 'utf8');
    await connectOpenClaw({ openclawConfig: ocPath, clawguardConfig: cgPath, env });
    const undone = await undoConnect({ openclawConfig: ocPath, env });
    expect(readFileSync(ocPath, 'utf8')).toBe(oc);
    expect(readFileSync(cgPath, 'utf8')).toBe(yaml);
    expect(undone.revokedKeys).toBe(1);
    expect(undone.diff).toContain('(restored)');
    expect(undone.diff).not.toContain(INLINE_KEY);
    for (const file of undone.removedSecrets) expect(existsSync(file)).toBe(false);
    expect(existsSync(`${ocPath}.pre-clawguard`)).toBe(false);
    const keys = await openKeyStore(loadConfigFile(cgPath, builtinGuards()), env);
    try {
      expect((await keys.list('client')).every((k) => k.revokedAt !== null)).toBe(true);
    } finally {
      await keys.close();
    }
  });

  it('validates the edited YAML first: an edit that would break it writes nothing and creates no key', async () => {
    // Valid while there are no upstreams; names an upstream that will not exist once there are.
    writeFileSync(cgPath, 'server: {port: 8787}\nadmin: {port: 8788}\nroles:\n  - name: default\n    upstreams: [elsewhere]\n');
    const before = readFileSync(ocPath, 'utf8');
    await expect(connectOpenClaw({ openclawConfig: ocPath, clawguardConfig: cgPath, env })).rejects.toThrow(/would not be valid[\s\S]*no upstream named "elsewhere"/);
    expect(readFileSync(ocPath, 'utf8')).toBe(before);
    expect(existsSync(join(dir, 'clawguard', 'clawguard.db'))).toBe(false);
    expect(existsSync(join(dir, 'clawguard', 'secrets'))).toBe(false);
  });

  it('finds the config through OPENCLAW_CONFIG_PATH and OPENCLAW_STATE_DIR like OpenClaw does', async () => {
    const viaPath = await connectOpenClaw({ clawguardConfig: cgPath, env: { ...env, OPENCLAW_CONFIG_PATH: ocPath }, dryRun: true });
    expect(viaPath.openclawConfig).toBe(ocPath);
    const viaState = await connectOpenClaw({ clawguardConfig: cgPath, env: { ...env, OPENCLAW_STATE_DIR: join(dir, 'openclaw') }, dryRun: true });
    expect(viaState.openclawConfig).toBe(ocPath);
  });
});

describe('openclaw connect (command)', () => {
  const run = async (flags: Record<string, unknown>) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runOpenClawConnect(flags, { out: (t) => out.push(t), err: (t) => err.push(t) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  it('prints the diff, the skipped providers and how to undo; exit 0', async () => {
    const { code, out, err } = await run({ config: ocPath, clawguardConfig: cgPath });
    expect(code).toBe(0);
    expect(out).toContain('+++');
    expect(out).toContain('provider fakeprov -> ClawGuard upstream openclaw-fakeprov');
    expect(out).toContain('--undo');
    expect(err).toContain('skipped provider gemini');
    expect(out + err).not.toContain(INLINE_KEY);
    const undo = await run({ config: ocPath, undo: true });
    expect(undo.code).toBe(0);
    expect(undo.out).toContain('restored');
  });

  it('fails with a clear message and exit 1: missing config, bad JSON5, nothing to undo', async () => {
    const missing = await run({ config: join(dir, 'nope.json'), clawguardConfig: cgPath });
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('OpenClaw config not found');
    writeFileSync(ocPath, '{ models: { providers: ');
    const bad = await run({ config: ocPath, clawguardConfig: cgPath });
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('not valid JSON5');
    const undo = await run({ config: ocPath, undo: true });
    expect(undo.code).toBe(1);
    expect(undo.err).toContain('nothing to undo');
    expect(undo.err).not.toContain('    at ');
  });

  it('registers as `openclaw connect` and sets process.exitCode instead of exiting', async () => {
    const program = new Command().exitOverride();
    registerOpenClawCommands(program);
    const saved = process.exitCode;
    const savedWrite = process.stderr.write.bind(process.stderr);
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      await program.parseAsync(['node', 'clawguard', 'openclaw', 'connect', '--config', join(dir, 'missing.json'), '--clawguard-config', cgPath]);
      expect(process.exitCode).toBe(1);
    } finally {
      process.stderr.write = savedWrite;
      process.exitCode = saved;
    }
  });

  it('leaves a config that already goes through ClawGuard alone', async () => {
    copyFileSync(join(FIXTURES, 'openclaw-connected.json5'), ocPath);
    writeFileSync(cgPath, 'server: {port: 8787}\nadmin: {port: 8788}\negress: {enabled: true, port: 8789}\n');
    const { code, out } = await run({ config: ocPath, clawguardConfig: cgPath });
    expect(code).toBe(0);
    expect(out).toContain('nothing to do');
  });
});
