// Expression code generation: bound expressions -> JavaScript statements over typed-array
// columns. One generated loop per kernel; no per-row interpretation and no per-row objects
// except the strings a string expression produces.
import { type BExpr, constArgCodes, walk } from '../plan/bound.ts';
import { TYPES, isBigint, isBoolean, isDate, isDecimal, isString, isWide, lengthOf, precisionOf, scaleOf, typeInfo, type JsForm, type SqlType } from '../types/types.ts';
import { emitArithmetic, emitCast, emitComparison, emitNegate } from '../functions/ops.ts';
import { lookupScalar, emitExtract, isVolatileFunction } from '../functions/registry.ts';
import { SqlError } from '../errors.ts';

/** What the generator knows about an input column: its type and whether it may hold NULLs. */
export interface InputShape {
  types: SqlType[];
  nullable: boolean[];
  /** columns carrying exact wide DECIMAL values (Vector.big), passed in the kernel's `dicts` slot */
  big?: boolean[];
  /** columns with frame-of-reference deltas (Vector.frame), passed in the kernel's `frames` argument; only filters read them */
  frames?: boolean[];
}

/** A generated value: a JS expression for the value and one for "is NULL" ('false' when never). */
export interface Val {
  v: string;
  n: string;
}

/** A placeholder value of each JS form, for rows whose value is NULL. */
const PLACEHOLDER: Record<JsForm, string> = { string: "''", boolean: 'false', number: '0' };
const DEFAULT_OF = (t: SqlType) => PLACEHOLDER[typeInfo(t).js];

/**
 * Emits JS for expressions over one input batch. Per-batch setup (column bindings, dictionary
 * masks, regexes) goes to `prelude`; per-row statements go to the `out` array passed in, with the
 * current physical row in variable `r`.
 */
export class ExprEmitter {
  readonly prelude: string[] = [];
  /** constants shared with the generated function (regexes, sets), by index */
  readonly consts: unknown[] = [];
  private next = 0;
  private bound = new Set<number>();
  /** values already computed unconditionally in this row's code, by expression (CSE) */
  private readonly computed = new Map<string, Val>();
  /** > 0 while emitting inside a branch (CASE, lazy AND/OR): results there are not reusable */
  private branch = 0;

  constructor(readonly shape: InputShape) {}

  tmp(prefix = 't'): string {
    return `${prefix}${this.next++}`;
  }

  constant(value: unknown): string {
    this.consts.push(value);
    return `K[${this.consts.length - 1}]`;
  }

  private bind(i: number): void {
    if (this.bound.has(i)) return;
    this.bound.add(i);
    this.prelude.push(`const c${i} = cols[${i}], v${i} = valids[${i}], d${i} = dicts[${i}];`);
  }

  private params = new Set<number>();

  /** A lifted literal, read once per batch into a local. */
  private param(i: number): string {
    if (!this.params.has(i)) { this.params.add(i); this.prelude.push(`const p${i} = P[${i}];`); }
    return `p${i}`;
  }

  /** Column i's value at row r, as a JS expression. */
  col(i: number): Val {
    this.bind(i);
    const t = this.shape.types[i];
    const n = this.shape.nullable[i] ? `(v${i}[r] === 0)` : 'false';
    if (isString(t)) return { v: `d${i}[c${i}[r]]`, n };
    if (isBoolean(t)) return { v: `(c${i}[r] === 1)`, n };
    // a DECIMAL past 2^53 reads its exact bigint (the double in c is only its neighbour)
    if (this.shape.big?.[i]) return { v: `(d${i}[r] != null ? d${i}[r] : c${i}[r])`, n };
    return { v: `c${i}[r]`, n };
  }

  /** Emits statements computing e into `out`; returns how to read its value and NULL flag. */
  expr(e: BExpr, out: string[]): Val {
    if (e.k === 'col' || e.k === 'const' || e.k === 'param') return this.emit(e, out);
    // equal subexpressions of one row are computed once, unless they call a volatile function:
    // random() twice in a row is two draws
    const key = this.branch === 0 && !callsVolatile(e) ? JSON.stringify(e) : '';
    const hit = key && this.computed.get(key);
    if (hit) return hit;
    const v = this.emit(e, out);
    if (key) this.computed.set(key, v);
    return v;
  }

  /** Starts a new row's code: nothing computed yet. */
  resetRow(): void {
    this.computed.clear();
  }

  private inBranch<T>(f: () => T): T {
    this.branch++;
    try { return f(); } finally { this.branch--; }
  }

  private emit(e: BExpr, out: string[]): Val {
    switch (e.k) {
      case 'col':
        return this.col(e.index);
      case 'param':
        return { v: this.param(e.index), n: 'false' };
      case 'const':
        if (e.value === null) return { v: DEFAULT_OF(e.type), n: 'true' };
        return { v: typeof e.value === 'string' ? JSON.stringify(e.value) : String(e.value), n: 'false' };
      case 'arith': {
        const l = this.expr(e.left, out), r = this.expr(e.right, out);
        const { code } = emitArithmetic(e.op, e.left.type, e.right.type, l.v, r.v);
        return this.strict([l, r], code, e.type, out);
      }
      case 'concat': {
        const l = this.expr(e.left, out), r = this.expr(e.right, out);
        return this.strict([l, r], `(${l.v} + ${r.v})`, e.type, out);
      }
      case 'cmp': {
        const mask = this.dictMask(e, out);
        if (mask) return mask;
        const l = this.expr(e.left, out), r = this.expr(e.right, out);
        return this.strict([l, r], emitComparison(e.op, e.left.type, e.right.type, l.v, r.v), e.type, out);
      }
      case 'and':
      case 'or':
        return this.logical(e.k, e.args, out);
      case 'not': {
        const a = this.expr(e.arg, out);
        return { v: `(!${a.v})`, n: a.n };
      }
      case 'isnull': {
        const a = this.expr(e.arg, out);
        return { v: e.negated ? `(!${a.n})` : `(${a.n})`, n: 'false' };
      }
      case 'isbool': {
        const a = this.expr(e.arg, out);
        const is = `(!${a.n} && ${a.v} === ${e.value})`;
        return { v: e.negated ? `(!${is})` : is, n: 'false' };
      }
      case 'neg': {
        const a = this.expr(e.arg, out);
        return this.strict([a], emitNegate(e.type, a.v), e.type, out);
      }
      case 'cast': {
        const a = this.expr(e.arg, out);
        if (sameShape(e.arg.type, e.type)) return a;
        return this.strict([a], emitCast(e.arg.type, e.type, a.v, e.assign ? 'assignment' : 'explicit'), e.type, out);
      }
      case 'case':
        return this.caseExpr(e, out);
      case 'in':
        return this.inList(e, out);
      case 'like':
        return this.like(e, out);
      case 'call':
        return this.call(e, out);
      case 'subquery':
        // the executor replaces subqueries by their results before anything is compiled
        throw new SqlError('INTERNAL_ERROR', 'a subquery reached code generation unevaluated');
      case 'extract': {
        const a = this.expr(e.arg, out);
        return this.strict([a], emitExtract(e.field, e.arg.type, a.v), e.type, out);
      }
      case 'dateArith': {
        const l = this.expr(e.left, out);
        const iv = e.right;
        if (iv.k !== 'interval') throw new SqlError('DATATYPE_MISMATCH', 'interval arithmetic needs an INTERVAL operand');
        const sign = e.op === '-' ? -1 : 1;
        const fn = isDate(e.left.type) && isDate(e.type) ? 'dateAddInterval' : 'tsAddInterval';
        const from = isDate(e.left.type) && fn === 'tsAddInterval' ? `(${l.v} * 86400000000)` : l.v;
        return this.strict([l], `rt.${fn}(${from}, ${sign * iv.months}, ${sign * iv.days}, ${sign * iv.micros})`, e.type, out);
      }
      case 'interval':
        throw new SqlError('DATATYPE_MISMATCH', 'an INTERVAL can only be added to or subtracted from a DATE or TIMESTAMP');
      case 'model':
        throw new SqlError('INTERNAL_ERROR', 'model calls must be evaluated before code generation');
    }
  }

  /** A strict expression: NULL if any input is NULL; the code is evaluated only otherwise. */
  private strict(args: Val[], code: string, type: SqlType, out: string[]): Val {
    const nulls = args.map((a) => a.n).filter((n) => n !== 'false');
    if (nulls.includes('true')) return { v: DEFAULT_OF(type), n: 'true' };
    const t = this.tmp();
    if (nulls.length === 0) {
      out.push(`const ${t} = ${code};`);
      return { v: t, n: 'false' };
    }
    out.push(`const ${t}n = ${nulls.join(' || ')};`);
    out.push(`const ${t} = ${t}n ? ${DEFAULT_OF(type)} : ${code};`);
    return { v: t, n: `${t}n` };
  }

  /** AND/OR with SQL's three-valued logic, evaluated lazily left to right. */
  private logical(op: 'and' | 'or', args: BExpr[], out: string[]): Val {
    const t = this.tmp();
    const decisive = op === 'and' ? 'false' : 'true';
    out.push(`let ${t} = ${op === 'and' ? 'true' : 'false'}, ${t}n = false;`);
    let depth = 0;
    args.forEach((arg, i) => {
      const a = i === 0 ? this.expr(arg, out) : this.inBranch(() => this.expr(arg, out));
      // a decisive value (FALSE for AND, TRUE for OR) settles the result; NULL makes it unknown so far
      out.push(`if (!(${a.n}) && ${a.v} === ${decisive}) { ${t} = ${decisive}; ${t}n = false; }`);
      out.push(`else { if (${a.n}) ${t}n = true;`);
      depth++;
      if (i === args.length - 1) out.push('}'.repeat(depth));
    });
    return { v: t, n: `${t}n` };
  }

  private caseExpr(e: Extract<BExpr, { k: 'case' }>, out: string[]): Val {
    const t = this.tmp();
    out.push(`let ${t} = ${DEFAULT_OF(e.type)}, ${t}n = true;`);
    let close = 0;
    e.whens.forEach((w, i) => {
      const c = i === 0 ? this.expr(w.when, out) : this.inBranch(() => this.expr(w.when, out));
      out.push(`if (!(${c.n}) && ${c.v}) {`);
      const v = this.inBranch(() => this.expr(w.then, out));
      out.push(`${t} = ${v.v}; ${t}n = ${v.n}; } else {`);
      close++;
    });
    if (e.else) {
      const v = this.inBranch(() => this.expr(e.else!, out));
      out.push(`${t} = ${v.v}; ${t}n = ${v.n};`);
    }
    out.push('}'.repeat(close));
    return { v: t, n: `${t}n` };
  }

  private inList(e: Extract<BExpr, { k: 'in' }>, out: string[]): Val {
    const mask = this.dictMask(e, out);
    if (mask) return mask;
    const a = this.expr(e.arg, out);
    const allConst = e.list.every((x) => x.k === 'const');
    const t = this.tmp();
    if (allConst) {
      const values = e.list.filter((x) => x.k === 'const' && x.value !== null).map((x) => (x as { value: unknown }).value);
      const hasNull = values.length !== e.list.length;
      const set = this.constant(new Set(values));
      out.push(`const ${t}f = ${set}.has(${a.v});`);
      out.push(`const ${t}n = ${a.n}${hasNull ? ` || !${t}f` : ''};`);
      out.push(`const ${t} = ${e.negated ? `!${t}f` : `${t}f`};`);
      return { v: t, n: `${t}n` };
    }
    // general list: a chain of equality tests with NULL semantics
    // (a NULL value is unknown against every item: it never compares, so `found` stays false)
    out.push(`let ${t}f = false, ${t}u = ${a.n};`);
    for (const x of e.list) {
      const b = this.expr(x, out);
      out.push(`if (${b.n}) ${t}u = true; else if (!${t}f && !(${a.n}) && ${emitComparison('=', e.arg.type, x.type, a.v, b.v)}) ${t}f = true;`);
    }
    out.push(`const ${t}n = !${t}f && ${t}u;`);
    out.push(`const ${t} = ${e.negated ? `!${t}f` : `${t}f`};`);
    return { v: t, n: `${t}n` };
  }

  private like(e: Extract<BExpr, { k: 'like' }>, out: string[]): Val {
    const mask = this.dictMask(e, out);
    if (mask) return mask;
    const a = this.expr(e.arg, out);
    const p = this.expr(e.pattern, out);
    const code = `rt.like(${a.v}, ${p.v}, ${JSON.stringify(e.escape)}, ${e.ci})`;
    return this.strict([a, p], e.negated ? `!${code}` : code, e.type, out);
  }

  private call(e: Extract<BExpr, { k: 'call' }>, out: string[]): Val {
    const fn = lookupScalar(e.name, e.args.map((a) => a.type), constArgCodes(e.args));
    if (!fn) throw new SqlError('UNDEFINED_FUNCTION', `function ${e.name} does not exist`);
    // exact functions (conditionals, abs, round, mod, ...) take a BIGINT or wide DECIMAL past 2^53
    // as its bigint; math on doubles (sqrt, ln, ...) takes its nearest double; the rest (an
    // INTEGER position such as substring's) take only values up to 2^53
    const args = e.args.map((a, i) => {
      const v = this.expr(a, out);
      if (!isWide(a.type) || fn.exact) return v;
      if (fn.argKinds[i] === 'dbl') return { v: `rt.wnum(${v.v})`, n: v.n };
      return { v: `rt.${isBigint(a.type) ? 'narrowI64' : 'narrow'}(${v.v})`, n: v.n };
    });
    if (fn.strict) return this.strict(args, fn.emit(args.map((a) => a.v)), e.type, out);
    const t = this.tmp();
    out.push(`const ${t} = ${fn.emit(args.map((a) => (a.n === 'false' ? a.v : `(${a.n} ? null : ${a.v})`)))};`);
    return { v: t, n: `(${t} === null)` };
  }

  /**
   * A predicate of one dictionary-coded string column against constants is evaluated once per
   * dictionary entry (per batch); rows then read a byte mask by their code.
   */
  private dictMask(e: BExpr, out: string[]): Val | null {
    let colIdx: number;
    let test: (s: string) => string;
    if (e.k === 'cmp') {
      const lc = stringColumn(e.left);
      const [c, k, flip] = lc ? [lc, e.right, false] : [stringColumn(e.right), e.left, true];
      if (!c || !isString(k.type)) return null;
      if (!(k.k === 'param' || (k.k === 'const' && k.value !== null))) return null;
      colIdx = c.index;
      const lit = k.k === 'param' ? this.param(k.index) : JSON.stringify(k.value);
      const [side] = flip ? [e.right] : [e.left];
      test = (s) => (flip ? emitComparison(e.op, k.type, side.type, lit, c.text(s)) : emitComparison(e.op, side.type, k.type, c.text(s), lit));
    } else if (e.k === 'in') {
      const c = stringColumn(e.arg);
      if (!c || !e.list.every((x) => x.k === 'const' && x.value !== null)) return null;
      colIdx = c.index;
      const set = this.constant(new Set(e.list.map((x) => (x as { value: unknown }).value)));
      test = (s) => `${e.negated ? '!' : ''}${set}.has(${c.text(s)})`;
    } else if (e.k === 'like') {
      const c = stringColumn(e.arg);
      if (!c || e.pattern.k !== 'const' || typeof e.pattern.value !== 'string') return null;
      colIdx = c.index;
      const re = this.constant(compileLike(e.pattern.value, e.escape, e.ci));
      test = (s) => `${e.negated ? '!' : ''}${re}.test(${c.text(s)})`;
    } else return null;
    this.bind(colIdx);
    const m = this.tmp('m'), lazy = this.tmp('lazy'), k = this.tmp('k');
    // 2 = passes, 1 = fails, 0 = not tested yet: a dictionary larger than the batch (a segment's
    // dictionary of a high-cardinality column) is tested only at the codes the rows hold
    this.prelude.push(`const ${m} = new Uint8Array(d${colIdx}.length), ${lazy} = ${m}.length > n; if (!${lazy}) for (let q = 0; q < ${m}.length; q++) { const s = d${colIdx}[q]; ${m}[q] = (${test('s')}) ? 2 : 1; }`);
    out.push(`const ${k} = c${colIdx}[r]; if (${lazy} && ${m}[${k}] === 0) { const s = d${colIdx}[${k}]; ${m}[${k}] = (${test('s')}) ? 2 : 1; }`);
    const n = this.shape.nullable[colIdx] ? `(v${colIdx}[r] === 0)` : 'false';
    return { v: `(${m}[${k}] === 2)`, n };
  }
}

/**
 * A dictionary-coded string column, possibly under explicit casts to other string types (a
 * CHAR column compared with VARCHAR text is cast): `text(s)` is the value for entry `s`. Such
 * casts only cut or trim, never fail, so they can run once per dictionary entry.
 */
function stringColumn(e: BExpr): { index: number; text: (s: string) => string } | null {
  if (e.k === 'col') return isString(e.type) ? { index: e.index, text: (s) => s } : null;
  if (e.k !== 'cast' || e.assign || !isString(e.type) || !isString(e.arg.type)) return null;
  const inner = stringColumn(e.arg);
  if (!inner) return null;
  const from = e.arg.type, to = e.type;
  return { index: inner.index, text: (s) => (sameShape(from, to) ? inner.text(s) : emitCast(from, to, inner.text(s), 'explicit')) };
}

/** A compiled LIKE pattern (engine/functions/like.ts). */
interface LikeTest { test(s: string): boolean }
let likeCompiler: ((pattern: string, escape: string | null, ci: boolean) => LikeTest) | null = null;
/** Lets the runtime supply the LIKE matcher compiler (one implementation). */
export function setLikeCompiler(f: (pattern: string, escape: string | null, ci: boolean) => LikeTest): void {
  likeCompiler = f;
}
function compileLike(pattern: string, escape: string | null, ci: boolean): LikeTest {
  if (!likeCompiler) throw new SqlError('INTERNAL_ERROR', 'LIKE compiler not initialised');
  return likeCompiler(pattern, escape, ci);
}

function sameShape(a: SqlType, b: SqlType): boolean {
  if (a.id !== b.id) return false;
  if (isDecimal(a)) return scaleOf(a) === scaleOf(b) && precisionOf(b) >= precisionOf(a);
  if (isString(a)) return (lengthOf(b) ?? Infinity) >= (a.length ?? Infinity);
  return true;
}

/** Typed-array constructor name for generated allocations. */
export function arrayCtorName(t: SqlType): string {
  return TYPES[t.id].array.name;
}

/** The loop over the selected rows of a batch: `sel` null means rows 0..n-1. */
export function rowLoop(body: string): string {
  return `if (sel === null) { for (let r = 0; r < n; r++) { ${body} } } else { for (let j = 0; j < n; j++) { const r = sel[j]; ${body} } }`;
}

function callsVolatile(e: BExpr): boolean {
  let found = false;
  walk(e, (x) => { if (x.k === 'call' && isVolatileFunction(x.name)) found = true; });
  return found;
}
