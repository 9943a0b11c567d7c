import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseImageReport, readImageReports } from '../../src/posture/image-reports.js';
import { scanPaths } from '../../src/posture/scan.js';
import type { PostureFinding } from '../../src/posture/types.js';
import { runPosture as run, sarifValidator } from './helpers.js';

const FIX = fileURLToPath(new URL('./fixtures/image-reports/', import.meta.url));
const TRIVY = join(FIX, 'trivy.json');
const GRYPE = join(FIX, 'grype.json');
const CLAIR = join(FIX, 'clair.json');
const CLEAN = join(FIX, 'trivy-clean.json');

let saved: typeof process.exitCode;
beforeEach(() => {
  saved = process.exitCode;
});
afterEach(() => {
  process.exitCode = saved;
});

const find = (findings: PostureFinding[], id: string, pkg: string) => findings.filter((f) => f.message.startsWith(`${id}`) && f.message.includes(` in ${pkg} `));

describe('image report formats', () => {
  it('recognises each scanner by the document, not the file name', () => {
    expect(parseImageReport(readFileSync(TRIVY, 'utf8')).format).toBe('trivy');
    expect(parseImageReport(readFileSync(GRYPE, 'utf8')).format).toBe('grype');
    expect(parseImageReport(readFileSync(CLAIR, 'utf8')).format).toBe('clair');
    expect(parseImageReport(readFileSync(CLEAN, 'utf8'))).toEqual({ format: 'trivy', vulnerabilities: [] });
  });

  it('reads Trivy: every result, severities on the scan scale, every fixed branch', () => {
    const { vulnerabilities } = parseImageReport(readFileSync(TRIVY, 'utf8'));
    expect(vulnerabilities).toHaveLength(7);
    expect(vulnerabilities.find((v) => v.id === 'CVE-2022-48174')).toMatchObject({ pkg: 'busybox', installed: '1.35.0-r29', fixedIn: ['1.35.0-r31'], severity: 'critical', image: 'registry.example/agent:1.4.2' });
    expect(vulnerabilities.find((v) => v.pkg === 'semver')).toMatchObject({ id: 'CVE-2022-25883', fixedIn: ['7.5.2', '6.3.1', '5.7.2'], severity: 'medium' });
    expect(vulnerabilities.find((v) => v.pkg === 'left-pad')).toMatchObject({ fixedIn: [], severity: undefined });
  });

  it('reads Grype: the CVE behind a GHSA id, fix versions only when fixed, Negligible as info', () => {
    const { vulnerabilities } = parseImageReport(readFileSync(GRYPE, 'utf8'));
    expect(vulnerabilities).toHaveLength(6);
    expect(vulnerabilities.find((v) => v.pkg === 'semver')).toMatchObject({ id: 'CVE-2022-25883', aliases: ['GHSA-c2qf-rxjj-qqgw'], installed: '7.3.8', fixedIn: ['7.5.2'], severity: 'medium' });
    expect(vulnerabilities.find((v) => v.id === 'CVE-2005-2541')).toMatchObject({ pkg: 'tar', installed: '1.34+dfsg-1', fixedIn: [], severity: 'info' });
    expect(vulnerabilities.find((v) => v.id === 'CVE-2023-42363')).toMatchObject({ fixedIn: [], severity: 'low' });
  });

  it('reads Clair v4: installed versions from the package index, normalized severity, empty fix', () => {
    const { vulnerabilities } = parseImageReport(readFileSync(CLAIR, 'utf8'));
    expect(vulnerabilities.map((v) => [v.id, v.pkg, v.installed, v.fixedIn, v.severity])).toEqual([
      ['CVE-2023-0286', 'libcrypto3', '3.0.7-r0', ['3.0.8-r0'], 'high'],
      ['CVE-2022-37434', 'zlib', '1.2.13-r0', ['1.2.13-r1'], 'critical'],
      ['CVE-2023-29491', 'ncurses-libs', '6.3_p20221119-r0', [], undefined],
    ]);
  });

  it('takes the CVE out of an advisory name and the version out of an encoded fix (Clair, RHEL)', () => {
    const doc = {
      manifest_hash: 'sha256:ab',
      packages: { '7': { id: '7', name: 'openssl-libs', version: '1:3.0.7-16.el9' } },
      vulnerabilities: { '9': { id: '9', name: 'RHSA-2023:3722: openssl security update (CVE-2023-0464)', severity: 'Important', normalized_severity: 'High', package: { name: 'openssl-libs' }, fixed_in_version: 'fixed=1:3.0.7-17.el9_2&arch=x86_64' } },
      package_vulnerabilities: { '7': ['9'] },
    };
    const [v] = parseImageReport(JSON.stringify(doc)).vulnerabilities;
    expect(v).toMatchObject({ id: 'CVE-2023-0464', aliases: ['RHSA-2023:3722: openssl security update (CVE-2023-0464)'], installed: '1:3.0.7-16.el9', fixedIn: ['1:3.0.7-17.el9_2'], severity: 'high' });
  });
});

describe('merging reports', () => {
  it('gives one finding per vulnerability, package and version across Trivy, Grype and Clair', async () => {
    const { findings, errors, reports } = await readImageReports([TRIVY, GRYPE, CLAIR]);
    expect(errors).toEqual([]);
    expect(reports.map((r) => [r.format, r.vulnerabilities])).toEqual([['trivy', 7], ['grype', 6], ['clair', 3]]);
    // 7 Trivy + (busybox low, Debian tar) from Grype + (zlib, ncurses) from Clair; the rest are the same ones again.
    expect(findings).toHaveLength(11);

    const openssl = find(findings, 'CVE-2023-0286', 'libcrypto3');
    expect(openssl).toHaveLength(1);
    expect(openssl[0]!.message).toContain('reported by trivy, grype, clair');
    expect(openssl[0]).toMatchObject({ ruleId: 'CG-IMG-002', severity: 'high', file: TRIVY });
    expect(openssl[0]!.fix).toBe('Upgrade libcrypto3 from 3.0.7-r0 to 3.0.8-r0 or later (rebuild on a patched base image for OS packages), then rescan the image.');
    // libssl3 is another package with the same CVE: its own finding.
    expect(find(findings, 'CVE-2023-0286', 'libssl3')).toHaveLength(1);

    const semver = find(findings, 'CVE-2022-25883', 'semver');
    expect(semver).toHaveLength(1);
    expect(semver[0]!.message).toContain('CVE-2022-25883 (GHSA-c2qf-rxjj-qqgw) in semver 7.3.8');
    expect(semver[0]!.fix).toContain('to 7.5.2 or 6.3.1 or 5.7.2 or later');
  });

  it('takes the highest rating when scanners disagree, and counts unrated ones as medium', async () => {
    const { findings } = await readImageReports([TRIVY, GRYPE]);
    // node-tar: Trivy MEDIUM, Grype High.
    expect(find(findings, 'CVE-2024-28863', 'tar')[0]).toMatchObject({ ruleId: 'CG-IMG-002', severity: 'high' });
    const unrated = find(findings, 'CVE-2024-9999001', 'left-pad')[0]!;
    expect(unrated).toMatchObject({ ruleId: 'CG-IMG-003', severity: 'medium' });
    expect(unrated.message).toContain('not rated, counted as medium');
    expect(unrated.fix).toMatch(/^No fixed version of left-pad is published yet/);
    expect(find(findings, 'CVE-2005-2541', 'tar')[0]).toMatchObject({ ruleId: 'CG-IMG-005', severity: 'info' });
  });

  it('is the same whichever order the reports come in, except the file a finding points at', async () => {
    const a = await readImageReports([TRIVY, GRYPE, CLAIR]);
    const b = await readImageReports([CLAIR, GRYPE, TRIVY]);
    const strip = (fs: PostureFinding[]) => fs.map((f) => [f.ruleId, f.severity, f.message.split('; ')[0], f.fix]).sort();
    expect(strip(b.findings)).toEqual(strip(a.findings));
  });
});

describe('clawguard scan --image-report', () => {
  it('merges image vulnerabilities into valid SARIF, one rule per severity', async () => {
    const r = await run(['scan', '--sarif', '--fail-on', 'none', '--image-report', TRIVY, '--image-report', GRYPE, '--image-report', CLAIR]);
    expect(r.err).toBe('');
    expect(r.code).toBeUndefined();
    const sarif = JSON.parse(r.out);
    const validate = sarifValidator();
    expect(validate(sarif), JSON.stringify(validate.errors)).toBe(true);
    const run0 = sarif.runs[0];
    const rules = run0.tool.driver.rules as { id: string; properties: Record<string, string> }[];
    expect(rules.find((x) => x.id === 'CG-IMG-001')!.properties['security-severity']).toBe('9.5');
    expect(rules.find((x) => x.id === 'CG-IMG-004')!.properties['security-severity']).toBe('3.0');
    const results = run0.results as { ruleId: string; ruleIndex: number; level: string; message: { text: string }; locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }[];
    expect(results).toHaveLength(11);
    for (const res of results) expect(rules[res.ruleIndex]!.id).toBe(res.ruleId);
    const zlib = results.find((x) => x.message.text.startsWith('CVE-2022-37434'))!;
    expect(zlib).toMatchObject({ ruleId: 'CG-IMG-001', level: 'error' });
    expect(zlib.message.text).toContain('Fix: Upgrade zlib from 1.2.13-r0 to 1.2.13-r1 or later');
    expect(zlib.locations[0]!.physicalLocation.artifactLocation.uri).toMatch(/clair\.json$/);
    // Only the reports were read: no walk of the current folder.
    expect(run0.invocations[0].executionSuccessful).toBe(true);
  });

  it('applies --fail-on to image findings', async () => {
    expect((await run(['scan', '--image-report', GRYPE])).code).toBe(1);
    expect((await run(['scan', '--fail-on', 'critical', '--image-report', GRYPE])).code).toBe(1);
    expect((await run(['scan', '--fail-on', 'critical', '--image-report', TRIVY.replace('trivy.json', 'clair.json')])).code).toBe(1);
    const clean = await run(['scan', '--fail-on', 'info', '--image-report', CLEAN]);
    expect(clean.code).toBeUndefined();
    expect(clean.out).toMatch(/1 file\(s\) scanned, 0 finding\(s\)/);
    // Trivy's worst after merging nothing else is critical (busybox); with --skip-rule it is high.
    expect((await run(['scan', '--fail-on', 'critical', '--skip-rule', 'CG-IMG-001', '--image-report', TRIVY])).code).toBeUndefined();
  });

  it('prints image findings in text and JSON like any other finding', async () => {
    const text = await run(['scan', '--fail-on', 'none', '--image-report', GRYPE]);
    expect(text.out).toMatch(/grype\.json {2}CRITICAL {2}CG-IMG-001 image-vulnerability-critical\n {2}CVE-2022-48174 in busybox 1\.35\.0-r29; image registry\.example\/agent:1\.4\.2/);
    expect(text.out).toContain('fix: Upgrade busybox from 1.35.0-r29 to 1.35.0-r31 or later');
    expect(text.out).toContain('1 file(s) scanned, 6 finding(s): 1 critical, 2 high, 1 medium, 1 low, 1 info');
    const json = JSON.parse((await run(['scan', '--json', '--fail-on', 'none', '--image-report', GRYPE])).out);
    expect(json.scanned).toEqual([{ file: GRYPE, kinds: ['image'] }]);
    expect(json.findings.find((f: { ruleId: string }) => f.ruleId === 'CG-IMG-004')).toMatchObject({ rule: 'image-vulnerability-low', severity: 'low' });
  });

  it('scans paths and image reports together', async () => {
    const report = await scanPaths([fileURLToPath(new URL('./fixtures/dockerfile/fires/CG-DKR-007.Dockerfile', import.meta.url))], { secrets: false, imageReports: [CLAIR] });
    expect(report.findings.map((f) => f.ruleId).sort()).toEqual(expect.arrayContaining(['CG-DKR-007', 'CG-IMG-001', 'CG-IMG-002', 'CG-IMG-003']));
  });
});

describe('bad image reports', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cg-img-'));
  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('names the file of an unknown document and exits 2', async () => {
    const sbom = join(FIX, 'cyclonedx-sbom.json');
    const r = await run(['scan', '--image-report', sbom]);
    expect(r.code).toBe(2);
    expect(r.out).toContain(`${sbom}  ERROR  image report: not a Trivy (\`trivy image -f json\`), Grype (\`grype -o json\`) or Clair v4 vulnerability report`);
  });

  it('names the file of invalid JSON, a missing file, and a malformed entry', async () => {
    const truncated = write('truncated.json', readFileSync(TRIVY, 'utf8').slice(0, 400));
    const missing = join(dir, 'nope.json');
    const noPkg = write('nopkg.json', JSON.stringify({ SchemaVersion: 2, ArtifactName: 'x', Results: [{ Target: 't', Vulnerabilities: [{ VulnerabilityID: 'CVE-2024-1', Severity: 'HIGH' }] }] }));
    const badClair = write('clair-bad.json', JSON.stringify({ manifest_hash: 'sha256:00', vulnerabilities: {}, package_vulnerabilities: { '1': ['404'] } }));
    const { findings, errors } = await readImageReports([truncated, missing, noPkg, badClair, GRYPE]);
    expect(errors.map((e) => e.file)).toEqual([truncated, missing, noPkg, badClair]);
    expect(errors[0]!.message).toMatch(/^image report: not valid JSON \(/);
    expect(errors[1]!.message).toBe('image report: cannot read the file (ENOENT)');
    expect(errors[2]!.message).toBe('image report: malformed report: Results[0].Vulnerabilities[0] lacks VulnerabilityID or PkgName');
    expect(errors[3]!.message).toBe('image report: malformed report: package_vulnerabilities.1 names vulnerability "404", which is not in vulnerabilities');
    // The good report still counts.
    expect(findings).toHaveLength(6);
    // A CI gate below the errors still fails: findings give 1, errors alone give 2.
    expect((await run(['scan', '--fail-on', 'none', '--image-report', truncated])).code).toBe(2);
    expect((await run(['scan', '--image-report', truncated, '--image-report', GRYPE])).code).toBe(1);
  });
});
