import { stat } from 'node:fs/promises';
import { resolveSecret } from './secret-ref.js';
import { isCloudRef } from './cloud/index.js';

/**
 * A secret that follows its source: a `file:` secret (a Kubernetes Secret mounted as a file) is
 * re-read when the file changes, a `vault:` or cloud (`aws-sm:`, `azure-kv:`, `gcp-sm:`) secret
 * re-fetched when its cache expires (cloud values in the background, see cloud/cache.ts); an `env:`
 * secret never changes. A failed refresh keeps the last good value, so a rotation in progress never
 * leaves the gateway without a key.
 */
export class LiveSecret {
  private timer: NodeJS.Timeout | undefined;
  private fileStamp = '';
  /** Why the last refresh failed (the reference's error, never a value), if it did. */
  lastError: string | undefined;

  private constructor(
    readonly ref: string,
    private current: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  static async open(ref: string, env: NodeJS.ProcessEnv = process.env, refreshMs = 5000): Promise<LiveSecret> {
    const secret = new LiveSecret(ref, await resolveSecret(ref, env), env);
    if (ref.startsWith('file:') || ref.startsWith('vault:') || isCloudRef(ref)) {
      if (ref.startsWith('file:')) secret.fileStamp = await LiveSecret.stamp(ref.slice(5));
      secret.timer = setInterval(() => void secret.refresh(), refreshMs);
      secret.timer.unref();
    }
    return secret;
  }

  private static async stamp(path: string): Promise<string> {
    try {
      const s = await stat(path);
      return `${s.mtimeMs}:${s.size}:${s.ino}`;
    } catch {
      return '';
    }
  }

  get value(): string {
    return this.current;
  }

  async refresh(): Promise<void> {
    try {
      if (this.ref.startsWith('file:')) {
        const stamp = await LiveSecret.stamp(this.ref.slice(5));
        if (stamp === this.fileStamp) return;
        this.current = await resolveSecret(this.ref, this.env);
        this.fileStamp = stamp;
      } else {
        this.current = await resolveSecret(this.ref, this.env);
      }
      this.lastError = undefined;
    } catch (error) {
      this.lastError = error instanceof Error ? error.message : String(error);
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
