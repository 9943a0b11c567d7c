/**
 * A small line diff for showing an operator what `openclaw connect` changes. Configs are short, so a
 * plain LCS table is enough; past the cap it falls back to "all removed, all added" rather than
 * spending quadratic time.
 */
const MAX_CELLS = 4_000_000;

export interface DiffLine {
  readonly op: ' ' | '-' | '+';
  readonly text: string;
}

export function diffLines(before: string, after: string): DiffLine[] {
  const a = splitLines(before);
  const b = splitLines(after);
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const head: DiffLine[] = a.slice(0, start).map((text) => ({ op: ' ', text }));
  const tail: DiffLine[] = a.slice(endA).map((text) => ({ op: ' ', text }));
  const midA = a.slice(start, endA);
  const midB = b.slice(start, endB);
  if ((midA.length + 1) * (midB.length + 1) > MAX_CELLS) {
    return [...head, ...midA.map((text) => ({ op: '-' as const, text })), ...midB.map((text) => ({ op: '+' as const, text })), ...tail];
  }
  const n = midA.length;
  const m = midB.length;
  const table = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      table[i]![j] = midA[i] === midB[j] ? table[i + 1]![j + 1]! + 1 : Math.max(table[i + 1]![j]!, table[i]![j + 1]!);
    }
  }
  const mid: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (midA[i] === midB[j]) {
      mid.push({ op: ' ', text: midA[i]! });
      i++;
      j++;
    } else if (table[i + 1]![j]! >= table[i]![j + 1]!) mid.push({ op: '-', text: midA[i++]! });
    else mid.push({ op: '+', text: midB[j++]! });
  }
  while (i < n) mid.push({ op: '-', text: midA[i++]! });
  while (j < m) mid.push({ op: '+', text: midB[j++]! });
  return [...head, ...mid, ...tail];
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/**
 * Unified-style text (`--- a`, `+++ b`, `@@` hunks with `context` lines around each change).
 * Empty when nothing changed.
 */
export function formatDiff(before: string, after: string, labels: { before: string; after: string }, context = 3): string {
  const lines = diffLines(before, after);
  const changed = lines.map((l, index) => (l.op === ' ' ? -1 : index)).filter((index) => index >= 0);
  if (changed.length === 0) return '';
  const out = [`--- ${labels.before}`, `+++ ${labels.after}`];
  let hunkStart = -1;
  let hunkEnd = -1;
  const flush = (): void => {
    if (hunkStart < 0) return;
    out.push('@@');
    for (let k = hunkStart; k <= hunkEnd; k++) out.push(`${lines[k]!.op}${lines[k]!.text}`);
  };
  for (const index of changed) {
    const from = Math.max(0, index - context);
    const to = Math.min(lines.length - 1, index + context);
    if (hunkStart >= 0 && from <= hunkEnd + 1) hunkEnd = Math.max(hunkEnd, to);
    else {
      flush();
      hunkStart = from;
      hunkEnd = to;
    }
  }
  flush();
  return `${out.join('\n')}\n`;
}

/** Replaces every occurrence of each secret (longest first) with a mask, so a diff never prints a key. */
export function maskSecrets(text: string, secrets: Iterable<string>): string {
  const list = [...new Set(secrets)].filter((s) => s.length >= 4).sort((x, y) => y.length - x.length);
  let out = text;
  for (const secret of list) out = out.split(secret).join(mask(secret));
  return out;
}

function mask(secret: string): string {
  return secret.startsWith('cg_') ? 'cg_…(client key)' : '…(secret)';
}
