// Applies fitted preprocessing in memory with the same float32 arithmetic as the ONNX graph.
import type { Vector } from '../../engine/types/vector.ts';
import { NULL_TEXT, readNumbers, readTexts } from '../util/values.ts';
import type { AffineBlock, CategoricalBlock, FittedPrep } from './plan.ts';

const f32 = Math.fround;

/** A dense row-major float32 matrix. */
export interface Matrix { rows: number; cols: number; data: Float32Array }

/** Maps input vectors (one per prep.inputs entry, `rows` long) to the feature matrix. */
export function applyPrep(prep: FittedPrep, inputs: Vector[], rows: number): Matrix {
  const cols = prep.features.length;
  const data = new Float32Array(rows * cols);
  let at = 0;
  if (prep.affine) at = affine(prep.affine, inputs, rows, data, cols, at, false);
  for (const b of prep.normalized) at = affine(b, inputs, rows, data, cols, at, true);
  for (const c of prep.categorical) at = categorical(c, inputs[c.input], rows, data, cols, at);
  return { rows, cols, data };
}

function affine(b: AffineBlock, inputs: Vector[], rows: number, out: Float32Array, cols: number, at: number, normalize: boolean): number {
  const x = new Float64Array(rows);
  b.cols.forEach((input, j) => {
    readNumbers(inputs[input], 0, rows, x);
    const imp = b.impute[j], off = b.offset[j], sc = b.scale[j];
    for (let r = 0; r < rows; r++) {
      const v = Number.isNaN(x[r]) ? imp : f32(x[r]);
      out[r * cols + at + j] = f32(f32(v - off) * sc);
    }
  });
  if (normalize) normalizeRows(out, rows, cols, at, b.cols.length);
  return at + b.cols.length;
}

/** Row-wise L2 normalization with onnxruntime's float32 arithmetic: sign(x)·sqrt(x²/Σx²). */
function normalizeRows(out: Float32Array, rows: number, cols: number, at: number, k: number): void {
  const sq = new Float32Array(k);
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let j = 0; j < k; j++) { const v = out[r * cols + at + j]; sq[j] = f32(v * v); sum = f32(sum + sq[j]); }
    if (sum === 0) continue;
    for (let j = 0; j < k; j++) {
      const v = out[r * cols + at + j];
      const y = f32(Math.sqrt(f32(sq[j] / sum)));
      out[r * cols + at + j] = v < 0 ? -y : y;
    }
  }
}

function categorical(c: CategoricalBlock, v: Vector, rows: number, out: Float32Array, cols: number, at: number): number {
  const index = new Map<string | number, number>();
  c.categories.forEach((k, i) => index.set(k, i));
  const code = new Int32Array(rows);
  if (c.text) {
    const s: string[] = new Array(rows);
    readTexts(v, 0, rows, s);
    for (let r = 0; r < rows; r++) {
      const t = s[r] === NULL_TEXT && c.fill !== undefined ? c.fill : s[r];
      code[r] = index.get(t) ?? -1;
    }
  } else {
    const x = new Float64Array(rows);
    readNumbers(v, 0, rows, x);
    for (let r = 0; r < rows; r++) {
      const a = Number.isNaN(x[r]) ? (c.fill as number) : Math.trunc(f32(x[r]));
      code[r] = index.get(a) ?? -1;
    }
  }
  if (c.encoding === 'ordinal') {
    for (let r = 0; r < rows; r++) out[r * cols + at] = code[r];
    return at + 1;
  }
  for (let r = 0; r < rows; r++) if (code[r] >= 0) out[r * cols + at + code[r]] = 1;
  return at + c.categories.length;
}
