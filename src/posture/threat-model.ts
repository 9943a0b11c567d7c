import { parse as parseYamlText } from 'yaml';
import { z } from 'zod';
import { isLoopbackHost, urlHost } from './heuristics.js';
import { get, isRecord } from './yaml-source.js';

/** A short description of an agent: what it is exposed to, what it holds, what it can do. */
const toolSchema = z.union([
  z.string().min(1),
  z.object({ name: z.string().min(1), kind: z.string().optional(), sideEffects: z.boolean().optional() }),
]);

export const agentDescriptionSchema = z.object({
  name: z.string().min(1).default('agent'),
  description: z.string().optional(),
  /** Where its ingress can be reached from. */
  exposure: z.enum(['local', 'internal', 'internet']).default('internal'),
  /** Who talks to it. */
  users: z.enum(['operator', 'internal', 'authenticated', 'public']).default('authenticated'),
  channels: z.array(z.string()).default([]),
  /** pii, payment, health, credentials, confidential, public, … */
  dataClasses: z.array(z.string()).default([]),
  tools: z.array(toolSchema).default([]),
  upstreams: z.array(z.string()).default([]),
  /** Retrieval over documents (RAG). */
  knowledgeBase: z.boolean().default(false),
  /** Long-term memory written by the agent itself. */
  memory: z.boolean().default(false),
  /** Fine-tuned or self-hosted model weights that the operator ships. */
  selfHostedModels: z.boolean().default(false),
  autonomy: z.enum(['supervised', 'autonomous']).default('supervised'),
});

export type AgentDescription = z.infer<typeof agentDescriptionSchema>;

export type ToolKind = 'exec' | 'web' | 'filesystem' | 'messaging' | 'database' | 'payment' | 'browser' | 'other';

interface NormalizedTool {
  readonly name: string;
  readonly kind: ToolKind;
  readonly sideEffects: boolean;
}

const KIND_BY_NAME: [RegExp, ToolKind][] = [
  [/exec|shell|bash|process|terminal|code|python|run/i, 'exec'],
  [/browser|playwright|puppeteer/i, 'browser'],
  [/web|fetch|http|search|url|crawl/i, 'web'],
  [/read|write|edit|file|fs|patch/i, 'filesystem'],
  [/mail|message|slack|send|sms|telegram|discord|whatsapp|post/i, 'messaging'],
  [/sql|database|db|query|crm/i, 'database'],
  [/pay|transfer|stripe|invoice|refund|wallet/i, 'payment'],
];

const SIDE_EFFECT_KINDS = new Set<ToolKind>(['exec', 'filesystem', 'messaging', 'database', 'payment', 'browser']);

function normalizeTools(agent: AgentDescription): NormalizedTool[] {
  return agent.tools.map((t) => {
    const name = typeof t === 'string' ? t : t.name;
    const declared = typeof t === 'string' ? undefined : t.kind;
    const kind = (declared as ToolKind | undefined) ?? KIND_BY_NAME.find(([re]) => re.test(name))?.[1] ?? 'other';
    const sideEffects = typeof t === 'string' || t.sideEffects === undefined ? SIDE_EFFECT_KINDS.has(kind) : t.sideEffects;
    return { name, kind, sideEffects };
  });
}

interface Facts {
  readonly agent: AgentDescription;
  readonly tools: NormalizedTool[];
  readonly has: (kind: ToolKind) => boolean;
  readonly actsOnWorld: boolean;
  readonly sensitiveData: boolean;
  readonly publicFacing: boolean;
  readonly untrustedContent: boolean;
}

function facts(agent: AgentDescription): Facts {
  const tools = normalizeTools(agent);
  const has = (kind: ToolKind) => tools.some((t) => t.kind === kind);
  return {
    agent,
    tools,
    has,
    actsOnWorld: tools.some((t) => t.sideEffects),
    sensitiveData: agent.dataClasses.some((c) => c.toLowerCase() !== 'public'),
    publicFacing: agent.users === 'public' || agent.exposure === 'internet',
    untrustedContent: has('web') || has('browser') || agent.knowledgeBase || agent.channels.some((c) => /mail/i.test(c)),
  };
}

export type Level = 'low' | 'medium' | 'high';
const LEVEL_SCORE: Record<Level, number> = { low: 1, medium: 2, high: 3 };

export type ControlStatus = 'enforced' | 'partial' | 'missing' | 'manual' | 'not-assessed';

interface ControlDef {
  readonly id: string;
  readonly title: string;
  /** What in the ClawGuard config decides the status, in words (shown in the report). */
  readonly check: string;
  /** `openclaw` is the agent's parsed openclaw.json when given. */
  readonly evaluate: (cfg: unknown, openclaw?: unknown) => Exclude<ControlStatus, 'not-assessed'>;
}

function guardStatus(family: string) {
  return (cfg: unknown): 'enforced' | 'partial' | 'missing' => {
    const g = get(cfg, ['guards', family]);
    if (isRecord(g) && g.enabled === false) return 'missing';
    if (isRecord(g) && g.failOpen === true) return 'partial';
    return 'enforced';
  };
}

/** Whether any rate-limit rule (rateLimits.perIp / perTenant, roles[].limits) sets one of `fields`. */
function limitsSet(fields: readonly string[]) {
  return (cfg: unknown): 'enforced' | 'missing' => {
    const rules: unknown[] = [get(cfg, ['rateLimits', 'perIp']), get(cfg, ['rateLimits', 'perTenant'])];
    const roles = get(cfg, ['roles']);
    if (Array.isArray(roles)) for (const role of roles) rules.push(get(role, ['limits']));
    return rules.some((r) => isRecord(r) && fields.some((f) => typeof r[f] === 'number')) ? 'enforced' : 'missing';
  };
}

const CONTROLS: readonly ControlDef[] = [
  { id: 'C-AUTH', title: 'Client authentication (API keys / JWT)', check: 'auth.enabled is not false', evaluate: (c) => (get(c, ['auth', 'enabled']) === false ? 'missing' : 'enforced') },
  { id: 'C-INJECTION', title: 'Prompt-injection guard on user input', check: 'guards.injection.enabled is not false (failOpen: partial)', evaluate: guardStatus('injection') },
  {
    id: 'C-INJECTION-TOOL', title: 'Prompt-injection guard on tool results and retrieved content',
    check: 'guards.injection enabled and policy.thresholds.tool_result ≤ 0.5 (default 0.5)',
    evaluate: (c) => {
      const base = guardStatus('injection')(c);
      const threshold = get(c, ['policy', 'thresholds', 'tool_result']);
      if (base === 'enforced' && typeof threshold === 'number' && threshold > 0.5) return 'partial';
      return base;
    },
  },
  { id: 'C-PII', title: 'PII detection and pseudonymization', check: 'guards.pii.enabled is not false', evaluate: guardStatus('pii') },
  { id: 'C-SECRETS', title: 'Secret detection and redaction (both directions)', check: 'guards.secrets.enabled is not false', evaluate: guardStatus('secrets') },
  { id: 'C-MODERATION', title: 'Output moderation', check: 'guards.moderation.enabled is not false', evaluate: guardStatus('moderation') },
  { id: 'C-TOOLCALLS', title: 'Tool-call policy (allow/deny, argument checks)', check: 'guards.toolcalls.enabled is not false', evaluate: guardStatus('toolcalls') },
  {
    id: 'C-APPROVALS', title: 'Human approval for risky actions', check: 'a policy.rules or policy.defaultRules entry has action: review',
    evaluate: (c) => {
      const rules = [get(c, ['policy', 'rules']), get(c, ['policy', 'defaultRules'])].flatMap((r) => (Array.isArray(r) ? r : []));
      return rules.some((r) => isRecord(r) && r.action === 'review') ? 'enforced' : 'missing';
    },
  },
  { id: 'C-POLICY-BLOCK', title: 'Block by default on findings', check: 'policy.defaultAction is not allow (default block)', evaluate: (c) => (get(c, ['policy', 'defaultAction']) === 'allow' ? 'missing' : 'enforced') },
  {
    id: 'C-FAIL-CLOSED', title: 'Guards fail closed', check: 'no guards.<family>.failOpen: true',
    evaluate: (c) => {
      const guards = get(c, ['guards']);
      return isRecord(guards) && Object.values(guards).some((g) => isRecord(g) && g.failOpen === true) ? 'partial' : 'enforced';
    },
  },
  {
    id: 'C-EGRESS', title: 'Egress proxy with a domain allowlist', check: 'egress.enabled with a non-empty egress.allowDomains and allowPrivate not true (enabled without an allowlist: partial)',
    evaluate: (c) => {
      const egress = get(c, ['egress']);
      if (!isRecord(egress) || egress.enabled !== true) return 'missing';
      const allowlist = Array.isArray(egress.allowDomains) && egress.allowDomains.length > 0;
      return allowlist && egress.allowPrivate !== true ? 'enforced' : 'partial';
    },
  },
  {
    id: 'C-RATE-LIMITS', title: 'Request rate limits', check: 'requestsPerMinute set in rateLimits.perIp, rateLimits.perTenant or a roles[].limits',
    evaluate: limitsSet(['requestsPerMinute']),
  },
  {
    id: 'C-BUDGETS', title: 'Token budgets', check: 'tokensPerMinute/Day/Month set in rateLimits.perIp, rateLimits.perTenant or a roles[].limits',
    evaluate: limitsSet(['tokensPerMinute', 'tokensPerDay', 'tokensPerMonth']),
  },
  {
    id: 'C-AUDIT', title: 'Hash-chained audit log', check: 'audit.enabled is not false (on by default)',
    evaluate: (c) => (get(c, ['audit', 'enabled']) === false ? 'missing' : 'enforced'),
  },
  { id: 'C-INTEGRITY', title: 'Signed integrity manifest verified at start', check: 'integrity.manifest is set', evaluate: (c) => (typeof get(c, ['integrity', 'manifest']) === 'string' ? 'enforced' : 'missing') },
  {
    id: 'C-MODEL-PINNING', title: 'Model pinning (exact, versioned model ids only)', check: 'integrity.pinModels is true, or pinModels: true on every upstream',
    evaluate: (c) => {
      if (get(c, ['integrity', 'pinModels']) === true) return 'enforced';
      const ups = get(c, ['upstreams']);
      const list = Array.isArray(ups) ? ups.filter(isRecord) : [];
      const pinned = list.filter((u) => u.pinModels === true).length;
      if (list.length > 0 && pinned === list.length) return 'enforced';
      return pinned > 0 ? 'partial' : 'missing';
    },
  },
  {
    id: 'C-TLS-UPSTREAM', title: 'Verified TLS to providers', check: 'every upstream url is https:// (or loopback) and no tls.rejectUnauthorized: false',
    evaluate: (c) => {
      const ups = get(c, ['upstreams']);
      const list = Array.isArray(ups) ? ups.filter(isRecord) : [];
      const bad = list.some((u) => {
        if (get(u, ['tls', 'rejectUnauthorized']) === false) return true;
        if (typeof u.url !== 'string' || !/^http:/i.test(u.url)) return false;
        const host = urlHost(u.url);
        return !host || !isLoopbackHost(host);
      });
      return bad ? 'missing' : 'enforced';
    },
  },
  {
    id: 'C-TLS-LISTEN', title: 'Listeners on loopback or behind TLS', check: 'server.host is loopback (default 127.0.0.1) or server.tls has certFile and keyFile',
    evaluate: (c) => {
      const host = get(c, ['server', 'host']);
      const tls = get(c, ['server', 'tls']);
      if (typeof host !== 'string' || isLoopbackHost(host)) return 'enforced';
      return isRecord(tls) && (tls.certFile ?? tls.cert) !== undefined && (tls.keyFile ?? tls.key) !== undefined ? 'enforced' : 'missing';
    },
  },
  { id: 'C-KB-SCAN', title: 'Knowledge-base ingestion scan', check: 'not a gateway setting: run `clawguard scan --kb DIR` in the ingestion pipeline', evaluate: () => 'manual' },
  {
    id: 'C-SANDBOX', title: 'Agent tool sandbox and exec approvals (OpenClaw)',
    check: 'from --openclaw: agents.defaults.sandbox.mode all (non-main: partial) and tools.exec not security full + ask off; manual without it',
    evaluate: (_c, oc) => {
      if (oc === undefined) return 'manual';
      const mode = get(oc, ['agents', 'defaults', 'sandbox', 'mode']);
      const unattended = get(oc, ['tools', 'exec', 'security']) === 'full' && get(oc, ['tools', 'exec', 'ask']) === 'off';
      if (mode !== 'all' && mode !== 'non-main') return 'missing';
      return mode === 'all' && !unattended ? 'enforced' : 'partial';
    },
  },
];

const CONTROL_BY_ID = new Map(CONTROLS.map((c) => [c.id, c]));

type Stride = 'Spoofing' | 'Tampering' | 'Repudiation' | 'Information disclosure' | 'Denial of service' | 'Elevation of privilege';

interface ThreatDef {
  readonly id: string;
  readonly title: string;
  readonly stride: readonly Stride[];
  readonly owaspLlm: readonly string[];
  readonly owaspAgentic: readonly string[];
  readonly applies: (f: Facts) => boolean;
  readonly likelihood: (f: Facts) => Level;
  readonly impact: (f: Facts) => Level;
  readonly scenario: (f: Facts) => string;
  readonly controls: readonly string[];
}

const hiIf = (cond: boolean, otherwise: Level = 'medium'): Level => (cond ? 'high' : otherwise);
const toolNames = (f: Facts, kinds: ToolKind[]) => f.tools.filter((t) => kinds.includes(t.kind)).map((t) => t.name).join(', ');

const THREATS: readonly ThreatDef[] = [
  {
    id: 'TM-01', title: 'Direct prompt injection and jailbreak', stride: ['Tampering', 'Elevation of privilege'],
    owaspLlm: ['LLM01:2025 Prompt Injection'], owaspAgentic: ['ASI01 Agent Goal Hijack'],
    applies: () => true,
    likelihood: (f) => (f.agent.users === 'public' ? 'high' : f.agent.users === 'authenticated' ? 'medium' : 'low'),
    impact: (f) => hiIf(f.actsOnWorld || f.sensitiveData),
    scenario: (f) => `A ${f.agent.users} user writes instructions that override the system prompt${f.actsOnWorld ? ' and make the agent use its tools against the operator' : ''}.`,
    controls: ['C-INJECTION', 'C-POLICY-BLOCK', 'C-AUTH'],
  },
  {
    id: 'TM-02', title: 'Indirect prompt injection through tool results and retrieved content', stride: ['Tampering', 'Elevation of privilege'],
    owaspLlm: ['LLM01:2025 Prompt Injection'], owaspAgentic: ['ASI01 Agent Goal Hijack', 'ASI02 Tool Misuse and Exploitation'],
    applies: (f) => f.untrustedContent || f.tools.length > 0,
    likelihood: (f) => hiIf(f.untrustedContent),
    impact: (f) => hiIf(f.actsOnWorld),
    scenario: (f) => `A web page, e-mail or document the agent reads carries hidden instructions${f.has('web') || f.has('browser') ? ` (via ${toolNames(f, ['web', 'browser'])})` : ''}; the agent follows them with the user's authority.`,
    controls: ['C-INJECTION-TOOL', 'C-TOOLCALLS', 'C-EGRESS', 'C-KB-SCAN'],
  },
  {
    id: 'TM-03', title: 'Sensitive information disclosure', stride: ['Information disclosure'],
    owaspLlm: ['LLM02:2025 Sensitive Information Disclosure'], owaspAgentic: ['ASI03 Identity and Privilege Abuse'],
    applies: (f) => f.sensitiveData || f.has('filesystem') || f.has('database'),
    likelihood: (f) => hiIf(f.sensitiveData && f.agent.upstreams.length > 0),
    impact: (f) => hiIf(f.agent.dataClasses.some((c) => /pii|payment|health|credential|secret/i.test(c))),
    scenario: (f) => `Personal data or credentials (${f.agent.dataClasses.join(', ') || 'from files and databases'}) travel to the model provider, into logs, or back to a user who should not see them.`,
    controls: ['C-PII', 'C-SECRETS', 'C-AUDIT'],
  },
  {
    id: 'TM-04', title: 'System-prompt leakage', stride: ['Information disclosure'],
    owaspLlm: ['LLM07:2025 System Prompt Leakage'], owaspAgentic: [],
    applies: () => true,
    likelihood: (f) => (f.publicFacing ? 'high' : 'medium'),
    impact: () => 'medium',
    scenario: () => 'A user coaxes the model into repeating its system prompt, exposing business rules, internal URLs or embedded credentials.',
    controls: ['C-INJECTION', 'C-SECRETS'],
  },
  {
    id: 'TM-05', title: 'Excessive agency and tool misuse', stride: ['Elevation of privilege', 'Tampering'],
    owaspLlm: ['LLM06:2025 Excessive Agency'], owaspAgentic: ['ASI02 Tool Misuse and Exploitation', 'ASI10 Rogue Agents'],
    applies: (f) => f.actsOnWorld,
    likelihood: (f) => (f.agent.autonomy === 'autonomous' ? 'high' : 'medium'),
    impact: (f) => hiIf(f.has('payment') || f.has('exec') || f.has('database')),
    scenario: (f) => `The model calls ${toolNames(f, ['exec', 'filesystem', 'messaging', 'database', 'payment', 'browser', 'other']) || 'its tools'} with arguments nobody intended${f.agent.autonomy === 'autonomous' ? ', with no human in the loop' : ''}.`,
    controls: ['C-TOOLCALLS', 'C-APPROVALS', 'C-EGRESS'],
  },
  {
    id: 'TM-06', title: 'Unexpected code execution', stride: ['Elevation of privilege'],
    owaspLlm: ['LLM05:2025 Improper Output Handling'], owaspAgentic: ['ASI05 Unexpected Code Execution'],
    applies: (f) => f.has('exec'),
    likelihood: () => 'medium',
    impact: () => 'high',
    scenario: (f) => `Model output reaches ${toolNames(f, ['exec'])} and runs as a command on the agent host.`,
    controls: ['C-TOOLCALLS', 'C-APPROVALS', 'C-SANDBOX'],
  },
  {
    id: 'TM-07', title: 'Data and model poisoning (knowledge base, memory, weights)', stride: ['Tampering'],
    owaspLlm: ['LLM04:2025 Data and Model Poisoning', 'LLM08:2025 Vector and Embedding Weaknesses'], owaspAgentic: ['ASI06 Memory and Context Poisoning'],
    applies: (f) => f.agent.knowledgeBase || f.agent.memory || f.agent.selfHostedModels,
    likelihood: (f) => hiIf(f.agent.memory && f.publicFacing),
    impact: () => 'high',
    scenario: (f) => `Someone plants content in ${[f.agent.knowledgeBase ? 'the knowledge base' : '', f.agent.memory ? 'the agent memory' : '', f.agent.selfHostedModels ? 'the model weights' : ''].filter(Boolean).join(', ')} that changes what the agent believes or does for every later user.`,
    controls: ['C-KB-SCAN', 'C-INTEGRITY', 'C-INJECTION-TOOL'],
  },
  {
    id: 'TM-08', title: 'Model and detector evasion', stride: ['Tampering'],
    owaspLlm: ['LLM01:2025 Prompt Injection'], owaspAgentic: ['ASI01 Agent Goal Hijack'],
    applies: () => true,
    likelihood: (f) => (f.publicFacing ? 'high' : 'medium'),
    impact: (f) => hiIf(f.actsOnWorld),
    scenario: () => 'Attacks are encoded (homoglyphs, zero-width characters, base64, other languages) or overload a guard until it times out, to slip past detection.',
    controls: ['C-INJECTION', 'C-FAIL-CLOSED'],
  },
  {
    id: 'TM-09', title: 'Model extraction and API abuse', stride: ['Information disclosure', 'Spoofing'],
    owaspLlm: ['LLM10:2025 Unbounded Consumption'], owaspAgentic: ['ASI03 Identity and Privilege Abuse'],
    applies: (f) => f.publicFacing || f.agent.selfHostedModels,
    likelihood: (f) => hiIf(f.agent.users === 'public'),
    impact: (f) => hiIf(f.agent.selfHostedModels),
    scenario: () => 'A caller sends large volumes of crafted queries to copy the model’s behaviour or harvest its answers.',
    controls: ['C-AUTH', 'C-RATE-LIMITS', 'C-BUDGETS'],
  },
  {
    id: 'TM-10', title: 'Supply chain: models, plugins, skills and providers', stride: ['Tampering', 'Spoofing'],
    owaspLlm: ['LLM03:2025 Supply Chain'], owaspAgentic: ['ASI04 Agentic Supply Chain Vulnerabilities'],
    applies: () => true,
    likelihood: (f) => hiIf(f.agent.selfHostedModels, 'medium'),
    impact: () => 'high',
    scenario: () => 'A model alias moves to a new version, a weights file or prompt is swapped, or a provider endpoint is impersonated.',
    controls: ['C-INTEGRITY', 'C-MODEL-PINNING', 'C-TLS-UPSTREAM'],
  },
  {
    id: 'TM-11', title: 'Unbounded consumption (denial of wallet / service)', stride: ['Denial of service'],
    owaspLlm: ['LLM10:2025 Unbounded Consumption'], owaspAgentic: ['ASI08 Cascading Failures'],
    applies: () => true,
    likelihood: (f) => (f.publicFacing ? 'high' : f.agent.autonomy === 'autonomous' ? 'medium' : 'low'),
    impact: () => 'medium',
    scenario: (f) => `${f.publicFacing ? 'Anonymous traffic' : 'A looping agent'} burns through tokens and provider quota until the service stops for everyone.`,
    controls: ['C-RATE-LIMITS', 'C-BUDGETS', 'C-AUTH'],
  },
  {
    id: 'TM-12', title: 'Spoofed callers and stolen keys', stride: ['Spoofing', 'Elevation of privilege'],
    owaspLlm: [], owaspAgentic: ['ASI03 Identity and Privilege Abuse'],
    applies: () => true,
    likelihood: (f) => hiIf(f.agent.exposure === 'internet', f.agent.exposure === 'internal' ? 'medium' : 'low'),
    impact: (f) => hiIf(f.actsOnWorld || f.sensitiveData),
    scenario: () => 'Someone reaches the gateway without a key, or with a leaked one, and acts as a trusted client.',
    controls: ['C-AUTH', 'C-TLS-LISTEN'],
  },
  {
    id: 'TM-13', title: 'Repudiation: actions without a trustworthy record', stride: ['Repudiation'],
    owaspLlm: [], owaspAgentic: ['ASI10 Rogue Agents'],
    applies: (f) => f.actsOnWorld || f.sensitiveData,
    likelihood: () => 'medium',
    impact: (f) => hiIf(f.has('payment') || f.sensitiveData),
    scenario: () => 'After an incident nobody can show which prompt led to which tool call, or the log was edited afterwards.',
    controls: ['C-AUDIT'],
  },
  {
    id: 'TM-14', title: 'Harmful or misleading output trusted by people', stride: ['Tampering'],
    owaspLlm: ['LLM05:2025 Improper Output Handling', 'LLM09:2025 Misinformation'], owaspAgentic: ['ASI09 Human-Agent Trust Exploitation'],
    applies: (f) => f.agent.users !== 'operator' || f.agent.channels.length > 0,
    likelihood: (f) => (f.agent.users === 'public' ? 'high' : 'medium'),
    impact: () => 'medium',
    scenario: () => 'The agent produces toxic, dangerous or confidently wrong answers that users act on.',
    controls: ['C-MODERATION', 'C-APPROVALS'],
  },
  {
    id: 'TM-15', title: 'Eavesdropping and tampering on the wire', stride: ['Information disclosure', 'Tampering'],
    owaspLlm: [], owaspAgentic: [],
    applies: (f) => f.agent.upstreams.length > 0 || f.agent.exposure !== 'local',
    likelihood: () => 'low',
    impact: () => 'high',
    scenario: () => 'Prompts, answers and the injected provider key are read or changed between client, gateway and provider.',
    controls: ['C-TLS-UPSTREAM', 'C-TLS-LISTEN'],
  },
];

export type ThreatStatus = 'mitigated' | 'partially mitigated' | 'unmitigated' | 'not assessed';

export interface ControlAssessment {
  readonly id: string;
  readonly title: string;
  readonly check: string;
  readonly status: ControlStatus;
}

export interface Threat {
  readonly id: string;
  readonly title: string;
  readonly stride: readonly Stride[];
  readonly owaspLlm: readonly string[];
  readonly owaspAgentic: readonly string[];
  readonly scenario: string;
  readonly likelihood: Level;
  readonly impact: Level;
  /** likelihood × impact, 1..9. */
  readonly risk: number;
  readonly controls: readonly ControlAssessment[];
  readonly status: ThreatStatus;
}

export interface ThreatModel {
  readonly agent: AgentDescription;
  /** Whether a ClawGuard config was given (otherwise controls are `not-assessed`). */
  readonly configAssessed: boolean;
  readonly threats: readonly Threat[];
  readonly summary: Record<ThreatStatus, number>;
}

function threatStatus(controls: readonly ControlAssessment[], assessed: boolean): ThreatStatus {
  if (!assessed) return 'not assessed';
  const judged = controls.filter((c) => c.status !== 'manual');
  if (judged.length === 0) return 'not assessed';
  if (judged.every((c) => c.status === 'enforced')) return 'mitigated';
  if (judged.every((c) => c.status === 'missing')) return 'unmitigated';
  return 'partially mitigated';
}

/**
 * Builds the threat model for an agent, judging each control against a ClawGuard config when given
 * (and the agent's own openclaw.json, for the controls that live there).
 */
export function buildThreatModel(description: unknown, clawguardConfig?: unknown, openclawConfig?: unknown): ThreatModel {
  const agent = agentDescriptionSchema.parse(description ?? {});
  const f = facts(agent);
  const assessed = clawguardConfig !== undefined;
  const threats: Threat[] = [];
  for (const def of THREATS) {
    if (!def.applies(f)) continue;
    const likelihood = def.likelihood(f);
    const impact = def.impact(f);
    const controls = def.controls.map((id): ControlAssessment => {
      const control = CONTROL_BY_ID.get(id);
      if (!control) throw new Error(`threat ${def.id} names unknown control ${id}`);
      const verdict = control.evaluate(clawguardConfig, openclawConfig);
      const status: ControlStatus = verdict === 'manual' || assessed || (openclawConfig !== undefined && id === 'C-SANDBOX') ? verdict : 'not-assessed';
      return { id, title: control.title, check: control.check, status };
    });
    threats.push({
      id: def.id,
      title: def.title,
      stride: def.stride,
      owaspLlm: def.owaspLlm,
      owaspAgentic: def.owaspAgentic,
      scenario: def.scenario(f),
      likelihood,
      impact,
      risk: LEVEL_SCORE[likelihood] * LEVEL_SCORE[impact],
      controls,
      status: threatStatus(controls, assessed),
    });
  }
  threats.sort((a, b) => b.risk - a.risk || (a.id < b.id ? -1 : 1));
  const summary: Record<ThreatStatus, number> = { mitigated: 0, 'partially mitigated': 0, unmitigated: 0, 'not assessed': 0 };
  for (const t of threats) summary[t.status]++;
  return { agent, configAssessed: assessed, threats, summary };
}

export function threatModelToJson(model: ThreatModel): string {
  return `${JSON.stringify(model, null, 2)}\n`;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

export function threatModelToMarkdown(model: ThreatModel): string {
  const a = model.agent;
  const out: string[] = [];
  out.push(`# Threat model: ${a.name}`, '');
  if (a.description) out.push(a.description, '');
  out.push(
    `- Exposure: ${a.exposure}; users: ${a.users}; autonomy: ${a.autonomy}`,
    `- Channels: ${a.channels.join(', ') || 'none'}; upstreams: ${a.upstreams.join(', ') || 'none'}`,
    `- Data classes: ${a.dataClasses.join(', ') || 'none declared'}`,
    `- Tools: ${a.tools.map((t) => (typeof t === 'string' ? t : t.name)).join(', ') || 'none'}`,
    `- Knowledge base: ${a.knowledgeBase ? 'yes' : 'no'}; memory: ${a.memory ? 'yes' : 'no'}; self-hosted models: ${a.selfHostedModels ? 'yes' : 'no'}`,
    '',
  );
  out.push(
    model.configAssessed
      ? `Controls judged against the ClawGuard config: ${model.summary.mitigated} mitigated, ${model.summary['partially mitigated']} partially mitigated, ${model.summary.unmitigated} unmitigated.`
      : 'No ClawGuard config given: controls are listed but not assessed (pass `--config`).',
    '',
  );
  out.push('| ID | Threat | STRIDE | OWASP | Likelihood | Impact | Risk | Status |', '|---|---|---|---|---|---|---|---|');
  for (const t of model.threats) {
    const owasp = [...t.owaspLlm.map((o) => o.split(' ')[0]), ...t.owaspAgentic.map((o) => o.split(' ')[0])].join(', ');
    out.push(`| ${t.id} | ${cell(t.title)} | ${t.stride.join(', ')} | ${owasp} | ${t.likelihood} | ${t.impact} | ${t.risk} | ${t.status} |`);
  }
  out.push('');
  for (const t of model.threats) {
    out.push(`## ${t.id} ${t.title}`, '', t.scenario, '');
    out.push(`- STRIDE: ${t.stride.join(', ')}`);
    if (t.owaspLlm.length) out.push(`- OWASP LLM Top 10 (2025): ${t.owaspLlm.join('; ')}`);
    if (t.owaspAgentic.length) out.push(`- OWASP Top 10 for Agentic Applications: ${t.owaspAgentic.join('; ')}`);
    out.push(`- Likelihood ${t.likelihood}, impact ${t.impact}, risk ${t.risk}/9: **${t.status}**`, '', 'Controls:', '');
    for (const c of t.controls) out.push(`- \`${c.id}\` ${c.title}: **${c.status}** (${c.check})`);
    out.push('');
  }
  return `${out.join('\n')}`;
}

/**
 * The ClawGuard config inside a parsed YAML value: the value itself, or, for a Kubernetes
 * ConfigMap (as shipped in deploy/), the first `data` entry that parses to a ClawGuard config.
 */
export function clawguardConfigFrom(value: unknown): unknown {
  if (!isRecord(value) || value.kind !== 'ConfigMap' || !isRecord(value.data)) return value;
  for (const text of Object.values(value.data)) {
    if (typeof text !== 'string') continue;
    try {
      const inner: unknown = parseYamlText(text);
      if (isRecord(inner) && (inner.upstreams !== undefined || inner.server !== undefined || inner.guards !== undefined)) return inner;
    } catch {
      // not YAML: try the next entry
    }
  }
  return value;
}
