import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { scanClawGuardConfig } from '../../src/posture/rules/clawguard-config.js';
import { scanDockerfile } from '../../src/posture/rules/dockerfile.js';
import { scanKubernetes } from '../../src/posture/rules/kubernetes.js';
import { scanExecApprovals, scanOpenClawConfig } from '../../src/posture/rules/openclaw.js';
import { parseYaml } from '../../src/posture/yaml-source.js';

/** Any JSON-like value, biased towards the keys the rules look at so deep paths get exercised. */
const KEYS = ['apiVersion', 'kind', 'spec', 'template', 'containers', 'securityContext', 'env', 'gateway', 'auth', 'mode', 'token', 'tools', 'exec', 'agents', 'defaults', 'sandbox', 'channels', 'models', 'providers', 'server', 'host', 'tls', 'upstreams', 'guards', 'audit', 'admin', 'port', 'url', 'apiKey', 'data'];
const value = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small' },
    fc.string(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.constantFrom('Deployment', 'Pod', 'CronJob', 'ConfigMap', 'NetworkPolicy', 'full', 'off', 'none', 'lan', '0.0.0.0', 'http://10.0.0.1/v1'),
    fc.array(tie('node'), { maxLength: 4 }),
    fc.dictionary(fc.constantFrom(...KEYS), tie('node'), { maxKeys: 6 }),
  ),
})).node;

const file = (text: string, path = 'f') => ({ path, absPath: `/${path}`, text });

describe('the rules never throw on odd input', () => {
  it('Dockerfile scanner on arbitrary text', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string(), fc.constantFrom('FROM a AS b', 'FROM', 'USER', 'RUN <<EOF', 'EOF', 'COPY ["x"', 'ENV A', 'ARG =', '\\', 'HEALTHCHECK NONE')), { maxLength: 20 }), (lines) => {
        expect(Array.isArray(scanDockerfile(file(lines.join('\n'))))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('Kubernetes, ClawGuard-config and OpenClaw scanners on arbitrary documents', () => {
    fc.assert(
      fc.property(value, (v) => {
        const text = stringify(v);
        const docs = parseYaml(text).docs;
        expect(Array.isArray(scanKubernetes([{ file: file(text), docs }]))).toBe(true);
        for (const doc of docs) expect(Array.isArray(scanClawGuardConfig(file(text), doc))).toBe(true);
        const json = JSON.stringify(v) ?? 'null';
        expect(Array.isArray(scanOpenClawConfig(file(json), v))).toBe(true);
        expect(Array.isArray(scanExecApprovals(file(json), v))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
