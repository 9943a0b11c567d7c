import { type Finding, findingFor, type Guard, type GuardFactory, type Segment } from '../../core/index.js';
import { type ToolCallsConfig, toolCallsConfigSchema } from './config.js';
import { compileToolPolicy, evaluateToolCall } from './engine.js';
import { isShellParserReady, shellParserReady } from './shell/parser.js';

export { type ToolCallsConfig, toolCallsConfigSchema, PROFILES, type ToolRule, type ArgMatcher, type AnalyzeSpec } from './config.js';
export { compileToolPolicy, evaluateToolCall, toolCallsHighRisk, type CompiledToolPolicy, type ToolCallIssue, type ToolCallVerdict } from './engine.js';
export { flowEscalation, DEFAULT_HIGH_RISK, type FlowOptions } from './flow.js';
export { PROFILE_BY_NAME, openclawProfile, genericProfile, type ToolPolicyProfile } from './profiles/index.js';
export { analyzeUrl, urlsInText, type UrlPolicy } from './urls.js';
export { analyzePath, type PathPolicy } from './paths.js';
export { ShellAnalyzer, type ShellIssue, type ShellOptions } from './shell/analyzer.js';
export { shellParserReady } from './shell/parser.js';

/** Bumped when analyzer logic changes, so cached results of an older analyzer are not reused. */
export const TOOLCALLS_ANALYZER_VERSION = 1;

/**
 * Policy rules that map this guard's findings, in the order to put them in `policy.rules`:
 * review types to `review`, every other `toolcall.*` to `block` — for tool calls the model asks for
 * now (`output`). Tool calls in the history (`input`) already ran or were refused; their findings are
 * recorded, not acted on (blocking them would wedge the conversation on every later turn).
 */
export const TOOLCALLS_POLICY_RULES = [
  { type: 'toolcall.*', direction: 'input' as const, kind: ['tool_call' as const], action: 'allow' as const },
  { type: 'toolcall.review*', action: 'review' as const },
  { type: 'toolcall.*', action: 'block' as const },
];

function toFindings(id: string, segment: Segment, config: ReturnType<typeof compileToolPolicy>): Finding[] {
  const verdict = evaluateToolCall(config, segment.toolName ?? '', segment.text);
  return verdict.issues.map((i) => findingFor(id, segment, i.type, i.score, i.reason, i.span));
}

/**
 * The tool-call policy guard (`toolcalls`): judges every tool call — the ones the model asks for now
 * and the ones in the history — by rules per tool name with argument matchers, and by the shell,
 * path and URL analyzers. It finds; the policy decides (see `TOOLCALLS_POLICY_RULES`).
 */
export const toolCallsGuardFactory: GuardFactory<ToolCallsConfig> = {
  name: 'toolcalls',
  description: 'Tool-call policy: rules per tool and argument, shell/path/URL analyzers (remote code, credential reads, exfiltration, SSRF, …).',
  schema: toolCallsConfigSchema,
  create(config, options): Guard {
    const policy = compileToolPolicy(config);
    void shellParserReady().catch(() => undefined);
    return {
      id: options.id,
      fingerprint: `toolcalls:v${TOOLCALLS_ANALYZER_VERSION}:${JSON.stringify(config)}`,
      failOpen: options.failOpen,
      timeoutMs: options.timeoutMs,
      ready: () => shellParserReady(),
      appliesTo: (segment) => segment.kind === 'tool_call',
      inspect(segment): Finding[] | Promise<Finding[]> {
        if (isShellParserReady()) return toFindings(options.id, segment, policy);
        return shellParserReady().then(() => toFindings(options.id, segment, policy));
      },
    };
  },
};
