// The extension seam: extensions declare typed wraps of statement kinds and hooks, and the
// database composes them in one order (declared dependencies, then names), so behaviour does not
// depend on the order extensions were loaded. (With the real ML and sharing extensions both
// orders are exercised too: test/sharing/models.test.ts adds sharing first, test/ml/sql/versions
// adds ML first, as the server does.)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Database } from '../../../engine/database.ts';
import { type Extension, ExtensionSet, alsoRun, answerFirst, applyOrder, introduces } from '../../../engine/session/extension.ts';
import { T } from '../../../engine/types/types.ts';
import { stringVector } from '../../../engine/types/vector.ts';
import { done } from '../../../engine/session/session.ts';
import { HANDLERS } from '../../../engine/session/statements/index.ts';

/** Extensions that each leave a mark on queries, names and drops, so the composition shows in results. */
function marking(log: string[]): Extension[] {
  const tag = (name: string, after?: string[]): Extension => ({
    name,
    after,
    statements: {
      // each wrap adds its name to the result's command: the outermost wrap's mark comes last
      Query: (next) => async (stmt, ctx) => { const r = await next(stmt, ctx); return { ...r, command: `${r.command}+${name}` }; },
    },
    hooks: {
      relation: answerFirst('relation', (ctx, n) => (n[0] === `from_${name}` ? { kind: 'batch', batch: { length: 1, columns: [stringVector(T.varchar, [name])] }, fields: [{ name: 'who', type: T.varchar }], path: n } : null)),
      principalDropped: alsoRun('principalDropped', (_s, account, user) => { log.push(`${name}:${account}.${user}`); }),
    },
  });
  return [
    tag('c', ['a']),
    tag('b'),
    tag('a'),
    { name: 'd', statements: { Vacuum: introduces(async () => done('VACUUM BY D')) } },
  ];
}

describe('applyOrder', () => {
  const names = (xs: Extension[]) => applyOrder(xs).map((e) => e.name);
  const perms = <X>(xs: X[]): X[][] => (xs.length <= 1 ? [xs] : xs.flatMap((x, i) => perms([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p])));

  it('is the same for every registration order: dependencies first, then by name', () => {
    const exts = [...marking([]), { name: 'e', after: ['c', 'missing'] }];
    const orders = new Set(perms(exts).map((p) => names(p).join(',')));
    expect([...orders]).toEqual(['a,b,c,d,e']);
    expect(names([{ name: 'x', after: ['z'] }, { name: 'y' }, { name: 'z', after: ['y'] }])).toEqual(['y', 'z', 'x']);
  });

  it('refuses duplicate names and dependency cycles', () => {
    expect(() => applyOrder([{ name: 'a' }, { name: 'a' }])).toThrow(/two extensions are named "a"/);
    expect(() => applyOrder([{ name: 'a', after: ['b'] }, { name: 'b', after: ['a'] }])).toThrow(/cycle: a -> b -> a/);
  });

  it('an unknown hook or statement kind is a type error, and a runtime error for untyped callers', () => {
    // @ts-expect-error 'onQuery' is not a hook kind
    const badHook: Extension = { name: 'bad', hooks: { onQuery: (next: unknown) => next } };
    // @ts-expect-error 'Selectt' is not a statement kind
    const badStatement: Extension = { name: 'bad2', statements: { Selectt: (next: unknown) => next } };
    expect(badStatement.name).toBe('bad2');
    expect(() => new ExtensionSet([badHook], {})).toThrow(/extension "bad" declares unknown hook "onQuery" \(hooks: relation, modelFunction/);
    // a wrap's handler is typed for its statement kind
    const typed: Extension = {
      name: 'typed',
      // @ts-expect-error a Vacuum statement has no `query`
      statements: { Vacuum: () => async (stmt) => done(String(stmt.query)) },
    };
    expect(typed.statements?.Vacuum).toBeTypeOf('function');
  });
});

describe('composed into a database', () => {
  const dirs: string[] = [];
  const dbs: Database[] = [];
  afterAll(async () => {
    for (const db of dbs) await db.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  async function build(order: number[]): Promise<{ db: Database; log: string[] }> {
    const dir = mkdtempSync(join(tmpdir(), 'strata-ext-'));
    dirs.push(dir);
    const db = await Database.open({ dataDir: dir, slices: 1, lazySlices: true });
    dbs.push(db);
    const log: string[] = [];
    const exts = marking(log);
    for (const i of order) db.use(exts[i]);
    return { db, log };
  }

  it('answers the same whatever order the extensions were added in', async () => {
    const seen: unknown[] = [];
    for (const order of [[0, 1, 2, 3], [3, 2, 1, 0], [1, 3, 0, 2]]) {
      const { db, log } = await build(order);
      const s = db.connect();
      await s.execute("CREATE TABLE t (x INT); CREATE USER u PASSWORD 'Secret123'; DROP USER u");
      const [q] = await s.execute('SELECT 1');
      const [from] = await s.execute('SELECT who FROM from_b');
      const [vac] = await s.execute('VACUUM');
      seen.push({ extensions: db.extensions.map((e) => e.name), command: q.command, from: from.rows, vacuum: vac.command, log });
    }
    expect(seen[0]).toEqual({
      extensions: ['a', 'b', 'c', 'd'],
      // a wraps the engine, b wraps a, c (after a) wraps b: c's mark is outermost
      command: 'SELECT+a+b+c',
      from: [['b']],
      vacuum: 'VACUUM BY D',
      log: ['a:admin.u', 'b:admin.u', 'c:admin.u'],
    });
    expect(seen[1]).toEqual(seen[0]);
    expect(seen[2]).toEqual(seen[0]);
  });

  it('the engine\'s handler table cannot be changed behind the composition', () => {
    expect(Object.isFrozen(HANDLERS)).toBe(true);
    expect(() => { (HANDLERS as Record<string, unknown>).Query = () => undefined; }).toThrow(TypeError);
  });

  it('a statement kind no extension provides says so', async () => {
    const { db } = await build([]);
    await expect(db.connect().execute('CREATE DATASHARE s')).rejects.toMatchObject({ code: 'FEATURE_NOT_SUPPORTED', message: /CreateDatashare statements are not available in this server \(is its extension loaded\?\)/ });
  });
});
