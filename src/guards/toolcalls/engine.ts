import RE2 from 're2';
import { globMatch, type Span } from '../../core/index.js';
import { type AnalyzeSpec, type ArgMatcher, ruleSchema, type ToolAction, type ToolCallsConfig, type ToolRule } from './config.js';
import { locateInJson, selectJsonPath, selectStrings } from './json-path.js';
import { cidrContains, domainMatches, hostOf } from './net.js';
import { analyzePath, type PathPolicy, patchPaths } from './paths.js';
import { PROFILE_BY_NAME, type ToolPolicyProfile } from './profiles/index.js';
import { normalizePath, type Level } from './sensitive.js';
import { ShellAnalyzer, type ShellOptions } from './shell/analyzer.js';
import { analyzeUrl, type UrlPolicy, urlsInText } from './urls.js';

/** One reason a tool call is not simply allowed. */
export interface ToolCallIssue {
  /** `toolcall.deny`, `toolcall.review`, `toolcall.<area>.<category>` (deny) or `toolcall.review.<area>.<category>` (review). */
  readonly type: string;
  readonly score: number;
  readonly reason: string;
  /** Offsets into the arguments text, where the offending part could be located. */
  readonly span?: Span;
}

export interface ToolCallVerdict {
  readonly action: ToolAction;
  readonly issues: ToolCallIssue[];
  /** Index of the rule that matched (operator rules first, then the profile's), or -1 for the default. */
  readonly rule: number;
}

interface CompiledMatcher {
  readonly path: string;
  readonly not: boolean;
  test(values: unknown[]): boolean;
}

interface CompiledRule {
  readonly rule: ToolRule;
  readonly tools: readonly string[];
  readonly when: readonly CompiledMatcher[];
}

/** A tool policy ready to judge calls: the operator's rules, then the profile's, with analyzer settings. */
export interface CompiledToolPolicy {
  readonly profile: ToolPolicyProfile;
  readonly rules: readonly CompiledRule[];
  readonly defaultAction: ToolAction;
  readonly shell: ShellOptions;
  readonly paths: PathPolicy;
  readonly urls: UrlPolicy;
  readonly categories: ReadonlyMap<string, Level | 'allow'>;
  readonly highRisk: readonly string[];
}

function scalarText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

function compileMatcher(m: ArgMatcher, home: string | undefined): CompiledMatcher {
  let test: (values: unknown[]) => boolean;
  const strings = (values: unknown[]): string[] => values.flatMap((v) => (Array.isArray(v) ? v.map(scalarText) : [scalarText(v)])).filter((s): s is string => s !== undefined);
  if (m.exists !== undefined) {
    const want = m.exists;
    test = (values) => values.length > 0 === want;
  } else if (m.equals !== undefined) {
    const want = m.equals;
    test = (values) => values.some((v) => v === want);
  } else if (m.glob !== undefined) {
    const glob = m.glob;
    test = (values) => strings(values).some((s) => globMatch(glob, s));
  } else if (m.regex !== undefined) {
    const re = new RE2(m.regex, `${m.flags}u`);
    test = (values) => strings(values).some((s) => re.test(s));
  } else if (m.cidr !== undefined) {
    const cidrs = m.cidr;
    test = (values) =>
      strings(values).some((s) => {
        const host = hostOf(s) ?? s.replace(/:\d+$/, '');
        return cidrs.some((c) => cidrContains(c, host));
      });
  } else if (m.domain !== undefined) {
    const domains = m.domain;
    test = (values) =>
      strings(values).some((s) => {
        const host = hostOf(s) ?? hostOf(`http://${s}`);
        return !!host && domains.some((d) => domainMatches(d, host));
      });
  } else {
    const prefixes = (m.pathPrefix ?? []).map((p) => normalizePath(p, home));
    test = (values) =>
      strings(values).some((s) => {
        const n = normalizePath(s, home);
        return prefixes.some((p) => n === p || n.startsWith(p.endsWith('/') ? p : `${p}/`));
      });
  }
  return { path: m.path, not: m.not, test };
}

/** Builds the policy for a guard instance or the `check` command. */
export function compileToolPolicy(config: ToolCallsConfig): CompiledToolPolicy {
  const profile = PROFILE_BY_NAME[config.profile];
  const rules = [...config.rules, ...profile.rules.map((r) => ruleSchema.parse(r))].map((rule) => ({
    rule,
    tools: Array.isArray(rule.tool) ? rule.tool : [rule.tool],
    when: rule.when.map((m) => compileMatcher(m, config.home)),
  }));
  const trusted = [...profile.trustedDomains, ...config.domains.allow];
  const deny = config.domains.deny;
  return {
    profile,
    rules,
    defaultAction: config.defaultAction ?? profile.defaultAction,
    shell: {
      knownHost: (host) => !deny.some((d) => domainMatches(d, host)) && trusted.some((d) => domainMatches(d, host)),
      ...(config.home === undefined ? {} : { home: config.home }),
    },
    paths: {
      workspace: config.workspace ?? profile.workspace,
      ...(config.home === undefined ? {} : { home: config.home }),
      readOutside: config.readOutsideWorkspace ?? profile.readOutside,
      writeOutside: (config.workspace ?? profile.workspace).length === 0 ? 'allow' : (config.writeOutsideWorkspace ?? profile.writeOutside),
      protectedFiles: profile.protectedFiles,
    },
    urls: {
      allow: config.domains.allow,
      deny,
      unknownDomain: config.unknownDomain ?? profile.unknownDomain,
      dataToUnknown: config.dataToUnknownDomain ?? profile.dataToUnknownDomain,
      privateNetwork: config.privateNetwork ?? profile.privateNetwork,
    },
    categories: new Map(Object.entries(config.categories)),
    highRisk: config.highRisk ?? profile.highRisk,
  };
}

function argvToCommand(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

const SEVERITY: Record<ToolAction, number> = { allow: 0, review: 1, deny: 2 };

const MAX_UNWRAP = 3;

class Evaluation {
  readonly issues: ToolCallIssue[] = [];
  action: ToolAction = 'allow';

  constructor(
    private readonly policy: CompiledToolPolicy,
    private readonly raw: string,
  ) {}

  raise(action: ToolAction): void {
    if (SEVERITY[action] > SEVERITY[this.action]) this.action = action;
  }

  /** Adds an analyzer issue after the operator's per-category override. */
  analyzer(area: string, category: string, level: Level, score: number, reason: string, span?: Span): void {
    const override = this.policy.categories.get(`${area}.${category}`);
    const effective = override ?? level;
    if (effective === 'allow') return;
    const type = effective === 'deny' ? `toolcall.${area}.${category}` : `toolcall.review.${area}.${category}`;
    this.issues.push(span ? { type, score, reason, span } : { type, score, reason });
    this.raise(effective);
  }

  run(tool: string, args: unknown, depth: number): number {
    const matched = this.policy.rules.findIndex((r) => r.tools.some((t) => globMatch(t, tool)) && r.when.every((m) => m.test(selectJsonPath(args, m.path)) !== m.not));
    const rule = matched >= 0 ? this.policy.rules[matched]!.rule : undefined;
    const action = rule?.action ?? this.policy.defaultAction;
    const why = rule?.reason ?? (rule ? `rule ${matched + 1}` : `default of the "${this.policy.profile.name}" profile`);
    if (action === 'deny') {
      this.issues.push({ type: 'toolcall.deny', score: 1, reason: `tool "${tool}" denied: ${why}` });
      this.raise('deny');
      return matched;
    }
    if (action === 'review') {
      this.issues.push({ type: 'toolcall.review', score: 1, reason: `tool "${tool}" needs review: ${why}` });
      this.raise('review');
    }
    if (rule?.analyze && !rule.trusted) this.analyze(rule.analyze, args, depth);
    return matched;
  }

  private span(value: string, start: number, end: number): Span | undefined {
    const at = locateInJson(this.raw, value);
    if (!at) return undefined;
    return { start: at(start), end: at(Math.max(start, end)) };
  }

  private analyze(spec: AnalyzeSpec, args: unknown, depth: number): void {
    const p = this.policy;
    for (const path of spec.shell ?? []) {
      for (const v of selectJsonPath(args, path)) {
        const command = typeof v === 'string' ? v : Array.isArray(v) && v.every((x) => typeof x === 'string') ? argvToCommand(v as string[]) : undefined;
        if (command === undefined || command.trim() === '') continue;
        for (const i of new ShellAnalyzer(p.shell).analyze(command).issues) {
          this.analyzer('shell', i.category, i.level, i.score, i.reason, typeof v === 'string' ? this.span(command, i.start, i.end) : undefined);
        }
      }
    }
    for (const path of spec.env ?? []) {
      for (const v of selectJsonPath(args, path)) {
        if (v === null || typeof v !== 'object' || Array.isArray(v)) continue;
        const entries = Object.entries(v as Record<string, unknown>).filter(([k, val]) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) && typeof val === 'string');
        if (entries.length === 0) continue;
        const line = `env ${entries.map(([k, val]) => `${k}=${argvToCommand([val as string])}`).join(' ')} true`;
        for (const i of new ShellAnalyzer(p.shell).analyze(line).issues) this.analyzer('shell', i.category, i.level, i.score, `env argument: ${i.reason}`);
      }
    }
    const paths = (paths: readonly string[] | undefined, mode: 'read' | 'write'): void => {
      for (const path of paths ?? []) {
        for (const s of selectStrings(args, path)) {
          for (const i of analyzePath(s, mode, p.paths)) this.analyzer('path', i.category, i.level, i.score, i.reason, this.span(s, 0, s.length));
        }
      }
    };
    paths(spec.read, 'read');
    paths(spec.write, 'write');
    for (const path of spec.patch ?? []) {
      for (const s of selectStrings(args, path)) {
        for (const f of patchPaths(s)) {
          for (const i of analyzePath(f.path, 'write', p.paths)) this.analyzer('path', i.category, i.level, i.score, `patch: ${i.reason}`, this.span(s, f.start, f.end));
        }
      }
    }
    for (const path of spec.url ?? []) {
      for (const s of selectStrings(args, path)) {
        for (const i of analyzeUrl(s, p.urls)) this.analyzer('url', i.category, i.level, i.score, i.reason, this.span(s, 0, s.length));
      }
    }
    for (const path of spec.text ?? []) {
      for (const s of selectStrings(args, path)) {
        for (const u of urlsInText(s)) {
          for (const i of analyzeUrl(u.url, { ...p.urls, dataToUnknown: p.urls.dataToUnknown === 'allow' ? 'allow' : u.image ? 'deny' : p.urls.dataToUnknown })) {
            this.analyzer('url', i.category, i.level, i.score, `${u.image ? 'image' : 'link'} in message: ${i.reason}`, this.span(s, u.start, u.end));
          }
        }
      }
    }
    if (spec.unwrap) {
      const inner = selectStrings(args, spec.unwrap.tool)[0];
      if (inner === undefined) return;
      if (depth >= MAX_UNWRAP) {
        this.issues.push({ type: 'toolcall.review.args.nesting', score: 0.8, reason: 'tool calls nested too deep to judge' });
        this.raise('review');
        return;
      }
      const innerArgs = selectJsonPath(args, spec.unwrap.args)[0] ?? {};
      const before = this.issues.length;
      this.run(inner, innerArgs, depth + 1);
      for (let k = before; k < this.issues.length; k++) {
        const i = this.issues[k]!;
        this.issues[k] = { type: i.type, score: i.score, reason: `via ${inner}: ${i.reason}`, ...(i.span ? { span: i.span } : {}) };
      }
    }
  }
}

/** Tool globs the flow rule treats as high risk for this config (its `highRisk`, else the profile's). */
export function toolCallsHighRisk(config: ToolCallsConfig): readonly string[] {
  return config.highRisk ?? PROFILE_BY_NAME[config.profile].highRisk;
}

/** Judges one tool call: the first rule that matches, then the analyzers it names. Requires the shell parser to be loaded. */
export function evaluateToolCall(policy: CompiledToolPolicy, tool: string, argsText: string): ToolCallVerdict {
  const evaluation = new Evaluation(policy, argsText);
  let args: unknown = {};
  if (argsText.trim() !== '') {
    try {
      args = JSON.parse(argsText);
    } catch {
      evaluation.issues.push({ type: 'toolcall.review.args.malformed', score: 0.8, reason: 'the arguments are not valid JSON, so they could not be judged' });
      evaluation.raise('review');
      args = argsText;
    }
  }
  const rule = evaluation.run(tool, args, 0);
  return { action: evaluation.action, issues: evaluation.issues, rule };
}
