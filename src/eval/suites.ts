import { injectionSuites } from './injection-suites.js';
import { piiSuite } from './pii-suite.js';
import { secretsSuite } from './secrets-suite.js';
import { harmfulSuite } from './harmful-suite.js';
import type { EvalSuite } from './types.js';

/** Every suite `clawguard eval` runs, contributed by the detector families. */
export function allEvalSuites(): EvalSuite[] {
  return [...injectionSuites, piiSuite, secretsSuite, harmfulSuite];
}
