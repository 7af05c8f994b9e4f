// EXPLAIN CREATE MODEL: before any training it reports the rows kept (NULL targets, MAX_CELLS
// sampling), the features preprocessing makes, the validation scheme, the candidates and an
// estimate; it trains nothing and changes nothing; and the training it describes matches (rows).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDb, makePoints, openDb } from './helpers.ts';

let t: TestDb;
beforeAll(async () => {
  t = await openDb({ slices: 2 });
  await makePoints(t);
  // 20 rows without a label
  await t.s.execute(`INSERT INTO pts SELECT id + 1000, x1, x2, cat, NULL, y FROM pts WHERE id < 20`);
});
afterAll(async () => { await t.close(); });

const explain = async (sql: string) => (await t.rows(`EXPLAIN ${sql}`)).map((r) => String(r[0]));
const line = (lines: string[], start: string) => lines.map((l) => l.trim()).find((l) => l.startsWith(start)) ?? '';

describe('EXPLAIN CREATE MODEL', () => {
  it('reports rows, features per column, validation, AUTO candidates and an estimate, and trains nothing', async () => {
    const events: unknown[] = [];
    t.db.events.on('model', (e) => events.push(e));
    const out = await explain('CREATE MODEL m FROM (SELECT x1, x2, cat, label FROM pts) TARGET label FUNCTION m_fn');
    expect(out[0]).toBe('CREATE MODEL m: local training, AUTO ON');
    expect(line(out, 'rows:')).toBe('rows: 420 from the query, 20 with a NULL target dropped; 400 used (no sampling: 1600 cells within MAX_CELLS 1000000)');
    expect(line(out, 'features:')).toBe('features: 3 input columns -> 5 features after preprocessing');
    expect(line(out, 'cat:')).toMatch(/^cat: one-hot \(3 categories/);
    expect(line(out, 'x1:')).toMatch(/^x1: numeric \(impute/);
    expect(line(out, 'problem:')).toBe('problem: BINARY_CLASSIFICATION (2 classes), objective F1');
    expect(line(out, 'validation:')).toBe('validation: 5-fold cross-validation (stratified)');
    expect(line(out, 'candidates')).toBe('candidates (6, AUTO):');
    const cands = out.filter((l) => /^\s+\d\. /.test(l)).map((l) => l.trim().split(' ')[1]);
    expect(cands).toEqual(['LINEAR_LEARNER', 'LINEAR_LEARNER', 'LINEAR_LEARNER', 'XGBOOST', 'XGBOOST', 'MLP']);
    expect(out.filter((l) => /^\s+\d\. /.test(l)).every((l) => / \(~[\d.]+ s\)$/.test(l))).toBe(true);
    expect(line(out, 'refit:')).toBe('refit: the chosen candidate on all 400 rows');
    const est = Number(/~([\d.]+) s/.exec(line(out, 'estimated time:'))?.[1]);
    expect(est).toBeGreaterThan(0);
    expect(await t.rows('SHOW MODEL ALL')).toEqual([]);
    expect(readdirSync(join(t.dir, 'models')).length).toBe(0);
    expect(events).toEqual([]);
    t.db.events.removeAllListeners('model');
  });

  it('shows MAX_CELLS sampling, and training then uses exactly the rows it announced', async () => {
    const sql = `CREATE MODEL s FROM (SELECT x1, x2, cat, label FROM pts) TARGET label FUNCTION s_fn AUTO OFF MODEL_TYPE XGBOOST SETTINGS (MAX_CELLS 500, SEED 7)`;
    const out = await explain(sql);
    expect(line(out, 'rows:')).toBe('rows: 420 from the query, 20 with a NULL target dropped; 125 used (sampled: 400 rows x 4 columns = 1600 cells exceed MAX_CELLS 500)');
    expect(line(out, 'validation:')).toBe('validation: 5-fold cross-validation (stratified)');
    expect(out.filter((l) => /^\s+\d\. /.test(l)).map((l) => l.trim().split(' ')[1])).toEqual(['XGBOOST']);
    await t.s.execute('SET ml_wait_for_training TO on');
    await t.s.execute(sql);
    expect((await t.show('s'))['Training Rows']).toBe('125');
    // on an existing model it plans the next version
    expect((await explain(sql))[0]).toBe('CREATE MODEL s (version 2): local training, AUTO OFF, MODEL_TYPE XGBOOST');
  }, 120_000);

  it('holds out rows on larger data and says which columns preprocessing drops', async () => {
    await t.s.execute(`CREATE TABLE big AS SELECT a.id * 1000 + b.id AS rid, a.x1 + b.x2 AS v, a.cat, b.y FROM pts a, pts b WHERE a.id < 30 AND b.id < 100`);
    const out = await explain('CREATE MODEL b FROM big TARGET y FUNCTION b_fn');
    expect(line(out, 'problem:')).toBe('problem: REGRESSION, objective MSE');
    expect(line(out, 'validation:')).toBe('validation: holdout of 600 rows');
    expect(line(out, 'features:')).toMatch(/^features: 3 input columns -> 4 features after preprocessing; dropped rid \(id-like/);
  });

  it('fails like CREATE MODEL would, before anything runs', async () => {
    const cases: [string, string, RegExp][] = [
      ['EXPLAIN CREATE MODEL e FROM pts TARGET nope FUNCTION e_fn', 'UNDEFINED_COLUMN', /TARGET column "nope" is not in the training data/],
      ['EXPLAIN CREATE MODEL e FROM nosuch TARGET y FUNCTION e_fn', 'UNDEFINED_TABLE', /nosuch/],
      ['EXPLAIN CREATE MODEL s FROM pts TARGET y FUNCTION other', 'INVALID_PARAMETER', /model "s" has function s_fn/],
      ['EXPLAIN ANALYZE CREATE MODEL e FROM pts TARGET y FUNCTION e_fn', 'FEATURE_NOT_SUPPORTED', /EXPLAIN ANALYZE supports queries only/],
    ];
    for (const [sql, code, message] of cases) expect({ sql, ...(await t.error(sql)) }).toEqual({ sql, code, message: expect.stringMatching(message) });
    await t.s.execute(`CREATE USER carol PASSWORD 'Secret123'; GRANT SELECT ON pts TO carol`);
    const carol = t.db.connect({ user: 'carol' });
    await expect(carol.execute('EXPLAIN CREATE MODEL c FROM pts TARGET y FUNCTION c_fn')).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
  });
});
