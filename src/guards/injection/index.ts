import { createHash } from 'node:crypto';
import { z } from 'zod';
import { type Finding, findingFor, type Guard, type GuardFactory, type Segment } from '../../core/index.js';
import { type InjectionAssessment, InjectionDetector, type TextKind } from './detector.js';
import { MODEL_DATA } from './model-data.js';
import type { Family } from './signatures.js';

const ROLES = ['system', 'developer', 'user', 'assistant', 'tool'] as const;

/** Changes whenever the shipped weights or calibration change, so cached verdicts do too. */
const MODEL_ID = createHash('sha256').update(JSON.stringify(MODEL_DATA)).digest('hex').slice(0, 16);
const KINDS = ['message', 'tool_call', 'tool_result'] as const;

export const injectionConfigSchema = z.strictObject({
  /**
   * Calibrated score at which the guard reports, per segment kind. Tool results get their own:
   * instructions inside data are more suspicious, and data is noisier.
   */
  thresholds: z
    .strictObject({
      message: z.number().min(0).max(1).default(MODEL_DATA.thresholds?.message ?? 0.5),
      tool_result: z.number().min(0).max(1).default(MODEL_DATA.thresholds?.tool_result ?? 0.5),
      tool_call: z.number().min(0).max(1).default(MODEL_DATA.thresholds?.message ?? 0.5),
    })
    .prefault({}),
  /** Roles whose segments are scanned. Operator-written system prompts are trusted and skipped. */
  roles: z.array(z.enum(ROLES)).default(['user', 'tool']),
  kinds: z.array(z.enum(KINDS)).default(['message', 'tool_result']),
  directions: z.array(z.enum(['input', 'output'])).default(['input']),
  /** Scan segments marked trusted (operator-written) too. */
  scanTrusted: z.boolean().default(false),
  /** Use the trained classifier; off leaves the signatures alone (faster, lower recall). */
  classifier: z.boolean().default(true),
  /** How deep encoded text (base64 inside hex inside …) is decoded and rescanned. */
  maxDecodeDepth: z.number().int().min(0).max(5).default(3),
});
export type InjectionConfig = z.infer<typeof injectionConfigSchema>;

const FAMILY_TYPE: Record<Family, string> = {
  override: 'injection.override',
  role_play: 'injection.role_play',
  prompt_extraction: 'injection.prompt_extraction',
  role_spoof: 'injection.role_spoof',
  agent_address: 'injection.agent_address',
  exfiltration: 'injection.exfiltration',
  refusal_suppression: 'injection.refusal_suppression',
  payload_splitting: 'injection.payload_splitting',
  encoding_instruction: 'injection.encoding_instruction',
};

function pct(x: number): string {
  return `${Math.round(x * 100)}%`;
}

/**
 * Findings for one assessment: one per attack family that fired (with the span of its strongest
 * signature), `injection.planted_request` for a request next to a table's rows in a tool result,
 * or one `injection.classifier` finding for the most suspicious window when only the classifier
 * fired; plus `injection.obfuscation` when the text was obfuscated. Every finding carries the
 * calibrated score of the whole segment, so policy thresholds act on one number.
 */
export function findingsFor(guardId: string, segment: Segment, a: InjectionAssessment): Finding[] {
  const findings: Finding[] = [];
  const families = [...a.families.values()];
  const signals = families.map((m) => m.signature.family as string);
  if (a.plantedRequest) signals.push('planted_request');
  const summary = `injection score ${pct(a.score)} (classifier ${pct(a.classifierScore)}; signals: ${signals.length > 0 ? signals.join(', ') : 'none'}${a.obfuscations.length > 0 ? `; obfuscation: ${a.obfuscations.join(', ')}` : ''})`;
  for (const m of families) {
    const via = m.via ? ` inside ${m.via}-encoded text` : '';
    findings.push(findingFor(guardId, segment, FAMILY_TYPE[m.signature.family], a.score, `${m.signature.description}${via}; ${summary}`, m.span));
  }
  if (a.plantedRequest) {
    findings.push(findingFor(guardId, segment, 'injection.planted_request', a.score, `a request on the line next to a table's rows: instructions planted in data; ${summary}`, a.plantedRequest));
  }
  if (families.length === 0 && !a.plantedRequest) {
    findings.push(findingFor(guardId, segment, 'injection.classifier', a.score, `text reads like an injection or jailbreak; ${summary}`, a.classifierSpan));
  }
  if (a.obfuscations.length > 0 && (a.decodedSignals.length > 0 || families.length > 0)) {
    findings.push(
      findingFor(guardId, segment, 'injection.obfuscation', a.score, `obfuscated (${a.obfuscations.join(', ')})${a.decodedSignals.length ? `, instructions inside ${a.decodedSignals.join(', ')}` : ''}; ${summary}`),
    );
  }
  return findings;
}

/** Prompt-injection and jailbreak detection: weighted signatures plus a hashed n-gram classifier, calibrated. */
export const injectionGuardFactory: GuardFactory<InjectionConfig> = {
  name: 'injection',
  description: 'Prompt injection and jailbreak detection (direct and inside tool results), robust to obfuscation.',
  schema: injectionConfigSchema,
  create(config, options): Guard {
    const detector = new InjectionDetector(MODEL_DATA, { classifier: config.classifier, maxDecodeDepth: config.maxDecodeDepth });
    const roles = new Set<string>(config.roles);
    const kinds = new Set<string>(config.kinds);
    const directions = new Set<string>(config.directions);
    return {
      id: options.id,
      fingerprint: `injection:${MODEL_DATA.version}:${MODEL_ID}:${JSON.stringify(config)}`,
      failOpen: options.failOpen,
      timeoutMs: options.timeoutMs,
      appliesTo(segment: Segment): boolean {
        if (segment.trusted && !config.scanTrusted) return false;
        return roles.has(segment.role) && kinds.has(segment.kind) && directions.has(segment.direction);
      },
      inspect(segment: Segment): Finding[] {
        if (segment.text.trim().length === 0) return [];
        const kind: TextKind = segment.kind === 'tool_result' ? 'tool_result' : 'message';
        const assessment = detector.assess(segment.text, kind);
        if (assessment.score < config.thresholds[segment.kind]) return [];
        // A tool's description is instructions by nature: it counts only when the model of tool data,
        // which reads instructions in data as the signal, agrees (see providers/tool-definitions.ts).
        if (segment.origin === 'tool_definition' && detector.assess(segment.text, 'tool_result').score < config.thresholds.tool_result) return [];
        return findingsFor(options.id, segment, assessment);
      },
    };
  },
};

export { InjectionDetector, type InjectionAssessment, type TextKind } from './detector.js';
export { FAMILIES, SIGNATURES, type Family, type Signature } from './signatures.js';
export { remoteClassifierGuardFactory, remoteClassifierConfigSchema, type RemoteClassifierConfig } from './remote.js';
