/**
 * A small JSON path for rule matchers: `$.command`, `$.args.url`, `$.edits[*].newText`,
 * `$['odd key']`, `$.items[0]`, `$..url` (any depth), `$.*`.
 */
type Step = { kind: 'key'; key: string } | { kind: 'index'; index: number } | { kind: 'any' } | { kind: 'deep'; key: string | undefined };

const compiled = new Map<string, Step[]>();

export class JsonPathError extends Error {}

export function compileJsonPath(path: string): Step[] {
  const cached = compiled.get(path);
  if (cached) return cached;
  if (!path.startsWith('$')) throw new JsonPathError(`JSON path must start with "$": ${path}`);
  const steps: Step[] = [];
  let i = 1;
  const ident = /^[A-Za-z_$][\w$-]*/;
  while (i < path.length) {
    const rest = path.slice(i);
    if (rest.startsWith('..')) {
      const m = ident.exec(rest.slice(2));
      if (rest.slice(2).startsWith('*')) {
        steps.push({ kind: 'deep', key: undefined });
        i += 3;
      } else if (m) {
        steps.push({ kind: 'deep', key: m[0] });
        i += 2 + m[0].length;
      } else throw new JsonPathError(`bad "..": ${path}`);
    } else if (rest.startsWith('.*')) {
      steps.push({ kind: 'any' });
      i += 2;
    } else if (rest.startsWith('.')) {
      const m = ident.exec(rest.slice(1));
      if (!m) throw new JsonPathError(`bad key after "." in ${path}`);
      steps.push({ kind: 'key', key: m[0] });
      i += 1 + m[0].length;
    } else if (rest.startsWith('[*]')) {
      steps.push({ kind: 'any' });
      i += 3;
    } else if (/^\[\d+\]/.test(rest)) {
      const m = /^\[(\d+)\]/.exec(rest)!;
      steps.push({ kind: 'index', index: Number(m[1]) });
      i += m[0].length;
    } else if (/^\[(['"])/.test(rest)) {
      const q = rest[1]!;
      const end = rest.indexOf(`${q}]`, 2);
      if (end < 0) throw new JsonPathError(`unterminated quoted key in ${path}`);
      steps.push({ kind: 'key', key: rest.slice(2, end) });
      i += end + 2;
    } else throw new JsonPathError(`unexpected "${rest[0]}" in ${path}`);
  }
  if (compiled.size > 1000) compiled.clear();
  compiled.set(path, steps);
  return steps;
}

function children(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (v !== null && typeof v === 'object') return Object.values(v as Record<string, unknown>);
  return [];
}

function deep(v: unknown, key: string | undefined, out: unknown[], depth: number): void {
  if (depth > 32) return;
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    if (key === undefined) out.push(...Object.values(o));
    else if (Object.hasOwn(o, key)) out.push(o[key]);
  } else if (Array.isArray(v) && key === undefined) out.push(...v);
  for (const c of children(v)) deep(c, key, out, depth + 1);
}

/** Every value the path selects (none when it selects nothing). */
export function selectJsonPath(value: unknown, path: string): unknown[] {
  let current: unknown[] = [value];
  for (const step of compileJsonPath(path)) {
    const next: unknown[] = [];
    for (const v of current) {
      switch (step.kind) {
        case 'key':
          if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.hasOwn(v, step.key)) next.push((v as Record<string, unknown>)[step.key]);
          break;
        case 'index':
          if (Array.isArray(v) && step.index < v.length) next.push(v[step.index]);
          break;
        case 'any':
          next.push(...children(v));
          break;
        case 'deep':
          deep(v, step.key, next, 0);
          break;
      }
    }
    current = next;
    if (current.length === 0) break;
  }
  return current;
}

/** String values the path selects; numbers and booleans as text; arrays of strings flattened. */
export function selectStrings(value: unknown, path: string): string[] {
  const out: string[] = [];
  for (const v of selectJsonPath(value, path)) {
    if (typeof v === 'string') out.push(v);
    else if (typeof v === 'number' || typeof v === 'boolean') out.push(String(v));
    else if (Array.isArray(v)) for (const x of v) if (typeof x === 'string') out.push(x);
  }
  return out;
}

/**
 * Maps an offset inside a decoded string argument back to the raw JSON text of the call, when the
 * string appears there in its standard JSON encoding. `undefined` when it cannot be located.
 */
export function locateInJson(raw: string, value: string): ((offset: number) => number) | undefined {
  const encoded = JSON.stringify(value);
  const at = raw.indexOf(encoded);
  if (at < 0) return undefined;
  if (encoded.length === value.length + 2) return (offset) => at + 1 + offset;
  return (offset) => at + JSON.stringify(value.slice(0, offset)).length - 1;
}
