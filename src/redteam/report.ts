import type { AttackTally, RedteamReport } from './runner.js';

const pct = (x: number | null): string => (x === null ? 'n/a' : `${(x * 100).toFixed(1)}%`);

function row(t: AttackTally): string {
  return `${t.name.padEnd(26)} ${String(t.total).padStart(5)} ${String(t.stopped).padStart(8)} ${String(t.through).padStart(8)} ${String(t.errors).padStart(7)} ${pct(t.asr).padStart(8)}`;
}

/** The terminal report: per category and per strategy, then the cases to look at. */
export function formatText(r: RedteamReport, options: { maxListed?: number } = {}): string {
  const max = options.maxListed ?? 20;
  const lines: string[] = [];
  lines.push(`ClawGuard red team · corpus ${r.corpus.name} · version ${r.corpus.version} · ${r.corpus.attacks} attacks + ${r.corpus.controls} controls`);
  lines.push(`target ${r.target.url} (${r.target.provider}, model ${r.target.model}) · ${(r.durationMs / 1000).toFixed(1)} s · concurrency ${r.concurrency}`);
  lines.push('');
  const head = `${'category'.padEnd(26)} ${'cases'.padStart(5)} ${'stopped'.padStart(8)} ${'through'.padStart(8)} ${'errors'.padStart(7)} ${'ASR'.padStart(8)}`;
  lines.push(head, '-'.repeat(head.length));
  for (const c of r.categories) lines.push(row(c));
  lines.push('-'.repeat(head.length), row(r.attacks), '');
  lines.push(`${'strategy'.padEnd(26)} ${'cases'.padStart(5)} ${'stopped'.padStart(8)} ${'through'.padStart(8)} ${'errors'.padStart(7)} ${'ASR'.padStart(8)}`);
  lines.push('-'.repeat(head.length));
  for (const s of r.strategies) lines.push(row(s));
  lines.push('');
  lines.push(`control set: ${r.control.total} benign requests, ${r.control.passed} passed, ${r.control.falseBlocked} falsely blocked, ${r.control.errors} errors · false-block rate ${pct(r.control.falseBlockRate)}`);
  const stop = r.attacks.outcomes;
  lines.push(`how attacks were stopped: ${['blocked', 'held', 'refused', 'sanitized'].map((k) => `${k} ${stop[k as keyof typeof stop] ?? 0}`).join(', ')}`);
  const list = (title: string, items: readonly { id: string; reason: string }[]): void => {
    if (items.length === 0) return;
    lines.push('', `${title} (${items.length}${items.length > max ? `, first ${max}` : ''}):`);
    for (const i of items.slice(0, max)) lines.push(`  ${i.id}  ${i.reason}`);
  };
  list('attacks that got through', r.through);
  list('benign requests blocked', r.falseBlocks);
  list('errors (no usable answer)', r.errors);
  return `${lines.join('\n')}\n`;
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A horizontal stacked bar per row: stopped (green), through (red), errors (grey). Inline SVG. */
function barChart(title: string, rows: readonly AttackTally[]): string {
  const labelW = 190;
  const barW = 420;
  const rowH = 26;
  const h = rows.length * rowH + 30;
  const parts: string[] = [];
  rows.forEach((t, i) => {
    const y = 20 + i * rowH;
    const scale = t.total > 0 ? barW / t.total : 0;
    const ws = t.stopped * scale;
    const wt = t.through * scale;
    const we = t.errors * scale;
    parts.push(`<text x="${labelW - 8}" y="${y + 14}" text-anchor="end">${esc(t.name)}</text>`);
    parts.push(`<rect x="${labelW}" y="${y}" width="${ws.toFixed(1)}" height="18" fill="#2e7d32"><title>stopped ${t.stopped}</title></rect>`);
    parts.push(`<rect x="${(labelW + ws).toFixed(1)}" y="${y}" width="${wt.toFixed(1)}" height="18" fill="#c62828"><title>through ${t.through}</title></rect>`);
    if (we > 0) parts.push(`<rect x="${(labelW + ws + wt).toFixed(1)}" y="${y}" width="${we.toFixed(1)}" height="18" fill="#9e9e9e"><title>errors ${t.errors}</title></rect>`);
    parts.push(`<text x="${labelW + barW + 8}" y="${y + 14}">${esc(pct(t.asr))} through</text>`);
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${esc(title)}" width="${labelW + barW + 110}" height="${h}" font-family="system-ui, sans-serif" font-size="13"><text x="0" y="12" font-weight="bold">${esc(title)}</text>${parts.join('')}</svg>`;
}

function table(rows: readonly AttackTally[], first: string): string {
  const outcome = (t: AttackTally, k: string): number => t.outcomes[k as keyof typeof t.outcomes] ?? 0;
  return `<table><thead><tr><th>${esc(first)}</th><th>cases</th><th>stopped</th><th>blocked</th><th>held</th><th>refused</th><th>sanitized</th><th>through</th><th>errors</th><th>ASR</th></tr></thead><tbody>${rows
    .map((t) => `<tr><td>${esc(t.name)}</td><td>${t.total}</td><td>${t.stopped}</td><td>${outcome(t, 'blocked')}</td><td>${outcome(t, 'held')}</td><td>${outcome(t, 'refused')}</td><td>${outcome(t, 'sanitized')}</td><td class="bad">${t.through}</td><td>${t.errors}</td><td>${pct(t.asr)}</td></tr>`)
    .join('')}</tbody></table>`;
}

/** A self-contained HTML report: inline CSS and SVG, no script, nothing fetched. */
export function formatHtml(r: RedteamReport): string {
  const cases = (items: readonly { id: string; category: string; outcome: string; reason: string }[]): string =>
    items.length === 0 ? '<p>none</p>' : `<table><thead><tr><th>case</th><th>category</th><th>outcome</th><th>why</th></tr></thead><tbody>${items.map((c) => `<tr><td><code>${esc(c.id)}</code></td><td>${esc(c.category)}</td><td>${esc(c.outcome)}</td><td>${esc(c.reason)}</td></tr>`).join('')}</tbody></table>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>ClawGuard red team: ${esc(r.target.url)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;color:#222;max-width:1100px}table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td:first-child,th:first-child{text-align:left}td.bad{color:#c62828;font-weight:bold}.summary{font-size:1.1rem}code{font-size:.9rem}</style></head>
<body>
<h1>ClawGuard red-team report</h1>
<p class="summary">Target <code>${esc(r.target.url)}</code> (${esc(r.target.provider)}, model <code>${esc(r.target.model)}</code>) · corpus <code>${esc(r.corpus.name)}</code> version <code>${esc(r.corpus.version)}</code> · ${r.corpus.attacks} attacks, ${r.corpus.controls} benign controls · started ${esc(r.startedAt)}, ${(r.durationMs / 1000).toFixed(1)} s</p>
<p class="summary">Attack success rate <strong>${pct(r.attacks.asr)}</strong> (${r.attacks.through} of ${r.attacks.total - r.attacks.errors} got through) · false-block rate on the control set <strong>${pct(r.control.falseBlockRate)}</strong> (${r.control.falseBlocked} of ${r.control.total - r.control.errors}) · errors ${r.attacks.errors + r.control.errors}</p>
<h2>Per category</h2>
${barChart('Attacks per category: stopped (green) vs through (red)', r.categories)}
${table(r.categories, 'category')}
<h2>Per obfuscation strategy</h2>
${barChart('Attacks per strategy: stopped (green) vs through (red)', r.strategies)}
${table(r.strategies, 'strategy')}
<h2>Attacks that got through</h2>
${cases(r.through)}
<h2>Benign requests blocked</h2>
${cases(r.falseBlocks)}
<h2>Errors</h2>
${cases(r.errors)}
<p>How outcomes are judged: see docs/redteam.md. Stopped = blocked (403 policy_violation) + held (review, not approved) + refused (content_filter / refusal stop, tool call replaced by a policy notice) + sanitized (the attack's canary, planted data or tool call is not in the answer).</p>
</body></html>
`;
}
