import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isMap, isNode, isPair, isScalar, LineCounter, type Node, parseDocument } from 'yaml';
import type { z } from 'zod';
import type { GuardRegistry } from '../core/index.js';
import { withSecretBaseDir } from '../secrets/secret-ref.js';
import { type ClawGuardConfig, configSchema } from './schema.js';

export interface ConfigIssue {
  /** Dotted path with indexes, e.g. `upstreams[0].url`; empty for the document itself. */
  readonly path: string;
  readonly line?: number;
  readonly column?: number;
  readonly message: string;
}

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly issues: readonly ConfigIssue[],
  ) {
    super(`${file}: ${issues.length} error(s)\n${issues.map((i) => `  ${formatIssue(file, i)}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function formatIssue(file: string, issue: ConfigIssue): string {
  const where = issue.line === undefined ? file : `${file}:${issue.line}:${issue.column ?? 1}`;
  return `${where}: ${issue.path ? `${issue.path}: ` : ''}${issue.message}`;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

export interface LoadedConfig {
  readonly config: ClawGuardConfig;
  /** Absolute path of the file, or `<defaults>`. */
  readonly file: string;
  /** Relative paths in the config (storage) resolve against this folder. */
  readonly baseDir: string;
}

function nodeAt(root: Node | null, path: readonly PropertyKey[]): { node: Node | null; key?: Node } {
  let node: unknown = root;
  let key: Node | undefined;
  for (const segment of path) {
    if (!isNode(node)) break;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === segment);
      if (!pair) break;
      key = isNode(pair.key) ? pair.key : undefined;
      node = pair.value;
    } else if ('items' in node && Array.isArray((node as { items: unknown[] }).items) && typeof segment === 'number') {
      const next = (node as { items: unknown[] }).items[segment];
      if (next === undefined) break;
      key = undefined;
      node = next;
    } else break;
  }
  return { node: isNode(node) ? node : null, ...(key ? { key } : {}) };
}

/** Parses and validates config text; every problem comes back with its path and, when known, line. */
export function parseConfigText(text: string, file: string, registry: GuardRegistry): { config?: ClawGuardConfig; issues: ConfigIssue[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  const issues: ConfigIssue[] = [];
  for (const error of doc.errors) {
    const pos = error.linePos?.[0];
    // prettyErrors ends the first line with " at line L, column C:" (a code frame follows); the
    // position is already in the issue, so the message keeps only what went wrong.
    const message = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    issues.push({ path: '', ...(pos ? { line: pos.line, column: pos.col } : {}), message: `YAML: ${message}` });
  }
  if (issues.length > 0) return { issues };
  let raw: unknown;
  try {
    // Throws on an alias without its anchor (`*x`) or an alias bomb (excessive alias count).
    raw = doc.toJS({ maxAliasCount: 1000 }) ?? {};
  } catch (error) {
    return { issues: [{ path: '', message: `YAML: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}` }] };
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    return { issues: [{ path: '', line: 1, column: 1, message: 'the config must be a YAML mapping' }] };
  }
  // Relative `file:` secret references are made absolute against the file's folder while it is parsed.
  const result = withSecretBaseDir(isAbsolute(file) ? dirname(file) : undefined, () => configSchema(registry).safeParse(raw));
  if (result.success) return { config: result.data, issues };
  const located = (path: readonly PropertyKey[], message: string, atKey = false): ConfigIssue => {
    const { node, key } = nodeAt(doc.contents as Node | null, path);
    const offset = atKey ? (key?.range?.[0] ?? node?.range?.[0]) : (node?.range?.[0] ?? key?.range?.[0]);
    const pos = offset === undefined ? undefined : lineCounter.linePos(offset);
    return { path: formatPath(path), ...(pos ? { line: pos.line, column: pos.col } : {}), message };
  };
  for (const issue of result.error.issues as z.core.$ZodIssue[]) {
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) issues.push(located([...issue.path, k], 'unknown field (check its spelling)', true));
    } else {
      issues.push(located(issue.path, issue.message));
    }
  }
  issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  return { issues };
}

export function loadConfigFile(file: string, registry: GuardRegistry): LoadedConfig {
  const absolute = resolve(file);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError(absolute, [{ path: '', message: code === 'ENOENT' ? 'file not found (create one with `clawguard init`)' : `cannot read the file (${code})` }]);
  }
  const { config, issues } = parseConfigText(text, absolute, registry);
  if (!config) throw new ConfigError(absolute, issues);
  return { config, file: absolute, baseDir: dirname(absolute) };
}

export function resolveConfigPath(loaded: LoadedConfig, path: string): string {
  return isAbsolute(path) ? path : resolve(loaded.baseDir, path);
}
