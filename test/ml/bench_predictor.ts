// Inference throughput: Predictor (engine Vectors in, Vector out) vs a plain onnxruntime loop,
// for an MLP 20-64-1 on 2M×20 floats. Run: node bin/run-ts.js test/ml/bench_predictor.ts [rows]
import * as ort from 'onnxruntime-node';
import { T } from '../../engine/types/types.ts';
import type { Vector } from '../../engine/types/vector.ts';
import { Predictor } from '../../ml/index.ts';
import { compileModel } from '../../ml/onnx/compile.ts';
import { GraphBuilder } from '../../ml/onnx/graph.ts';
import { emitNet } from '../../ml/onnx/net.ts';
import type { FittedPrep } from '../../ml/prep/plan.ts';
import type { NetModel } from '../../ml/train/net.ts';
import { Rng } from '../../ml/util/rng.ts';

const rows = Number(process.argv[2] ?? 2_000_000), F = 20, H = 64, BATCH = 8192;
const rng = new Rng(1);
const rand = (n: number, s: number) => Float32Array.from({ length: n }, () => (rng.next() * 2 - 1) * s);
const model: NetModel = {
  kind: 'net', head: 'identity', yMean: 0, yStd: 1,
  layers: [{ w: rand(F * H, 0.3), b: rand(H, 0.1), inDim: F, outDim: H, act: 'relu' }, { w: rand(H, 0.3), b: rand(1, 0.1), inDim: H, outDim: 1, act: 'none' }],
};
const names = Array.from({ length: F }, (_, j) => `f${j}`);
const prep: FittedPrep = {
  inputs: names.map((name) => ({ name, type: T.double })), normalized: [], categorical: [], dropped: [], features: names,
  affine: { cols: names.map((_, j) => j), impute: names.map(() => 0), offset: names.map(() => 0), scale: names.map(() => 1) },
};
const full = compileModel({ prep, model, outputType: T.double, problemType: 'REGRESSION', modelType: 'MLP' });
// The bare network on a [N,20] matrix, for a lower bound.
const g = new GraphBuilder();
g.node('Identity', [emitNet(g, model, g.input('x', 'float', ['N', F]))], {}, { output: 'y' });
g.output('y', 'float', ['N', 1]);
const bare = g.encode({});

const cols: Vector[] = names.map(() => ({ type: T.double, length: rows, values: Float64Array.from({ length: rows }, () => rng.normal()), valid: null }));
const rate = (label: string, ms: number) => console.log(`${label.padEnd(58)} ${(rows / (ms / 1000) / 1e6).toFixed(2)} M rows/s  (${(ms / 1000).toFixed(2)} s)`);
const opts: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' };

// 1. Predictor: Float64 vectors -> per-batch float32 copies -> run -> DOUBLE vector.
const p = await Predictor.create(full);
await p.predict(cols.map((c) => ({ ...c, length: BATCH })), BATCH);
let t = performance.now();
const out = await p.predict(cols, rows);
rate('Predictor.predict (20 Vectors -> DOUBLE Vector, 8K batches)', performance.now() - t);

// 2. Plain loop, same graph: float32 columns prepared up front, 8K-row tensors over them.
const f32 = cols.map((c) => Float32Array.from(c.values));
const s1 = await ort.InferenceSession.create(full, opts);
t = performance.now();
let check = 0;
for (let start = 0; start < rows; start += BATCH) {
  const n = Math.min(BATCH, rows - start);
  const feeds: Record<string, ort.Tensor> = {};
  names.forEach((name, j) => { feeds[name] = new ort.Tensor('float32', f32[j].subarray(start, start + n), [n, 1]); });
  const r = await s1.run(feeds);
  check += (r.label.data as Float32Array)[0];
}
rate('plain ort loop, same graph, pre-converted float32 columns', performance.now() - t);

// 3. Plain loop on the bare MLP with a row-major [N,20] matrix built up front.
const m = new Float32Array(rows * F);
for (let j = 0; j < F; j++) for (let i = 0; i < rows; i++) m[i * F + j] = f32[j][i];
const s2 = await ort.InferenceSession.create(bare, opts);
t = performance.now();
for (let start = 0; start < rows; start += BATCH) {
  const n = Math.min(BATCH, rows - start);
  const r = await s2.run({ x: new ort.Tensor('float32', m.subarray(start * F, (start + n) * F), [n, F]) });
  check += (r.y.data as Float32Array)[0];
}
rate('plain ort loop, bare MLP on a [N,20] matrix', performance.now() - t);
const first = (await s2.run({ x: new ort.Tensor('float32', m.subarray(0, F), [1, F]) })).y.data[0] as number;
console.log('first outputs agree:', Math.abs(out.values[0] - first) < 1e-4, Number.isFinite(check));
