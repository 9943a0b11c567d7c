import type { AdminEvent } from '../../audit/events.js';
import { AuditLog } from '../../audit/log.js';
import { loadAuditKeys, openAuditStore } from '../../audit/setup.js';
import type { LoadedConfig } from '../../config/load.js';

/**
 * Records operator actions taken outside the gateway (the CLI) in the shared audit log: the store
 * serializes appends, so the CLI chains its records after the gateway's. No spool (a one-shot
 * process), and a `close` checkpoint is signed when a signing key is configured.
 */
export async function recordAdminActions(loaded: LoadedConfig, events: readonly Omit<AdminEvent, 'type'>[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const config = loaded.config.audit;
  if (!config.enabled || events.length === 0) return;
  const keys = await loadAuditKeys(config, env);
  const store = await openAuditStore(config, { baseDir: loaded.baseDir, env });
  try {
    const log = await AuditLog.open({ store, payloads: 'none', ...(keys.signer ? { signer: keys.signer } : {}), onFull: 'fail-closed' });
    for (const e of events) log.record({ type: 'admin', ...e });
    await log.close();
  } finally {
    await store.close();
  }
}
