import { z } from 'zod';
import { type Finding, findingFor, type Guard, type GuardFactory, type Segment, trailingTokenSuffix } from '../../core/index.js';
import { foldForScan, unfoldSpan } from '../../normalize/fold.js';
import { findNames, loadNameTagger } from './names.js';
import { type Candidate, findStructured } from './structured.js';

export const PII_ENTITIES = [
  'email',
  'phone',
  'credit_card',
  'iban',
  'us_ssn',
  'ip_address',
  'mac_address',
  'crypto_wallet',
  'date_of_birth',
  'uk_nino',
  'es_nif',
  'es_nie',
  'it_fiscal_code',
  'in_aadhaar',
  'ca_sin',
  'pl_pesel',
  'fi_personal_id',
  'se_personnummer',
  'kr_rrn',
  'za_id',
  'tr_national_id',
  'uk_nhs',
  'sg_nric',
  'us_itin',
  'in_pan',
  'person',
  'location',
  'address',
] as const;
export type PiiEntity = (typeof PII_ENTITIES)[number];

const NAME_ENTITIES: ReadonlySet<string> = new Set(['person', 'location', 'address']);

export const piiConfigSchema = z.strictObject({
  /**
   * Entities to report; finding type `pii.<entity>`. Default: everything but names, places and
   * addresses, whose tagger costs ~0.7 ms CPU per 2 KB of prose, ~50× the rest of the guard (add
   * `person`, `location`, `address` to turn it on; docs/pii-tagger-model-card.md).
   */
  entities: z.array(z.enum(PII_ENTITIES)).min(1).default(PII_ENTITIES.filter((e) => !NAME_ENTITIES.has(e))),
  /** Candidates scoring below this are not reported at all (the policy threshold applies on top). */
  minScore: z.number().min(0).max(1).default(0.5),
  /** Exact values never reported (the company's own support address, a public hotline). */
  allowValues: z.array(z.string().min(1)).default([]),
  /**
   * Longest finding reported, in characters; the stream scanner holds back this many characters
   * minus one. Longer values (very long e-mail addresses, multi-line addresses) are cut off.
   */
  maxSpan: z.number().int().min(32).max(4096).default(128),
  /**
   * Scan trusted segments (the operator's own system prompt) too. On by default: agents put customer
   * records and retrieved documents into their system prompts, and `clawguard redteam` showed that
   * personal data there reached the provider untouched. A placeholder keeps the instruction's meaning;
   * the structured scanners cost ~1 µs per KB of prose (~9 on text dense with phone numbers and
   * cards) and the scan cache pays for a re-sent prompt once. Turn it off when the system prompt holds
   * no personal data and the name tagger is on (~0.35 ms per KB).
   */
  scanTrusted: z.boolean().default(true),
  /**
   * A street address and the town, region, postcode and country right after it: `true` reports them
   * as one `pii.address` (one placeholder for the whole address), `false` as address and location
   * parts. Unset (the default): one address when the stretch reads as one postal address (unit,
   * postcode, country, several lines), parts when it reads as separate fields (a building number, a
   * street, a town); a small model trained with the tagger decides (docs/pii-tagger-model-card.md).
   */
  joinAddresses: z.boolean().optional(),
});
export type PiiConfig = z.infer<typeof piiConfigSchema>;

/**
 * Folds full-width forms (`４１１１`, `＠`) to ASCII one character for one character, so offsets
 * stay valid: the cheapest obfuscation is caught without a separate normalization pass.
 */
function foldFullWidth(text: string): string {
  if (!/[\uFF01-\uFF5E\u3000]/.test(text)) return text;
  return text.replace(/[\uFF01-\uFF5E\u3000]/g, (ch) => (ch === '\u3000' ? ' ' : String.fromCharCode(ch.charCodeAt(0) - 0xfee0)));
}

/** Keeps the best of overlapping candidates: higher score first, then the longer span. */
export function resolveOverlaps(candidates: Candidate[]): Candidate[] {
  // Usually nothing overlaps: then every candidate is kept, in text order (non-empty spans that do
  // not overlap have distinct starts, so the order is the same as below).
  const byStart = [...candidates].sort((a, b) => a.start - b.start);
  let reached = -Infinity;
  let disjoint = true;
  for (const c of byStart) {
    if (c.start < reached || c.end <= c.start) {
      disjoint = false;
      break;
    }
    reached = c.end;
  }
  if (disjoint) return byStart;
  const sorted = [...candidates].sort((a, b) => b.score - a.score || b.end - b.start - (a.end - a.start) || a.start - b.start);
  const kept: Candidate[] = [];
  for (const c of sorted) {
    if (!kept.some((k) => c.start < k.end && k.start < c.end)) kept.push(c);
  }
  return kept.sort((a, b) => a.start - b.start);
}

/** Sets built once per configuration object (building them per call was a tenth of a short text's cost). */
const PREPARED = new WeakMap<PiiConfig, { wanted: ReadonlySet<string>; allow: ReadonlySet<string>; names: boolean }>();
function prepared(config: PiiConfig): { wanted: ReadonlySet<string>; allow: ReadonlySet<string>; names: boolean } {
  let p = PREPARED.get(config);
  if (!p) {
    p = { wanted: new Set<string>(config.entities), allow: new Set(config.allowValues), names: config.entities.some((e) => NAME_ENTITIES.has(e)) };
    PREPARED.set(config, p);
  }
  return p;
}

/**
 * Finds PII in a text; the building block of the guard, also used by `eval`. The text as the model
 * reads it is scanned too (normalize/fold.ts: an address split by a zero-width character, which the
 * default policy strips, was rebuilt by the gateway and sent in clear), its spans mapped back.
 */
export function detectPii(text: string, config: PiiConfig): Candidate[] {
  const direct = detectPiiIn(text, config);
  const folded = foldForScan(text);
  if (folded === undefined || folded.widthOnly) return direct; // full-width forms: detectPiiIn folds them itself
  const more = detectPiiIn(folded.text, config);
  if (more.length === 0) return direct;
  return resolveOverlaps([...direct, ...more.map((c) => ({ ...c, ...unfoldSpan(folded, c.start, c.end) }))]);
}

function detectPiiIn(text: string, config: PiiConfig): Candidate[] {
  const folded = foldFullWidth(text);
  const { wanted, allow, names } = prepared(config);
  const candidates = findStructured(folded).filter((c) => wanted.has(c.entity));
  if (names) {
    const taken = candidates.filter((c) => c.score >= config.minScore);
    for (const c of findNames(folded, config.joinAddresses)) {
      if (wanted.has(c.entity) && !taken.some((t) => c.start < t.end && t.start < c.end)) candidates.push(c);
    }
  }
  return resolveOverlaps(
    candidates.filter((c) => c.score >= config.minScore && c.end - c.start <= config.maxSpan && (allow.size === 0 || !allow.has(text.slice(c.start, c.end)))),
  );
}

/**
 * What a stream must hold back for PII: the trailing token (a number in groups, an e-mail being
 * written) and, when names are on, the capitalized words and numbers before it (`John` may become
 * `John Smith`, `221B Baker` may become a street address).
 */
export function piiPendingSuffix(text: string, max: number, names: boolean): number {
  const len = text.length;
  let i = len - trailingTokenSuffix(text, max);
  if (!names) return len - i;
  // Only a capitalized word or a number can still be continued into a longer name or address.
  if (i < len && !/^[\p{Lu}0-9]/u.test(text.slice(i))) return len - i;
  for (;;) {
    let j = i;
    let seps = 0;
    while (j > 0 && seps < 3 && /[ \t\n,]/.test(text[j - 1]!)) {
      j--;
      seps++;
    }
    if (seps === 0 && i < len) break;
    let k = j;
    while (k > 0 && /[\p{L}\p{M}0-9.'’-]/u.test(text[k - 1]!)) k--;
    if (k === j || !/^[\p{Lu}0-9]/u.test(text.slice(k, j)) || len - k > max) break;
    i = k;
  }
  return len - i;
}

/**
 * Finding types by entity (`pii.email`), each made once: findings carry the same string every time,
 * whose hash the policy's rule index (core/policy.ts) then has at hand.
 */
const FINDING_TYPES = new Map<string, string>();
function findingType(entity: string): string {
  let type = FINDING_TYPES.get(entity);
  if (type === undefined) FINDING_TYPES.set(entity, (type = `pii.${entity}`));
  return type;
}

export const piiGuardFactory: GuardFactory<PiiConfig> = {
  name: 'pii',
  description:
    'Personal data: e-mail, phone (libphonenumber), payment cards (Luhn + issuer), IBAN (mod-97), US SSN, national IDs with checksums, IP/MAC, crypto wallets, dates of birth in context, person names, locations and street addresses.',
  schema: piiConfigSchema,
  create(config, options): Guard {
    return {
      id: options.id,
      fingerprint: `pii:1:${JSON.stringify(config)}`,
      failOpen: options.failOpen,
      timeoutMs: options.timeoutMs,
      maxSpan: config.maxSpan,
      appliesTo: (segment: Segment) => config.scanTrusted || !segment.trusted,
      pendingSuffix: (text: string) => piiPendingSuffix(text, config.maxSpan - 1, config.entities.some((e) => NAME_ENTITIES.has(e))),
      async ready() {
        if (config.entities.some((e) => NAME_ENTITIES.has(e))) loadNameTagger();
      },
      inspect(segment: Segment): Finding[] {
        return detectPii(segment.text, config).map((c) =>
          findingFor(options.id, segment, findingType(c.entity), c.score, c.reason, { start: c.start, end: c.end }),
        );
      },
    };
  },
};

export type { Candidate } from './structured.js';
