import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { detectPii, PII_ENTITIES, piiConfigSchema } from '../guards/pii/index.js';
import type { EvalOptions, EvalReport, EvalSuite, LabelMetrics } from './types.js';

/** Our entity names → the dataset's type names. */
export const PII_TYPE_MAP: Readonly<Record<string, string>> = {
  email: 'EMAIL_ADDRESS',
  phone: 'PHONE_NUMBER',
  credit_card: 'CREDIT_CARD',
  iban: 'IBAN_CODE',
  us_ssn: 'US_SSN',
  ip_address: 'IP_ADDRESS',
  mac_address: 'MAC_ADDRESS',
  crypto_wallet: 'CRYPTO',
  date_of_birth: 'DATE_TIME',
  uk_nino: 'UK_NINO',
  es_nif: 'ES_NIF',
  es_nie: 'ES_NIE',
  it_fiscal_code: 'IT_FISCAL_CODE',
  in_aadhaar: 'IN_AADHAAR',
  ca_sin: 'CA_SIN',
  pl_pesel: 'PL_PESEL',
  fi_personal_id: 'FI_PERSONAL_IDENTITY_CODE',
  se_personnummer: 'SE_PERSONNUMMER',
  kr_rrn: 'KR_RRN',
  za_id: 'ZA_ID_NUMBER',
  tr_national_id: 'TR_NATIONAL_ID',
  uk_nhs: 'UK_NHS',
  sg_nric: 'SG_NRIC_FIN',
  us_itin: 'US_ITIN',
  in_pan: 'IN_PAN',
  person: 'PERSON',
  location: 'LOCATION',
  address: 'ADDRESS',
};

export const STRUCTURED_TYPES = ['EMAIL_ADDRESS', 'PHONE_NUMBER', 'CREDIT_CARD', 'IBAN_CODE', 'US_SSN', 'IP_ADDRESS'];
export const NAME_TYPES = ['PERSON', 'LOCATION', 'ADDRESS'];
/** Types we detect in full. DATE_TIME is only partly ours (dates of birth), so it is kept out of the headline. */
const HEADLINE_TYPES = new Set(Object.values(PII_TYPE_MAP).filter((t) => t !== 'DATE_TIME'));

interface Row {
  text: string;
  spans: { start: number; end: number; type: string }[];
  entity_type_tested?: string;
}

export interface SpanCounts {
  tp: number;
  fp: number;
  fn: number;
}

interface TypedRange {
  start: number;
  end: number;
  type: string;
}

/** Code-point offsets (the dataset's) → UTF-16 offsets (ours). */
function toUtf16(text: string, cp: number): number {
  let units = 0;
  let seen = 0;
  for (const ch of text) {
    if (seen === cp) return units;
    units += ch.length;
    seen++;
  }
  return units;
}

/** One-to-one matching of predictions to gold spans of the same type, exact or by overlap. */
export function matchSpans(gold: TypedRange[], pred: TypedRange[], mode: 'exact' | 'overlap', counts: Map<string, SpanCounts>): void {
  const get = (t: string): SpanCounts => {
    let c = counts.get(t);
    if (!c) counts.set(t, (c = { tp: 0, fp: 0, fn: 0 }));
    return c;
  };
  const used = new Set<number>();
  for (const p of pred) {
    const i = gold.findIndex(
      (g, k) => !used.has(k) && g.type === p.type && (mode === 'exact' ? g.start === p.start && g.end === p.end : g.start < p.end && p.start < g.end),
    );
    if (i >= 0) {
      used.add(i);
      get(p.type).tp++;
    } else get(p.type).fp++;
  }
  gold.forEach((g, k) => {
    if (!used.has(k)) get(g.type).fn++;
  });
}

function prf(c: SpanCounts): { precision: number; recall: number; f1: number } {
  const precision = c.tp + c.fp === 0 ? 0 : c.tp / (c.tp + c.fp);
  const recall = c.tp + c.fn === 0 ? 0 : c.tp / (c.tp + c.fn);
  return { precision, recall, f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall) };
}

function sum(counts: Map<string, SpanCounts>, types: Iterable<string> | null): SpanCounts {
  const total = { tp: 0, fp: 0, fn: 0 };
  const only = types ? new Set(types) : null;
  for (const [t, c] of counts) {
    if (only && !only.has(t)) continue;
    total.tp += c.tp;
    total.fp += c.fp;
    total.fn += c.fn;
  }
  return total;
}

const round = (x: number): number => Math.round(x * 10_000) / 10_000;

export async function readJsonl<T>(file: string, limit?: number): Promise<T[]> {
  const raw = await readFile(file, 'utf8');
  const rows: T[] = [];
  for (const line of raw.split('\n')) {
    if (!line.trim()) continue;
    rows.push(JSON.parse(line) as T);
    if (limit !== undefined && rows.length >= limit) break;
  }
  return rows;
}

/** The suite's rows: the files named on the command line, else `<dataDir>/<task>/<split>.jsonl`. */
export async function readSuiteRows<T>(options: EvalOptions, task: string): Promise<T[]> {
  if (!options.files?.length) return readJsonl<T>(join(options.dataDir, task, `${options.split}.jsonl`), options.limit);
  const rows: T[] = [];
  for (const file of options.files) rows.push(...(await readJsonl<T>(file, options.limit)));
  return rows;
}

export const piiSuite: EvalSuite = {
  name: 'pii',
  description: 'PII span precision/recall/F1 per entity type, exact and overlapping matches (pii/<split>.jsonl).',
  async run(options: EvalOptions): Promise<EvalReport> {
    const rows = await readSuiteRows<Row>(options, 'pii');
    // Every entity the guard can report: names, locations and addresses are off in the default
    // config (the tagger's cost), but their quality is what this suite is for too.
    const config = piiConfigSchema.parse({ entities: [...PII_ENTITIES] });
    const exact = new Map<string, SpanCounts>();
    const overlap = new Map<string, SpanCounts>();
    let chars = 0;
    let elapsed = 0;
    // Load phone metadata and compile patterns before timing.
    detectPii('call +44 20 7946 0958 or mail a@b.co, card 4111 1111 1111 1111, Ann Lee in Paris', config);
    rows.forEach((row, i) => {
      const started = performance.now();
      const found = detectPii(row.text, config);
      elapsed += performance.now() - started;
      chars += row.text.length;
      let gold: TypedRange[] = row.spans.map((s) => ({ start: toUtf16(row.text, s.start), end: toUtf16(row.text, s.end), type: s.type }));
      let pred: TypedRange[] = found.map((c) => ({ start: c.start, end: c.end, type: PII_TYPE_MAP[c.entity] ?? c.entity }));
      if (row.entity_type_tested) {
        const tested = row.entity_type_tested;
        gold = gold.filter((g) => g.type === tested);
        pred = pred.filter((p) => p.type === tested);
        if (!exact.has(tested)) exact.set(tested, { tp: 0, fp: 0, fn: 0 });
      }
      matchSpans(gold, pred, 'exact', exact);
      matchSpans(gold, pred, 'overlap', overlap);
      options.onProgress?.(i + 1, rows.length);
    });

    const headline = prf(sum(exact, HEADLINE_TYPES));
    const headlineOverlap = prf(sum(overlap, HEADLINE_TYPES));
    const structured = prf(sum(exact, STRUCTURED_TYPES));
    const structuredOverlap = prf(sum(overlap, STRUCTURED_TYPES));
    const names = prf(sum(exact, NAME_TYPES));
    const namesOverlap = prf(sum(overlap, NAME_TYPES));
    const all = prf(sum(exact, null));

    const breakdown: Record<string, LabelMetrics & SpanCounts & { f1_overlap: number }> = {};
    for (const [type, c] of [...exact].sort((a, b) => a[0].localeCompare(b[0]))) {
      const m = prf(c);
      const o = prf(overlap.get(type) ?? { tp: 0, fp: 0, fn: 0 });
      breakdown[type] = {
        tp: c.tp,
        fp: c.fp,
        fn: c.fn,
        precision: round(m.precision),
        recall: round(m.recall),
        f1: round(m.f1),
        support: c.tp + c.fn,
        f1_overlap: round(o.f1),
      };
    }
    const unsupported = [...exact.keys()].filter((t) => !HEADLINE_TYPES.has(t)).sort();
    return {
      suite: 'pii',
      split: options.split,
      examples: rows.length,
      metrics: {
        ...sum(exact, HEADLINE_TYPES),
        precision: round(headline.precision),
        recall: round(headline.recall),
        f1: round(headline.f1),
        f1_overlap: round(headlineOverlap.f1),
        structured_precision: round(structured.precision),
        structured_recall: round(structured.recall),
        structured_f1: round(structured.f1),
        structured_f1_overlap: round(structuredOverlap.f1),
        names_f1: round(names.f1),
        names_f1_overlap: round(namesOverlap.f1),
        f1_all_types: round(all.f1),
        us_per_kb: round(chars === 0 ? 0 : (elapsed * 1000) / (chars / 1024)),
        us_per_call: round(rows.length === 0 ? 0 : (elapsed * 1000) / rows.length),
      },
      breakdown,
      notes: [
        'precision/recall/f1: exact span matches over the types the pii guard detects; *_overlap: any overlap of the same type counts.',
        'structured = EMAIL_ADDRESS, PHONE_NUMBER, CREDIT_CARD, IBAN_CODE, US_SSN, IP_ADDRESS; names = PERSON, LOCATION, ADDRESS.',
        `Types in the data the guard does not detect (counted only in f1_all_types and per type): ${unsupported.join(', ')}.`,
        'Recognizer test rows are scored on their entity_type_tested only.',
        'Measured with every entity on; the default config leaves person, location and address off (the tagger costs ~0.4 ms CPU per 2 KB).',
      ],
    };
  },
};
