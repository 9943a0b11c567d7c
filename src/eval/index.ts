export { runSuites, selectSuites } from './runner.js';
export { formatJson, formatMarkdown, formatText } from './report.js';
export { confusion, f1, fpr, precision, recall, recallAtFpr, rocAuc, type Confusion } from './metrics.js';
export { readRecords, sourceName, splitFile, type EvalRecord } from './data.js';
export { OBFUSCATIONS, obfuscate, type ObfuscationVariant } from './obfuscate.js';
export { benignSuite, indirectSuite, injectionSuite, injectionSuites, obfuscatedSuite } from './injection-suites.js';
export type * from './types.js';
