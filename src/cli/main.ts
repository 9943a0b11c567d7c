#!/usr/bin/env node
import { tuneYoungGeneration } from '../gateway/heap-tuning.js';

/**
 * The `clawguard` entry point. It loads the CLI (program.ts) only after the gateway's young-generation
 * setting is in place: V8 parses a module's whole static import graph before running any of it, and
 * parsing the gateway's (config schemas, guard models, fastify) allocates enough to grow the young
 * generation to its maximum, and a cap set afterwards would come too late (heap-tuning.ts).
 * A bad `CLAWGUARD_MAX_SEMI_SPACE_MIB` is reported by `serve`, which applies the setting again.
 */
if (process.argv[2] === 'serve' || process.argv[2] === 'start') {
  try {
    tuneYoungGeneration();
  } catch {
    // serve() reports it
  }
}
const { runCli } = await import('./program.js');
await runCli(process.argv);
