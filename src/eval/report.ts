import type { EvalError, EvalReport, LabelMetrics } from './types.js';

/** Headline metrics shown first, in this order, when present. */
const HEADLINE = ['n', 'tp', 'fp', 'tn', 'fn', 'precision', 'recall', 'f1', 'fpr', 'recall_at_1pct_fpr', 'auc', 'us_per_kb'];

function fmt(x: number): string {
  if (!Number.isFinite(x)) return 'n/a';
  if (Number.isInteger(x)) return String(x);
  return x.toFixed(4);
}

function orderedMetrics(metrics: Readonly<Record<string, number>>): [string, number][] {
  const head = HEADLINE.filter((k) => k in metrics).map((k): [string, number] => [k, metrics[k]!]);
  const rest = Object.keys(metrics)
    .filter((k) => !HEADLINE.includes(k))
    .sort((a, b) => {
      const da = a.split('.').length;
      const db = b.split('.').length;
      return da - db || a.localeCompare(b);
    })
    .map((k): [string, number] => [k, metrics[k]!]);
  return [...head, ...rest];
}

function breakdownRows(breakdown: Readonly<Record<string, LabelMetrics>> | undefined): [string, LabelMetrics][] {
  return Object.entries(breakdown ?? {}).sort(([a], [b]) => a.localeCompare(b));
}

/** Plain-text report for a terminal. Stable layout: scripts should use --json instead. */
export function formatText(reports: readonly EvalReport[]): string {
  const out: string[] = [];
  for (const r of reports) {
    out.push(`== ${r.suite} (${r.split}, ${r.examples} examples)`);
    const metrics = orderedMetrics(r.metrics);
    const width = Math.max(...metrics.map(([k]) => k.length), 8);
    for (const [k, v] of metrics) out.push(`  ${k.padEnd(width)}  ${fmt(v)}`);
    const rows = breakdownRows(r.breakdown);
    if (rows.length > 0) {
      const w = Math.max(...rows.map(([k]) => k.length), 10);
      out.push(`  ${'breakdown'.padEnd(w)}  precision  recall     f1         support`);
      for (const [k, m] of rows) {
        out.push(`  ${k.padEnd(w)}  ${fmt(m.precision).padEnd(9)}  ${fmt(m.recall).padEnd(9)}  ${fmt(m.f1).padEnd(9)}  ${m.support}`);
      }
    }
    for (const n of r.notes ?? []) out.push(`  note: ${n}`);
    if (r.errors) {
      out.push(`  missed (${r.errors.missed.length} shown, lowest scores first):`);
      for (const e of r.errors.missed) out.push(errorLine(e));
      out.push(`  false positives (${r.errors.falsePositives.length} shown, highest scores first):`);
      for (const e of r.errors.falsePositives) out.push(errorLine(e));
    }
    out.push('');
  }
  return out.join('\n');
}

function errorLine(e: EvalError): string {
  return `    ${e.score.toFixed(4)}  ${e.source}${e.lang ? ` [${e.lang}]` : ''}  ${JSON.stringify(e.text)}`;
}

/** Markdown report: one section per suite, metrics and breakdown as tables. */
export function formatMarkdown(reports: readonly EvalReport[]): string {
  const out: string[] = ['# ClawGuard detection eval', ''];
  for (const r of reports) {
    out.push(`## ${r.suite} (${r.split}, ${r.examples} examples)`, '', '| metric | value |', '|---|---:|');
    for (const [k, v] of orderedMetrics(r.metrics)) out.push(`| ${k} | ${fmt(v)} |`);
    const rows = breakdownRows(r.breakdown);
    if (rows.length > 0) {
      out.push('', '| group | precision | recall | f1 | support |', '|---|---:|---:|---:|---:|');
      for (const [k, m] of rows) out.push(`| ${k} | ${fmt(m.precision)} | ${fmt(m.recall)} | ${fmt(m.f1)} | ${m.support} |`);
    }
    if (r.notes?.length) out.push('', ...r.notes.map((n) => `- ${n}`));
    out.push('');
  }
  return out.join('\n');
}

/** JSON report: `{ split, reports }`, NaN written as null. */
export function formatJson(reports: readonly EvalReport[], split: string): string {
  return JSON.stringify({ split, reports }, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2);
}
