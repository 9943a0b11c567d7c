// Allocates short-lived objects at a rate that makes V8 grow its young generation, yielding to the
// event loop between batches as a server does, with the gateway's young-generation setting applied
// first; prints the largest semi-space size seen, in bytes.
import v8 from 'node:v8';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { allowYoungGenerationGrowth, tuneYoungGeneration } from '../../dist/gateway/heap-tuning.js';

tuneYoungGeneration();
allowYoungGenerationGrowth();
const newSpace = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
let largest = 0;
let keep = [];
for (let batch = 0; batch < 300; batch++) {
  for (let i = 0; i < 20_000; i++) {
    keep.push({ i, s: `item ${batch}:${i}` });
    if (keep.length > 30_000) keep = [];
  }
  await yieldToLoop();
  largest = Math.max(largest, newSpace() / 2);
}
process.stdout.write(`${JSON.stringify({ largest, kept: keep.length })}\n`);
