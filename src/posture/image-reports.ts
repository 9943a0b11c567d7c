import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ruleById } from './rules.js';
import type { PostureFinding, ScanError, Severity } from './types.js';

/**
 * Container image scan reports (`clawguard scan --image-report FILE`): Trivy (`trivy image -f json`),
 * Grype (`grype -o json`) and Clair v4 vulnerability reports. Each is parsed into neutral
 * vulnerabilities, merged across reports, and turned into posture findings on ClawGuard's own
 * severity scale, so `--fail-on`, `--skip-rule` and SARIF treat them like any other finding.
 */

export type ImageReportFormat = 'trivy' | 'grype' | 'clair';

/** One vulnerable package as one scanner reported it. */
export interface ImageVulnerability {
  /** CVE id when the scanner gives one (directly or as a related id), else its own id (GHSA-…, ALAS-…). */
  readonly id: string;
  /** Other ids the scanner used for the same vulnerability. */
  readonly aliases: readonly string[];
  readonly pkg: string;
  readonly installed: string;
  /** Versions that fix it; empty when none is published. */
  readonly fixedIn: readonly string[];
  /** `undefined` when the scanner had no rating (Trivy UNKNOWN, Grype/Clair Unknown). */
  readonly severity: Severity | undefined;
  readonly title?: string;
  /** The image (or other target) the report is about, when it names one. */
  readonly image?: string;
}

export interface ParsedImageReport {
  readonly format: ImageReportFormat;
  readonly vulnerabilities: ImageVulnerability[];
}

export class ImageReportError extends Error {}

/** Reports are machine output and can be big, but not unbounded. */
const MAX_REPORT_BYTES = 256 * 1024 * 1024;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

/**
 * One scale for all three scanners. Trivy: UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL. Grype: Unknown,
 * Negligible, Low, Medium, High, Critical. Clair `normalized_severity`: the same as Grype plus
 * Defcon1 (above critical). Negligible becomes `info`; unknown stays unrated here.
 */
export function normalizeSeverity(value: unknown): Severity | undefined {
  switch (typeof value === 'string' ? value.trim().toLowerCase() : '') {
    case 'defcon1':
    case 'critical':
      return 'critical';
    case 'high':
    case 'important':
      return 'high';
    case 'medium':
    case 'moderate':
      return 'medium';
    case 'low':
      return 'low';
    case 'negligible':
    case 'none':
      return 'info';
    default:
      return undefined;
  }
}

/** Which scanner wrote this document, by the top-level shape each one documents. */
export function detectImageReportFormat(doc: unknown): ImageReportFormat | undefined {
  if (!isObject(doc)) return undefined;
  if (Array.isArray(doc.matches) && (isObject(doc.descriptor) || isObject(doc.source) || doc.matches.length === 0 || (isObject(doc.matches[0]) && isObject((doc.matches[0] as Json).vulnerability)))) return 'grype';
  if ((Array.isArray(doc.Results) || doc.Results === undefined) && (typeof doc.SchemaVersion === 'number' || typeof doc.ArtifactName === 'string') && !('matches' in doc)) return 'trivy';
  if (isObject(doc.vulnerabilities) && (isObject(doc.package_vulnerabilities) || typeof doc.manifest_hash === 'string')) return 'clair';
  return undefined;
}

function malformed(where: string): never {
  throw new ImageReportError(`malformed report: ${where}`);
}

function parseTrivy(doc: Json): ImageVulnerability[] {
  const image = str(doc.ArtifactName);
  const results = doc.Results ?? [];
  if (!Array.isArray(results)) malformed('Results is not an array');
  const out: ImageVulnerability[] = [];
  results.forEach((result, i) => {
    if (!isObject(result)) malformed(`Results[${i}] is not an object`);
    const vulns = result.Vulnerabilities ?? [];
    if (!Array.isArray(vulns)) malformed(`Results[${i}].Vulnerabilities is not an array`);
    vulns.forEach((v, j) => {
      const id = isObject(v) ? str(v.VulnerabilityID) : undefined;
      const pkg = isObject(v) ? str(v.PkgName) : undefined;
      if (!isObject(v) || !id || !pkg) malformed(`Results[${i}].Vulnerabilities[${j}] lacks VulnerabilityID or PkgName`);
      // FixedVersion may list several branches: "1.2.3, 1.3.1".
      const fixedIn = (str(v.FixedVersion) ?? '').split(',').map((s) => s.trim()).filter(Boolean);
      const title = str(v.Title);
      out.push({ id, aliases: [], pkg, installed: str(v.InstalledVersion) ?? '', fixedIn, severity: normalizeSeverity(v.Severity), ...(title ? { title } : {}), ...(image ? { image } : {}) });
    });
  });
  return out;
}

function parseGrype(doc: Json): ImageVulnerability[] {
  const source = isObject(doc.source) ? doc.source : {};
  const target = source.target;
  const image = str(target) ?? (isObject(target) ? str(target.userInput) : undefined);
  const matches = doc.matches as unknown[];
  return matches.map((m, i) => {
    if (!isObject(m) || !isObject(m.vulnerability) || !isObject(m.artifact)) malformed(`matches[${i}] lacks vulnerability or artifact`);
    const v = m.vulnerability;
    const own = str(v.id);
    const pkg = str(m.artifact.name);
    if (!own || !pkg) malformed(`matches[${i}] lacks vulnerability.id or artifact.name`);
    // Grype reports GHSA ids for language packages and names the CVE under relatedVulnerabilities.
    const related = (Array.isArray(m.relatedVulnerabilities) ? m.relatedVulnerabilities : []).map((r) => (isObject(r) ? str(r.id) : undefined)).filter((x): x is string => !!x);
    const cve = own.startsWith('CVE-') ? own : related.find((r) => r.startsWith('CVE-'));
    const id = cve ?? own;
    const fix = isObject(v.fix) ? v.fix : {};
    const fixedIn = fix.state === 'fixed' && Array.isArray(fix.versions) ? fix.versions.map(str).filter((x): x is string => !!x) : [];
    const title = str(v.description)?.split('\n')[0]?.slice(0, 200);
    return {
      id,
      aliases: [own, ...related].filter((a, k, all) => a !== id && all.indexOf(a) === k),
      pkg,
      installed: str(m.artifact.version) ?? '',
      fixedIn,
      severity: normalizeSeverity(v.severity),
      ...(title ? { title } : {}),
      ...(image ? { image } : {}),
    };
  });
}

function parseClair(doc: Json): ImageVulnerability[] {
  const vulns = doc.vulnerabilities as Json;
  const packages = isObject(doc.packages) ? doc.packages : {};
  const image = str(doc.manifest_hash);
  const byPackage = isObject(doc.package_vulnerabilities) ? doc.package_vulnerabilities : {};
  const out: ImageVulnerability[] = [];
  const seen = new Set<string>();
  const add = (vulnId: string, installedPkg: Json | undefined, where: string) => {
    const v = vulns[vulnId];
    if (!isObject(v)) malformed(`${where} names vulnerability ${JSON.stringify(vulnId)}, which is not in vulnerabilities`);
    const affected = isObject(v.package) ? v.package : {};
    const pkg = str(installedPkg?.name) ?? str(affected.name);
    const name = str(v.name) ?? str(v.id);
    if (!pkg || !name) malformed(`vulnerabilities.${vulnId} lacks a name or a package name`);
    const installed = str(installedPkg?.version) ?? str(affected.version) ?? '';
    const key = `${vulnId}\0${pkg}\0${installed}`;
    if (seen.has(key)) return;
    seen.add(key);
    // Clair names a vulnerability by its advisory (e.g. "CVE-2023-0286" or "RHSA-2023:1405: openssl security update").
    const cve = /\bCVE-\d{4}-\d{4,}\b/.exec(name)?.[0];
    const id = /^CVE-\d{4}-\d{4,}$/.test(name) ? name : (cve ?? name.split(/\s/)[0]!.replace(/:$/, ''));
    const fixed = str(v.fixed_in_version);
    const title = str(v.description)?.split('\n')[0]?.slice(0, 200);
    out.push({
      id,
      aliases: id === name ? [] : [name],
      pkg,
      installed,
      // Clair may encode the fix as a query string ("fixed=1.2.3&arch=x86_64").
      fixedIn: fixed ? [fixed.includes('=') ? (new URLSearchParams(fixed).get('fixed') ?? fixed) : fixed] : [],
      severity: normalizeSeverity(v.normalized_severity) ?? normalizeSeverity(v.severity),
      ...(title ? { title } : {}),
      ...(image ? { image } : {}),
    });
  };
  const entries = Object.entries(byPackage);
  for (const [pkgId, ids] of entries) {
    if (!Array.isArray(ids)) malformed(`package_vulnerabilities.${pkgId} is not an array`);
    const installed = isObject(packages[pkgId]) ? (packages[pkgId] as Json) : undefined;
    for (const vulnId of ids) add(String(vulnId), installed, `package_vulnerabilities.${pkgId}`);
  }
  // A report without the package index still lists what it found.
  if (entries.length === 0) for (const vulnId of Object.keys(vulns)) add(vulnId, undefined, 'vulnerabilities');
  return out;
}

/** Parses the text of one report; throws `ImageReportError` for unknown or malformed documents. */
export function parseImageReport(text: string): ParsedImageReport {
  let doc: unknown;
  try {
    doc = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new ImageReportError(`not valid JSON (${error instanceof Error ? error.message : 'parse error'})`);
  }
  const format = detectImageReportFormat(doc);
  if (!format) throw new ImageReportError('not a Trivy (`trivy image -f json`), Grype (`grype -o json`) or Clair v4 vulnerability report');
  const d = doc as Json;
  const vulnerabilities = format === 'trivy' ? parseTrivy(d) : format === 'grype' ? parseGrype(d) : parseClair(d);
  return { format, vulnerabilities };
}

/** A vulnerability after merging every report that lists it. */
interface Merged {
  id: string;
  pkg: string;
  installed: string;
  aliases: Set<string>;
  fixedIn: Set<string>;
  severities: (Severity | undefined)[];
  title?: string;
  images: Set<string>;
  /** Reports (display paths) and scanners that list it, in command-line order. */
  files: string[];
  scanners: Set<ImageReportFormat>;
}

const RANK: Record<Severity, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };
const RULE_FOR: Record<Severity, string> = { critical: 'CG-IMG-001', high: 'CG-IMG-002', medium: 'CG-IMG-003', low: 'CG-IMG-004', info: 'CG-IMG-005' };

/**
 * When scanners disagree the highest rating wins (the conservative reading for a CI gate). A
 * vulnerability no scanner rated counts as `medium`: unrated is not harmless, but not proven severe.
 */
function mergedSeverity(severities: readonly (Severity | undefined)[]): { severity: Severity; rated: boolean } {
  const rated = severities.filter((s): s is Severity => s !== undefined);
  if (rated.length === 0) return { severity: 'medium', rated: false };
  return { severity: rated.reduce((a, b) => (RANK[b] > RANK[a] ? b : a)), rated: true };
}

function toFinding(m: Merged): PostureFinding {
  const { severity, rated } = mergedSeverity(m.severities);
  const rule = ruleById(RULE_FOR[severity]);
  const aliases = [...m.aliases].filter((a) => a !== m.id);
  const parts = [`${m.id}${aliases.length ? ` (${aliases.join(', ')})` : ''} in ${m.pkg}${m.installed ? ` ${m.installed}` : ''}`];
  if (m.images.size) parts.push(`image ${[...m.images].join(', ')}`);
  if (m.title) parts.push(m.title.replace(/[.\s]+$/, ''));
  parts.push(`${rated ? severity : 'not rated, counted as medium'}; reported by ${[...m.scanners].join(', ')}${m.files.length > 1 ? ` in ${m.files.join(', ')}` : ''}`);
  const fixed = [...m.fixedIn];
  const fix = fixed.length
    ? `Upgrade ${m.pkg}${m.installed ? ` from ${m.installed}` : ''} to ${fixed.join(' or ')} or later (rebuild on a patched base image for OS packages), then rescan the image.`
    : `No fixed version of ${m.pkg} is published yet: remove the package or the feature that pulls it in, mitigate, or accept the risk explicitly; rescan when a fix appears.`;
  return { ruleId: rule.id, severity: rule.severity, file: m.files[0]!, message: parts.join('; '), fix };
}

export interface ImageReportResult {
  readonly findings: PostureFinding[];
  readonly errors: ScanError[];
  /** Each report read, with the scanner that wrote it. */
  readonly reports: { readonly file: string; readonly format: ImageReportFormat; readonly vulnerabilities: number }[];
}

/**
 * Reads the reports (paths as given, resolved against `cwd`) and merges their vulnerabilities: one
 * finding per vulnerability id, package and installed version, whichever reports list it. An
 * unreadable, unknown or malformed report is an error naming the file, never skipped silently.
 */
export async function readImageReports(paths: readonly string[], cwd: string = process.cwd()): Promise<ImageReportResult> {
  const errors: ScanError[] = [];
  const reports: { file: string; format: ImageReportFormat; vulnerabilities: number }[] = [];
  const merged = new Map<string, Merged>();
  for (const file of paths) {
    let parsed: ParsedImageReport;
    try {
      const abs = resolve(cwd, file);
      if ((await stat(abs)).size > MAX_REPORT_BYTES) throw new ImageReportError(`larger than ${MAX_REPORT_BYTES / 1024 / 1024} MiB`);
      parsed = parseImageReport(await readFile(abs, 'utf8'));
    } catch (error) {
      const reason = error instanceof ImageReportError ? error.message : `cannot read the file (${(error as NodeJS.ErrnoException).code ?? String(error)})`;
      errors.push({ file, message: `image report: ${reason}` });
      continue;
    }
    reports.push({ file, format: parsed.format, vulnerabilities: parsed.vulnerabilities.length });
    for (const v of parsed.vulnerabilities) {
      const key = `${v.id}\0${v.pkg}\0${v.installed}`;
      let m = merged.get(key);
      if (!m) {
        m = { id: v.id, pkg: v.pkg, installed: v.installed, aliases: new Set(), fixedIn: new Set(), severities: [], images: new Set(), files: [], scanners: new Set() };
        merged.set(key, m);
      }
      for (const a of v.aliases) m.aliases.add(a);
      for (const f of v.fixedIn) m.fixedIn.add(f);
      m.severities.push(v.severity);
      if (v.title && !m.title) m.title = v.title;
      if (v.image) m.images.add(v.image);
      if (!m.files.includes(file)) m.files.push(file);
      m.scanners.add(parsed.format);
    }
  }
  const findings = [...merged.values()]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : a.pkg < b.pkg ? -1 : a.pkg > b.pkg ? 1 : a.installed < b.installed ? -1 : 1))
    .map(toFinding);
  return { findings, errors, reports };
}
