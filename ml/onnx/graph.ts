// A small builder over onnx-proto: typed tensors, nodes with attributes, and model encoding.
import onnxProto from 'onnx-proto';
import type { onnx as O } from 'onnx-proto';

const { onnx } = onnxProto;

export const DT = onnx.TensorProto.DataType;
type Elem = 'float' | 'double' | 'int64' | 'string' | 'bool';
const ELEM: Record<Elem, number> = { float: DT.FLOAT, double: DT.DOUBLE, int64: DT.INT64, string: DT.STRING, bool: DT.BOOL };
const AT = onnx.AttributeProto.AttributeType;

/** The opsets every Strata graph imports (IR 8: onnx 1.10; ai.onnx.ml 2 for LabelEncoder with floats). */
export const OPSETS = [{ domain: '', version: 15 }, { domain: 'ai.onnx.ml', version: 2 }];
const ML = 'ai.onnx.ml';
const utf8 = (s: string) => new TextEncoder().encode(s);

/** Attribute values, typed explicitly (a bare number would be ambiguous between int and float). */
export type Attr =
  | { i: number } | { f: number } | { s: string } | { ints: number[] } | { floats: number[] | Float32Array } | { strings: string[] };

function attribute(name: string, a: Attr): O.IAttributeProto {
  if ('i' in a) return { name, type: AT.INT, i: a.i };
  if ('f' in a) return { name, type: AT.FLOAT, f: a.f };
  if ('s' in a) return { name, type: AT.STRING, s: utf8(a.s) };
  if ('ints' in a) return { name, type: AT.INTS, ints: a.ints };
  if ('floats' in a) return { name, type: AT.FLOATS, floats: Array.from(a.floats) };
  return { name, type: AT.STRINGS, strings: a.strings.map(utf8) };
}

function valueInfo(name: string, elem: Elem, dims: (number | string)[]): O.IValueInfoProto {
  return { name, type: { tensorType: { elemType: ELEM[elem], shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } } };
}

/** Accumulates one graph; internal tensor names get a prefix that column names are unlikely to use. */
export class GraphBuilder {
  private nodes: O.INodeProto[] = [];
  private inits: O.ITensorProto[] = [];
  private inputs: O.IValueInfoProto[] = [];
  private outputs: O.IValueInfoProto[] = [];
  private count = 0;

  fresh(hint: string): string { return `strata/${hint}_${this.count++}`; }

  input(name: string, elem: Elem, dims: (number | string)[]): string { this.inputs.push(valueInfo(name, elem, dims)); return name; }
  output(name: string, elem: Elem, dims: (number | string)[]): void { this.outputs.push(valueInfo(name, elem, dims)); }

  /** A constant tensor (floats/doubles/int64/bool as raw little-endian bytes, strings as string_data). */
  constant(elem: Elem, data: ArrayLike<number> | string[] | boolean[], dims: number[], hint = 'const'): string {
    const name = this.fresh(hint);
    const t: O.ITensorProto = { name, dataType: ELEM[elem], dims };
    if (elem === 'string') t.stringData = (data as string[]).map(utf8);
    else if (elem === 'float') t.rawData = new Uint8Array(Float32Array.from(data as ArrayLike<number>).buffer);
    else if (elem === 'double') t.rawData = new Uint8Array(Float64Array.from(data as ArrayLike<number>).buffer);
    else if (elem === 'int64') t.rawData = new Uint8Array(BigInt64Array.from(Array.from(data as ArrayLike<number>, (v) => BigInt(v))).buffer);
    else t.rawData = Uint8Array.from(Array.from(data as ArrayLike<number | boolean>, (v) => (v ? 1 : 0)));
    this.inits.push(t);
    return name;
  }

  /** Adds a node; returns its output name (or `outputs` given names). */
  node(op: string, inputs: string[], attrs: Record<string, Attr> = {}, opts: { ml?: boolean; output?: string } = {}): string {
    const out = opts.output ?? this.fresh(op);
    this.nodes.push({
      opType: op, domain: opts.ml ? ML : '', input: inputs, output: [out], name: this.fresh(`n_${op}`),
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return out;
  }

  /** Encodes the model with its opsets and string metadata. */
  encode(metadata: Record<string, string>): Uint8Array {
    const model: O.IModelProto = {
      irVersion: 8, producerName: 'strata', producerVersion: '0.1', opsetImport: OPSETS,
      graph: { name: 'strata_model', node: this.nodes, initializer: this.inits, input: this.inputs, output: this.outputs },
      metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
    };
    return onnx.ModelProto.encode(model).finish();
  }
}

/** Reads a model's metadata_props (used to find labels and output types of Strata-built models). */
export function readMetadata(bytes: Uint8Array): Record<string, string> {
  const m = onnx.ModelProto.decode(bytes);
  return Object.fromEntries((m.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? '']));
}
