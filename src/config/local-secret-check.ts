import { accessSync, constants, statSync } from 'node:fs';

/** A `file:` or `env:` secret reference in a valid config that this machine could not resolve now. */
export interface UnresolvedSecret {
  /** Where in the config, e.g. `upstreams[0].apiKey`. */
  readonly path: string;
  readonly ref: string;
  readonly problem: string;
}

/**
 * The `env:` and `file:` references of a parsed config that would fail here: a missing or empty
 * variable, a file that is missing, not a file, or unreadable. `config validate` prints them as
 * warnings, not errors: the config may be meant for another machine (a container, a CI runner), where
 * `serve` resolves them. Other schemes (vault:, aws-sm:, …) need the network and are not tried.
 * Only values are reported, never what a reference resolves to.
 */
export function unresolvedLocalSecrets(config: unknown, env: NodeJS.ProcessEnv = process.env): UnresolvedSecret[] {
  const out: UnresolvedSecret[] = [];
  const walk = (node: unknown, path: string): void => {
    if (typeof node === 'string') {
      const problem = node.startsWith('env:') ? envProblem(node.slice(4), env) : node.startsWith('file:') ? fileProblem(node.slice(5)) : undefined;
      if (problem) out.push({ path, ref: node, problem });
    } else if (Array.isArray(node)) node.forEach((v, i) => walk(v, `${path}[${i}]`));
    else if (node !== null && typeof node === 'object') for (const [k, v] of Object.entries(node)) walk(v, path ? `${path}.${k}` : k);
  };
  walk(config, '');
  return out;
}

function envProblem(name: string, env: NodeJS.ProcessEnv): string | undefined {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return undefined;
  return env[name] === undefined || env[name] === '' ? 'the environment variable is not set here' : undefined;
}

function fileProblem(path: string): string | undefined {
  try {
    if (!statSync(path).isFile()) return 'is not a regular file';
    accessSync(path, constants.R_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'the file does not exist here' : `the file cannot be read here (${code ?? 'error'})`;
  }
}
