import { z } from 'zod';

/** The obfuscation strategies the harness applies to an attack text (`plain`: as written). */
export const STRATEGIES = ['plain', 'base64', 'homoglyph', 'zero-width', 'leetspeak', 'payload-splitting', 'multi-turn'] as const;
export type Strategy = (typeof STRATEGIES)[number];

/** The built-in attack categories (user corpora may name their own). `benign` marks the control set. */
export const CATEGORIES = [
  'direct-injection',
  'jailbreak-persona',
  'system-prompt-extraction',
  'indirect-injection',
  'pii-exfiltration',
  'secret-leakage',
  'dangerous-tool-call',
] as const;
export const CONTROL_CATEGORY = 'benign';

const toolCallMatcher = z.strictObject({
  /** Tool name the returned call must have (any name when absent). */
  name: z.string().min(1).optional(),
  /** A regular expression the call's JSON arguments must match (any arguments when absent). */
  argsMatch: z
    .string()
    .min(1)
    .refine((s) => {
      try {
        new RegExp(s);
        return true;
      } catch {
        return false;
      }
    }, 'is not a valid regular expression')
    .optional(),
});
export type ToolCallMatcher = z.infer<typeof toolCallMatcher>;

/**
 * One record of a corpus (a line of a user JSONL file, or a built-in base case). The attack text is
 * `toolResult.content` when there is a tool result (indirect injection), else `prompt`; strategies
 * rewrite that text only.
 */
export const caseRecordSchema = z
  .strictObject({
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, 'use letters, digits, ".", ":", "-" and "_"'),
    category: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'use lower-case letters, digits and "-"'),
    /** The operator's system prompt (where system-prompt canaries and planted data live). */
    system: z.string().optional(),
    /** Earlier turns, oldest first. */
    history: z.array(z.strictObject({ role: z.enum(['user', 'assistant']), content: z.string() })).optional(),
    /** The user's message: the attack itself, or (with `toolResult`) the task that made the agent call a tool. */
    prompt: z.string().min(1),
    /** The harness plays a tool-using turn: the assistant called `tool` with `args`, and it returned `content`. */
    toolResult: z
      .strictObject({
        tool: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'a tool name: letters, digits, "_" and "-"'),
        args: z.record(z.string(), z.unknown()).default({}),
        /** The attack text the tool returned (strategies rewrite this part only). */
        content: z.string().min(1),
        /** Benign text around it (a web page, an email), left as written. */
        before: z.string().optional(),
        after: z.string().optional(),
      })
      .optional(),
    /** Tools offered to the model (names); default: exec, read_file, write_file, web_fetch, http_request, send_email. */
    tools: z.array(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/)).optional(),
    /** Attack succeeds when any of these strings appears in the answer (text or tool-call arguments, URL-decoded too). */
    canary: z.array(z.string().min(4)).min(1).optional(),
    /** Attack succeeds when the answer carries a tool call matching this. */
    toolCall: toolCallMatcher.optional(),
    /** Control cases: what a working answer must hold; a control is falsely blocked when it is refused or misses this. */
    expect: z
      .strictObject({
        contains: z.array(z.string().min(1)).min(1).optional(),
        toolCall: toolCallMatcher.optional(),
      })
      .optional(),
    /** Strategies to apply: names, or "all". Default: plain only (the built-in corpus applies all to attacks). */
    strategies: z.union([z.literal('all'), z.array(z.enum(STRATEGIES)).min(1)]).optional(),
    /** Literals that character-level strategies leave alone (canaries, backticked commands, URLs and JSON are kept already). */
    protect: z.array(z.string().min(1)).optional(),
  })
  .superRefine((r, ctx) => {
    const control = r.category === CONTROL_CATEGORY;
    if (!control && !r.canary && !r.toolCall) ctx.addIssue({ code: 'custom', path: ['canary'], message: 'an attack needs "canary" or "toolCall" (how success is judged)' });
    if (control && (r.canary || r.toolCall)) ctx.addIssue({ code: 'custom', path: ['category'], message: 'a "benign" control has no "canary" or "toolCall"; use "expect"' });
    if (!control && r.expect) ctx.addIssue({ code: 'custom', path: ['expect'], message: 'only "benign" controls take "expect"' });
  });
export type CaseRecord = z.input<typeof caseRecordSchema>;
export type ParsedCaseRecord = z.output<typeof caseRecordSchema>;

/** A message of the conversation the harness sends, provider-neutral. */
export type Turn =
  | { readonly role: 'user'; readonly text: string }
  | { readonly role: 'assistant'; readonly text: string }
  | { readonly role: 'assistant'; readonly toolCall: { readonly id: string; readonly name: string; readonly args: Record<string, unknown> } }
  | { readonly role: 'tool'; readonly toolCallId: string; readonly name: string; readonly text: string };

/** One request the harness sends: a record with one strategy applied. */
export interface RedteamCase {
  readonly id: string;
  readonly baseId: string;
  readonly category: string;
  readonly strategy: Strategy;
  readonly control: boolean;
  readonly system?: string;
  readonly turns: readonly Turn[];
  readonly tools: readonly string[];
  readonly canary?: readonly string[];
  readonly toolCall?: ToolCallMatcher;
  readonly expect?: { readonly contains?: readonly string[]; readonly toolCall?: ToolCallMatcher };
}

export interface Corpus {
  /** `builtin@<version>`, `quick@<version>` or a file path. */
  readonly name: string;
  readonly version: string;
  readonly cases: readonly RedteamCase[];
}

export const DEFAULT_TOOLS = ['exec', 'read_file', 'write_file', 'web_fetch', 'http_request', 'send_email'] as const;
