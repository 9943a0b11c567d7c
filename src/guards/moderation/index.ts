import RE2 from 're2';
import { z } from 'zod';
import { type Finding, findingFor, type Guard, type GuardContext, type GuardFactory, type Segment } from '../../core/index.js';
import { HARMFUL_DEFAULT_THRESHOLD, harmfulScore } from './classifier.js';
import { type ExternalVerdict, llamaGuardModeration, openAiModeration } from './external.js';
import { TermMatcher } from './terms.js';
import { lazySecret, secretRefSchema } from '../../secrets/secret-ref.js';

function re2Error(pattern: string, flags: string): string | undefined {
  try {
    new RE2(pattern, flags);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

export const moderationConfigSchema = z.strictObject({
  /** Which direction the guard looks at. Default: the model's output. */
  directions: z.array(z.enum(['input', 'output'])).min(1).default(['output']),
  /** Operator term lists: list name → words or phrases (whole-word, case-insensitive). Type `moderation.term.<list>`. */
  terms: z.record(z.string().regex(/^[a-z0-9_]+$/), z.array(z.string().min(1))).default({}),
  /** Operator patterns, RE2 (linear time). Type `moderation.pattern.<id>`. */
  patterns: z
    .array(
      z
        .strictObject({ id: z.string().regex(/^[a-z0-9_]+$/), pattern: z.string().min(1), flags: z.string().regex(/^[imsu]*$/).default('i') })
        .superRefine((p, ctx) => {
          const error = re2Error(p.pattern, p.flags);
          if (error) ctx.addIssue({ code: 'custom', path: ['pattern'], message: `not a valid RE2 (linear-time) regex: ${error}` });
        }),
    )
    .default([]),
  /** The trained harmful/toxic-content classifier. Type `moderation.harmful`, whole segment. */
  classifier: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Probability at or above which a segment is reported. */
      threshold: z.number().min(0).max(1).default(HARMFUL_DEFAULT_THRESHOLD),
    })
    .default({ enabled: true, threshold: HARMFUL_DEFAULT_THRESHOLD }),
  /**
   * Longest segment allowed, in characters. Longer text yields `moderation.length` spanning the
   * excess: a `redact` policy with a marker replacement truncates, `block` refuses.
   */
  maxChars: z.number().int().min(1).optional(),
  /** An external moderation service; fail-closed. Type `moderation.external.<category>`. */
  external: z
    .strictObject({
      kind: z.enum(['openai', 'llama_guard']),
      /** Full endpoint URL: `…/v1/moderations` or `…/v1/chat/completions`. */
      url: z.string().url(),
      /** Bearer token for the service, as a secret reference (`env:NAME`, `file:PATH`, …), read on first use. */
      apiKey: secretRefSchema.optional(),
      model: z.string().optional(),
      timeoutMs: z.number().int().min(1).max(60_000).default(3000),
      /** Llama Guard only: `server` lets the endpoint's chat template build the task prompt; `inline` sends it ourselves. */
      prompt: z.enum(['server', 'inline']).default('server'),
    })
    .optional(),
});
export type ModerationConfig = z.infer<typeof moderationConfigSchema>;

export const moderationGuardFactory: GuardFactory<ModerationConfig> = {
  name: 'moderation',
  description:
    'Output moderation: operator term lists and RE2 patterns, a trained harmful/toxic-content classifier, length limits, and external services (OpenAI moderations, Llama Guard), fail-closed.',
  schema: moderationConfigSchema,
  create(config, options): Guard {
    const terms = new TermMatcher(config.terms);
    const patterns = config.patterns.map((p) => ({ id: p.id, re: new RE2(p.pattern, `${p.flags}gu`) }));
    const directions = new Set(config.directions);
    const wholeSegment = config.classifier.enabled || config.external !== undefined;
    const external = config.external;
    const apiKey = external?.apiKey ? lazySecret(external.apiKey) : undefined;

    const local = (segment: Segment): Finding[] => {
      const text = segment.text;
      const findings: Finding[] = [];
      for (const hit of terms.find(text)) {
        findings.push(findingFor(options.id, segment, `moderation.term.${hit.list}`, 1, `term from list "${hit.list}"`, { start: hit.start, end: hit.end }));
      }
      for (const p of patterns) {
        p.re.lastIndex = 0;
        let m: RegExpExecArray | null;
        while ((m = p.re.exec(text)) !== null) {
          if (m[0].length === 0) {
            p.re.lastIndex++;
            continue;
          }
          findings.push(findingFor(options.id, segment, `moderation.pattern.${p.id}`, 1, `pattern "${p.id}"`, { start: m.index, end: m.index + m[0].length }));
        }
      }
      if (config.maxChars !== undefined && text.length > config.maxChars) {
        findings.push(
          findingFor(options.id, segment, 'moderation.length', 1, `segment is ${text.length} characters, over the ${config.maxChars} limit`, {
            start: config.maxChars,
            end: text.length,
          }),
        );
      }
      if (config.classifier.enabled && text.trim().length > 0) {
        const score = harmfulScore(text);
        if (score >= config.classifier.threshold) {
          findings.push(findingFor(options.id, segment, 'moderation.harmful', score, `harmful or toxic content (classifier, p=${score.toFixed(2)})`));
        }
      }
      return findings;
    };

    const fromExternal = (segment: Segment, verdict: ExternalVerdict): Finding[] =>
      verdict.flagged
        ? Object.entries(verdict.categories).map(([category, score]) =>
            findingFor(options.id, segment, `moderation.external.${category.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}`, score, `external moderation: ${category}`),
          )
        : [];

    return {
      id: options.id,
      fingerprint: `moderation:1:${JSON.stringify({ ...config, external: external ? { ...external, apiKey: external.apiKey ? 'set' : '' } : undefined })}`,
      failOpen: options.failOpen,
      timeoutMs: options.timeoutMs,
      // The classifier and external services judge whole segments; term/pattern/length checks alone can stream.
      ...(wholeSegment ? {} : { maxSpan: Math.max(1, terms.longest, 256) }),
      appliesTo: (segment: Segment) => directions.has(segment.direction),
      inspect(segment: Segment, ctx: GuardContext): Finding[] | Promise<Finding[]> {
        const found = local(segment);
        if (!external || segment.text.trim().length === 0) return found;
        const check = async (): Promise<ExternalVerdict> => {
          const { apiKey: _ref, ...service } = external;
          const options = { ...service, ...(apiKey ? { apiKey: await apiKey() } : {}), ...(ctx.signal ? { signal: ctx.signal } : {}) };
          return external.kind === 'openai'
            ? openAiModeration(segment.text, options)
            : llamaGuardModeration(segment.text, segment.direction === 'input' ? 'user' : 'assistant', options);
        };
        return check().then((verdict) => [...found, ...fromExternal(segment, verdict)]);
      },
    };
  },
};

export { harmfulScore, HARMFUL_DEFAULT_THRESHOLD } from './classifier.js';
export { llamaGuardModeration, llamaGuardPrompt, openAiModeration, parseLlamaGuard, LLAMA_GUARD_CATEGORIES } from './external.js';
export { TermMatcher } from './terms.js';
