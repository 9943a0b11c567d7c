import { createHash } from 'node:crypto';
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { allRules, ruleById } from './rules.js';
import { type Severity, SEVERITIES, severityRank, type ScanReport } from './types.js';

export const TOOL_NAME = 'ClawGuard';
export const TOOL_URI = 'https://github.com/clawguard/clawguard';

function counts(report: ScanReport): Record<Severity, number> {
  const out = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of report.findings) out[f.severity]++;
  return out;
}

export function formatText(report: ScanReport): string {
  const lines: string[] = [];
  for (const f of report.findings) {
    const where = f.line === undefined ? f.file : `${f.file}:${f.line}`;
    lines.push(`${where}  ${f.severity.toUpperCase()}  ${f.ruleId} ${ruleById(f.ruleId).name}`);
    lines.push(`  ${f.message}`);
    lines.push(`  fix: ${f.fix}`);
  }
  for (const e of report.errors) lines.push(`${e.file}  ERROR  ${e.message}`);
  const c = counts(report);
  const summary = [...SEVERITIES].reverse().map((s) => `${c[s]} ${s}`).join(', ');
  const kbDocs = report.scanned.filter((s) => s.kinds.includes('kb')).map((s) => s.file);
  if (kbDocs.length > 0) {
    const flagged = new Set(report.findings.filter((f) => ruleById(f.ruleId).target === 'kb').map((f) => f.file));
    lines.push(`knowledge base: ${kbDocs.length} document(s) checked, ${flagged.size} flagged${flagged.size ? `: ${[...flagged].join(', ')}` : ''}`);
  }
  const extra = [report.errors.length ? `${report.errors.length} error(s)` : '', report.skipped.length ? `${report.skipped.length} skipped (binary or too large)` : ''].filter(Boolean);
  lines.push(`${report.scanned.length} file(s) scanned, ${report.findings.length} finding(s): ${summary}${extra.length ? `; ${extra.join('; ')}` : ''}`);
  return `${lines.join('\n')}\n`;
}

export function formatJson(report: ScanReport): string {
  const body = {
    tool: TOOL_NAME,
    summary: { files: report.scanned.length, findings: report.findings.length, bySeverity: counts(report), errors: report.errors.length, skipped: report.skipped.length },
    findings: report.findings.map((f) => ({ ...f, rule: ruleById(f.ruleId).name, title: ruleById(f.ruleId).title })),
    errors: report.errors,
    scanned: report.scanned,
    skipped: report.skipped,
  };
  return `${JSON.stringify(body, null, 2)}\n`;
}

/** Relative paths stay relative (GitHub resolves them against the repository); absolute ones become file: URIs. */
function artifactUri(file: string): string {
  return isAbsolute(file) ? pathToFileURL(file).href : encodeURI(file.replace(/\\/g, '/'));
}

/** SARIF `level` for a severity (SARIF knows error, warning, note). */
function sarifLevel(severity: Severity): 'error' | 'warning' | 'note' {
  if (severityRank(severity) >= severityRank('high')) return 'error';
  if (severity === 'medium') return 'warning';
  return 'note';
}

/** GitHub's `security-severity` property: a CVSS-like number that drives its severity labels. */
const SECURITY_SEVERITY: Record<Severity, string> = { critical: '9.5', high: '8.0', medium: '5.5', low: '3.0', info: '0.0' };

/** SARIF 2.1.0, with the properties GitHub code scanning reads. Every catalogued rule is listed. */
export function toSarif(report: ScanReport, version = '0.1.0'): object {
  const rules = allRules();
  const index = new Map(rules.map((r, i) => [r.id, i]));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: TOOL_NAME,
            version,
            informationUri: TOOL_URI,
            rules: rules.map((r) => ({
              id: r.id,
              name: r.name,
              shortDescription: { text: r.title },
              fullDescription: { text: r.description },
              help: { text: r.fix, markdown: `**Fix:** ${r.fix}` },
              defaultConfiguration: { level: sarifLevel(r.severity) },
              properties: { tags: ['security', `clawguard/${r.target}`], 'security-severity': SECURITY_SEVERITY[r.severity], severity: r.severity },
            })),
          },
        },
        results: report.findings.map((f) => ({
          ruleId: f.ruleId,
          ruleIndex: index.get(f.ruleId) ?? 0,
          level: sarifLevel(f.severity),
          message: { text: `${f.message}. Fix: ${f.fix}` },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: artifactUri(f.file) },
                region: { startLine: f.line ?? 1, ...(f.column === undefined ? {} : { startColumn: f.column }) },
              },
            },
          ],
          // Stable across line moves, so code scanning keeps tracking the same alert.
          partialFingerprints: { 'clawguardFinding/v1': createHash('sha256').update(`${f.ruleId}\0${f.file}\0${f.message}`).digest('hex').slice(0, 32) },
          properties: { severity: f.severity },
        })),
        invocations: [
          {
            executionSuccessful: report.errors.length === 0,
            toolExecutionNotifications: report.errors.map((e) => ({
              level: 'error',
              message: { text: e.message },
              locations: [{ physicalLocation: { artifactLocation: { uri: artifactUri(e.file) } } }],
            })),
          },
        ],
        columnKind: 'utf16CodeUnits',
      },
    ],
  };
}

export function formatSarif(report: ScanReport, version?: string): string {
  return `${JSON.stringify(toSarif(report, version), null, 2)}\n`;
}

/** Whether any finding is at or above the threshold (the CI gate). */
export function exceedsThreshold(report: ScanReport, threshold: Severity): boolean {
  return report.findings.some((f) => severityRank(f.severity) >= severityRank(threshold));
}
