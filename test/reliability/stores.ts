import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A free TCP port on 127.0.0.1 (never 5432 or 6379: the machine's shared services live there). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}

async function waitFor(check: () => boolean, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A throw-away Redis on its own port, no persistence; kill() is SIGKILL, start() brings it back on the same port. */
export class ThrowawayRedis {
  private child: ChildProcess | undefined;
  constructor(readonly port: number) {}
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }
  async start(): Promise<void> {
    this.child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await waitFor(() => spawnSync('redis-cli', ['-p', String(this.port), 'ping'], { encoding: 'utf8' }).stdout.trim() === 'PONG', 10_000, 'redis');
  }
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
  dbsize(): number {
    return Number(spawnSync('redis-cli', ['-p', String(this.port), 'dbsize'], { encoding: 'utf8' }).stdout.trim());
  }
}

const PG_BIN = (() => {
  const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
  return join('/usr/lib/postgresql', versions[0]!, 'bin');
})();

/**
 * A throw-away PostgreSQL cluster (`initdb` in a temp dir), run as the `postgres` user when this
 * process is root (postgres refuses to run as root). kill() is an immediate shutdown (no checkpoint,
 * like a crash); start() restarts the same cluster on the same port.
 */
export class ThrowawayPostgres {
  readonly dir = mkdtempSync(join(tmpdir(), 'cg-pg-'));
  private readonly asRoot = process.getuid?.() === 0;
  constructor(readonly port: number) {}
  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }
  private run(args: string[]): { status: number | null; out: string } {
    const cmd = this.asRoot ? ['runuser', '-u', 'postgres', '--', ...args] : args;
    const r = spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8', cwd: this.dir });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  }
  async init(): Promise<void> {
    if (this.asRoot) {
      chmodSync(this.dir, 0o755);
      chownSync(this.dir, Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout), Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout));
    }
    const r = this.run([join(PG_BIN, 'initdb'), '-D', join(this.dir, 'data'), '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    if (r.status !== 0) throw new Error(`initdb failed: ${r.out}`);
    await this.start();
  }
  async start(): Promise<void> {
    const r = this.run([join(PG_BIN, 'pg_ctl'), '-D', join(this.dir, 'data'), '-l', join(this.dir, 'log'), '-w', '-t', '30', '-o', `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start']);
    if (r.status !== 0) throw new Error(`pg_ctl start failed: ${r.out}`);
  }
  async kill(): Promise<void> {
    const r = this.run([join(PG_BIN, 'pg_ctl'), '-D', join(this.dir, 'data'), '-m', 'immediate', '-w', 'stop']);
    if (r.status !== 0) throw new Error(`pg_ctl stop failed: ${r.out}`);
  }
  async destroy(): Promise<void> {
    this.run([join(PG_BIN, 'pg_ctl'), '-D', join(this.dir, 'data'), '-m', 'immediate', '-w', 'stop']);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
