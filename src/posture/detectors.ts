import type { Finding, Guard, Segment } from '../core/index.js';
import { injectionGuardFactory } from '../guards/injection/index.js';
import { PII_ENTITIES, piiGuardFactory } from '../guards/pii/index.js';
import { secretsGuardFactory } from '../guards/secrets/index.js';

/**
 * The detectors the file and knowledge-base scans run. They are ordinary guards (the same contract
 * as the gateway's): any secrets, PII or injection family plugs in unchanged.
 */
export interface PostureDetectors {
  readonly secrets: readonly Guard[];
  readonly injection: readonly Guard[];
  readonly pii: readonly Guard[];
}

const OFFLINE_BUDGET_MS = 30_000;

/**
 * Whole documents are full of capitalised headings that read like names and places; a posture
 * report is only useful if it is quiet, so files are checked for the structured, checksum-backed
 * kinds of personal data. Names, locations and addresses are left to the gateway at request time.
 */
/**
 * A document is scored as one long tool result; ordinary prose (policies, FAQs) can reach the
 * gateway's 0.5 default on the classifier alone, so the ingestion check asks for more certainty.
 * Signature hits score well above this.
 */
const DOCUMENT_INJECTION_THRESHOLDS = { message: 0.7, tool_result: 0.7, tool_call: 0.7 };

const STRUCTURED_PII = PII_ENTITIES.filter((e) => e !== 'person' && e !== 'location' && e !== 'address');

/**
 * The gateway's own secrets, PII and injection families with their default configuration: the same
 * detectors that guard live traffic judge files and documents.
 */
export function defaultDetectors(): PostureDetectors {
  const options = (id: string) => ({ id: `posture-${id}`, failOpen: false, timeoutMs: OFFLINE_BUDGET_MS });
  return {
    secrets: [secretsGuardFactory.create(secretsGuardFactory.schema.parse({}), options('secrets'))],
    injection: [injectionGuardFactory.create(injectionGuardFactory.schema.parse({ thresholds: DOCUMENT_INJECTION_THRESHOLDS }), options('injection'))],
    pii: [piiGuardFactory.create(piiGuardFactory.schema.parse({ entities: STRUCTURED_PII }), options('pii'))],
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
