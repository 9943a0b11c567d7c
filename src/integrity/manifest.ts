import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';

export const MANIFEST_VERSION = 1;

export interface FileDigest {
  readonly sha256: string;
  readonly size: number;
}

/** What was hashed: root-relative POSIX paths. `include` is kept so verify can spot added files. */
export interface Manifest {
  readonly version: typeof MANIFEST_VERSION;
  readonly algorithm: 'sha256';
  readonly createdAt: string;
  /** Root-relative files or folders that were hashed, as given at signing time. */
  readonly include: readonly string[];
  readonly files: Readonly<Record<string, FileDigest>>;
  /** Free-form lineage: model source, version, training data reference. */
  readonly metadata?: Readonly<Record<string, string>>;
}

export async function sha256File(path: string): Promise<FileDigest> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    const buf = chunk as Buffer;
    size += buf.length;
    hash.update(buf);
  }
  return { sha256: hash.digest('hex'), size };
}

function toPosix(path: string): string {
  return path.split(sep).join('/');
}

/** Root-relative path of `abs`, refusing anything outside the root. */
export function underRoot(root: string, abs: string): string {
  const rel = relative(root, abs);
  if (rel === '' ) return '.';
  if (rel.startsWith('..') || isAbsolute(rel)) throw new Error(`${abs} is outside the manifest root ${root}`);
  return toPosix(rel);
}

/**
 * Regular files under the included paths (folders walked recursively, `.git` skipped, symlinks not
 * followed: a file swapped for a link shows up as removed).
 */
export async function listFiles(root: string, include: readonly string[], exclude: ReadonlySet<string> = new Set()): Promise<string[]> {
  const out = new Set<string>();
  const walk = async (abs: string): Promise<void> => {
    const st = await lstat(abs);
    if (st.isSymbolicLink()) return;
    if (st.isDirectory()) {
      for (const entry of await readdir(abs)) {
        if (entry === '.git') continue;
        await walk(join(abs, entry));
      }
    } else if (st.isFile()) {
      const rel = underRoot(root, abs);
      if (!exclude.has(rel)) out.add(rel);
    }
  };
  for (const item of include) {
    const abs = resolve(root, item);
    try {
      await walk(abs);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return [...out].sort();
}

export interface CreateManifestOptions {
  readonly root: string;
  /** Files or folders, absolute or relative to the current directory. */
  readonly paths: readonly string[];
  /** Root-relative paths never listed (the manifest file itself). */
  readonly exclude?: ReadonlySet<string>;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly now?: Date;
}

export async function createManifest(options: CreateManifestOptions): Promise<Manifest> {
  const root = resolve(options.root);
  const include = options.paths.map((p) => underRoot(root, resolve(p)));
  const files: Record<string, FileDigest> = {};
  for (const rel of await listFiles(root, include, options.exclude)) files[rel] = await sha256File(join(root, rel));
  if (Object.keys(files).length === 0) throw new Error('nothing to sign: the given paths hold no regular files');
  return {
    version: MANIFEST_VERSION,
    algorithm: 'sha256',
    createdAt: (options.now ?? new Date()).toISOString(),
    include,
    files,
    ...(options.metadata ? { metadata: options.metadata } : {}),
  };
}
