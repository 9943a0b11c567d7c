import { chmodSync, copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { allRules } from '../../src/posture/rules.js';
import { scanPaths } from '../../src/posture/scan.js';
import type { RuleMeta, TargetKind } from '../../src/posture/types.js';

const FIX = fileURLToPath(new URL('./fixtures/', import.meta.url));

const FIRING: Record<TargetKind, (id: string) => string> = {
  dockerfile: (id) => `dockerfile/fires/${id}.Dockerfile`,
  kubernetes: (id) => `kubernetes/fires/${id}.yaml`,
  openclaw: (id) => `openclaw/fires/${id}/openclaw.json`,
  clawguard: (id) => `clawguard/fires/${id}.clawguard.yaml`,
  secrets: (id) => `secrets/fires/${id}.txt`,
  kb: (id) => `kb/fires/${id}.${id === 'CG-KB-002' ? 'md' : id === 'CG-KB-003' ? 'csv' : 'html'}`,
  image: () => 'image-reports/grype.json',
};

const CLEAN: Record<TargetKind, string[]> = {
  dockerfile: ['dockerfile/clean.Dockerfile'],
  kubernetes: ['kubernetes/clean.yaml'],
  openclaw: ['openclaw/clean/openclaw.json'],
  clawguard: ['clawguard/clean.clawguard.yaml'],
  secrets: ['secrets/clean.env.example'],
  kb: ['kb/clean.md', 'kb/clean.html'],
  image: ['image-reports/trivy-clean.json'],
};

/** openclaw.json permissions are part of the check; git does not keep 0600, so set them here. */
function placeOpenClaw(relative: string, mode: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'cg-oc-'));
  const target = join(dir, 'openclaw.json');
  copyFileSync(join(FIX, relative), target);
  chmodSync(target, mode);
  return target;
}

async function ruleIdsFor(rule: RuleMeta, relative: string, mode = 0o600): Promise<string[]> {
  const path = rule.target === 'openclaw' ? placeOpenClaw(relative, mode) : join(FIX, relative);
  const report = await scanPaths(rule.target === 'kb' || rule.target === 'image' ? [] : [path], {
    cwd: FIX,
    secrets: rule.target === 'secrets',
    ...(rule.target === 'kb' ? { kb: [path] } : {}),
    ...(rule.target === 'image' ? { imageReports: [path] } : {}),
  });
  expect(report.errors).toEqual([]);
  return report.findings.map((f) => f.ruleId);
}

describe('every posture rule has a firing and a clean fixture', () => {
  for (const rule of allRules()) {
    if (rule.id === 'CG-OC-012') continue;
    it(`${rule.id} ${rule.name} fires on its fixture`, async () => {
      expect(await ruleIdsFor(rule, FIRING[rule.target](rule.id))).toContain(rule.id);
    });
    it(`${rule.id} ${rule.name} stays quiet on the clean ${rule.target} fixture`, async () => {
      for (const clean of CLEAN[rule.target]) expect(await ruleIdsFor(rule, clean)).not.toContain(rule.id);
    });
  }

  it('CG-OC-012 fires when openclaw.json is group/world readable and not when it is 0600', async () => {
    const rule = allRules().find((r) => r.id === 'CG-OC-012')!;
    if (process.platform === 'win32') return;
    expect(await ruleIdsFor(rule, 'openclaw/clean/openclaw.json', 0o644)).toContain('CG-OC-012');
    expect(await ruleIdsFor(rule, 'openclaw/clean/openclaw.json', 0o600)).not.toContain('CG-OC-012');
  });
});

describe('clean fixtures are clean of every rule for their kind', () => {
  for (const kind of Object.keys(CLEAN) as TargetKind[]) {
    it(`${kind}`, async () => {
      const rule = allRules().find((r) => r.target === kind)!;
      for (const clean of CLEAN[kind]) expect(await ruleIdsFor(rule, clean)).toEqual([]);
    });
  }
});

describe('rule catalogue', () => {
  it('has unique ids and names and a fix for every rule', () => {
    const rules = allRules();
    expect(new Set(rules.map((r) => r.id)).size).toBe(rules.length);
    expect(new Set(rules.map((r) => r.name)).size).toBe(rules.length);
    for (const r of rules) expect(r.fix.length).toBeGreaterThan(10);
  });
});

describe('docs/posture.md', () => {
  it('documents every rule exactly as the catalogue states it', async () => {
    const { readFileSync } = await import('node:fs');
    const doc = readFileSync(fileURLToPath(new URL('../../docs/posture.md', import.meta.url)), 'utf8');
    const cell = (text: string) => text.replace(/\|/g, '\\|');
    for (const rule of allRules()) {
      expect(doc).toContain(`| \`${rule.id}\` ${rule.name} | ${rule.severity} | ${cell(rule.description)} | ${cell(rule.fix)} |`);
    }
  });
});
