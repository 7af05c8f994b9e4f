// Batches between threads in an Arrow-like layout: each column's values and validity as typed
// arrays whose buffers are moved (the postMessage transfer list) or shared (SharedArrayBuffer,
// for a broadcast every slice reads), and a string column's dictionary as one UTF-8 text plus
// each entry's offsets. Structured clone would copy an array of JS strings string by string and
// a column's whole dictionary even when the rows use a few of its entries.
import { makeVector, usedEntries, type Vector } from '../types/vector.ts';
import type { SqlType, TypedArray } from '../types/types.ts';
import type { PartialAgg } from './aggregate.ts';
import type { JoinStep } from './fragment.ts';
import { packedMap } from '../types/packed-map.ts';

/** One column as it crosses threads. */
export interface WireColumn {
  type: SqlType;
  length: number;
  /** the values (dictionary codes for strings) */
  values: TypedArray;
  valid: Uint8Array | null;
  /** string columns: the dictionary's entries one after another, UTF-8 */
  text?: Uint8Array;
  /** entry i is [offsets[i], offsets[i + 1]) of the decoded text, in UTF-16 code units */
  offsets?: Int32Array;
  /** a dictionary UTF-8 cannot carry unchanged (lone surrogates) goes as it is */
  dict?: string[];
  /** exact values of wide numbers (rare: past 2^53), cloned */
  big?: (bigint | null)[];
}

/**
 * `move`: buffers go to the receiver (the sender must not use these vectors' arrays again; views
 * into a larger buffer are copied first). `share`: copies into SharedArrayBuffers that any number
 * of receivers read without a copy (nobody writes them).
 */
export type WireMode = 'move' | 'share';

export interface Wire {
  columns: WireColumn[];
  /** the buffers to list in postMessage's transfer list */
  transfer: ArrayBuffer[];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Vectors in wire form, with the buffers to transfer. */
export function toWire(vectors: Vector[], mode: WireMode): Wire {
  const transfer = new Set<ArrayBuffer>();
  const columns = packedMap(vectors, (v) => wireColumn(v, mode, transfer));
  return { columns, transfer: [...transfer] };
}

/** Vectors over the received arrays (strings decoded from the dictionary text). */
export function fromWire(columns: WireColumn[]): Vector[] {
  return packedMap(columns, (c) => fromWireColumn(c));
}

function wireColumn(v: Vector, mode: WireMode, transfer: Set<ArrayBuffer>): WireColumn {
  let values = v.values.subarray(0, v.length) as TypedArray;
  const valid = v.valid ? v.valid.subarray(0, v.length) : null;
  const out: WireColumn = { type: v.type, length: v.length, values, valid };
  if (v.dict) {
    let dict = v.dict;
    if (dict.length > v.length) {
      // more entries than rows: send only those the rows use (a gathered vector keeps its
      // segment's whole dictionary)
      const c = usedEntries(v);
      values = c.codes;
      dict = c.dict;
    }
    Object.assign(out, encodeDict(dict, mode, transfer));
  }
  out.values = place(values, mode, transfer);
  out.valid = valid ? place(valid, mode, transfer) : null;
  if (v.big) out.big = v.big.slice(0, v.length);
  return out;
}

function encodeDict(dict: string[], mode: WireMode, transfer: Set<ArrayBuffer>): Pick<WireColumn, 'text' | 'offsets' | 'dict'> {
  const joined = dict.join('');
  if (!(joined as unknown as { isWellFormed(): boolean }).isWellFormed()) return { dict };
  const offsets = alloc(Int32Array, dict.length + 1, mode);
  let at = 0;
  for (let i = 0; i < dict.length; i++) { offsets[i] = at; at += dict[i].length; }
  offsets[dict.length] = at;
  const text = alloc(Uint8Array, Buffer.byteLength(joined, 'utf8'), mode);
  encoder.encodeInto(joined, text);
  if (mode === 'move') { transfer.add(offsets.buffer as ArrayBuffer); transfer.add(text.buffer as ArrayBuffer); }
  return { text, offsets };
}

type Ctor<A> = { new (n: number): A; new (b: ArrayBufferLike): A; BYTES_PER_ELEMENT: number };

function alloc<A>(C: Ctor<A>, n: number, mode: WireMode): A {
  return mode === 'share' ? new C(new SharedArrayBuffer(n * C.BYTES_PER_ELEMENT)) : new C(n);
}

/** The array as sent: its own buffer moved, or a copy in shared memory. */
function place<A extends TypedArray>(a: A, mode: WireMode, transfer: Set<ArrayBuffer>): A {
  const C = a.constructor as unknown as Ctor<A>;
  if (mode === 'share') {
    const s = alloc(C, a.length, 'share');
    (s as unknown as TypedArray).set(a as never);
    return s;
  }
  const whole = a.buffer instanceof ArrayBuffer && a.byteOffset === 0 && a.byteLength === a.buffer.byteLength;
  const own = whole && !transfer.has(a.buffer) ? a : (a.slice() as A);
  transfer.add(own.buffer as ArrayBuffer);
  return own;
}

function fromWireColumn(c: WireColumn): Vector {
  return makeVector(c.type, c.length, c.values, c.valid, c.text && c.offsets ? decodeDict(c.text, c.offsets) : c.dict, c.big);
}

/** The dictionary's strings: one decode of the whole text, then one substring per entry. */
function decodeDict(text: Uint8Array, offsets: Int32Array): string[] {
  const all = decoder.decode(text);
  const n = offsets.length - 1;
  const dict = new Array<string>(n);
  for (let i = 0; i < n; i++) dict[i] = all.substring(offsets[i], offsets[i + 1]);
  return dict;
}

/** A slice's partial aggregate as it crosses threads: key columns in wire form, state arrays moved. */
export interface WirePartial extends Omit<PartialAgg, 'keys'> {
  keys: WireColumn[];
}

export function partialToWire(p: PartialAgg): { partial: WirePartial; transfer: ArrayBuffer[] } {
  const { columns, transfer } = toWire(p.keys, 'move');
  const moved = new Set(transfer);
  // the states' arrays are the partial's own copies (GroupTable.toPartial)
  for (const s of p.states) for (const a of [...s.slots, s.count]) if (a.buffer instanceof ArrayBuffer) moved.add(a.buffer);
  return { partial: { ...p, keys: columns }, transfer: [...moved] };
}

export function partialFromWire(p: WirePartial): PartialAgg {
  return { ...p, keys: fromWire(p.keys) };
}

/** A join step whose build batch travels as shared buffers (sent once, read by every slice). */
export function withSentBuild(step: JoinStep): JoinStep {
  return { ...step, build: [], sent: toWire(step.build, 'share').columns };
}
