/** Posture: `clawguard scan` and `clawguard threat-model` as a library. */
export { scanPaths, type ScanOptions } from './scan.js';
export { defaultDetectors, runDetectors, type PostureDetectors } from './detectors.js';
export { exceedsThreshold, formatJson, formatSarif, formatText, toSarif } from './format.js';
export { allRules, ruleById } from './rules.js';
export {
  agentDescriptionSchema,
  buildThreatModel,
  clawguardConfigFrom,
  threatModelToJson,
  threatModelToMarkdown,
  type AgentDescription,
  type ControlAssessment,
  type Threat,
  type ThreatModel,
} from './threat-model.js';
export { SEVERITIES, isSeverity, severityRank, type PostureFinding, type RuleMeta, type ScanReport, type Severity, type TargetKind } from './types.js';
