// Compiled kernels over one batch: filter (-> selection vector) and project (-> new vectors).
// Each is generated once per (expressions, input shape) and cached.
import { type BExpr, parameterize } from '../plan/bound.ts';
import type { Batch, Vector } from '../types/vector.ts';
import { makeVector } from '../types/vector.ts';
import { TYPES, isBoolean, isString, isWide } from '../types/types.ts';
import { ExprEmitter, type InputShape, rowLoop } from './codegen.ts';
import { runtime } from './runtime.ts';
import { generatedCode } from './code-cache.ts';
import { emitSelectionPass } from './selection.ts';
import { packedMap } from '../types/packed-map.ts';

export { emitSelectionPass };

type RawKernel = (cols: unknown[], valids: unknown[], dicts: unknown[], n: number, sel: Uint32Array | null, out: unknown[], P: unknown[], frames: unknown[] | undefined, K: unknown[], rt: typeof runtime) => number;

/** A generated kernel and the constants (sets, regexes, pass orders) its expressions were given. */
interface Kernel { run: RawKernel; consts: unknown[] }

/** Kernels by expressions and shape; their functions come from the isolate's code cache, by source. */
const cache = new Map<string, Kernel>();

/** The kernel's parameters: per-query values are arguments, so one function serves every query generating its source. */
const KERNEL_PARAMS = ['cols', 'valids', 'dicts', 'n', 'sel', 'out', 'P', 'frames', 'K', 'rt'];

/** What generated code knows of a batch's columns; `frames` for kernels whose filters read frame-of-reference deltas. */
export function shapeOf(batch: Batch, frames = false): InputShape {
  const shape: InputShape = { types: packedMap(batch.columns, (c) => c.type), nullable: packedMap(batch.columns, (c) => c.valid !== null) };
  if (batch.columns.some((c) => c.big)) shape.big = packedMap(batch.columns, (c) => c.big !== undefined);
  if (frames && batch.columns.some((c) => c.frame)) shape.frames = packedMap(batch.columns, (c) => c.frame !== undefined);
  return shape;
}

/** Per column, its frame-of-reference deltas or null (the kernels' `frames` argument). */
export function framesOf(batch: Batch): unknown[] {
  return packedMap(batch.columns, (c) => c.frame ?? null);
}

function compile(key: string, build: () => { source: string; consts: unknown[] }): Kernel {
  let k = cache.get(key);
  if (!k) {
    const { source, consts } = build();
    k = { run: generatedCode.fn<RawKernel>(KERNEL_PARAMS, source), consts };
    if (cache.size > 2000) cache.clear();
    cache.set(key, k);
  }
  return k;
}

function args(batch: Batch): [unknown[], unknown[], unknown[]] {
  return [packedMap(batch.columns, (c) => c.values), packedMap(batch.columns, (c) => c.valid), sideArrays(batch)];
}

/** Per column, the array generated code reads as `d<i>`: the string dictionary, or a DECIMAL's exact wide values. */
export function sideArrays(batch: Batch): unknown[] {
  return packedMap(batch.columns, (c) => c.dict ?? c.big);
}

/** Splits a predicate into its top-level AND terms, so rows leave the loop at the first failing one. */
export function conjuncts(e: BExpr): BExpr[] {
  return e.k === 'and' ? e.args.flatMap(conjuncts) : [e];
}

/** Emits per-row statements that `continue` when the predicate is not TRUE. */
export function emitFilter(em: ExprEmitter, pred: BExpr, out: string[]): void {
  emitConjuncts(em, conjuncts(pred), out);
}

function emitConjuncts(em: ExprEmitter, terms: BExpr[], out: string[]): void {
  for (const c of terms) {
    const v = em.expr(c, out);
    out.push(v.n === 'false' ? `if (!${v.v}) continue;` : `if (${v.n} || !${v.v}) continue;`);
  }
}

/**
 * A predicate's conjuncts split in two: `plain` comparisons (see plainComparison), which a
 * selection pass tests without a branch, and the `rest`, tested one by one after them.
 */
export function splitFilter(shape: InputShape, pred: BExpr): { plain: BExpr[]; rest: BExpr[] } {
  const terms = conjuncts(pred);
  const plain = terms.filter((c) => plainComparison(shape, c));
  return { plain, rest: terms.filter((c) => !plain.includes(c)) };
}

/**
 * A comparison of columns and literals of one numeric or date kind whose code is one JS
 * comparison: no call (so nothing can throw or allocate), no string, no value past 2^53. Such
 * a test is as cheap as the branch that would skip it. Decided by generating it on its own.
 */
function plainComparison(shape: InputShape, e: BExpr): boolean {
  if (e.k !== 'cmp') return false;
  const operand = (x: BExpr) => (x.k === 'col' || x.k === 'param' || (x.k === 'const' && x.value !== null)) && !isString(x.type) && !isWide(x.type) && !shape.big?.[x.k === 'col' ? x.index : -1];
  if (!operand(e.left) || !operand(e.right)) return false;
  const trial = new ExprEmitter(shape), code: string[] = [];
  trial.expr(e, code);
  return !/\brt\./.test(code.join('\n'));
}

/**
 * Rows of `batch` (restricted to `sel` if given) for which `pred` is TRUE, as a selection vector:
 * written into `into` when given (at least as long as the rows tested), else a new array.
 */
export function filterBatch(batch: Batch, predicate: BExpr, sel: Uint32Array | null = null, into?: Uint32Array): { sel: Uint32Array; count: number } {
  const shape = shapeOf(batch, true);
  const { pred, params, key } = liftedFilter(predicate);
  const kernel = compile(`${key}|${JSON.stringify(shape)}`, () => {
    const em = new ExprEmitter(shape);
    const { plain, rest } = splitFilter(shape, pred);
    const body: string[] = [];
    if (plain.length === 0) {
      emitConjuncts(em, rest, body);
      body.push('outSel[k++] = r;');
      return { source: `const outSel = out[0]; let k = 0;\n${em.prelude.join('\n')}\n${rowLoop(body.join('\n'))}\nreturn k;`, consts: em.consts };
    }
    // the plain comparisons select into outSel; the rest then keep rows of it in place
    const pass = emitSelectionPass(em, plain, 'outSel');
    if (rest.length === 0) return { source: `const outSel = out[0]; let k = 0;\n${em.prelude.join('\n')}\n${pass}\nreturn k;`, consts: em.consts };
    emitConjuncts(em, rest, body);
    body.push('outSel[m++] = r;');
    return { source: `const outSel = out[0]; let k = 0, m = 0;\n${em.prelude.join('\n')}\n${pass}\nfor (let j = 0; j < k; j++) { const r = outSel[j]; ${body.join('\n')} }\nreturn m;`, consts: em.consts };
  });
  const n = sel ? sel.length : batch.length;
  const outSel = into ?? new Uint32Array(n);
  const [c, v, d] = args(batch);
  const count = kernel.run(c, v, d, n, sel, [outSel], params, framesOf(batch), kernel.consts, runtime);
  return { sel: outSel, count };
}

/** Predicates with their literals lifted into parameters, and their part of the kernel key. */
const liftedFilters = new WeakMap<BExpr, { pred: BExpr; params: unknown[]; key: string }>();

/** Made once per predicate: a scan filters batch after batch with the same one. */
function liftedFilter(predicate: BExpr): { pred: BExpr; params: unknown[]; key: string } {
  let l = liftedFilters.get(predicate);
  if (!l) {
    const { exprs: [pred], params } = parameterize([predicate]);
    l = { pred, params, key: `F${JSON.stringify(pred)}` };
    liftedFilters.set(predicate, l);
  }
  return l;
}

/** Evaluates expressions over the selected rows of a batch into new vectors. */
export function projectBatch(batch: Batch, expressions: BExpr[], sel: Uint32Array | null, count: number): Vector[] {
  const shape = shapeOf(batch);
  const { exprs, params } = parameterize(expressions);
  const kernel = compile(`P${JSON.stringify(exprs)}|${JSON.stringify(shape)}`, () => {
    const em = new ExprEmitter(shape);
    const body: string[] = [];
    exprs.forEach((e, i) => {
      const v = em.expr(e, body);
      let store = isString(e.type) ? `o${i}[k] = intern${i}(${v.v});` : isBoolean(e.type) ? `o${i}[k] = ${v.v} ? 1 : 0;` : `o${i}[k] = ${v.v};`;
      // a wide DECIMAL past 2^53 keeps its exact value beside the nearest double
      if (isWide(e.type)) store = `{ const x = ${v.v}; if (typeof x === 'bigint') { o${i}[k] = Number(x); (out[${i}].big ??= new Array(n).fill(null))[k] = x; } else o${i}[k] = x; }`;
      body.push(v.n === 'false' ? store : `if (${v.n}) ov${i}[k] = 0; else ${store}`);
    });
    body.push('k++;');
    const setup = exprs.map((e, i) => `const o${i} = out[${i}].values, ov${i} = out[${i}].valid;` + (isString(e.type) ? ` const intern${i} = rt.interner(out[${i}].dict);` : '')).join('\n');
    return { source: `let k = 0;\n${setup}\n${em.prelude.join('\n')}\n${rowLoop(body.join('\n'))}\nreturn k;`, consts: em.consts };
  });
  const outs: Vector[] = packedMap(exprs, (e) => {
    return makeVector(e.type, count, new (TYPES[e.type.id].array)(count), new Uint8Array(count).fill(1), isString(e.type) ? [] : undefined);
  });
  const [c, v, d] = args(batch);
  kernel.run(c, v, d, count, sel, outs, params, undefined, kernel.consts, runtime);
  for (const o of outs) if (o.valid!.indexOf(0) < 0) o.valid = null;
  return outs;
}

/** Projection that only picks columns: no code needed, vectors are gathered (strings keep their dictionary). */
export function isPlainColumn(e: BExpr): e is Extract<BExpr, { k: 'col' }> {
  return e.k === 'col';
}

