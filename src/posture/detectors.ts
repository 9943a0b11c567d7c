import type { Finding, Guard, Segment } from '../core/index.js';
import { findingFor } from '../core/index.js';

/**
 * The detectors the file and knowledge-base scans run. They are ordinary guards (the same contract
 * as the gateway's), so the full secrets, PII and injection families plug in unchanged; the
 * baseline below is a deliberately small, high-precision fallback used when none are supplied.
 */
export interface PostureDetectors {
  readonly secrets: readonly Guard[];
  readonly injection: readonly Guard[];
  readonly pii: readonly Guard[];
}

interface Pattern {
  readonly type: string;
  readonly re: RegExp;
  readonly check?: (match: RegExpExecArray) => boolean;
}

function shannon(value: string): number {
  const counts = new Map<string, number>();
  for (const ch of value) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / value.length;
    h -= p * Math.log2(p);
  }
  return h;
}

function luhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

const SECRET_PATTERNS: readonly Pattern[] = [
  { type: 'secret.private_key', re: /-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----/g },
  { type: 'secret.aws_access_key', re: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g },
  { type: 'secret.github_token', re: /\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{60,})\b/g },
  { type: 'secret.anthropic_key', re: /\bsk-ant-[a-z]+\d{0,2}-[A-Za-z0-9_-]{40,}/g },
  { type: 'secret.openai_key', re: /\bsk-(?!ant-)(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{32,}\b/g },
  { type: 'secret.slack_token', re: /\bxox[abposr]-[A-Za-z0-9-]{10,}\b/g },
  { type: 'secret.stripe_key', re: /\b[sr]k_live_[A-Za-z0-9]{20,}\b/g },
  { type: 'secret.google_api_key', re: /\bAIza[0-9A-Za-z_-]{35}\b/g },
  {
    type: 'secret.url_password',
    re: /\b[a-z][a-z0-9+.-]{1,20}:\/\/[^\s:@/'"]+:([^\s@/'"]{6,})@[^\s/'"]+/gi,
    check: (m) => !/^(\$|\{|<|password$|pass$|changeme$)/i.test(m[1] ?? ''),
  },
  {
    type: 'secret.assignment',
    re: /\b(?:password|passwd|secret|api[_-]?key|access[_-]?token|auth[_-]?token)\b["']?\s*[:=]\s*["']?([^\s"'`,;]{12,})/gi,
    check: (m) => {
      const v = m[1] ?? '';
      return !/^(\$|\{\{|env:|file:|vault:|<|process\.env)/i.test(v) && shannon(v) >= 3.5;
    },
  },
];

const INJECTION_PATTERNS: readonly Pattern[] = [
  { type: 'injection.override', re: /\b(?:ignore|disregard|forget)\s+(?:all\s+|any\s+)?(?:the\s+)?(?:previous|prior|above|earlier|preceding)\s+(?:instructions|prompts|rules|directions)/gi },
  { type: 'injection.role', re: /\byou\s+are\s+now\s+(?:in\s+)?(?:developer\s+mode|DAN|an?\s+unrestricted)/gi },
  { type: 'injection.exfiltration', re: /\b(?:reveal|print|repeat|output|show)\s+(?:me\s+)?(?:your|the)\s+(?:system\s+prompt|hidden\s+instructions|initial\s+instructions)/gi },
  { type: 'injection.delimiter', re: /<\|im_start\|>|<\|system\|>|\[\/?INST\]|<\/?system>/gi },
  { type: 'injection.agent_directive', re: /\b(?:AI|assistant|agent|model)s?\s*[:,]?\s*(?:must|should|are instructed to)\s+(?:now\s+)?(?:send|email|post|upload|forward|exfiltrate)\b/gi },
];

const PII_PATTERNS: readonly Pattern[] = [
  { type: 'pii.email', re: /\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b/g },
  { type: 'pii.us_ssn', re: /\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b/g },
  {
    type: 'pii.payment_card',
    re: /\b(?:\d[ -]?){12,18}\d\b/g,
    check: (m) => {
      const digits = m[0].replace(/\D/g, '');
      return digits.length >= 13 && digits.length <= 19 && luhn(digits);
    },
  },
];

function patternGuard(id: string, patterns: readonly Pattern[]): Guard {
  return {
    id,
    fingerprint: `${id}@baseline-1`,
    failOpen: false,
    timeoutMs: 5_000,
    inspect(segment: Segment): Finding[] {
      const out: Finding[] = [];
      for (const pattern of patterns) {
        const re = new RegExp(pattern.re.source, pattern.re.flags);
        for (let m = re.exec(segment.text); m; m = re.exec(segment.text)) {
          if (m[0] === '') {
            re.lastIndex++;
            continue;
          }
          if (pattern.check && !pattern.check(m)) continue;
          out.push(findingFor(id, segment, pattern.type, 0.9, `${pattern.type} pattern`, { start: m.index, end: m.index + m[0].length }));
        }
      }
      return out;
    },
  };
}

export function baselineDetectors(): PostureDetectors {
  return {
    secrets: [patternGuard('posture-baseline-secrets', SECRET_PATTERNS)],
    injection: [patternGuard('posture-baseline-injection', INJECTION_PATTERNS)],
    pii: [patternGuard('posture-baseline-pii', PII_PATTERNS)],
  };
}

/** A guard that could not answer is an error, never a clean file. */
export class DetectorError extends Error {}

/** Runs guards over one text (as an untrusted tool result, the way retrieved content reaches a model). */
export async function runDetectors(guards: readonly Guard[], id: string, text: string): Promise<Finding[]> {
  const segment: Segment = { id, direction: 'input', role: 'tool', kind: 'tool_result', text, trusted: false, path: [id] };
  const out: Finding[] = [];
  for (const guard of guards) {
    if (guard.appliesTo && !guard.appliesTo(segment)) continue;
    try {
      out.push(...(await guard.inspect(segment, { requestId: `posture:${id}`, direction: 'input' })));
    } catch (error) {
      throw new DetectorError(`detector ${guard.id} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return out;
}
