import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runPosture as run, sarifValidator } from './helpers.js';

const FIX = fileURLToPath(new URL('./fixtures/', import.meta.url));

let saved: typeof process.exitCode;
beforeEach(() => {
  saved = process.exitCode;
});
afterEach(() => {
  process.exitCode = saved;
});

describe('clawguard scan', () => {
  it('prints findings with rule id, location and fix, and fails CI on high findings', async () => {
    const r = await run(['scan', join(FIX, 'dockerfile/fires/CG-DKR-007.Dockerfile')]);
    expect(r.out).toMatch(/CG-DKR-007\.Dockerfile:2 {2}HIGH {2}CG-DKR-007 dockerfile-curl-pipe-shell/);
    expect(r.out).toContain('fix: Download to a file');
    expect(r.code).toBe(1);
  });

  it('passes CI when nothing reaches --fail-on', async () => {
    const r = await run(['scan', '--fail-on', 'critical', join(FIX, 'dockerfile/fires/CG-DKR-007.Dockerfile')]);
    expect(r.code).toBeUndefined();
    const clean = await run(['scan', join(FIX, 'dockerfile/clean.Dockerfile')]);
    expect(clean.code).toBeUndefined();
    expect(clean.out).toMatch(/1 file\(s\) scanned, 0 finding\(s\)/);
  });

  it('rejects an unknown --fail-on severity', async () => {
    await expect(run(['scan', '--fail-on', 'severe', FIX])).rejects.toThrow(/critical, high, medium/);
  });

  it('emits JSON with a severity summary', async () => {
    const r = await run(['scan', '--json', '--no-secrets', join(FIX, 'kubernetes/fires/CG-K8S-005.yaml')]);
    const body = JSON.parse(r.out);
    expect(body.summary.bySeverity.critical).toBe(1);
    expect(body.findings.find((f: { ruleId: string }) => f.ruleId === 'CG-K8S-005')).toMatchObject({ severity: 'critical', rule: 'k8s-privileged', line: expect.any(Number) });
  });

  it('emits SARIF 2.1.0 that validates against the schema, with GitHub security-severity', async () => {
    const r = await run(['scan', '--sarif', '--fail-on', 'none', join(FIX, 'dockerfile/fires'), join(FIX, 'secrets/fires'), '--kb', join(FIX, 'kb/fires')]);
    const sarif = JSON.parse(r.out);
    const validate = sarifValidator();
    const valid = validate(sarif);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    const run0 = sarif.runs[0];
    expect(run0.tool.driver.name).toBe('ClawGuard');
    expect(run0.results.length).toBeGreaterThan(10);
    const rule = run0.tool.driver.rules[run0.results[0].ruleIndex];
    expect(rule.id).toBe(run0.results[0].ruleId);
    expect(rule.properties['security-severity']).toMatch(/^\d+\.\d$/);
    expect(run0.results.every((x: { locations: { physicalLocation: { region: { startLine: number } } }[] }) => x.locations[0]!.physicalLocation.region.startLine >= 1)).toBe(true);
  });

  it('the schema check is not vacuous: a broken log is rejected', () => {
    const validate = sarifValidator();
    expect(validate({ version: '2.1.0', runs: [{ tool: { driver: {} }, results: [] }] })).toBe(false);
  });

  it('reports secrets by file and line without printing them', async () => {
    const r = await run(['scan', '--json', join(FIX, 'secrets/fires')]);
    expect(r.out).toContain('CG-SEC-001');
    expect(r.out).not.toContain('AKIAQYLPMN5HFIQR7XYZ');
    expect(JSON.parse(r.out).findings[0].line).toBe(2);
  });

  it('respects .gitignore and skips binary files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cg-scan-'));
    writeFileSync(join(dir, '.gitignore'), 'ignored.txt\n');
    writeFileSync(join(dir, 'ignored.txt'), 'token: AKIAQYLPMN5HFIQR7XYZ\n');
    writeFileSync(join(dir, 'blob.bin'), Buffer.concat([Buffer.from([0, 1, 2]), Buffer.from('AKIAQYLPMN5HFIQR7XYZ')]));
    writeFileSync(join(dir, 'tracked.txt'), 'id AKIAQYLPMN5HFIQR7XYZ\n');
    const body = JSON.parse((await run(['scan', '--json', dir])).out);
    expect(body.findings.map((f: { file: string }) => f.file.split('/').pop())).toEqual(['tracked.txt']);
    expect(body.skipped.map((s: { file: string; reason: string }) => [s.file.split('/').pop(), s.reason])).toEqual([['blob.bin', 'binary']]);
  });

  it('--kb reports a poisoned HTML document with hidden instructions', async () => {
    const r = await run(['scan', '--json', '--kb', join(FIX, 'kb')]);
    const body = JSON.parse(r.out);
    const poisoned = body.findings.filter((f: { file: string }) => f.file.endsWith('CG-KB-001.html')).map((f: { ruleId: string }) => f.ruleId);
    expect(poisoned).toEqual(expect.arrayContaining(['CG-KB-001', 'CG-KB-004']));
    expect(body.findings.some((f: { file: string }) => /clean\.(md|html)$/.test(f.file))).toBe(false);
    expect(r.code).toBe(1);
    const text = (await run(['scan', '--kb', join(FIX, 'kb')])).out;
    expect(text).toMatch(/knowledge base: 6 document\(s\) checked, 4 flagged: .*CG-KB-001\.html/);
  });
});

describe('clawguard threat-model', () => {
  it('writes Markdown by default and JSON with --json, judged against --config', async () => {
    const md = await run(['threat-model', join(FIX, 'threat-model/support-agent.yaml'), '--config', join(FIX, 'threat-model/clawguard.yaml')]);
    expect(md.out).toContain('# Threat model: support-agent');
    const json = JSON.parse((await run(['threat-model', '--json', join(FIX, 'threat-model/support-agent.yaml')])).out);
    expect(json.configAssessed).toBe(false);
    expect(json.threats.length).toBeGreaterThan(10);
  });

  it('fails with exit code 2 on an invalid agent description', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cg-tm-'));
    writeFileSync(join(dir, 'agent.yaml'), 'exposure: mars\n');
    const r = await run(['threat-model', join(dir, 'agent.yaml')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/threat-model:/);
  });
});

describe('clawguard integrity', () => {
  it('keygen, sign and verify round-trip; a changed byte fails verify with exit 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cg-cli-int-'));
    const keys = join(dir, 'keys');
    expect((await run(['integrity', 'keygen', '--out-dir', keys])).out).toMatch(/^key [0-9a-f]{16}/);
    expect(statSync(join(keys, 'clawguard-signing.key')).mode & 0o777).toBe(0o600);
    expect((await run(['integrity', 'keygen', '--out-dir', keys])).code).toBe(2);

    const data = join(dir, 'data');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(data);
    writeFileSync(join(data, 'prompt.txt'), 'be careful\n');
    const manifest = join(dir, 'integrity.json');
    const signed = await run(['integrity', 'sign', data, '--key', join(keys, 'clawguard-signing.key'), '--out', manifest, '--meta', 'model=demo@1']);
    expect(signed.out).toMatch(/signed 1 file/);
    expect(JSON.parse(readFileSync(manifest, 'utf8')).manifest.metadata).toEqual({ model: 'demo@1' });

    const ok = await run(['integrity', 'verify', manifest, '--pub', join(keys, 'clawguard-signing.pub')]);
    expect(ok.out).toMatch(/OK: 1 file\(s\) verified/);
    expect(ok.code).toBeUndefined();

    writeFileSync(join(data, 'prompt.txt'), 'be careless\n');
    const bad = await run(['integrity', 'verify', manifest, '--pub', join(keys, 'clawguard-signing.pub')]);
    expect(bad.out).toContain('changed: data/prompt.txt');
    expect(bad.code).toBe(1);
  });
});

describe('clawguard scan --skip-rule', () => {
  it('drops an accepted rule and refuses an unknown id', async () => {
    const file = join(FIX, 'dockerfile/fires/CG-DKR-007.Dockerfile');
    const skipped = await run(['scan', '--json', '--skip-rule', 'CG-DKR-007', file]);
    expect(JSON.parse(skipped.out).findings).toEqual([]);
    expect(skipped.code).toBeUndefined();
    const bad = await run(['scan', '--skip-rule', 'CG-NOPE-1', file]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/unknown rule id/);
  });

  it('gives each SARIF result a fingerprint that survives a line move', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cg-fp-'));
    const body = readFileSync(join(FIX, 'dockerfile/fires/CG-DKR-007.Dockerfile'), 'utf8');
    writeFileSync(join(dir, 'Dockerfile'), body);
    const first = JSON.parse((await run(['scan', '--sarif', join(dir, 'Dockerfile')])).out).runs[0].results[0];
    writeFileSync(join(dir, 'Dockerfile'), `# moved\n${body}`);
    const second = JSON.parse((await run(['scan', '--sarif', join(dir, 'Dockerfile')])).out).runs[0].results[0];
    expect(second.locations[0].physicalLocation.region.startLine).toBe(first.locations[0].physicalLocation.region.startLine + 1);
    expect(second.partialFingerprints).toEqual(first.partialFingerprints);
  });
});

describe('clawguard scan --list-rules', () => {
  it('prints every rule with its severity, as text or JSON', async () => {
    const { allRules } = await import('../../src/posture/rules.js');
    const text = (await run(['scan', '--list-rules'])).out.trim().split('\n');
    expect(text.length).toBe(allRules().length);
    expect(text[0]).toMatch(/^CG-DKR-001 +high +dockerfile-root-user: Container runs as root$/);
    const json = JSON.parse((await run(['scan', '--list-rules', '--json'])).out);
    expect(json.map((r: { id: string }) => r.id)).toEqual(allRules().map((r) => r.id));
  });
});
