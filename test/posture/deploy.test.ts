import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { scanPaths } from '../../src/posture/scan.js';
import { severityRank } from '../../src/posture/types.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('ClawGuard’s own deployment artefacts pass its own scan', () => {
  it('Dockerfile and deploy/ have no high or critical finding, and were really judged', async () => {
    const report = await scanPaths(['Dockerfile', '.dockerignore', 'deploy'], { cwd: ROOT });
    expect(report.errors).toEqual([]);
    const high = report.findings.filter((f) => severityRank(f.severity) >= severityRank('high'));
    expect(high).toEqual([]);
    // Nothing below high either: the shipped artefacts are the reference for users.
    expect(report.findings).toEqual([]);
    const kinds = (file: string) => report.scanned.find((s) => s.file === file)?.kinds ?? [];
    expect(kinds('Dockerfile')).toContain('dockerfile');
    expect(kinds('deploy/k8s/base/deployment.yaml')).toContain('kubernetes');
    expect(kinds('deploy/k8s/base/networkpolicy.yaml')).toContain('kubernetes');
    // The gateway config shipped in the ConfigMap is judged by the ClawGuard-config rules too.
    expect(kinds('deploy/k8s/base/configmap.yaml')).toEqual(expect.arrayContaining(['kubernetes', 'clawguard']));
  });

  it('the base Deployment would be flagged if its hardening were removed', async () => {
    const { readFileSync, writeFileSync, mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'cg-deploy-'));
    const weakened = readFileSync(join(ROOT, 'deploy/k8s/base/deployment.yaml'), 'utf8').replace('readOnlyRootFilesystem: true', 'readOnlyRootFilesystem: false').replace('allowPrivilegeEscalation: false', 'allowPrivilegeEscalation: true');
    writeFileSync(join(dir, 'deployment.yaml'), weakened);
    const ids = (await scanPaths([dir])).findings.map((f) => f.ruleId);
    expect(ids).toEqual(expect.arrayContaining(['CG-K8S-002', 'CG-K8S-003']));
  });
});

describe('the shipped gateway configs are valid ClawGuard configs', () => {
  it('base ConfigMap and scale-out overlay pass the gateway’s own config schema', async () => {
    const { readFileSync } = await import('node:fs');
    const { parse } = await import('yaml');
    const { parseConfigText } = await import('../../src/config/load.js');
    const { builtinGuards } = await import('../../src/guards/index.js');
    const cm = parse(readFileSync(`${ROOT}deploy/k8s/base/configmap.yaml`, 'utf8'));
    const texts: [string, string][] = [
      ['configmap.yaml#clawguard.yaml', cm.data['clawguard.yaml']],
      ['overlays/scale-out/clawguard.yaml', readFileSync(`${ROOT}deploy/k8s/overlays/scale-out/clawguard.yaml`, 'utf8')],
    ];
    for (const [name, text] of texts) {
      const { issues } = parseConfigText(text, name, builtinGuards());
      expect(issues, name).toEqual([]);
    }
  });
});
