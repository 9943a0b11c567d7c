// Allocates short-lived objects at a rate that makes V8 grow its young generation, with the
// gateway's young-generation setting applied first; prints the new space's size before and after.
import v8 from 'node:v8';
import { tuneYoungGeneration } from '../../dist/gateway/heap-tuning.js';

tuneYoungGeneration();
const newSpace = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
const before = newSpace();
let keep = [];
for (let i = 0; i < 3_000_000; i++) {
  keep.push({ i, s: `item ${i}` });
  if (keep.length > 20_000) keep = [];
}
process.stdout.write(`${JSON.stringify({ before, after: newSpace(), kept: keep.length })}\n`);
