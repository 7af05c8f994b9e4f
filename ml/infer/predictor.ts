// Predictor: one onnxruntime session per model; runs engine Vectors through it in ~8K-row batches.
import * as ort from 'onnxruntime-node';
import { SqlError } from '../../engine/errors.ts';
import { TYPES, type SqlType, T, isFloat, isString } from '../../engine/types/types.ts';
import { stringVector, type Vector } from '../../engine/types/vector.ts';
import { META } from '../onnx/compile.ts';
import { readMetadata } from '../onnx/graph.ts';
import { type Label, physicalOf } from '../util/values.ts';
import { type Layout, columnTensor, matrixTensor, packedTensor } from './feeds.ts';

/** Rows per session.run: big enough to amortise the call, small enough to stay in cache. */
export const BATCH_ROWS = 8192;

interface TensorInfo { name: string; isTensor: boolean; type?: string; shape?: (number | string)[] }

/** Runs a model (Strata-trained or brought-your-own) over engine vectors. */
export class Predictor {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly layout: Layout,
    private readonly labelOutput: string,
    private readonly probOutput: string | null,
    readonly outputType: SqlType,
    readonly labels: Label[] | null,
  ) {}

  /** Opens a session (one intra-op thread, so slices run in parallel without oversubscribing cores). */
  static async create(onnx: Uint8Array, opts: { outputType?: SqlType } = {}): Promise<Predictor> {
    const session = await ort.InferenceSession.create(onnx, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
    const meta = readMetadata(onnx);
    const inputs = session.inputMetadata as unknown as TensorInfo[];
    const outputs = session.outputMetadata as unknown as TensorInfo[];
    const labelOut = outputs.find((o) => o.name === 'label') ?? outputs.find((o) => o.isTensor) ?? outputs[0];
    const probOut = outputs.find((o) => o.name === 'probabilities' && o.isTensor) ?? null;
    const labels = meta[META.labels] ? (JSON.parse(meta[META.labels]) as Label[] | null) : null;
    const outputType = opts.outputType ?? (meta[META.outputType] ? (JSON.parse(meta[META.outputType]) as SqlType) : typeOfTensor(labelOut.type));
    return new Predictor(session, layoutFor(meta, inputs), labelOut.name, probOut?.name ?? null, outputType, labels);
  }

  /** One prediction per row, as a vector of outputType (NULL inputs go in as NaN / '' and the graph imputes). */
  async predict(args: Vector[], count: number): Promise<Vector> {
    const t = this.outputType;
    const strings: string[] = [];
    const values = new TYPES[t.id].array(count);
    await this.runBatches(args, count, [this.labelOutput], (start, n, out) => {
      const data = out[this.labelOutput].data as ArrayLike<number | bigint | string | boolean>;
      if (isFloat(t) && (data instanceof Float32Array || data instanceof Float64Array)) { values.set(data.subarray(0, n), start); return; }
      for (let i = 0; i < n; i++) {
        const v = data[i];
        if (isString(t)) strings[start + i] = String(v);
        else values[start + i] = physicalOf(t, typeof v === 'string' ? Number(v) : Number(v));
      }
    });
    if (!isString(t)) return { type: t, length: count, values, valid: null };
    if (this.labels && this.labels.every((l) => typeof l === 'string')) {
      const dict = this.labels as string[];
      const index = new Map(dict.map((s, i) => [s, i]));
      return { type: t, length: count, values: Int32Array.from(strings, (s) => index.get(s) ?? 0), valid: null, dict };
    }
    return stringVector(t, strings);
  }

  /** Class probabilities: count × labels, row-major, with the labels in column order. */
  async predictProba(args: Vector[], count: number): Promise<{ labels: Label[]; probs: Float64Array }> {
    if (!this.probOutput) throw new SqlError('FEATURE_NOT_SUPPORTED', 'this model has no class probabilities (it is not a classifier)');
    let probs = new Float64Array(0), k = 0;
    await this.runBatches(args, count, [this.probOutput], (start, n, out) => {
      const t = out[this.probOutput!];
      if (k === 0) { k = Number(t.dims[t.dims.length - 1]); probs = new Float64Array(count * k); }
      probs.set(t.data as Float32Array, start * k);
    });
    if (count === 0) k = this.labels?.length ?? 0;
    return { labels: this.labels ?? Array.from({ length: k }, (_, i) => i), probs };
  }

  /** A float output of the graph (e.g. the features a tree ensemble reads), row-major: count × width. */
  async floatOutput(args: Vector[], count: number, name: string): Promise<{ data: Float32Array; width: number }> {
    let data = new Float32Array(0), width = 0;
    await this.runBatches(args, count, [name], (start, n, out) => {
      const t = out[name];
      if (start === 0) { width = t.dims.length > 1 ? Number(t.dims[t.dims.length - 1]) : 1; data = new Float32Array(count * width); }
      data.set((t.data as Float32Array).subarray(0, n * width), start * width);
    });
    return { data, width };
  }

  /** Frees the native session. */
  async release(): Promise<void> { await this.session.release(); }

  private async runBatches(args: Vector[], count: number, fetches: string[], take: (start: number, n: number, out: ort.InferenceSession.OnnxValueMapType) => void): Promise<void> {
    const layout = this.layout;
    const want = layout.kind === 'matrix' ? layout.width : layout.kind === 'packed' ? layout.args.length + layout.text.length : layout.inputs.length;
    if (args.length !== want) throw new SqlError('DATATYPE_MISMATCH', `model takes ${want} argument(s), got ${args.length}`);
    const size = Math.min(BATCH_ROWS, count);
    const scratch = layout.kind === 'columns'
      ? layout.inputs.map((inp) => (inp.type === 'float32' ? new Float32Array(size) : inp.type === 'float64' ? new Float64Array(size) : undefined))
      : [];
    const packed = layout.kind === 'packed' ? { x: new Float32Array(size * layout.args.length), col: new Float64Array(size) } : null;
    for (let start = 0; start < count; start += BATCH_ROWS) {
      const n = Math.min(BATCH_ROWS, count - start);
      const feeds: Record<string, ort.Tensor> = {};
      if (layout.kind === 'matrix') feeds[layout.name] = matrixTensor(args, start, n, layout.type);
      else if (layout.kind === 'packed') {
        if (layout.args.length) feeds[layout.name] = packedTensor(args, layout.args, start, n, packed!.x, packed!.col);
        for (const t of layout.text) feeds[t.name] = columnTensor(args[t.arg], start, n, 'string', t.rank);
      } else layout.inputs.forEach((inp, j) => { feeds[inp.name] = columnTensor(args[j], start, n, inp.type, inp.rank, scratch[j]); });
      let out: ort.InferenceSession.OnnxValueMapType;
      try { out = await this.session.run(feeds, fetches); }
      catch (e) { throw new SqlError('INVALID_PARAMETER', `model inference failed: ${(e as Error).message}`); }
      take(start, n, out);
    }
  }
}

/** The layout a graph's metadata declares (Strata's packed input), else the one its inputs imply. */
export function layoutFor(meta: Record<string, string>, inputs: TensorInfo[]): Layout {
  if (!meta[META.packed]) return layoutOf(inputs);
  let p: { input: string; args: number[] };
  try { p = JSON.parse(meta[META.packed]); } catch { throw new SqlError('INVALID_PARAMETER', `the model's ${META.packed} metadata is not JSON`); }
  const packed = inputs.find((i) => i.name === p?.input);
  if (!packed || !Array.isArray(p.args) || !p.args.every((a) => Number.isInteger(a) && a >= 0) || packed.shape?.length !== 2 || (typeof packed.shape[1] === 'number' && packed.shape[1] !== p.args.length)) {
    throw new SqlError('INVALID_PARAMETER', `the model's ${META.packed} metadata does not match its inputs`);
  }
  return packedLayout(p, inputs);
}

/** Strata's packed layout: the packed input, then the text inputs in argument order. */
function packedLayout(p: { input: string; args: number[] }, inputs: TensorInfo[]): Layout {
  const text = inputs.filter((i) => i.name !== p.input);
  const total = p.args.length + text.length;
  const textArgs = Array.from({ length: total }, (_, i) => i).filter((i) => !p.args.includes(i));
  return { kind: 'packed', name: p.input, args: p.args, text: text.map((t, j) => ({ name: t.name, arg: textArgs[j], rank: t.shape?.length === 1 ? 1 : 2 })) };
}

/** Per-argument inputs, unless the model has one [N, k>1] numeric input (a feature matrix). */
export function layoutOf(inputs: TensorInfo[]): Layout {
  const one = inputs.length === 1 ? inputs[0] : null;
  const width = one?.shape?.length === 2 ? one.shape[1] : null;
  if (one && typeof width === 'number' && width > 1 && one.type !== 'string') return { kind: 'matrix', name: one.name, type: one.type ?? 'float32', width };
  return { kind: 'columns', inputs: inputs.map((i) => ({ name: i.name, type: i.type ?? 'float32', rank: i.shape?.length === 1 ? 1 : 2 })) };
}

/** The SQL type a model output naturally maps to (when the model does not say). */
function typeOfTensor(type?: string): SqlType {
  switch (type) {
    case 'string': return T.varchar;
    case 'bool': return T.bool;
    case 'int64': return T.bigint;
    case 'int32': case 'int16': case 'int8': case 'uint8': return T.int;
    case 'float32': return T.real;
    default: return T.double;
  }
}
