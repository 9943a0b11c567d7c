import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { stringify } from 'yaml';
import type { GuardRegistry } from '../../src/core/index.js';
import { loadConfigFile } from '../../src/config/load.js';
import { builtinGuards } from '../../src/guards/index.js';
import { createGateway, createLogger, type Gateway } from '../../src/gateway/server.js';
import { findLeaks, knownSecretValues } from './leak-scan.js';

export interface TestGateway {
  readonly gateway: Gateway;
  readonly proxyUrl: string;
  readonly adminUrl: string | undefined;
  readonly egressUrl: string | undefined;
  readonly clientKey: string;
  readonly adminKey: string;
  /** Every log line the gateway wrote, as text. */
  readonly logs: string[];
  readonly dir: string;
  close(): Promise<void>;
}

/** Starts a real gateway on 127.0.0.1 (random ports) from a config object, with fresh keys. */
export async function startTestGateway(config: Record<string, unknown>, options: { registry?: GuardRegistry; env?: NodeJS.ProcessEnv } = {}): Promise<TestGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'clawguard-test-'));
  const file = join(dir, 'clawguard.yaml');
  const egress = config.egress as Record<string, unknown> | undefined;
  writeFileSync(file, stringify({ server: { port: 0 }, admin: { port: 0 }, ...config, ...(egress ? { egress: { port: 0, ...egress } } : {}) }));
  const registry = options.registry ?? builtinGuards();
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  const loaded = loadConfigFile(file, registry);
  const gateway = await createGateway(loaded, { registry, logger: createLogger('debug', sink), ...(options.env ? { env: options.env } : {}) });
  const clientKey = (await gateway.keys.create({ kind: 'client', name: 'test-client' })).key;
  const adminKey = (await gateway.keys.create({ kind: 'admin', name: 'test-admin' })).key;
  const { proxyUrl, adminUrl, egressUrl } = await gateway.listen();
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await gateway.close();
    // Every test gateway is scanned for leaked secrets when it closes (see leak-scan.ts).
    const leaks = findLeaks(knownSecretValues([clientKey, adminKey, ...Object.values(options.env ?? {})]), logs, dir);
    if (leaks.length > 0) throw new Error(`secret leak: ${leaks.map((l) => `${l.where}: ${l.what}`).join('; ')}`);
  };
  return { gateway, proxyUrl, adminUrl, egressUrl, clientKey, adminKey, logs, dir, close };
}

/**
 * `clawguard serve --config FILE` from the built package, as a child process; `address(label)`
 * resolves with the URL the gateway prints after `label` ("LLM proxy", "admin API") once it listens.
 */
export function spawnServe(config: string, env: NodeJS.ProcessEnv = process.env): { child: ChildProcess; address(label: string): Promise<string> } {
  const child = spawn(process.execPath, ['dist/cli/main.js', 'serve', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  const address = (label: string): Promise<string> =>
    new Promise<string>((resolvePromise, reject) => {
      const pattern = new RegExp(`${label}:\\s+(\\S+)`);
      const check = (): boolean => {
        const m = pattern.exec(output);
        if (m) resolvePromise(m[1]!);
        return m !== null;
      };
      if (check()) return;
      const timer = setTimeout(() => {
        child.stdout!.off('data', onData);
        reject(new Error(`no "${label}" line within 15 s: ${output}`));
      }, 15_000);
      const onData = (): void => {
        if (check()) {
          clearTimeout(timer);
          child.stdout!.off('data', onData);
        }
      };
      child.stdout!.on('data', onData);
    });
  return { child, address };
}
