import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildThreatModel, threatModelToMarkdown } from '../../src/posture/threat-model.js';

const FIX = fileURLToPath(new URL('./fixtures/threat-model/', import.meta.url));
const agent = parse(readFileSync(`${FIX}support-agent.yaml`, 'utf8'));
const config = () => parse(readFileSync(`${FIX}clawguard.yaml`, 'utf8'));

describe('threat model', () => {
  it('covers STRIDE and the AI-specific threats that apply to the example agent, with OWASP references', () => {
    const model = buildThreatModel(agent, config());
    const ids = model.threats.map((t) => t.id);
    for (const id of ['TM-01', 'TM-02', 'TM-03', 'TM-04', 'TM-05', 'TM-06', 'TM-07', 'TM-08', 'TM-09', 'TM-10', 'TM-11', 'TM-12', 'TM-13', 'TM-14', 'TM-15']) {
      expect(ids).toContain(id);
    }
    const stride = new Set(model.threats.flatMap((t) => t.stride));
    expect([...stride].sort()).toEqual(['Denial of service', 'Elevation of privilege', 'Information disclosure', 'Repudiation', 'Spoofing', 'Tampering']);
    const injection = model.threats.find((t) => t.id === 'TM-01')!;
    expect(injection.owaspLlm).toContain('LLM01:2025 Prompt Injection');
    expect(injection.likelihood).toBe('high');
    expect(model.threats.every((t) => t.controls.length > 0)).toBe(true);
  });

  it('leaves out threats that do not apply to a minimal internal agent', () => {
    const model = buildThreatModel({ name: 'notes', exposure: 'local', users: 'operator', tools: [] });
    const ids = model.threats.map((t) => t.id);
    expect(ids).not.toContain('TM-06');
    expect(ids).not.toContain('TM-05');
    expect(ids).not.toContain('TM-07');
    expect(model.configAssessed).toBe(false);
    expect(model.threats.every((t) => t.status === 'not assessed')).toBe(true);
  });

  it('changes when a control is disabled in the ClawGuard config', () => {
    const before = buildThreatModel(agent, config());
    const weakened = config();
    weakened.guards.injection.enabled = false;
    const after = buildThreatModel(agent, weakened);
    const status = (m: typeof before, id: string) => m.threats.find((t) => t.id === id)!.status;
    const control = (m: typeof before, threat: string, id: string) => m.threats.find((t) => t.id === threat)!.controls.find((c) => c.id === id)!.status;
    expect(control(before, 'TM-01', 'C-INJECTION')).toBe('enforced');
    expect(status(before, 'TM-01')).toBe('mitigated');
    expect(control(after, 'TM-01', 'C-INJECTION')).toBe('missing');
    expect(status(after, 'TM-01')).toBe('partially mitigated');
  });

  it('marks a threat unmitigated when all of its controls are off', () => {
    const cfg = config();
    cfg.audit = { enabled: false };
    expect(buildThreatModel(agent, cfg).threats.find((t) => t.id === 'TM-13')!.status).toBe('unmitigated');
    cfg.auth = { enabled: false };
    delete cfg.roles;
    expect(buildThreatModel(agent, cfg).threats.find((t) => t.id === 'TM-11')!.status).toBe('unmitigated');
  });

  it('renders Markdown with a summary table and every control status', () => {
    const md = threatModelToMarkdown(buildThreatModel(agent, config()));
    expect(md).toMatch(/^# Threat model: support-agent/);
    expect(md).toContain('| ID | Threat | STRIDE | OWASP |');
    expect(md).toContain('`C-INJECTION` Prompt-injection guard on user input: **enforced**');
    expect(md).toContain('ASI01 Agent Goal Hijack');
  });
});

describe('threat model config input', () => {
  it('reads the ClawGuard config out of the shipped Kubernetes ConfigMap', async () => {
    const { clawguardConfigFrom } = await import('../../src/posture/threat-model.js');
    const cm = parse(readFileSync(fileURLToPath(new URL('../../deploy/k8s/base/configmap.yaml', import.meta.url)), 'utf8'));
    const cfg = clawguardConfigFrom(cm) as { server: { port: number } };
    expect(cfg.server.port).toBe(8080);
    const model = buildThreatModel(agent, cfg);
    expect(model.threats.find((t) => t.id === 'TM-12')!.controls.find((c) => c.id === 'C-TLS-LISTEN')!.status).toBe('enforced');
  });
});

describe('threat model with the agent’s openclaw.json', () => {
  it('judges the sandbox control from OpenClaw and leaves it manual without it', async () => {
    const { parseOpenClawConfig } = await import('../../src/posture/rules/openclaw.js');
    const sandbox = (oc?: unknown) =>
      buildThreatModel(agent, config(), oc).threats.find((t) => t.id === 'TM-06')!.controls.find((c) => c.id === 'C-SANDBOX')!.status;
    expect(sandbox()).toBe('manual');
    const clean = parseOpenClawConfig(readFileSync(fileURLToPath(new URL('./fixtures/openclaw/clean/openclaw.json', import.meta.url)), 'utf8'));
    expect(sandbox(clean)).toBe('enforced');
    const off = parseOpenClawConfig(readFileSync(fileURLToPath(new URL('./fixtures/openclaw/fires/CG-OC-004/openclaw.json', import.meta.url)), 'utf8'));
    expect(sandbox(off)).toBe('missing');
    const tm06 = buildThreatModel(agent, config(), off).threats.find((t) => t.id === 'TM-06')!;
    expect(tm06.status).toBe('partially mitigated');
  });
});
