// Converts engine Vectors to onnxruntime input tensors (copies, except views of NULL-free REAL columns; never shared memory).
import * as ort from 'onnxruntime-node';
import type { Vector } from '../../engine/types/vector.ts';
import { isReal } from '../../engine/types/types.ts';
import { readNumbers, readTexts, readsAsIs } from '../util/values.ts';

/**
 * How the model takes its arguments: one tensor per argument; one [N, args] matrix (brought-your-own
 * models); or Strata's packed layout, the numeric arguments `args` as one float [N, k] tensor plus one
 * string input per text argument.
 */
export type Layout =
  | { kind: 'columns'; inputs: { name: string; type: string; rank: number }[] }
  | { kind: 'matrix'; name: string; type: string; width: number }
  | { kind: 'packed'; name: string; args: number[]; text: { name: string; arg: number; rank: number }[] };

/**
 * One argument's rows [start, start+count) as a tensor of the input's element type, shape [count] or [count, 1].
 * `scratch` (a plain buffer of the right float type) is reused across batches to spare allocations.
 */
export function columnTensor(v: Vector, start: number, count: number, type: string, rank: number, scratch?: Float32Array | Float64Array): ort.Tensor {
  const dims = rank === 1 ? [count] : [count, 1];
  if (type === 'string') {
    const s: string[] = new Array(count);
    readTexts(v, start, count, s);
    return new ort.Tensor('string', s, dims);
  }
  // a REAL column without NULLs already is the float32 input: pass a view of it (never of shared memory)
  if (type === 'float32' && isReal(v.type) && v.valid === null && v.values.buffer instanceof ArrayBuffer) {
    return new ort.Tensor('float32', (v.values as Float32Array).subarray(start, start + count), dims);
  }
  const x = scratch && scratch.length >= count ? scratch.subarray(0, count) : type === 'float64' ? new Float64Array(count) : new Float32Array(count);
  readNumbers(v, start, count, x);
  if (type === 'float32' || type === 'float64') return new ort.Tensor(type, x, dims);
  return new ort.Tensor(type as 'int64', convertInts(x, type), dims);
}

/** All arguments' rows as one row-major [count, args] tensor. */
export function matrixTensor(args: Vector[], start: number, count: number, type: string): ort.Tensor {
  const w = args.length;
  const x = type === 'float64' ? new Float64Array(count * w) : new Float32Array(count * w);
  const col = new Float64Array(count);
  args.forEach((v, j) => {
    readNumbers(v, start, count, col);
    for (let i = 0; i < count; i++) x[i * w + j] = col[i];
  });
  if (type === 'float32' || type === 'float64') return new ort.Tensor(type, x, [count, w]);
  return new ort.Tensor(type as 'int64', convertInts(x, type), [count, w]);
}

/**
 * The numeric arguments' rows as one row-major float32 [count, k] tensor over `scratch` (reused
 * across batches: the session has consumed it before the next fill). NULL-free columns are copied
 * with one strided loop each; others go through readNumbers (NULL -> NaN, imputed by the graph).
 */
export function packedTensor(args: Vector[], cols: number[], start: number, count: number, scratch: Float32Array, col: Float64Array): ort.Tensor {
  const w = cols.length;
  const x = scratch.subarray(0, count * w);
  for (let j = 0; j < w; j++) {
    const v = args[cols[j]];
    let src: ArrayLike<number>;
    let at = start;
    if (v.valid === null && readsAsIs(v.type)) src = v.values as ArrayLike<number>;
    else { readNumbers(v, start, count, col); src = col; at = 0; }
    for (let i = 0, o = j; i < count; i++, o += w) x[o] = src[at + i];
  }
  return new ort.Tensor('float32', x, [count, w]);
}

function convertInts(x: Float32Array | Float64Array, type: string) {
  const clean = (v: number) => (Number.isNaN(v) ? 0 : Math.round(v));
  switch (type) {
    case 'int64': return BigInt64Array.from(x, (v) => BigInt(clean(v)));
    case 'int32': return Int32Array.from(x, clean);
    case 'int16': return Int16Array.from(x, clean);
    case 'int8': return Int8Array.from(x, clean);
    case 'uint8': case 'bool': return Uint8Array.from(x, clean);
    default: throw new Error(`unsupported model input type ${type}`);
  }
}
