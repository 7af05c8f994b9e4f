// Columnar vectors: typed-array values plus an optional byte-per-row validity array.
import { TYPES, unhandledType, type SqlType, type TypedArray } from './types.ts';
import { parseValue } from './values.ts';
import { packedMap } from './packed-map.ts';

/**
 * One column of a batch. `values` is the physical typed array for the type (see TYPES);
 * `valid[i] === 0` marks a NULL (null `valid` means no NULLs). String vectors hold Int32 codes
 * into `dict`.
 */
export interface Vector {
  type: SqlType;
  length: number;
  values: TypedArray;
  valid: Uint8Array | null;
  dict?: string[];
  /**
   * Exact values for DECIMAL results wider than 2^53 (e.g. SUM over millions of rows);
   * `values` then holds the nearest doubles, used for ordering and further arithmetic.
   */
  big?: (bigint | null)[];
  /**
   * The same values as `value - base` in one or two bytes a row, kept from a segment's
   * frame-of-reference encoding: a scan's comparisons read these instead of the wider values.
   */
  frame?: Frame;
}

/** Integer values stored as their difference from `base` (storage/codec-for.ts). */
export interface Frame {
  base: number;
  deltas: Uint8Array | Uint16Array;
}

/** A batch of rows: equal-length vectors, one per output column. */
export interface Batch {
  length: number;
  columns: Vector[];
}

/**
 * A vector with every field, in one order (absent ones undefined). V8 gives objects made with
 * different optional fields, or in another order, different hidden classes: the scan, probe and
 * grouping code that reads vectors from segments of every encoding, joins and aggregates then
 * met a new class in a query's first run and was deoptimized, to be compiled again runs later in
 * every slice (TPC-H Q3 at SF 1: the zone-map check in the scan loop, a probe's gather).
 */
export function makeVector(type: SqlType, length: number, values: TypedArray, valid: Uint8Array | null, dict?: string[], big?: (bigint | null)[], frame?: Frame): Vector {
  return { type, length, values, valid, dict, big, frame };
}

export function allocVector(type: SqlType, length: number, withValidity = false): Vector {
  const Ctor = TYPES[type.id].array;
  return makeVector(type, length, new Ctor(length), withValidity ? new Uint8Array(length).fill(1) : null, TYPES[type.id].string ? [] : undefined);
}

/** Builds a string vector from JS strings (null for NULL), dictionary-encoding as it goes. */
export function stringVector(type: SqlType, items: (string | null)[]): Vector {
  const codes = new Int32Array(items.length);
  const dict: string[] = [];
  const index = new Map<string, number>();
  let valid: Uint8Array | null = null;
  for (let i = 0; i < items.length; i++) {
    const s = items[i];
    if (s === null) {
      valid ??= new Uint8Array(items.length).fill(1);
      valid[i] = 0;
      continue;
    }
    let c = index.get(s);
    if (c === undefined) { c = dict.length; dict.push(s); index.set(s, c); }
    codes[i] = c;
  }
  return makeVector(type, items.length, codes, valid, dict);
}

/**
 * A vector from JS values as system listings hold them (null for NULL): text, numbers, booleans,
 * and timestamps as ISO-8601 text with a zone (what Date#toISOString writes); DATE and DECIMAL
 * values are read as SQL text.
 */
export function vectorFromValues(type: SqlType, items: readonly unknown[]): Vector {
  const kind = TYPES[type.id].kind;
  if (kind === 'string') return stringVector(type, packedMap(items, (x) => (x === null || x === undefined ? null : String(x))));
  const n = items.length;
  const values = new (TYPES[type.id].array)(n);
  let valid: Uint8Array | null = null;
  for (let i = 0; i < n; i++) {
    const x = items[i];
    if (x === null || x === undefined || kind === 'null') { (valid ??= new Uint8Array(n).fill(1))[i] = 0; continue; }
    switch (kind) {
      case 'integer': case 'float': values[i] = Number(x); break;
      case 'boolean': values[i] = x ? 1 : 0; break;
      case 'timestamp': values[i] = Date.parse(String(x)) * 1000; break;
      case 'decimal': case 'date': values[i] = Number(parseValue(type, String(x))); break;
      default: unhandledType(kind);
    }
  }
  return makeVector(type, n, values, valid);
}

type GatherLoop = (src: TypedArray, sel: Uint32Array, count: number, dst: TypedArray) => void;
const gatherLoops = new Map<string, GatherLoop>();

/**
 * dst[i] = src[sel[i]] for i < count, one generated loop per pair of typed-array kinds: a loop
 * shared by every column kind is polymorphic, and V8 then moves the elements through its slow
 * generic path.
 */
export function takeInto(src: TypedArray, sel: Uint32Array, count: number, dst: TypedArray): void {
  const kinds = `${src.constructor.name}>${dst.constructor.name}`;
  let loop = gatherLoops.get(kinds);
  if (!loop) {
    // eslint-disable-next-line no-new-func -- fixed source; only its feedback differs per pair of array kinds
    loop = new Function('src', 'sel', 'count', 'dst', 'for (let i = 0; i < count; i++) dst[i] = src[sel[i]];\n//# sourceURL=strata-gather.js') as GatherLoop;
    gatherLoops.set(kinds, loop);
  }
  loop(src, sel, count, dst);
}

/** Takes the rows at `sel` (or the first `count` rows when sel is null) into a new compact vector. */
export function gather(v: Vector, sel: Uint32Array | null, count: number): Vector {
  const Ctor = v.values.constructor as { new (n: number): TypedArray };
  const values = new Ctor(count);
  let valid: Uint8Array | null = null;
  if (sel === null) {
    values.set(v.values.subarray(0, count));
    if (v.valid) valid = v.valid.slice(0, count);
    if (v.big) return makeVector(v.type, count, values, valid, v.dict, v.big.slice(0, count));
  } else {
    takeInto(v.values, sel, count, values);
    if (v.valid) {
      valid = new Uint8Array(count);
      takeInto(v.valid, sel, count, valid);
    }
    if (v.big) return makeVector(v.type, count, values, valid, v.dict, Array.from(sel.subarray(0, count), (r) => v.big![r]));
  }
  return makeVector(v.type, count, values, valid, v.dict);
}

/**
 * A string column's first `n` codes renumbered over only the dictionary entries they use, and
 * those entries in order of first use (NULL rows get code 0): a piece of a larger result keeps
 * the whole result's dictionary, which a writer (a spill file, a Parquet piece, the wire) should
 * not copy for every piece. A dictionary over 16 times the rows is looked up through a Map, whose
 * cost follows the rows; a smaller one through an array of its size, faster per row (measured:
 * at 8,192 rows they cost the same near 8 times, at 65,536 rows the array still wins at 16).
 */
export function usedEntries(v: Vector, n = v.length): { codes: Int32Array; dict: string[] } {
  const all = v.dict ?? [];
  const codes = v.values as Int32Array;
  const valid = v.valid;
  const out = new Int32Array(n);
  const dict: string[] = [];
  if (all.length > 16 * n) {
    const seen = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      if (valid && valid[i] === 0) continue;
      const c = codes[i];
      let m = seen.get(c);
      if (m === undefined) { m = dict.length; seen.set(c, m); dict.push(all[c]); }
      out[i] = m;
    }
    return { codes: out, dict };
  }
  const seen = new Int32Array(all.length).fill(-1);
  for (let i = 0; i < n; i++) {
    if (valid && valid[i] === 0) continue;
    const c = codes[i];
    let m = seen[c];
    if (m < 0) { m = seen[c] = dict.length; dict.push(all[c]); }
    out[i] = m;
  }
  return { codes: out, dict };
}

/**
 * Row i as a JS value: null, a string from the dictionary, a boolean, or the number (the exact
 * bigint of a wide value when `exact`, else its physical double).
 */
export function valueAt(v: Vector, i: number, exact = true): string | number | boolean | bigint | null {
  if (v.valid !== null && v.valid[i] === 0) return null;
  switch (TYPES[v.type.id].kind) {
    case 'string': return v.dict![v.values[i]];
    case 'boolean': return v.values[i] === 1;
    default: return exact ? v.big?.[i] ?? v.values[i] : v.values[i];
  }
}

export function isNull(v: Vector, i: number): boolean {
  return v.valid !== null && v.valid[i] === 0;
}

/** Concatenates vectors of one type; string dictionaries are merged. */
export function concatVectors(type: SqlType, parts: Vector[]): Vector {
  const steps = concatSteps(type, parts);
  for (;;) { const r = steps.next(); if (r.done) return r.value; }
}

/** concatVectors that awaits `pause` between steps of a few thousand rows (for the leader). */
export async function concatVectorsYielding(type: SqlType, parts: Vector[], pause: () => Promise<void>): Promise<Vector> {
  const steps = concatSteps(type, parts);
  for (;;) { const r = steps.next(); if (r.done) return r.value; await pause(); }
}

/** Rows of strings remapped between two yields of concatSteps. */
const CONCAT_STEP = 8192;

/**
 * The rows at `sels[j]` of each part j (all its rows where `sels` or `sels[j]` is null), one part
 * after another, in one new vector: a concatenation that picks rows, so pieces of rows cut by
 * destination (an exchange) are copied once rather than joined and then gathered.
 */
export function concatRows(type: SqlType, parts: Vector[], sels: (Uint32Array | null)[]): Vector {
  const steps = concatSteps(type, parts, sels);
  for (;;) { const r = steps.next(); if (r.done) return r.value; }
}

/**
 * Rows [from, to) of string part `p` (at `sel`, or in order) as codes into `dict`, written from
 * `values[off + from]`: each code of the part's dictionary is looked up once (`remap`). The
 * loops of concatSteps are functions of their own: the generator runs once per part and is not
 * worth optimizing, and a path its first callers had not taken (a selection, strings) then
 * deoptimized all of it in a query's first run, to be compiled again a few runs later.
 */
function recodeStrings(p: Vector, sel: Uint32Array | null, from: number, to: number, remap: Int32Array, index: Map<string, number>, dict: string[], values: Int32Array, off: number): void {
  const codes = p.values, pValid = p.valid, pDict = p.dict!;
  for (let i = from; i < to; i++) {
    const r = sel !== null ? sel[i] : i;
    if (pValid !== null && pValid[r] === 0) continue;
    const k = codes[r];
    let c = remap[k];
    if (c < 0) {
      const s = pDict[k];
      c = index.get(s) ?? -1;
      if (c < 0) { c = dict.length; dict.push(s); index.set(s, c); }
      remap[k] = c;
    }
    values[off + i] = c;
  }
}

/** The work of concatVectors and concatRows, yielding after every part and every CONCAT_STEP rows of strings. */
function* concatSteps(type: SqlType, parts: Vector[], sels: (Uint32Array | null)[] | null = null): Generator<void, Vector> {
  const rowsOf = (j: number) => sels?.[j]?.length ?? parts[j].length;
  let n = 0;
  for (let j = 0; j < parts.length; j++) n += rowsOf(j);
  const Ctor = TYPES[type.id].array;
  const values = new Ctor(n);
  const anyNull = parts.some((p) => p.valid !== null);
  const valid = anyNull ? new Uint8Array(n).fill(1) : null;
  const isStr = TYPES[type.id].string;
  // parts sharing one dictionary (a broadcast build side's, a segment's) keep it and their codes,
  // unless it holds more entries than the rows (then only the entries used are kept)
  const first = parts[0]?.dict;
  const shared = isStr && first && first.length <= n && parts.every((p) => p.dict === first) ? first : null;
  const dict: string[] = [];
  const index = new Map<string, number>();
  // one remapping per source dictionary, however many parts share it: each entry is looked up once
  const remaps = new Map<readonly string[], Int32Array>();
  let off = 0;
  for (let j = 0; j < parts.length; j++) {
    const p = parts[j], sel = sels?.[j] ?? null, count = rowsOf(j);
    if (isStr && shared === null) {
      // only the codes this part uses: a part gathered from a segment shares its whole dictionary
      let remap = remaps.get(p.dict!);
      if (!remap) { remap = new Int32Array(p.dict!.length).fill(-1); remaps.set(p.dict!, remap); }
      for (let from = 0; from < count; from += CONCAT_STEP) {
        recodeStrings(p, sel, from, Math.min(count, from + CONCAT_STEP), remap, index, dict, values as Int32Array, off);
        if (from + CONCAT_STEP < count) yield;
      }
    } else if (sel) {
      takeInto(p.values, sel, count, values.subarray(off, off + count));
    } else {
      values.set(p.values.subarray(0, p.length) as never, off);
    }
    if (valid && p.valid) {
      if (sel) takeInto(p.valid, sel, count, valid.subarray(off, off + count));
      else valid.set(p.valid.subarray(0, p.length), off);
    }
    off += count;
    yield;
  }
  if (isStr) return makeVector(type, n, values, valid, shared ?? dict);
  if (!parts.some((p) => p.big)) return makeVector(type, n, values, valid);
  const big = parts.flatMap((p, j) => {
    const sel = sels?.[j] ?? null;
    if (!p.big) return Array.from({ length: rowsOf(j) }, () => null);
    return sel ? Array.from(sel, (r) => p.big![r]) : p.big.slice(0, p.length);
  });
  return makeVector(type, n, values, valid, undefined, big);
}
