import RE2 from 're2';
import { z } from 'zod';
import { compileJsonPath } from './json-path.js';
import { isValidCidr } from './net.js';

const jsonPath = z.string().min(1).superRefine((p, ctx) => {
  try {
    compileJsonPath(p);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
  }
});

const FLAGS = /^[imsu]*$/;

/** One condition on the call's arguments: the values at `path` must match (any of them), or none must with `not`. */
export const matcherSchema = z
  .strictObject({
    /** JSON path into the arguments: `$.command`, `$.edits[*].newText`, `$..url`. */
    path: jsonPath,
    /** Shell-style glob (`*`, `?`) over the whole value. */
    glob: z.string().optional(),
    /** RE2 regular expression (linear time), searched in the value. */
    regex: z.string().optional(),
    flags: z.string().regex(FLAGS, 'flags may only be i, m, s, u').default(''),
    /** The value (an IP, a URL or `host:port`) has an address in one of these CIDR ranges. */
    cidr: z.array(z.string()).min(1).optional(),
    /** The value (a URL or a host) is one of these domains or a subdomain (`=d` exact, `*.d` only subdomains). */
    domain: z.array(z.string().min(1)).min(1).optional(),
    /** The value is a path under one of these prefixes, after `~`, `.` and `..` are resolved. */
    pathPrefix: z.array(z.string().min(1)).min(1).optional(),
    /** The value equals this JSON scalar. */
    equals: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(),
    /** The path selects something (true) or nothing (false). */
    exists: z.boolean().optional(),
    /** Inverts the condition. */
    not: z.boolean().default(false),
  })
  .superRefine((m, ctx) => {
    const kinds = (['glob', 'regex', 'cidr', 'domain', 'pathPrefix', 'equals', 'exists'] as const).filter((k) => m[k] !== undefined);
    if (kinds.length !== 1) ctx.addIssue({ code: 'custom', message: `give exactly one of glob, regex, cidr, domain, pathPrefix, equals, exists (got ${kinds.length === 0 ? 'none' : kinds.join(', ')})` });
    if (m.regex !== undefined) {
      try {
        new RE2(m.regex, m.flags);
      } catch (error) {
        ctx.addIssue({ code: 'custom', path: ['regex'], message: `not a valid RE2 (linear-time) regex: ${error instanceof Error ? error.message : String(error)}` });
      }
    }
    m.cidr?.forEach((c, i) => {
      if (!isValidCidr(c)) ctx.addIssue({ code: 'custom', path: ['cidr', i], message: `not a CIDR range: ${c}` });
    });
  });

/** Which built-in analyzers run on which arguments of a matched call. */
export const analyzeSchema = z.strictObject({
  /** Shell command lines (a string, or an argv array). */
  shell: z.array(jsonPath).optional(),
  /** Paths the tool reads. */
  read: z.array(jsonPath).optional(),
  /** Paths the tool writes, edits or deletes. */
  write: z.array(jsonPath).optional(),
  /** apply_patch / unified diff text: the files it touches are judged as writes. */
  patch: z.array(jsonPath).optional(),
  /** URLs the tool fetches or opens. */
  url: z.array(jsonPath).optional(),
  /** Free text (messages) whose links and images are judged as URLs. */
  text: z.array(jsonPath).optional(),
  /** Objects of environment variables the tool sets for a command (`LD_PRELOAD`, proxy bypass, history off). */
  env: z.array(jsonPath).optional(),
  /** A meta tool that calls another tool: judge the inner call by the same rules. */
  unwrap: z.strictObject({ tool: jsonPath, args: jsonPath }).optional(),
});

export const ruleSchema = z.strictObject({
  /** Glob (or globs) over the tool name. */
  tool: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  /** Every condition must hold. */
  when: z.array(matcherSchema).default([]),
  action: z.enum(['allow', 'deny', 'review']),
  /** Shown in findings and refusals; say why, never include argument values. */
  reason: z.string().optional(),
  analyze: analyzeSchema.optional(),
  /** Skip the built-in analyzers for calls this rule matches (a call the operator fully trusts). */
  trusted: z.boolean().default(false),
});

const level = z.enum(['deny', 'review', 'allow']);

export const PROFILES = ['openclaw', 'generic', 'none'] as const;

export const toolCallsConfigSchema = z.strictObject({
  /** Built-in rules and defaults that follow the operator's `rules`: `openclaw`, `generic` (any agent), or `none`. */
  profile: z.enum(PROFILES).default('generic'),
  /** Operator rules, judged before the profile's; first match wins. */
  rules: z.array(ruleSchema).default([]),
  /** Action for a tool no rule matches (overrides the profile's). */
  defaultAction: z.enum(['allow', 'deny', 'review']).optional(),
  /** Workspace roots the file tools may write in (overrides the profile's). */
  workspace: z.array(z.string().min(1)).optional(),
  /** The agent's home directory, when absolute paths under it should match `~/…` rules. */
  home: z.string().min(1).optional(),
  readOutsideWorkspace: level.optional(),
  writeOutsideWorkspace: level.optional(),
  domains: z
    .strictObject({
      /** Trusted domains (with subdomains): data may go there; exec network checks treat them as known hosts. */
      allow: z.array(z.string().min(1)).default([]),
      deny: z.array(z.string().min(1)).default([]),
    })
    .default({ allow: [], deny: [] }),
  unknownDomain: level.optional(),
  dataToUnknownDomain: level.optional(),
  privateNetwork: level.optional(),
  /** Per-category overrides, e.g. `{"shell.privilege_escalation": "review", "url.data_exfiltration": "allow"}`. */
  categories: z.record(z.string().regex(/^(?:shell|path|url|args)\.[a-z_]+$/, 'use AREA.CATEGORY, e.g. shell.destructive'), level).default({}),
  /** Tool globs the flow rule escalates to review after a tool result was flagged as injection (overrides the profile's). */
  highRisk: z.array(z.string().min(1)).optional(),
});

export type ToolCallsConfig = z.infer<typeof toolCallsConfigSchema>;
export type ToolRule = z.infer<typeof ruleSchema>;
export type ArgMatcher = z.infer<typeof matcherSchema>;
export type AnalyzeSpec = z.infer<typeof analyzeSchema>;
export type ToolAction = ToolRule['action'];
export type ToolRuleInput = z.input<typeof ruleSchema>;
