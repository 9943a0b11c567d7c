import { posix } from 'node:path';
import { globMatch } from '../../core/index.js';
import { globRead, type Level, normalizePath, sensitiveRead, sensitiveWrite } from './sensitive.js';

export interface PathIssue {
  /** `sensitive`, `traversal`, `outside_workspace`, `agent_instructions`, `persistence`, … */
  readonly category: string;
  readonly level: Level;
  readonly score: number;
  readonly reason: string;
}

export interface PathPolicy {
  /** Workspace roots (`~/.openclaw/workspace`, `/srv/agent/*`); globs allowed within a segment. */
  readonly workspace: readonly string[];
  readonly home?: string;
  /** What a read outside the workspace gets (sensitive paths are always denied). */
  readonly readOutside: Level | 'allow';
  /** What a write outside the workspace gets. */
  readonly writeOutside: Level | 'allow';
  /** Workspace files that change the agent's own instructions (OpenClaw's AGENTS.md, SOUL.md, …): writes go to review. */
  readonly protectedFiles: readonly string[];
}

export type PathMode = 'read' | 'write';

function withinRoot(path: string, root: string): boolean {
  if (root.includes('*') || root.includes('?')) {
    const parts = path.split('/');
    const depth = root.split('/').length;
    return parts.length >= depth && globMatch(root, parts.slice(0, depth).join('/'));
  }
  return path === root || path.startsWith(root.endsWith('/') ? root : `${root}/`);
}

/** Whether a normalized path lies inside one of the (normalized) workspace roots. Relative paths do. */
export function inWorkspace(normalized: string, roots: readonly string[]): boolean {
  if (!normalized.startsWith('/') && !normalized.startsWith('~')) return !normalized.startsWith('../') && normalized !== '..';
  return roots.some((r) => withinRoot(normalized, r));
}

/**
 * Judges a path a file tool reads or writes: traversal out of the workspace, sensitive files
 * (credentials, start-up files, system trees, the agent's own config), and — by policy — anything
 * outside the workspace.
 */
export function analyzePath(raw: string, mode: PathMode, policy: PathPolicy): PathIssue[] {
  if (raw.length === 0) return [];
  if (raw.includes('\0')) return [{ category: 'traversal', level: 'deny', score: 0.95, reason: 'path contains a NUL byte' }];
  const roots = policy.workspace.map((w) => normalizePath(w, policy.home));
  const norm = normalizePath(raw, policy.home);
  const issues: PathIssue[] = [];
  const climbs = /(?:^|[/\\])\.\.(?:[/\\]|$)/.test(raw);
  const relative = !norm.startsWith('/') && !norm.startsWith('~');
  if (climbs && !inWorkspace(norm, roots)) {
    issues.push({ category: 'traversal', level: 'deny', score: 0.95, reason: `${mode} path climbs out of the workspace with ".."` });
  }
  const found = mode === 'read' ? (sensitiveRead(norm) ?? globRead(norm)) : (sensitiveWrite(norm) ?? sensitiveRead(norm));
  // A workspace the operator put under a system tree (`/srv/agents/*`) is still the workspace.
  const hit = found && found.category === 'system_write' && inWorkspace(norm, roots) ? undefined : found;
  if (hit) {
    issues.push({ category: mode === 'read' || hit.category === 'credential_read' ? 'sensitive' : hit.category, level: hit.level, score: hit.level === 'deny' ? 0.92 : 0.7, reason: `${mode} of ${hit.what}` });
  }
  if (!relative && !inWorkspace(norm, roots) && issues.length === 0) {
    const level = mode === 'read' ? policy.readOutside : policy.writeOutside;
    if (level !== 'allow') issues.push({ category: 'outside_workspace', level, score: 0.85, reason: `${mode} outside the workspace` });
  }
  if (mode === 'write' && issues.length === 0) {
    const base = posix.basename(norm);
    const dir = posix.dirname(norm);
    const atRoot = relative ? dir === '.' : roots.some((r) => withinRoot(dir, r) && dir.split('/').length === r.split('/').length);
    // Case-insensitive like the sensitive-path tables: on macOS `agents.md` is AGENTS.md.
    if (atRoot && policy.protectedFiles.some((f) => f.toLowerCase() === base.toLowerCase())) {
      issues.push({ category: 'agent_instructions', level: 'review', score: 0.75, reason: `write to ${base}, which becomes part of the agent's own instructions` });
    }
  }
  return issues;
}

/** Files an `apply_patch` / unified diff touches: `*** Add File: p`, `*** Update File: p`, `+++ b/p`, … */
export function patchPaths(patch: string): { path: string; start: number; end: number }[] {
  const out: { path: string; start: number; end: number }[] = [];
  const re = /^(?:\*\*\* (?:Add|Update|Delete) File: |\*\*\* Move to: |\+\+\+ (?:b\/)?|--- (?:a\/)?|rename (?:from|to) |diff --git a\/\S+ b\/)(.+?)\s*$/gm;
  let m: RegExpExecArray | null;
  while ((m = re.exec(patch)) !== null && out.length < 256) {
    const p = m[1]!.replace(/\t.*$/, '');
    if (p === '/dev/null') continue;
    const start = m.index + m[0].indexOf(m[1]!);
    out.push({ path: p, start, end: start + p.length });
  }
  return out;
}
