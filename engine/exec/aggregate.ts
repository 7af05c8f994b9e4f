// Hash aggregation: a generated loop that (optionally) filters rows, finds each row's group and
// updates the aggregate states in typed arrays. Slices build partial states; the leader merges
// them and finalizes. Sums of integers and decimals are exact (double accumulator spilled into
// BigInt before it can lose a digit).
import { type BAgg, type BExpr, parameterize } from '../plan/bound.ts';
import type { Batch, Vector } from '../types/vector.ts';
import { PHYSICAL, isString, scaleOf, type SqlType, MAX_EXACT } from '../types/types.ts';
import { ExprEmitter, rowLoop } from './codegen.ts';
import { emitFilter, shapeOf } from './kernels.ts';
import { runtime } from './runtime.ts';

export interface AggSpec {
  keys: BExpr[];
  aggs: BAgg[];
  /** rows must pass this predicate first (fused into the same loop) */
  filter?: BExpr | null;
}

const SPILL = 4503599627370496; // 2^52: below this, adding one more |v| < 2^52 stays exact

type KeyValue = number | string | boolean | null;

/** Per-aggregate state arrays, indexed by group id. */
interface AggState {
  a: Float64Array; // sum / min / max / bool
  c: Float64Array; // count of non-null inputs
  q?: Float64Array; // sum of squares
  big?: bigint[]; // spilled exact sums
  strs?: (string | undefined)[]; // min/max of strings
  sets?: Set<KeyValue>[]; // DISTINCT inputs
  lists?: KeyValue[][]; // listagg / median inputs
}

/** Serializable partial state a slice sends to the leader. */
export interface PartialAgg {
  groups: number;
  keys: KeyValue[][];
  states: { a: Float64Array; c: Float64Array; q?: Float64Array; big?: string[]; strs?: (string | undefined)[]; sets?: KeyValue[][]; lists?: KeyValue[][] }[];
}

const exactSum = (agg: BAgg) => (agg.fn === 'sum' || agg.fn === 'avg') && agg.arg !== null && PHYSICAL[agg.arg.type.id].numeric && agg.arg.type.id !== 'REAL' && agg.arg.type.id !== 'DOUBLE PRECISION';

/** Groups and their aggregate states. One per slice per query, and one at the leader. */
export class GroupTable {
  groups = 0;
  private cap = 16;
  readonly keys: KeyValue[][];
  readonly states: AggState[];
  private readonly index = new Map<KeyValue, number>();

  constructor(readonly spec: AggSpec) {
    this.keys = spec.keys.map(() => []);
    this.states = spec.aggs.map((agg) => this.newState(agg));
    if (spec.keys.length === 0) this.addGroup([]);
  }

  private newState(agg: BAgg): AggState {
    const s: AggState = { a: new Float64Array(this.cap), c: new Float64Array(this.cap) };
    if (agg.fn.startsWith('stddev') || agg.fn.startsWith('var')) s.q = new Float64Array(this.cap);
    if (exactSum(agg) && !agg.distinct) s.big = [];
    if ((agg.fn === 'min' || agg.fn === 'max') && agg.arg && isString(agg.arg.type)) s.strs = [];
    if (agg.distinct) s.sets = [];
    if (agg.fn === 'listagg' || agg.fn === 'median') s.lists = [];
    return s;
  }

  private grow(): void {
    this.cap *= 2;
    for (const s of this.states) {
      const grow = (x: Float64Array) => { const y = new Float64Array(this.cap); y.set(x); return y; };
      s.a = grow(s.a); s.c = grow(s.c);
      if (s.q) s.q = grow(s.q);
    }
  }

  private addGroup(key: KeyValue[]): number {
    const g = this.groups++;
    if (g >= this.cap) this.grow();
    key.forEach((v, i) => this.keys[i].push(v));
    this.spec.aggs.forEach((agg, i) => {
      const s = this.states[i];
      if (agg.fn === 'bool_and') s.a[g] = 1;
      s.sets?.push(new Set());
      s.lists?.push([]);
    });
    return g;
  }

  /** The group id for a one-column key, creating the group if new. */
  group1(v: KeyValue): number {
    const g = this.index.get(v);
    return g === undefined ? this.insert(v, [v]) : g;
  }

  /** The group id for a multi-column key. */
  groupN(key: KeyValue[]): number {
    const k = JSON.stringify(key);
    const g = this.index.get(k);
    return g === undefined ? this.insert(k, key) : g;
  }

  private insert(indexKey: KeyValue, key: KeyValue[]): number {
    const g = this.addGroup(key);
    this.index.set(indexKey, g);
    return g;
  }

  spill(i: number, g: number, s: number): void {
    const big = this.states[i].big!;
    big[g] = (big[g] ?? 0n) + BigInt(s);
  }

  /** Adds one batch (all rows, or those in `sel`) through the generated kernel. */
  consume(batch: Batch, sel: Uint32Array | null, n: number): void {
    this.lifted ??= liftParams(this.spec);
    const kernel = aggKernel(this.lifted.spec, batch);
    kernel(batch.columns.map((c) => c.values), batch.columns.map((c) => c.valid), batch.columns.map((c) => c.dict), n, sel, this, this.lifted.params);
  }

  private lifted?: { spec: AggSpec; params: unknown[] };

  /** This table's state in a form that crosses threads cheaply. */
  toPartial(): PartialAgg {
    const n = this.groups;
    return {
      groups: n,
      keys: this.keys,
      states: this.states.map((s) => ({
        a: s.a.slice(0, n), c: s.c.slice(0, n), q: s.q?.slice(0, n),
        big: s.big ? Array.from({ length: n }, (_, g) => (s.big![g] ?? 0n).toString()) : undefined,
        strs: s.strs, sets: s.sets?.map((x) => [...x]), lists: s.lists,
      })),
    };
  }

  /** Merges a slice's partial state into this (leader) table. */
  merge(p: PartialAgg): void {
    const nk = this.spec.keys.length;
    for (let pg = 0; pg < p.groups; pg++) {
      let g: number;
      if (nk === 0) g = 0;
      else if (nk === 1) g = this.group1(p.keys[0][pg]);
      else g = this.groupN(p.keys.map((k) => k[pg]));
      this.spec.aggs.forEach((agg, i) => {
        const s = this.states[i], ps = p.states[i];
        const pc = ps.c[pg];
        switch (agg.fn) {
          case 'min': case 'max': {
            if (pc === 0) break;
            const better = agg.fn === 'min' ? (x: number | string, y: number | string) => x < y : (x: number | string, y: number | string) => x > y;
            if (s.strs) { const v = ps.strs![pg]!; if (s.c[g] === 0 || better(v, s.strs[g]!)) s.strs[g] = v; }
            else if (s.c[g] === 0 || better(ps.a[pg], s.a[g])) s.a[g] = ps.a[pg];
            break;
          }
          case 'bool_and': s.a[g] = s.a[g] && ps.a[pg] ? 1 : 0; break;
          case 'bool_or': s.a[g] = s.a[g] || ps.a[pg] ? 1 : 0; break;
          default:
            s.a[g] += ps.a[pg];
            if (s.q) s.q[g] += ps.q![pg];
            if (ps.big && ps.big[pg] !== '0') s.big![g] = (s.big![g] ?? 0n) + BigInt(ps.big[pg]);
            if (Math.abs(s.a[g]) > SPILL && s.big) { this.spill(i, g, s.a[g]); s.a[g] = 0; }
        }
        s.c[g] += pc;
        if (s.sets) for (const v of ps.sets![pg]) s.sets[g].add(v);
        if (s.lists) for (const v of ps.lists![pg]) s.lists[g].push(v);
      });
    }
  }

  /** Final key and aggregate vectors, one row per group. */
  finish(keyTypes: SqlType[]): Vector[] {
    const n = this.groups;
    const out: Vector[] = keyTypes.map((t, i) => vectorFromValues(t, this.keys[i], n));
    this.spec.aggs.forEach((agg, i) => out.push(finishAgg(agg, this.states[i], n)));
    return out;
  }
}

/** Builds a vector from physical JS values (numbers, strings, booleans, null). */
export function vectorFromValues(t: SqlType, vals: KeyValue[], n: number): Vector {
  const values = new (PHYSICAL[t.id].array)(n);
  let valid: Uint8Array | null = null;
  const str = isString(t);
  const dict: string[] = [];
  const intern = runtime.interner(dict);
  for (let g = 0; g < n; g++) {
    const v = vals[g];
    if (v === null || v === undefined) { (valid ??= new Uint8Array(n).fill(1))[g] = 0; continue; }
    values[g] = str ? intern(v as string) : typeof v === 'boolean' ? (v ? 1 : 0) : (v as number);
  }
  return str ? { type: t, length: n, values, valid, dict } : { type: t, length: n, values, valid };
}

function finishAgg(agg: BAgg, s: AggState, n: number): Vector {
  const t = agg.type;
  const values = new (PHYSICAL[t.id].array)(n);
  const valid = new Uint8Array(n).fill(1);
  let big: (bigint | null)[] | undefined;
  let strs: (string | null)[] | undefined;
  const inScale = agg.arg ? scaleOf(agg.arg.type) : 0;
  for (let g = 0; g < n; g++) {
    const c = s.c[g];
    const distinct = s.sets?.[g];
    if (agg.fn === 'count' || agg.fn === 'count_star') { values[g] = distinct ? distinct.size : c; continue; }
    if (c === 0) { valid[g] = 0; continue; }
    switch (agg.fn) {
      case 'sum': case 'avg': {
        let total: bigint | number;
        let count = c;
        if (distinct) {
          count = distinct.size;
          total = exactSum(agg) ? [...distinct].reduce((acc: bigint, v) => acc + BigInt(v as number), 0n) : [...distinct].reduce((acc: number, v) => acc + (v as number), 0);
        } else total = s.big ? (s.big[g] ?? 0n) + BigInt(s.a[g]) : s.a[g];
        if (agg.fn === 'avg') {
          // Redshift: AVG of an integer column is an integer (truncated)
          values[g] = agg.type.id === 'BIGINT' ? Math.trunc(Number(total) / count) : Number(total) / count / 10 ** inScale;
        } else if (typeof total === 'bigint') {
          const num = Number(total);
          values[g] = num;
          if (total > BigInt(MAX_EXACT) || total < -BigInt(MAX_EXACT)) (big ??= new Array(n).fill(null))[g] = total;
        } else values[g] = total;
        break;
      }
      case 'min': case 'max':
        if (s.strs) (strs ??= new Array(n).fill(null))[g] = s.strs[g]!;
        else values[g] = s.a[g];
        break;
      case 'bool_and': case 'bool_or': values[g] = s.a[g]; break;
      case 'var_pop': case 'var_samp': case 'stddev_pop': case 'stddev_samp': {
        const k = 10 ** inScale;
        const mean = s.a[g] / c;
        const ss = Math.max(0, s.q![g] - c * mean * mean) / (k * k);
        const denom = agg.fn.endsWith('pop') ? c : c - 1;
        if (denom <= 0) { valid[g] = 0; break; }
        values[g] = agg.fn.startsWith('var') ? ss / denom : Math.sqrt(ss / denom);
        break;
      }
      case 'median': {
        const xs = (s.lists![g] as number[]).slice().sort((x, y) => x - y);
        const m = xs.length >> 1;
        values[g] = xs.length % 2 ? xs[m] : (xs[m - 1] + xs[m]) / 2;
        if (agg.arg && scaleOf(agg.arg.type) > 0 && t.id === 'DECIMAL') values[g] = Math.round(values[g]);
        break;
      }
      case 'listagg':
        (strs ??= new Array(n).fill(null))[g] = (s.lists![g] as string[]).join(agg.sep ?? '');
        break;
    }
  }
  const hasNull = valid.indexOf(0) >= 0;
  if (strs) return vectorFromValues(t, strs.map((x, g) => (valid[g] ? x : null)), n);
  const vec: Vector = { type: t, length: n, values, valid: hasNull ? valid : null };
  if (big) vec.big = big;
  return vec;
}

type AggKernel = (cols: unknown[], valids: unknown[], dicts: unknown[], n: number, sel: Uint32Array | null, S: GroupTable, P: unknown[]) => void;

/** The spec with its literals lifted into parameters (one kernel for every literal value). */
function liftParams(spec: AggSpec): { spec: AggSpec; params: unknown[] } {
  const all: BExpr[] = [...spec.keys, ...spec.aggs.map((a): BExpr => a.arg ?? { k: 'const', value: null, type: a.type }), ...(spec.filter ? [spec.filter] : [])];
  const { exprs, params } = parameterize(all);
  const nk = spec.keys.length, na = spec.aggs.length;
  return {
    spec: { keys: exprs.slice(0, nk), aggs: spec.aggs.map((a, i) => ({ ...a, arg: a.arg ? exprs[nk + i] : null })), filter: spec.filter ? exprs[nk + na] : null },
    params,
  };
}
const kernels = new Map<string, AggKernel>();

function aggKernel(spec: AggSpec, batch: Batch): AggKernel {
  const shape = shapeOf(batch);
  const key = `${JSON.stringify(spec)}|${JSON.stringify(shape)}`;
  let k = kernels.get(key);
  if (k) return k;
  const em = new ExprEmitter(shape);
  const body: string[] = [];
  if (spec.filter) emitFilter(em, spec.filter, body);
  // find the group
  const keys = spec.keys;
  const plainStringKeys = keys.length > 0 && keys.every((e) => e.k === 'col' && isString(e.type) && !shape.nullable[(e as { index: number }).index]);
  if (keys.length === 0) body.push('const g = 0;');
  else if (plainStringKeys) {
    // dictionary codes of each key column index a per-batch cache of group ids
    const idx = keys.map((e) => (e as { index: number }).index);
    for (const i of idx) em.col(i);
    em.prelude.push(`const L = [${idx.map((i) => `d${i}.length`).join(', ')}]; const gcache = L.reduce((a, b) => a * b, 1) <= 1048576 ? new Int32Array(L.reduce((a, b) => a * b, 1)).fill(-1) : null;`);
    let code = `c${idx[0]}[r]`;
    for (let j = 1; j < idx.length; j++) code = `(${code}) * L[${j}] + c${idx[j]}[r]`;
    const slow = idx.length === 1 ? `S.group1(d${idx[0]}[c${idx[0]}[r]])` : `S.groupN([${idx.map((i) => `d${i}[c${i}[r]]`).join(', ')}])`;
    body.push(`let g; if (gcache !== null) { const gi = ${code}; g = gcache[gi]; if (g < 0) { g = ${slow}; gcache[gi] = g; reload(); } } else { g = ${slow}; reload(); }`);
  } else {
    const vals = keys.map((e) => em.expr(e, body));
    const kv = vals.map((v) => (v.n === 'false' ? v.v : `(${v.n} ? null : ${v.v})`));
    body.push(keys.length === 1 ? `const g = S.group1(${kv[0]}); reload();` : `const g = S.groupN([${kv.join(', ')}]); reload();`);
  }
  // update each aggregate
  const locals: string[] = [];
  spec.aggs.forEach((agg, i) => {
    locals.push(`A${i} = S.states[${i}].a; C${i} = S.states[${i}].c;` + (agg.fn.startsWith('stddev') || agg.fn.startsWith('var') ? ` Q${i} = S.states[${i}].q;` : ''));
    if (agg.fn === 'count_star') { body.push(`C${i}[g]++;`); return; }
    const v = em.expr(agg.arg!, body);
    const upd: string[] = [];
    if (agg.distinct) upd.push(`S.states[${i}].sets[g].add(${v.v});`);
    else switch (agg.fn) {
      case 'count': break;
      case 'sum': case 'avg':
        if (exactSum(agg)) upd.push(`{ let s = A${i}[g] + ${v.v}; if (s > ${SPILL} || s < -${SPILL}) { S.spill(${i}, g, s); s = 0; } A${i}[g] = s; }`);
        else upd.push(`A${i}[g] += ${v.v};`);
        break;
      case 'min': case 'max': {
        const op = agg.fn === 'min' ? '<' : '>';
        if (isString(agg.arg!.type)) upd.push(`{ const x = ${v.v}, st = S.states[${i}].strs; if (C${i}[g] === 0 || x ${op} st[g]) st[g] = x; }`);
        else upd.push(`{ const x = ${v.v}; if (C${i}[g] === 0 || x ${op} A${i}[g]) A${i}[g] = x; }`);
        break;
      }
      case 'bool_and': upd.push(`if (!${v.v}) A${i}[g] = 0;`); break;
      case 'bool_or': upd.push(`if (${v.v}) A${i}[g] = 1;`); break;
      case 'listagg': case 'median': upd.push(`S.states[${i}].lists[g].push(${v.v});`); break;
      default: upd.push(`{ const x = ${v.v}; A${i}[g] += x; Q${i}[g] += x * x; }`);
    }
    upd.push(`C${i}[g]++;`);
    body.push(v.n === 'false' ? upd.join(' ') : `if (!(${v.n})) { ${upd.join(' ')} }`);
  });
  const decl = spec.aggs.map((_, i) => `let A${i}, C${i}, Q${i};`).join(' ');
  const source = `${decl}\nconst reload = () => { ${locals.join(' ')} };\nreload();\n${em.prelude.join('\n')}\n${rowLoop(body.join('\n'))}`;
  // eslint-disable-next-line no-new-func -- generated from our own bound plan
  k = new Function('rt', 'K', `return function aggKernel(cols, valids, dicts, n, sel, S, P) {\n${source}\n};`)(runtime, em.consts) as AggKernel;
  if (kernels.size > 1000) kernels.clear();
  kernels.set(key, k);
  return k;
}
