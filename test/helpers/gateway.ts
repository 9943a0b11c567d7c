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
