// fn_explain of a brought-your-own model with and without SETTINGS (EXPLAIN_BACKGROUND '...'),
// and with one set later by ALTER MODEL m SET EXPLAIN_BACKGROUND: the exact 2-player Shapley
// values of f(a, b) = a*b + 2a are computed by hand from the background rows and compared with
// KernelSHAP's through SQL.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../../ml/onnx/graph.ts';
import { MAX_BACKGROUND_ROWS } from '../../../ml/sql/explain_background.ts';
import { type TestDb, openDb } from '../sql/helpers.ts';

interface Explanation { method: string; output: string; baseline?: string; base: number; prediction: number; contributions: Record<string, number> }

/** f(a REAL, b REAL) = a*b + 2a, one [N,1] input per argument. */
function productModel(): Uint8Array {
  const g = new GraphBuilder();
  const a = g.input('a', 'float', ['N', 1]), b = g.input('b', 'float', ['N', 1]);
  const y = g.node('Add', [g.node('Mul', [a, b]), g.node('Mul', [a, g.constant('float', [2], [1])])]);
  g.node('Reshape', [y, g.constant('int64', [-1], [1])], {}, { output: 'variable' });
  g.output('variable', 'float', ['N']);
  return g.encode({});
}
const f = (a: number, b: number) => a * b + 2 * a;

/** The exact Shapley values of v(S) = mean over background rows of f(x_S, bg_rest). */
function shapley(bg: [number, number][], a: number, b: number) {
  const mean = (g: (r: [number, number]) => number) => bg.reduce((s, r) => s + g(r), 0) / bg.length;
  const v0 = mean(([p, q]) => f(p, q)), va = mean(([, q]) => f(a, q)), vb = mean(([p]) => f(p, b)), v1 = f(a, b);
  return { base: v0, a: ((va - v0) + (v1 - vb)) / 2, b: ((vb - v0) + (v1 - va)) / 2 };
}

// a and b far from 0, where a zero baseline says little
const rows: [number, number][] = Array.from({ length: 20 }, (_, i) => [10 + (i % 5) * 0.5, -3 + Math.floor(i / 5) * 0.25]);
const files = mkdtempSync(join(tmpdir(), 'strata-byombg-'));
const file = join(files, 'product.onnx');
let t: TestDb;
beforeAll(async () => {
  writeFileSync(file, productModel());
  t = await openDb();
  await t.s.execute(`CREATE TABLE bg (a REAL, b REAL); INSERT INTO bg VALUES ${rows.map(([a, b]) => `(${a}, ${b})`).join(', ')}`);
  const big = Array.from({ length: 500 }, (_, g) => `(${100 + (g % 37)}, ${g % 11})`).join(', ');
  await t.s.execute(`CREATE TABLE big (a REAL, b REAL); INSERT INTO big VALUES ${big}`);
}, 60_000);
afterAll(async () => { await t.close(); rmSync(files, { recursive: true, force: true }); });

const explain = async (fn: string, a: number, b: number) => JSON.parse((await t.rows(`SELECT ${fn}_explain(${a}::REAL, ${b}::REAL)`))[0][0] as string) as Explanation;

describe('EXPLAIN_BACKGROUND for brought-your-own models', () => {
  it('without one, KernelSHAP uses the zero row and says so in the JSON and SHOW MODEL', async () => {
    await t.s.execute(`CREATE MODEL z FUNCTION z_fn(REAL, REAL) RETURNS REAL FROM '${file}'`);
    const e = await explain('z_fn', 11, -2.5);
    expect(e).toMatchObject({ method: 'kernel', output: 'value', baseline: 'zero' });
    const want = shapley([[0, 0]], 11, -2.5);
    expect(e.base).toBeCloseTo(want.base, 4);
    expect(e.contributions.arg1).toBeCloseTo(want.a, 3);
    expect(e.contributions.arg2).toBeCloseTo(want.b, 3);
    expect((await t.show('z'))['Explain Baseline']).toBe('zero');
  });

  it('with one, the base is the mean prediction over the background and contributions are its Shapley values', async () => {
    await t.s.execute(`CREATE MODEL m FUNCTION m_fn(REAL, REAL) RETURNS REAL FROM '${file}' SETTINGS (EXPLAIN_BACKGROUND 'SELECT a, b FROM bg')`);
    expect((await t.show('m'))['Explain Baseline']).toBe('20 row(s) of EXPLAIN_BACKGROUND');
    for (const [a, b] of [[11, -2.5], [9, -1], [12.5, -3.5]]) {
      const e = await explain('m_fn', a, b);
      expect(e).toMatchObject({ method: 'kernel', baseline: 'sample' });
      const want = shapley(rows, a, b);
      expect(e.base).toBeCloseTo(want.base, 3);
      expect(e.prediction).toBeCloseTo(f(a, b), 4);
      expect(Math.abs(e.base + e.contributions.arg1 + e.contributions.arg2 - e.prediction)).toBeLessThan(1e-6);
      expect(e.contributions.arg1).toBeCloseTo(want.a, 3);
      expect(e.contributions.arg2).toBeCloseTo(want.b, 3);
    }
    // the zero baseline blames a for f(x) - f(0) almost entirely; the background only for the difference from its mean
    const [z, m] = [await explain('z_fn', 11, -2.5), await explain('m_fn', 11, -2.5)];
    expect(Math.abs(z.contributions.arg1 - m.contributions.arg1)).toBeGreaterThan(1);
  });

  it('EXPORT MODEL hands the background out with the graph; IMPORT MODEL keeps it', async () => {
    const out = join(files, 'm_export.onnx');
    await t.s.execute(`EXPORT MODEL m TO '${out}'`);
    await t.s.execute(`IMPORT MODEL m2 FROM '${out}' FUNCTION m2_fn`);
    expect((await t.show('m2'))['Explain Baseline']).toBe('the sample the graph carries');
    expect(await explain('m2_fn', 11, -2.5)).toEqual(await explain('m_fn', 11, -2.5));
    // a brought file that carries no background stays at zero after a round trip
    const zout = join(files, 'z_export.onnx');
    await t.s.execute(`EXPORT MODEL z TO '${zout}'`);
    await t.s.execute(`IMPORT MODEL z2 FROM '${zout}' FUNCTION z2_fn`);
    expect((await t.show('z2'))['Explain Baseline']).toBe('zero');
    expect((await explain('z2_fn', 11, -2.5)).baseline).toBe('zero');
  });

  it('samples at most MAX_BACKGROUND_ROWS rows of a large background, seeded', async () => {
    await t.s.execute(`CREATE MODEL big1 FUNCTION big1_fn(REAL, REAL) RETURNS REAL FROM '${file}' SETTINGS (EXPLAIN_BACKGROUND 'SELECT a, b FROM big', SEED 7)`);
    await t.s.execute(`CREATE MODEL big2 FUNCTION big2_fn(REAL, REAL) RETURNS REAL FROM '${file}' SETTINGS (EXPLAIN_BACKGROUND 'SELECT a, b FROM big', SEED 7)`);
    expect((await t.show('big1'))['Explain Baseline']).toBe(`${MAX_BACKGROUND_ROWS} row(s) of EXPLAIN_BACKGROUND`);
    const [e1, e2] = [await explain('big1_fn', 110, 5), await explain('big2_fn', 110, 5)];
    expect(e1).toEqual(e2);
    // the base is a mean over some rows of big: between its smallest and largest prediction
    const [[lo, hi]] = await t.rows('SELECT MIN(a * b + 2 * a), MAX(a * b + 2 * a) FROM big');
    expect(e1.base).toBeGreaterThanOrEqual(lo as number);
    expect(e1.base).toBeLessThanOrEqual(hi as number);
    expect(e1.base).not.toBeCloseTo(f(0, 0), 0);
  });

  it('refuses bad background queries clearly, runs only SELECTs, with the creator\'s privileges', async () => {
    const make = (q: string) => `CREATE MODEL bad FUNCTION bad_fn(REAL, REAL) RETURNS REAL FROM '${file}' SETTINGS (EXPLAIN_BACKGROUND '${q.replace(/'/g, "''")}')`;
    expect(await t.error(make('SELECT a FROM bg'))).toMatchObject({ code: 'INVALID_PARAMETER', message: expect.stringContaining('1 column(s)') });
    expect(await t.error(make("SELECT a, 'x' FROM bg"))).toMatchObject({ code: 'DATATYPE_MISMATCH' });
    expect(await t.error(make('SELECT a, b FROM bg WHERE a > 1000'))).toMatchObject({ code: 'INVALID_PARAMETER', message: expect.stringContaining('no rows') });
    expect(await t.error(make('DROP TABLE bg'))).toMatchObject({ code: 'INVALID_PARAMETER', message: expect.stringContaining('SELECT') });
    expect(await t.error(make('SELECT a, b FROM nowhere'))).toMatchObject({ code: 'UNDEFINED_TABLE' });
    expect((await t.error(make('SELEC a'))).message).toContain('EXPLAIN_BACKGROUND');
    expect(await t.error(`CREATE MODEL bad FUNCTION bad_fn(REAL, REAL) RETURNS REAL FROM '${file}' SETTINGS (EXPLAIN_BACKGRUND 'SELECT a, b FROM bg')`)).toMatchObject({ code: 'INVALID_PARAMETER', message: expect.stringContaining('EXPLAIN_BACKGRUND') });
    expect(await t.rows('SELECT COUNT(*) FROM bg')).toEqual([[20]]);
    expect(await t.error('SHOW MODEL bad')).toMatchObject({ code: 'UNDEFINED_OBJECT' });
    // a user who may create models but not read bg cannot read it through the background
    await t.s.execute(`CREATE USER carol PASSWORD 'Secret123'; GRANT CREATE MODEL TO carol`);
    const carol = t.db.connect({ user: 'carol' });
    await expect(carol.execute(make('SELECT a, b FROM bg'))).rejects.toMatchObject({ code: 'PERMISSION_DENIED', message: expect.stringContaining('bg') });
    await t.s.execute('GRANT SELECT ON bg TO carol');
    await carol.execute(make('SELECT a, b FROM bg'));
    expect((await t.show('bad'))['Explain Baseline']).toBe('20 row(s) of EXPLAIN_BACKGROUND');
  });

  it('ALTER MODEL ... SET EXPLAIN_BACKGROUND gives the current version a background in place, atomically', async () => {
    await t.s.execute(`CREATE MODEL late FUNCTION late_fn(REAL, REAL) RETURNS REAL FROM '${file}'`);
    expect((await explain('late_fn', 11, -2.5)).baseline).toBe('zero');
    // a transaction that rolls back leaves the model as it was
    await t.s.execute(`BEGIN; ALTER MODEL late SET EXPLAIN_BACKGROUND 'SELECT a, b FROM bg'; ROLLBACK`);
    expect((await t.show('late'))['Explain Baseline']).toBe('zero');
    // a query that began before the change keeps the graph of its snapshot
    const reader = t.db.connect();
    await reader.execute('BEGIN');
    const before = JSON.parse((await reader.execute('SELECT late_fn_explain(11::REAL, -2.5::REAL)')).at(-1)!.rows[0][0] as string) as Explanation;
    await t.s.execute(`ALTER MODEL late SET EXPLAIN_BACKGROUND 'SELECT a, b FROM bg' SEED 3`);
    const during = JSON.parse((await reader.execute('SELECT late_fn_explain(11::REAL, -2.5::REAL)')).at(-1)!.rows[0][0] as string) as Explanation;
    expect(during).toEqual(before);
    await reader.execute('COMMIT');
    const shown = await t.show('late');
    expect(shown['Explain Baseline']).toBe('20 row(s) of EXPLAIN_BACKGROUND');
    expect(shown.Settings).toBe('EXPLAIN_BACKGROUND=SELECT a, b FROM bg, SEED=3');
    // no new version: predictions are the same model's
    expect((await t.rows('SHOW MODEL late VERSIONS')).map((r) => r[0])).toEqual([1]);
    const e = await explain('late_fn', 11, -2.5), want = shapley(rows, 11, -2.5);
    expect(e).toMatchObject({ method: 'kernel', baseline: 'sample' });
    expect(e.base).toBeCloseTo(want.base, 3);
    expect(e.contributions.arg1).toBeCloseTo(want.a, 3);
    expect(e.contributions.arg2).toBeCloseTo(want.b, 3);
    expect(e).toEqual(await explain('m_fn', 11, -2.5)); // what CREATE MODEL ... SETTINGS (EXPLAIN_BACKGROUND) gives
    // EXPORT MODEL hands the new background out
    const out = join(files, 'late_export.onnx');
    await t.s.execute(`EXPORT MODEL late TO '${out}'; IMPORT MODEL late2 FROM '${out}' FUNCTION late2_fn`);
    expect(await explain('late2_fn', 11, -2.5)).toEqual(e);
  });

  it('ALTER MODEL ... SET EXPLAIN_BACKGROUND: owner only, the query as the caller, clear errors, nothing changed on failure', async () => {
    const alter = (q: string) => `ALTER MODEL late SET EXPLAIN_BACKGROUND '${q.replace(/'/g, "''")}'`;
    expect(await t.error(alter('SELECT a FROM bg'))).toMatchObject({ code: 'INVALID_PARAMETER', message: expect.stringContaining('1 column(s)') });
    expect(await t.error(alter('DELETE FROM bg'))).toMatchObject({ code: 'INVALID_PARAMETER', message: expect.stringContaining('SELECT') });
    expect(await t.error(alter('SELECT a, b FROM bg WHERE a > 1000'))).toMatchObject({ code: 'INVALID_PARAMETER', message: expect.stringContaining('no rows') });
    expect(await t.error(`ALTER MODEL nosuch SET EXPLAIN_BACKGROUND 'SELECT a, b FROM bg'`)).toMatchObject({ code: 'UNDEFINED_OBJECT' });
    expect(await t.error(`ALTER MODEL late SET EXPLAIN_BACKGROUND SELECT`)).toMatchObject({ code: 'SYNTAX_ERROR' });
    expect(await t.rows('SELECT COUNT(*) FROM bg')).toEqual([[20]]);
    // dave owns a model but may not read big; nobody else's model is his to change
    await t.s.execute(`CREATE USER dave PASSWORD 'Secret123'; GRANT CREATE MODEL TO dave`);
    const dave = t.db.connect({ user: 'dave' });
    await dave.execute(`CREATE MODEL dm FUNCTION dm_fn(REAL, REAL) RETURNS REAL FROM '${file}'`);
    await expect(dave.execute(`ALTER MODEL dm SET EXPLAIN_BACKGROUND 'SELECT a, b FROM big'`)).rejects.toMatchObject({ code: 'PERMISSION_DENIED', message: expect.stringContaining('big') });
    await expect(dave.execute(`ALTER MODEL late SET EXPLAIN_BACKGROUND 'SELECT a, b FROM bg'`)).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    expect((await t.show('dm'))['Explain Baseline']).toBe('zero');
    expect((await t.show('late'))['Explain Baseline']).toBe('20 row(s) of EXPLAIN_BACKGROUND');
    await t.s.execute('GRANT SELECT ON big TO dave');
    await dave.execute(`ALTER MODEL dm SET EXPLAIN_BACKGROUND 'SELECT a, b FROM big'`);
    expect((await t.show('dm'))['Explain Baseline']).toBe(`${MAX_BACKGROUND_ROWS} row(s) of EXPLAIN_BACKGROUND`);
    // a remote model has no graph to explain
    await t.s.execute(`CREATE MODEL rm FUNCTION rm_fn(REAL, REAL) RETURNS REAL SAGEMAKER 'some-endpoint'`);
    expect(await t.error(`ALTER MODEL rm SET EXPLAIN_BACKGROUND 'SELECT a, b FROM bg'`)).toMatchObject({ code: 'FEATURE_NOT_SUPPORTED', message: expect.stringContaining('some-endpoint') });
  });
});
