// Baseline for `npm run bench -- ml`: a plain onnxruntime loop on one thread (one session, one
// intra-op thread) over float32 columns already in memory, 8K-row batches, counting outputs > 0.5.
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';

const { onnx, cols, rows, batch } = workerData;
const session = await ort.InferenceSession.create(onnx, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
const names = session.inputNames;
const out = session.outputNames[0];

async function run(limit) {
  let count = 0;
  for (let start = 0; start < limit; start += batch) {
    const n = Math.min(batch, limit - start);
    const feeds = {};
    names.forEach((name, j) => { feeds[name] = new ort.Tensor('float32', cols[j].subarray(start, start + n), [n, 1]); });
    const y = (await session.run(feeds))[out].data;
    for (let i = 0; i < n; i++) if (y[i] > 0.5) count++;
  }
  return count;
}

await run(Math.min(rows, batch * 4)); // warm-up
parentPort.postMessage({ ready: true });
parentPort.on('message', async (m) => {
  if (m === 'go') parentPort.postMessage({ count: await run(rows) });
  else process.exit(0);
});
