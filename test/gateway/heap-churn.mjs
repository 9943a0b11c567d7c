// Helper for heap-tuning.test.ts: applies the gateway's heap tuning, then allocates like a gateway under
// load (a retained set plus objects that live long enough to be promoted, then die) and prints the peak
// V8 heap size in bytes.
import v8 from 'node:v8';
import { tuneGatewayHeap } from '../../dist/gateway/heap-tuning.js';

tuneGatewayHeap();
const retained = [];
const inFlight = new Array(64);
let peak = 0;
for (let round = 0; round < 3000; round++) {
  const batch = [];
  for (let i = 0; i < 200; i++) batch.push({ i, text: `chunk ${round}:${i} `.repeat(8) });
  if (round % 100 === 0) retained.push(batch);
  inFlight[round % inFlight.length] = batch;
  if (round % 20 === 0) peak = Math.max(peak, v8.getHeapStatistics().total_heap_size);
}
process.stdout.write(`${peak}\n`);
