import RE2 from 're2';
import { z } from 'zod';
import { type Finding, findingFor, type Guard, type GuardFactory, type Segment } from '../../core/index.js';

const FLAGS = /^[imsu]*$/;

function compileError(pattern: string, flags: string): string | undefined {
  try {
    new RE2(pattern, flags);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

const patternSchema = z
  .strictObject({
    /** Names the finding type: `pattern.<id>`. */
    id: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'use lower-case letters, digits, - and _'),
    pattern: z.string().min(1),
    flags: z.string().regex(FLAGS, 'flags may only be i, m, s, u').default('i'),
    score: z.number().min(0).max(1).default(1),
    description: z.string().optional(),
  })
  .superRefine((p, ctx) => {
    const error = compileError(p.pattern, p.flags);
    if (error) ctx.addIssue({ code: 'custom', path: ['pattern'], message: `not a valid RE2 (linear-time) regex: ${error}` });
  });

const allowSchema = z
  .strictObject({ pattern: z.string().min(1), flags: z.string().regex(FLAGS, 'flags may only be i, m, s, u').default('i') })
  .superRefine((p, ctx) => {
    const error = compileError(p.pattern, p.flags);
    if (error) ctx.addIssue({ code: 'custom', path: ['pattern'], message: `not a valid RE2 (linear-time) regex: ${error}` });
  });

export const patternsConfigSchema = z
  .strictObject({
    deny: z.array(patternSchema).default([]),
    /** A deny match that an allow pattern matches in full is dropped. */
    allow: z.array(allowSchema).default([]),
    /** Longest match reported; also how much text a stream holds back. */
    maxMatchChars: z.number().int().min(1).max(65_536).default(256),
  })
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.deny.forEach((p, i) => {
      if (seen.has(p.id)) ctx.addIssue({ code: 'custom', path: ['deny', i, 'id'], message: `duplicate pattern id "${p.id}"` });
      seen.add(p.id);
    });
  });
export type PatternsConfig = z.infer<typeof patternsConfigSchema>;

/**
 * Operator deny/allow lists compiled with RE2, whose matching time is linear in the input:
 * no pattern an operator writes can hang the process (no backtracking, no backreferences).
 */
export const patternsGuardFactory: GuardFactory<PatternsConfig> = {
  name: 'patterns',
  description: 'Operator-defined deny and allow regular expressions (RE2, linear time).',
  schema: patternsConfigSchema,
  create(config, options): Guard {
    const deny = config.deny.map((p) => ({ ...p, re: new RE2(p.pattern, `${p.flags}gu`) }));
    const allow = config.allow.map((p) => new RE2(`^(?:${p.pattern})$`, `${p.flags}u`));
    return {
      id: options.id,
      fingerprint: `patterns:${JSON.stringify(config)}`,
      failOpen: options.failOpen,
      timeoutMs: options.timeoutMs,
      maxSpan: deny.length === 0 ? 1 : config.maxMatchChars,
      inspect(segment: Segment): Finding[] {
        const findings: Finding[] = [];
        for (const p of deny) {
          p.re.lastIndex = 0;
          let m: RegExpExecArray | null;
          while ((m = p.re.exec(segment.text)) !== null) {
            const matched = m[0];
            if (matched.length === 0) {
              p.re.lastIndex++;
              continue;
            }
            if (allow.some((a) => a.test(matched))) continue;
            const end = Math.min(m.index + matched.length, m.index + config.maxMatchChars);
            findings.push(findingFor(options.id, segment, `pattern.${p.id}`, p.score, p.description ?? `matched deny pattern "${p.id}"`, { start: m.index, end }));
          }
        }
        return findings;
      },
    };
  },
};
