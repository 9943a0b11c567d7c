import { z } from 'zod';
import { type Finding, findingFor, type Guard, type GuardFactory, type PayloadSummary, type Segment } from '../../core/index.js';

export const limitsConfigSchema = z.strictObject({
  /** Largest request body accepted, in bytes. Enforced while reading the body (413). */
  maxBodyBytes: z.number().int().positive().default(4 * 1024 * 1024),
  maxMessages: z.number().int().positive().default(1000),
  maxSegmentChars: z.number().int().positive().default(400_000),
  maxRequestChars: z.number().int().positive().default(2_000_000),
  /** Longest model output, summed over all output segments (streams too). */
  maxOutputChars: z.number().int().positive().default(400_000),
});
export type LimitsConfig = z.infer<typeof limitsConfigSchema>;

/** Size limits: a cheap first line against resource exhaustion and context stuffing. */
export const limitsGuardFactory: GuardFactory<LimitsConfig> = {
  name: 'limits',
  description: 'Maximum body size, message count, characters per segment, per request and per response.',
  schema: limitsConfigSchema,
  create(config, options): Guard {
    return {
      id: options.id,
      fingerprint: `limits:${JSON.stringify(config)}`,
      failOpen: options.failOpen,
      timeoutMs: options.timeoutMs,
      inspect(segment: Segment): Finding[] {
        if (segment.text.length > config.maxSegmentChars) {
          return [findingFor(options.id, segment, 'limits.segment_chars', 1, `segment has ${segment.text.length} characters, limit ${config.maxSegmentChars}`)];
        }
        return [];
      },
      inspectPayload(payload: PayloadSummary): Finding[] {
        const findings: Finding[] = [];
        const first = payload.segments[0];
        const segmentId = first?.id ?? '$';
        if (payload.direction === 'input' && payload.messageCount > config.maxMessages) {
          findings.push({ guard: options.id, type: 'limits.messages', score: 1, segmentId, reason: `${payload.messageCount} messages, limit ${config.maxMessages}` });
        }
        let total = payload.totalChars ?? 0;
        if (payload.totalChars === undefined) for (const s of payload.segments) total += s.text.length;
        const limit = payload.direction === 'input' ? config.maxRequestChars : config.maxOutputChars;
        if (total > limit) {
          findings.push({
            guard: options.id,
            type: payload.direction === 'input' ? 'limits.request_chars' : 'limits.output_chars',
            score: 1,
            segmentId,
            reason: `${total} characters in total, limit ${limit}`,
          });
        }
        return findings;
      },
    };
  },
};
