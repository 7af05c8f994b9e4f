// Baseline for `npm run bench -- ml`: a plain onnxruntime loop on one thread (one session, one
// intra-op thread) over float32 columns already in memory, 8K-row batches, counting outputs > 0.5.
// A graph with one [N,k] input gets the columns packed row-major once, before timing (the best case
// for that layout); a graph with one input per column gets a view of each column per batch.
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';

const { onnx, cols, rows, batch } = workerData;
const session = await ort.InferenceSession.create(onnx, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
const names = session.inputNames;
const out = session.outputNames[0];
const width = cols.length;
let packed = null;
if (names.length === 1 && width > 1) {
  packed = new Float32Array(rows * width);
  for (let j = 0; j < width; j++) for (let i = 0; i < rows; i++) packed[i * width + j] = cols[j][i];
}

async function run(limit) {
  let count = 0;
  for (let start = 0; start < limit; start += batch) {
    const n = Math.min(batch, limit - start);
    const feeds = {};
    if (packed) feeds[names[0]] = new ort.Tensor('float32', packed.subarray(start * width, (start + n) * width), [n, width]);
    else names.forEach((name, j) => { feeds[name] = new ort.Tensor('float32', cols[j].subarray(start, start + n), [n, 1]); });
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
