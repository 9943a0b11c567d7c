import { lstat, readdir, readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import ignore, { type Ignore } from 'ignore';

/** Folders never worth walking: VCS data and installed dependencies. */
const ALWAYS_SKIPPED = new Set(['.git', 'node_modules', '.hg', '.svn']);

export interface WalkedFile {
  readonly absPath: string;
  readonly displayPath: string;
  readonly mode: number;
  readonly size: number;
}

interface IgnoreScope {
  readonly dir: string;
  readonly rules: Ignore;
}

function displayPathFor(cwd: string, abs: string): string {
  const rel = relative(cwd, abs);
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? abs : rel.split(sep).join('/');
}

/** Deeper .gitignore files win over shallower ones, as in git (a `!pattern` re-includes). */
function ignoredBy(scopes: readonly IgnoreScope[], abs: string, isDir: boolean): boolean {
  for (let i = scopes.length - 1; i >= 0; i--) {
    const scope = scopes[i]!;
    const rel = relative(scope.dir, abs).split(sep).join('/');
    if (rel === '' || rel.startsWith('..')) continue;
    const verdict = scope.rules.test(isDir ? `${rel}/` : rel);
    if (verdict.unignored) return false;
    if (verdict.ignored) return true;
  }
  return false;
}

async function loadIgnore(dir: string): Promise<IgnoreScope | undefined> {
  try {
    const text = await readFile(join(dir, '.gitignore'), 'utf8');
    return { dir, rules: ignore().add(text) };
  } catch {
    return undefined;
  }
}

/**
 * Files under the given paths. Directories are walked without following symlinks, honouring every
 * `.gitignore` on the way down; a file named explicitly is always included.
 */
export async function collectFiles(paths: readonly string[], cwd: string = process.cwd()): Promise<WalkedFile[]> {
  const out: WalkedFile[] = [];
  const seen = new Set<string>();
  const add = (abs: string, mode: number, size: number) => {
    if (seen.has(abs)) return;
    seen.add(abs);
    out.push({ absPath: abs, displayPath: displayPathFor(cwd, abs), mode, size });
  };

  const walk = async (dir: string, scopes: IgnoreScope[]): Promise<void> => {
    const own = await loadIgnore(dir);
    const here = own ? [...scopes, own] : scopes;
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const abs = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (ALWAYS_SKIPPED.has(entry.name) || ignoredBy(here, abs, true)) continue;
        await walk(abs, here);
      } else if (entry.isFile()) {
        if (ignoredBy(here, abs, false)) continue;
        const st = await lstat(abs);
        add(abs, st.mode, st.size);
      }
    }
  };

  for (const p of paths) {
    const abs = resolve(cwd, p);
    // A path named by the user is followed even if it is a link; links met while walking are not.
    const st = await stat(abs);
    if (st.isDirectory()) await walk(abs, []);
    else if (st.isFile()) add(abs, st.mode, st.size);
  }
  return out;
}

/** Binary if the first 8 KiB hold a NUL byte (the heuristic git uses). */
export function isBinary(buffer: Buffer): boolean {
  return buffer.subarray(0, 8192).includes(0);
}
