// INSERT, UPDATE and DELETE. Deletes and updates write deletion vectors for the matched rows of
// each segment (and new segments for updated rows); committed segments are never modified.
import type * as A from '../../sql/ast.ts';
import type { Result } from '../../result.ts';
import type { StatementContext } from '../context.ts';
import { done } from '../session.ts';
import { SqlError } from '../../errors.ts';
import type { TableState, SegmentEntry } from '../../catalog/catalog.ts';
import { findTableById } from '../../catalog/lookup.ts';
import { type BExpr, usedColumns, mapCols, hasModelCall } from '../../plan/bound.ts';
import type { JoinStep } from '../../exec/fragment.ts';
import { fromWire, withSentBuild, type WireColumn } from '../../exec/wire.ts';
import type { Field } from '../../plan/logical.ts';
import { projectBatch } from '../../exec/kernels.ts';
import { concatVectors, type Batch, type Vector } from '../../types/vector.ts';
import { appendRows } from '../write.ts';
import { parseOne } from '../../sql/parser.ts';
import { type Scope, astChildren } from '../../plan/bind-expr.ts';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { writeDeletionVector, readDeletionVector } from '../../storage/deletion.ts';
import { segmentsBySlice } from '../../exec/fragments.ts';
import { checkColumnPrivilege, hasColumnPrivilege, hasTablePrivilege } from '../privileges.ts';

function tableFields(t: TableState, qualifier: string): Field[] {
  return t.columns.map((c) => ({ name: c.name, type: c.type, qualifier }));
}

/** The default value expression of each column (NULL when none). */
async function defaults(ctx: StatementContext, t: TableState): Promise<BExpr[]> {
  const binder = ctx.binder().exprs;
  return Promise.all(t.columns.map(async (c) => {
    if (!c.default) return { k: 'const', value: null, type: c.type } as BExpr;
    const stmt = parseOne(`SELECT ${c.default}`);
    const e = stmt.kind === 'Query' && stmt.query.kind === 'Select' ? stmt.query.columns[0].expr : null;
    return binder.coerce(await binder.bind(e!, { fields: [] }), c.type, stmt.pos);
  }));
}

export async function insert(stmt: A.Insert, ctx: StatementContext): Promise<Result> {
  const loc = ctx.writableTable(stmt.table, 'INSERT', stmt.pos);
  const t = loc.table;
  const targetCols = stmt.columns ? stmt.columns.map((name) => {
    const i = t.columns.findIndex((c) => c.name === name);
    if (i < 0) throw new SqlError('UNDEFINED_COLUMN', `column "${name}" of relation "${t.name}" does not exist`, stmt.pos);
    return i;
  }) : t.columns.map((_, i) => i);
  if (new Set(targetCols).size !== targetCols.length) throw new SqlError('DUPLICATE_OBJECT', 'column specified more than once in INSERT', stmt.pos);
  const defs = await defaults(ctx, t);
  const binder = ctx.binder().exprs;
  let source: Batch;
  if (stmt.source.kind === 'DefaultValues') {
    source = { length: 1, columns: projectBatch({ length: 1, columns: [] }, defs, null, 1) };
  } else if (stmt.source.kind === 'Values') {
    // each row is bound and coerced to the target columns' types, then evaluated
    const rows: Batch[] = [];
    const scope: Scope = { fields: [] };
    for (const row of stmt.source.rows) {
      if (row.length !== targetCols.length) throw new SqlError('SYNTAX_ERROR', `INSERT has ${row.length} expressions but ${targetCols.length} target columns`, row[0]?.pos ?? stmt.pos);
      const exprs = [...defs];
      for (let i = 0; i < row.length; i++) {
        const col = t.columns[targetCols[i]];
        if (row[i].kind === 'Default') continue;
        const b = await binder.bind(row[i], scope);
        exprs[targetCols[i]] = assign(binder, b, col.type, col.name, row[i].pos);
      }
      rows.push({ length: 1, columns: projectBatch({ length: 1, columns: [] }, exprs, null, 1) });
    }
    source = mergeRows(t, rows);
  } else {
    const plan = await ctx.bindQuery(stmt.source);
    const fields = plan.fields.filter((f) => !f.hidden);
    if (fields.length !== targetCols.length) throw new SqlError('SYNTAX_ERROR', `INSERT has ${fields.length} expressions but ${targetCols.length} target columns`, stmt.pos);
    const b = await ctx.run(plan);
    const exprs = defs.map((d, ci) => {
      const k = targetCols.indexOf(ci);
      if (k < 0) return d;
      return assign(binder, { k: 'col', index: k, type: fields[k].type }, t.columns[ci].type, t.columns[ci].name, stmt.pos);
    });
    source = { length: b.length, columns: projectBatch(b, exprs, null, b.length) };
  }
  const n = await appendRows(ctx, t, source);
  return done('INSERT', n);
}

/** Assignment cast: implicit where allowed; numeric narrowing and text to typed values as in Redshift. */
function assign(binder: ReturnType<StatementContext['binder']>['exprs'], e: BExpr, to: TableState['columns'][number]['type'], col: string, pos: A.Pos): BExpr {
  return binder.assign(e, to, col, pos);
}

function mergeRows(t: TableState, rows: Batch[]): Batch {
  if (rows.length === 1) return rows[0];
  // one-row batches, one per VALUES row; exact BIGINT/DECIMAL values past 2^53 travel in `big`
  const columns: Vector[] = t.columns.map((c, i) => concatVectors(c.type, rows.map((r) => r.columns[i])));
  return { length: rows.length, columns };
}

/** Rows of each segment matching a predicate (and, for UPDATE, their new values). */
interface Match { segments: { file: string; rows: Uint32Array }[]; newRows?: Batch }

async function matchRows(ctx: StatementContext, t: TableState, pred: BExpr | null, newValues: BExpr[] | null, join?: JoinStep): Promise<Match> {
  if ((pred && hasModelCall(pred)) || newValues?.some(hasModelCall) || (join?.residual && hasModelCall(join.residual))) {
    throw new SqlError('FEATURE_NOT_SUPPORTED', 'model functions are not supported in UPDATE or DELETE; compute predictions with INSERT ... SELECT or CREATE TABLE AS first');
  }
  const { bySlice } = segmentsBySlice(t, ctx.db.slices, pred, true);
  const sent = join && withSentBuild(join);
  const res = await Promise.all(bySlice.map((segments, s) => ctx.db.pool.call<{ segments: { file: string; rows: Uint32Array }[]; columns?: WireColumn[]; count: number }>(s, {
    op: 'match', types: t.columns.map((c) => c.type), filter: pred, exprs: newValues, segments, join: sent, cancel: ctx.guard.token,
  })));
  const segments = res.flatMap((r) => r.segments);
  if (!newValues) return { segments };
  // an ALL table's copies match alike: its new rows come from one copy (appendRows replicates them)
  const parts = res.filter((r, s) => r.count > 0 && (t.distStyle !== 'ALL' || s === 0)).map((r) => ({ length: r.count, columns: fromWire(r.columns!) }));
  const { concatBatches } = await import('../../exec/batches.ts');
  return { segments, newRows: concatBatches(newValues.map((e) => e.type), parts) };
}

/** Writes new deletion vectors (old deletions plus the new matches) and records them. */
async function markDeleted(ctx: StatementContext, t: TableState, m: Match): Promise<number> {
  let total = 0;
  const changes: { file: string; dv: string; count: number }[] = [];
  for (const { file, rows } of m.segments) {
    if (!rows.length) continue;
    const seg = t.segments.find((s) => s.file === file)!;
    let all = rows;
    if (seg.deleted) {
      const old = await readDeletionVector(join(ctx.db.dataDir, 'segments', seg.deleted));
      const merged = new Set([...old, ...rows]);
      all = Uint32Array.from([...merged].sort((a, b) => a - b));
    }
    const dv = `dv-${randomUUID()}.bin`;
    ctx.txn.newFiles.add(dv);
    await writeDeletionVector(join(ctx.db.dataDir, 'segments', dv), all);
    changes.push({ file, dv, count: all.length });
    total += rows.length;
  }
  if (!changes.length) return 0;
  ctx.txn.touchTable(t.id, t.version, 'modify');
  const id = t.id;
  ctx.txn.apply((s) => {
    const tt = findTableById(s, id);
    if (!tt) throw new SqlError('UNDEFINED_TABLE', 'the table was dropped by a concurrent transaction');
    for (const c of changes) {
      const seg: SegmentEntry | undefined = tt.segments.find((x) => x.file === c.file);
      if (!seg) throw new SqlError('SERIALIZATION_FAILURE', 'the table was rewritten by a concurrent transaction');
      seg.deleted = c.dv;
      seg.deletedCount = c.count;
    }
    tt.segments = tt.segments.filter((x) => x.deletedCount < x.rows);
  });
  return total;
}

async function bindWhere(ctx: StatementContext, where: A.Expr | undefined, scope: Scope): Promise<BExpr | null> {
  if (!where) return null;
  const binder = ctx.binder().exprs;
  return binder.boolean(await binder.bind(where, scope), 'WHERE', where.pos);
}

/**
 * UPDATE ... FROM / DELETE ... USING: the other tables are evaluated at the leader and sent to
 * the slices as the build side of a hash join with the target's matching rows. WHERE terms are
 * split into target-only filters, equi-join keys and a residual over the joined row.
 */
async function joinedTarget(ctx: StatementContext, t: TableState, alias: string, refs: A.TableRef[], where: A.Expr | undefined, pos: A.Pos) {
  const other = await ctx.bindQuery({ kind: 'Select', pos, distinct: false, columns: [{ kind: 'SelectItem', pos, expr: { kind: 'Star', pos } }], from: refs, groupBy: [], orderBy: [] });
  const otherFields = other.fields.filter((f) => !f.hidden);
  const nT = t.columns.length;
  const fields: Field[] = [...tableFields(t, alias), { name: '$pos', type: { id: 'INTEGER' }, hidden: true }, ...otherFields];
  const scope: Scope = { fields, refs: new Set() };
  const binder = ctx.binder().exprs;
  const pre: BExpr[] = [], rest: BExpr[] = [], probeKeys: BExpr[] = [], otherKeys: BExpr[] = [];
  const terms = where ? splitAnd(where) : [];
  for (const term of terms) {
    const b = binder.boolean(await binder.bind(term, scope), 'WHERE', term.pos);
    const side = (e: BExpr) => { const u = [...usedColumns(e)]; return u.length === 0 ? 'none' : u.every((i) => i < nT) ? 'T' : u.every((i) => i > nT) ? 'O' : 'both'; };
    if (side(b) === 'T' || side(b) === 'none') { pre.push(b); continue; }
    if (b.k === 'cmp' && b.op === '=') {
      const [l, r] = [side(b.left), side(b.right)];
      if (l === 'T' && r === 'O') { probeKeys.push(b.left); otherKeys.push(b.right); continue; }
      if (l === 'O' && r === 'T') { probeKeys.push(b.right); otherKeys.push(b.left); continue; }
    }
    rest.push(b);
  }
  if (!probeKeys.length) throw new SqlError('FEATURE_NOT_SUPPORTED', 'UPDATE ... FROM and DELETE ... USING need an equality between the target table and the other tables in WHERE', pos);
  const b = await ctx.run(other);
  const local = (e: BExpr) => mapCols(e, (i, c) => ({ k: 'col', index: i - nT - 1, type: c.type }));
  const keyCols = projectBatch(b, otherKeys.map(local), null, b.length);
  const join: JoinStep = {
    joinType: 'INNER',
    probeKeys,
    build: [...b.columns.slice(0, otherFields.length), ...keyCols],
    buildKeys: keyCols.map((_, i) => otherFields.length + i),
    residual: rest.length ? (rest.length === 1 ? rest[0] : { k: 'and', args: rest, type: { id: 'BOOLEAN' } }) : null,
  };
  return { scope, join, pre: pre.length ? (pre.length === 1 ? pre[0] : { k: 'and', args: pre, type: { id: 'BOOLEAN' } } as BExpr) : null };
}

/** The subqueries in an expression (not those nested inside them). */
function subqueriesIn(e: A.Expr | undefined, out: A.Query[] = []): A.Query[] {
  if (!e) return out;
  if (e.kind === 'Subquery' || e.kind === 'Exists' || e.kind === 'InSubquery' || e.kind === 'Quantified') out.push(e.query);
  for (const c of astChildren(e)) subqueriesIn(c, out);
  return out;
}

/**
 * Whether a subquery in WHERE or SET refers to the target's columns. Such a statement is planned
 * as a query (where correlated subqueries become joins); others keep the slices' direct match.
 */
async function correlatedWithTarget(ctx: StatementContext, t: TableState, alias: string, exprs: (A.Expr | undefined)[]): Promise<boolean> {
  const subs = exprs.flatMap((e) => subqueriesIn(e));
  if (!subs.length) return false;
  const scope: Scope = { fields: tableFields(t, alias), refs: new Set(), probe: true };
  const binder = ctx.binder();
  for (const q of subs) await binder.query(q, scope);
  return scope.refs!.size > 0;
}

/**
 * The target rows a WHERE with correlated subqueries selects (and the SET values for them),
 * planned as `SELECT DISTINCT target.*, values... FROM target, from... WHERE where`. Its rows
 * become the build side of a join on every target column (NULL matching NULL): identical
 * target rows satisfy WHERE alike, so matching by value finds exactly the selected rows.
 * In the slices' joined batch the values follow the target columns, the row position and
 * the target columns' copies.
 */
async function matchByQuery(ctx: StatementContext, t: TableState, stmt: { table: A.Name; alias?: string; where?: A.Expr; pos: A.Pos }, from: A.TableRef[], values: A.Expr[]): Promise<{ join: JoinStep; valueTypes: Field[] }> {
  const pos = stmt.pos;
  const qualifier = stmt.alias ?? stmt.table[stmt.table.length - 1];
  const item = (expr: A.Expr): A.SelectItem => ({ kind: 'SelectItem', pos: expr.pos, expr });
  const query: A.Select = {
    kind: 'Select', pos, distinct: true,
    columns: [...t.columns.map((c) => item({ kind: 'ColumnRef', pos, name: [qualifier, c.name] })), ...values.map(item)],
    from: [{ kind: 'TableName', pos, name: stmt.table, alias: stmt.alias }, ...from],
    where: stmt.where, groupBy: [], orderBy: [],
  };
  const plan = await ctx.bindQuery(query);
  const rows = await ctx.run(plan);
  const nT = t.columns.length;
  const join: JoinStep = {
    joinType: 'INNER',
    probeKeys: t.columns.map((c, i): BExpr => ({ k: 'col', index: i, type: c.type })),
    build: rows.columns,
    buildKeys: t.columns.map((_, i) => i),
    nullEq: t.columns.map(() => true),
  };
  return { join, valueTypes: plan.fields.filter((f) => !f.hidden).slice(nT) };
}

function splitAnd(e: A.Expr): A.Expr[] {
  return e.kind === 'Binary' && e.op === 'AND' ? [...splitAnd(e.left), ...splitAnd(e.right)] : [e];
}

/**
 * UPDATE and DELETE whose WHERE or SET expressions read the target's columns reveal its rows
 * (row counts, errors, timing), so as in PostgreSQL they need SELECT on the table too. `scope`
 * has collected the target columns that subqueries referred to.
 */
function checkReadsTarget(ctx: StatementContext, loc: { schema: string; table: TableState }, scope: Scope, exprs: (BExpr | null | undefined)[], what: 'UPDATE' | 'DELETE', pos: A.Pos): void {
  const n = loc.table.columns.length;
  const read = new Set([...(scope.refs ?? []), ...exprs.flatMap((e) => (e ? [...usedColumns(e)] : []))].filter((i) => i < n));
  requireSelect(ctx, loc, [...read].sort((a, b) => a - b), what, pos);
}

/** SELECT on each column read (by index; all of them by default), held on the table or the column. */
function requireSelect(ctx: StatementContext, loc: { schema: string; table: TableState }, columns: number[] | null, what: 'UPDATE' | 'DELETE', pos: A.Pos): void {
  if (hasTablePrivilege(ctx, loc.table, 'SELECT')) return;
  for (const i of columns ?? loc.table.columns.keys()) {
    const c = loc.table.columns[i].name;
    if (!hasColumnPrivilege(ctx, loc.table, c, 'SELECT')) {
      throw new SqlError('PERMISSION_DENIED', `permission denied for column ${c} of relation ${loc.schema}.${loc.table.name}: user "${ctx.session.user}" lacks SELECT on it, which ${what} needs when its WHERE or SET reads the column`, pos);
    }
  }
}

/** UPDATE held on some columns only: each SET column needs it (on the table or the column). */
function checkAssignable(ctx: StatementContext, loc: { schema: string; table: TableState }, stmt: A.Update): void {
  for (const a of stmt.assignments) {
    if (loc.table.columns.some((c) => c.name === a.column)) checkColumnPrivilege(ctx, loc.table, loc.schema, a.column, 'UPDATE', a.pos);
  }
}

/** The target column of each assignment, checked: it exists and is assigned once. */
function assignedColumns(stmt: A.Update, t: TableState): number[] {
  const seen = new Set<string>();
  return stmt.assignments.map((a) => {
    const i = t.columns.findIndex((c) => c.name === a.column);
    if (i < 0) throw new SqlError('UNDEFINED_COLUMN', `column "${a.column}" of relation "${t.name}" does not exist`, a.pos);
    if (seen.has(a.column)) throw new SqlError('DUPLICATE_OBJECT', `multiple assignments to same column "${a.column}"`, a.pos);
    seen.add(a.column);
    return i;
  });
}

export async function del(stmt: A.Delete, ctx: StatementContext): Promise<Result> {
  const loc = ctx.writableTable(stmt.table, 'DELETE', stmt.pos);
  const t = loc.table;
  const alias = stmt.alias ?? t.name;
  if (stmt.using.length ? subqueriesIn(stmt.where).length > 0 : await correlatedWithTarget(ctx, t, alias, [stmt.where])) {
    // the query reads the target's columns: it needs SELECT, as a WHERE reading them does
    requireSelect(ctx, loc, null, 'DELETE', stmt.pos);
    const { join } = await matchByQuery(ctx, t, stmt, stmt.using, []);
    return done('DELETE', await markDeleted(ctx, t, await matchRows(ctx, t, null, null, join)));
  }
  if (stmt.using.length) {
    const j = await joinedTarget(ctx, t, stmt.alias ?? t.name, stmt.using, stmt.where, stmt.pos);
    checkReadsTarget(ctx, loc, j.scope, [j.pre, j.join.residual, ...j.join.probeKeys], 'DELETE', stmt.pos);
    return done('DELETE', await markDeleted(ctx, t, await matchRows(ctx, t, j.pre, null, j.join)));
  }
  const scope: Scope = { fields: tableFields(t, stmt.alias ?? t.name), refs: new Set() };
  const pred = await bindWhere(ctx, stmt.where, scope);
  checkReadsTarget(ctx, loc, scope, [pred], 'DELETE', stmt.pos);
  const m = await matchRows(ctx, t, pred, null);
  return done('DELETE', await markDeleted(ctx, t, m));
}

export async function update(stmt: A.Update, ctx: StatementContext): Promise<Result> {
  const loc = ctx.writableTable(stmt.table, 'UPDATE', stmt.pos);
  checkAssignable(ctx, loc, stmt);
  const t = loc.table;
  const sets = stmt.assignments.filter((a) => a.value.kind !== 'Default').map((a) => a.value);
  const alias = stmt.alias ?? t.name;
  if (stmt.from.length ? [stmt.where, ...sets].some((e) => subqueriesIn(e).length > 0) : await correlatedWithTarget(ctx, t, alias, [stmt.where, ...sets])) {
    return updateByQuery(stmt, ctx, loc, sets);
  }
  const joined = stmt.from.length ? await joinedTarget(ctx, t, stmt.alias ?? t.name, stmt.from, stmt.where, stmt.pos) : null;
  const scope: Scope = joined ? joined.scope : { fields: tableFields(t, stmt.alias ?? t.name), refs: new Set() };
  const pred = joined ? joined.pre : await bindWhere(ctx, stmt.where, scope);
  const binder = ctx.binder().exprs;
  const values: BExpr[] = t.columns.map((c, i) => ({ k: 'col', index: i, type: c.type }));
  const defs = await defaults(ctx, t);
  const seen = new Set<string>();
  const assigned: BExpr[] = [];
  for (const a of stmt.assignments) {
    const i = t.columns.findIndex((c) => c.name === a.column);
    if (i < 0) throw new SqlError('UNDEFINED_COLUMN', `column "${a.column}" of relation "${t.name}" does not exist`, a.pos);
    if (seen.has(a.column)) throw new SqlError('DUPLICATE_OBJECT', `multiple assignments to same column "${a.column}"`, a.pos);
    seen.add(a.column);
    values[i] = a.value.kind === 'Default' ? defs[i] : assign(binder, await binder.bind(a.value, scope), t.columns[i].type, a.column, a.pos);
    if (a.value.kind !== 'Default') assigned.push(values[i]);
  }
  checkReadsTarget(ctx, loc, scope, [pred, joined?.join.residual, ...(joined?.join.probeKeys ?? []), ...assigned], 'UPDATE', stmt.pos);
  const m = await matchRows(ctx, t, pred, values, joined?.join);
  const n = await markDeleted(ctx, t, m);
  await appendRows(ctx, findTableById(ctx.state, t.id)!, m.newRows!);
  return done('UPDATE', n);
}


/** UPDATE whose WHERE or SET has correlated subqueries: the new values come from the query. */
async function updateByQuery(stmt: A.Update, ctx: StatementContext, loc: { schema: string; table: TableState }, sets: A.Expr[]): Promise<Result> {
  const t = loc.table;
  const targets = assignedColumns(stmt, t);
  requireSelect(ctx, loc, null, 'UPDATE', stmt.pos);
  const { join, valueTypes } = await matchByQuery(ctx, t, stmt, stmt.from, sets);
  const binder = ctx.binder().exprs;
  const defs = await defaults(ctx, t);
  const nT = t.columns.length;
  const values: BExpr[] = t.columns.map((c, i) => ({ k: 'col', index: i, type: c.type }));
  let next = 0;
  for (const [j, a] of stmt.assignments.entries()) {
    const i = targets[j];
    if (a.value.kind === 'Default') { values[i] = defs[i]; continue; }
    // in the joined batch: target columns, row position, the query's target columns, its values
    const v = valueTypes[next];
    values[i] = assign(binder, { k: 'col', index: nT + 1 + nT + next++, type: v.type }, t.columns[i].type, a.column, a.pos);
  }
  const m = await matchRows(ctx, t, null, values, join);
  const n = await markDeleted(ctx, t, m);
  await appendRows(ctx, findTableById(ctx.state, t.id)!, m.newRows!);
  return done('UPDATE', n);
}
