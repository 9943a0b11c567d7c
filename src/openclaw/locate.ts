import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/**
 * Where OpenClaw keeps its config: `OPENCLAW_CONFIG_PATH` names the file itself, else
 * `$OPENCLAW_STATE_DIR/openclaw.json`, else `~/.openclaw/openclaw.json` (OpenClaw's own order).
 */
export function openClawConfigPath(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) return resolve(explicit);
  if (env.OPENCLAW_CONFIG_PATH) return resolve(expandHome(env.OPENCLAW_CONFIG_PATH, env));
  return join(openClawStateDir(env), 'openclaw.json');
}

/** OpenClaw's state folder (`.env`, agents, sessions): `OPENCLAW_STATE_DIR` or `~/.openclaw`. */
export function openClawStateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.OPENCLAW_STATE_DIR) return resolve(expandHome(env.OPENCLAW_STATE_DIR, env));
  return join(env.HOME || homedir(), '.openclaw');
}

/** The `.env` files OpenClaw reads keys from, most specific first: next to the config, then the state folder. */
export function openClawEnvFiles(configPath: string, env: NodeJS.ProcessEnv = process.env): string[] {
  return [...new Set([join(dirname(configPath), '.env'), join(openClawStateDir(env), '.env')])];
}

function expandHome(path: string, env: NodeJS.ProcessEnv): string {
  return path === '~' || path.startsWith('~/') ? join(env.HOME || homedir(), path.slice(1)) : path;
}
