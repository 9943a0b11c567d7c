import { z } from 'zod';
import { type Finding, findingFor, type Guard, type GuardFactory, type Segment } from '../../core/index.js';

export const invisibleConfigSchema = z.strictObject({
  zeroWidth: z.boolean().default(true),
  bidi: z.boolean().default(true),
  /** Unicode tag characters U+E0000–U+E007F: invisible ASCII, the carrier of "ASCII smuggling". */
  tags: z.boolean().default(true),
});
export type InvisibleConfig = z.infer<typeof invisibleConfigSchema>;

type Kind = 'zero_width' | 'bidi' | 'tag';

function classify(cp: number): Kind | undefined {
  if (cp === 0x200b || cp === 0x200c || cp === 0x200d || cp === 0x2060 || cp === 0xfeff || cp === 0x180e || cp === 0x2061 || cp === 0x2062 || cp === 0x2063 || cp === 0x2064) return 'zero_width';
  if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp === 0x200e || cp === 0x200f || cp === 0x061c) return 'bidi';
  if (cp >= 0xe0000 && cp <= 0xe007f) return 'tag';
  return undefined;
}

const SCORE: Record<Kind, number> = { zero_width: 0.6, bidi: 0.7, tag: 1 };
// Fast pre-check: every character we report lies in one of these ranges.
const CANDIDATE = /[\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]|\udb40[\udc00-\udc7f]/;

/**
 * Invisible characters: one finding per run of the same kind, with its span, so `redact` with an
 * empty replacement strips exactly them. Tag characters score 1 (they carry hidden instructions).
 */
export const invisibleTextGuardFactory: GuardFactory<InvisibleConfig> = {
  name: 'invisible-text',
  description: 'Zero-width characters, bidirectional controls and Unicode tag characters.',
  schema: invisibleConfigSchema,
  create(config, options): Guard {
    const enabled: Record<Kind, boolean> = { zero_width: config.zeroWidth, bidi: config.bidi, tag: config.tags };
    return {
      id: options.id,
      fingerprint: `invisible-text:${JSON.stringify(config)}`,
      failOpen: options.failOpen,
      timeoutMs: options.timeoutMs,
      maxSpan: 2,
      // Only a lone high surrogate (half of a tag character) can still change meaning.
      pendingSuffix: (text: string) => {
        const last = text.charCodeAt(text.length - 1);
        return last >= 0xd800 && last <= 0xdbff ? 1 : 0;
      },
      inspect(segment: Segment): Finding[] {
        const text = segment.text;
        if (!CANDIDATE.test(text)) return [];
        const findings: Finding[] = [];
        let run: { kind: Kind; start: number; end: number; count: number } | undefined;
        const close = (): void => {
          if (!run) return;
          findings.push(
            findingFor(options.id, segment, `invisible.${run.kind}`, SCORE[run.kind], `${run.count} invisible ${run.kind.replace('_', '-')} character(s)`, {
              start: run.start,
              end: run.end,
            }),
          );
          run = undefined;
        };
        for (let i = 0; i < text.length; ) {
          const cp = text.codePointAt(i)!;
          const width = cp > 0xffff ? 2 : 1;
          const kind = classify(cp);
          if (kind && enabled[kind]) {
            if (run && run.kind === kind && run.end === i) {
              run.end = i + width;
              run.count++;
            } else {
              close();
              run = { kind, start: i, end: i + width, count: 1 };
            }
          } else if (run) {
            close();
          }
          i += width;
        }
        close();
        return findings;
      },
    };
  },
};
