import { z } from 'zod';
import { lazySecret, secretRefSchema } from '../../secrets/secret-ref.js';
import { type Finding, findingFor, type Guard, type GuardContext, type GuardFactory, type Segment } from '../../core/index.js';

export const remoteClassifierConfigSchema = z.strictObject({
  /** Text-classification endpoint (Hugging Face TEI / inference style): POST {"inputs": text}. */
  url: z.url({ protocol: /^https?$/ }),
  /** Labels that mean "injection/jailbreak", compared case-insensitively. */
  maliciousLabels: z.array(z.string().min(1)).min(1).default(['INJECTION', 'JAILBREAK', 'MALICIOUS', 'LABEL_1']),
  /** Score at or above which a malicious label is reported. */
  threshold: z.number().min(0).max(1).default(0.5),
  /**
   * Extra request headers (e.g. `authorization` for the team's own endpoint). Each value is a secret
   * reference (`env:NAME`, `file:PATH`, …, holding the whole value: `Bearer …`), read on first use.
   */
  headers: z.record(z.string().min(1), secretRefSchema).default({}),
  /** Longest text sent in one request; longer texts go in overlapping chunks, all of them. */
  maxChars: z.number().int().min(64).default(2000),
  roles: z.array(z.enum(['system', 'developer', 'user', 'assistant', 'tool'])).default(['user', 'tool']),
});
export type RemoteClassifierConfig = z.infer<typeof remoteClassifierConfigSchema>;

interface LabelScore {
  label: string;
  score: number;
}

/** Accepts `[{label, score}]`, `[[{label, score}]]` and `{label, score}` / `{labels, scores}` shapes. */
export function parseClassification(body: unknown): LabelScore[] {
  const isLabelScore = (x: unknown): x is LabelScore =>
    typeof x === 'object' && x !== null && typeof (x as LabelScore).label === 'string' && typeof (x as LabelScore).score === 'number';
  if (Array.isArray(body)) {
    const flat = body.flat();
    if (flat.length > 0 && flat.every(isLabelScore)) return flat;
  } else if (isLabelScore(body)) return [body];
  else if (typeof body === 'object' && body !== null) {
    const { labels, scores } = body as { labels?: unknown; scores?: unknown };
    if (Array.isArray(labels) && Array.isArray(scores) && labels.length === scores.length) {
      return labels.map((label, i) => ({ label: String(label), score: Number(scores[i]) }));
    }
  }
  throw new Error('remote classifier returned an unrecognised response shape');
}

function chunks(text: string, size: number): { start: number; end: number }[] {
  if (text.length <= size) return [{ start: 0, end: text.length }];
  const step = Math.max(1, Math.floor(size * 0.75));
  const out: { start: number; end: number }[] = [];
  for (let start = 0; ; start += step) {
    const end = Math.min(text.length, start + size);
    out.push({ start, end });
    if (end === text.length) break;
  }
  return out;
}

/**
 * For teams that run a transformer detector (PromptGuard, deberta) themselves: asks their HTTP
 * text-classification endpoint. Any error, bad status or unreadable answer is thrown, so the
 * pipeline counts it as a failure (fail-closed unless the operator allows fail-open).
 */
export const remoteClassifierGuardFactory: GuardFactory<RemoteClassifierConfig> = {
  name: 'injection-remote',
  description: 'Prompt-injection classification by an operator-run HTTP text-classification endpoint.',
  schema: remoteClassifierConfigSchema,
  create(config, options): Guard {
    const malicious = new Set(config.maliciousLabels.map((l) => l.toUpperCase()));
    const roles = new Set<string>(config.roles);
    const headerValues = Object.entries(config.headers).map(([name, ref]) => [name, lazySecret(ref)] as const);
    const headers = async (): Promise<Record<string, string>> => {
      const out: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
      for (const [name, value] of headerValues) out[name] = await value();
      return out;
    };
    return {
      id: options.id,
      fingerprint: `injection-remote:${JSON.stringify({ ...config, headers: Object.keys(config.headers).sort() })}`,
      failOpen: options.failOpen,
      timeoutMs: options.timeoutMs,
      appliesTo: (segment: Segment) => !segment.trusted && roles.has(segment.role),
      async inspect(segment: Segment, ctx: GuardContext): Promise<Finding[]> {
        const findings: Finding[] = [];
        const requestHeaders = await headers();
        for (const part of chunks(segment.text, config.maxChars)) {
          const response = await fetch(config.url, {
            method: 'POST',
            headers: requestHeaders,
            body: JSON.stringify({ inputs: segment.text.slice(part.start, part.end) }),
            ...(ctx.signal ? { signal: ctx.signal } : {}),
          });
          if (!response.ok) throw new Error(`remote classifier answered HTTP ${response.status}`);
          const results = parseClassification(await response.json());
          let best: LabelScore | undefined;
          for (const r of results) if (malicious.has(r.label.toUpperCase()) && (!best || r.score > best.score)) best = r;
          if (best && best.score >= config.threshold) {
            findings.push(
              findingFor(options.id, segment, 'injection.remote', Math.max(0, Math.min(1, best.score)), `remote classifier label ${best.label} at ${Math.round(best.score * 100)}%`, part),
            );
          }
        }
        return findings;
      },
    };
  },
};
