// CREATE MODEL clauses and errors, KMEANS, EXPLAIN_MODEL, model calls at the leader, and the
// same predictions on 1 and 2 slices (after a restart: the model persists with the catalog).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDb, makePoints, openDb } from './helpers.ts';

let t: TestDb;
beforeAll(async () => {
  t = await openDb({ slices: 2 });
  await makePoints(t);
  await t.s.execute('SET ml_wait_for_training TO on');
});
afterAll(async () => { await t.close(); });

describe('CREATE MODEL errors (before any training)', () => {
  const cases: [string, string, RegExp][] = [
    ['CREATE MODEL e FROM pts TARGET nope FUNCTION e_fn', 'UNDEFINED_COLUMN', /TARGET column "nope" is not in the training data/],
    ['CREATE MODEL e FROM pts FUNCTION e_fn', 'INVALID_PARAMETER', /needs TARGET/],
    ['CREATE MODEL e FROM nosuch TARGET label FUNCTION e_fn', 'UNDEFINED_TABLE', /nosuch/],
    ['CREATE MODEL e FROM (SELECT x1, label FROM pts WHERE id < 0) TARGET label FUNCTION e_fn', 'INVALID_PARAMETER', /returned no rows/],
    [`CREATE MODEL e FROM pts TARGET label FUNCTION e_fn PREPROCESSORS '[{"ColumnSet": ["zz"], "Transformers": ["StandardScaler"]}]'`, 'INVALID_PARAMETER', /PREPROCESSORS: unknown column "zz"/],
    [`CREATE MODEL e FROM pts TARGET label FUNCTION e_fn PREPROCESSORS 'not json'`, 'INVALID_PARAMETER', /PREPROCESSORS: invalid JSON/],
    [`CREATE MODEL e FROM pts TARGET label FUNCTION e_fn PREPROCESSORS '[{"ColumnSet": ["cat"], "Transformers": ["StandardScaler"]}]'`, 'INVALID_PARAMETER', /needs numeric columns/],
    ['CREATE MODEL e FROM pts TARGET label FUNCTION e_fn MODEL_TYPE KMEANS', 'INVALID_PARAMETER', /KMEANS is unsupervised/],
    ['CREATE MODEL e FROM pts TARGET cat FUNCTION e_fn PROBLEM_TYPE REGRESSION', 'DATATYPE_MISMATCH', /REGRESSION needs a numeric target/],
    ['CREATE MODEL e FROM pts TARGET cat FUNCTION e_fn PROBLEM_TYPE BINARY_CLASSIFICATION', 'INVALID_PARAMETER', /exactly 2 classes/],
    [`CREATE MODEL e FROM pts TARGET label FUNCTION e_fn OBJECTIVE 'MSE'`, 'INVALID_PARAMETER', /does not apply to BINARY_CLASSIFICATION/],
    [`CREATE MODEL e FROM pts TARGET label FUNCTION e_fn OBJECTIVE 'R2'`, 'INVALID_PARAMETER', /unknown OBJECTIVE/],
    ['CREATE MODEL e FROM pts TARGET label FUNCTION e_fn AUTO OFF', 'INVALID_PARAMETER', /AUTO OFF needs a MODEL_TYPE/],
    [`CREATE MODEL e FROM pts TARGET label FUNCTION e_fn SETTINGS (TRAINER 'cloud')`, 'FEATURE_NOT_SUPPORTED', /use 'local' or 'sagemaker'/],
    [`CREATE MODEL e FROM pts TARGET label FUNCTION e_fn SETTINGS (TRAINER 'sagemaker')`, 'INVALID_PARAMETER', /needs SETTINGS \(S3_BUCKET/],
    [`CREATE MODEL e FROM pts TARGET label FUNCTION e_fn MODEL_TYPE MLP SETTINGS (TRAINER 'sagemaker', S3_BUCKET 'b')`, 'FEATURE_NOT_SUPPORTED', /XGBOOST only/],
    [`CREATE MODEL e FROM pts TARGET label FUNCTION e_fn SETTINGS (MAX_CELLS 'lots')`, 'INVALID_PARAMETER', /MAX_CELLS must be a positive number/],
    [`CREATE MODEL e FROM pts TARGET label FUNCTION e_fn SETTINGS (COLOR 'red')`, 'INVALID_PARAMETER', /unknown SETTINGS key COLOR/],
    ['CREATE MODEL e FROM pts TARGET label FUNCTION upper', 'DUPLICATE_OBJECT', /built-in function/],
    ['CREATE MODEL e FROM (SELECT x1, x1, label FROM pts) TARGET label FUNCTION e_fn', 'INVALID_PARAMETER', /two columns named "x1"/],
  ];
  for (const [sql, code, message] of cases) {
    it(sql.replace(/^CREATE MODEL e /, ''), async () => {
      const e = await t.error(sql);
      expect(e.code).toBe(code);
      expect(e.message).toMatch(message);
    });
  }
  it('leaves no model behind', async () => {
    expect(await t.rows('SHOW MODEL ALL')).toEqual([]);
  });
});

describe('trained models through SQL', () => {
  it('AUTO OFF XGBOOST regression with HYPERPARAMETERS and MAX_CELLS downsampling', async () => {
    await t.s.execute(`CREATE MODEL reg FROM (SELECT x1, x2, cat, y FROM pts) TARGET y FUNCTION reg_fn
      AUTO OFF MODEL_TYPE XGBOOST PROBLEM_TYPE REGRESSION OBJECTIVE 'MSE'
      HYPERPARAMETERS DEFAULT EXCEPT (MAX_DEPTH '3', NUM_ROUND '200') SETTINGS (MAX_CELLS 1000, SEED 7, MAX_RUNTIME 120)`);
    const m = await t.show('reg');
    expect(m).toMatchObject({ 'Model State': 'READY', 'Model Type': 'XGBOOST', 'Problem Type': 'REGRESSION', 'Training Rows': '250', 'Function Return Type': 'DOUBLE PRECISION' });
    expect(m.Hyperparameters).toMatch(/max_depth=3/);
    const [[r2]] = await t.rows(`SELECT 1 - sum((y - p) * (y - p)) / sum((y - m) * (y - m))
      FROM (SELECT y, reg_fn(x1, x2, cat) AS p FROM pts) a CROSS JOIN (SELECT avg(y) AS m FROM pts) b`);
    expect(Number(r2)).toBeGreaterThan(0.9);
    // a regressor has no _prob function
    expect((await t.error('SELECT reg_fn_prob(x1, x2, cat) FROM pts')).code).toBe('UNDEFINED_FUNCTION');
  }, 60_000);

  it('rejects a new version that renames the function, and a function name another model owns', async () => {
    const renamed = await t.error('CREATE MODEL reg FROM pts TARGET y FUNCTION other_fn');
    expect(renamed.code).toBe('INVALID_PARAMETER');
    expect(renamed.message).toMatch(/model "reg" has function reg_fn; a new version keeps it/);
    const e = await t.error('CREATE MODEL reg2 FROM pts TARGET y FUNCTION reg_fn');
    expect(e.code).toBe('DUPLICATE_OBJECT');
    expect(e.message).toMatch(/belongs to model "reg"/);
  });

  it('KMEANS takes no TARGET and its function returns the cluster', async () => {
    await t.s.execute(`CREATE MODEL km FROM (SELECT x1, x2 FROM pts) FUNCTION km_fn MODEL_TYPE KMEANS AUTO OFF SETTINGS (K 3, SEED 1)`);
    const m = await t.show('km');
    expect(m).toMatchObject({ 'Model State': 'READY', 'Model Type': 'KMEANS', 'Function Return Type': 'INTEGER' });
    const groups = await t.rows('SELECT km_fn(x1, x2) AS c, count(*) FROM pts GROUP BY 1 ORDER BY 1');
    expect(groups.map((g) => g[0])).toEqual([0, 1, 2]);
    expect((await t.error('SELECT km_fn_prob(x1, x2) FROM pts')).code).toBe('UNDEFINED_FUNCTION');
  }, 60_000);

  it('AUTO ON (within XGBOOST) classification with PREPROCESSORS; EXPLAIN_MODEL ranks the features', async () => {
    await t.s.execute(`CREATE MODEL cls FROM (SELECT x1, x2, cat, label FROM pts) TARGET label FUNCTION cls_fn
      PREPROCESSORS '[{"ColumnSet": ["x1", "x2"], "Transformers": ["MinMax"]}, {"ColumnSet": ["cat"], "Transformers": ["OrdinalEncoder"]}]'
      MODEL_TYPE XGBOOST SETTINGS (SEED 5)`);
    const m = await t.show('cls');
    expect(m['Model State']).toBe('READY');
    expect(m.Preprocessing).toMatch(/cat: ordinal/);
    expect(m.Candidates.split(', ').length).toBeGreaterThan(1);
    const rows = await t.rows('SELECT EXPLAIN_MODEL(cls)');
    expect(rows.map((r) => r[0]).sort()).toEqual(['cat', 'x1', 'x2']);
    expect(rows[2][0]).toBe('cat');
    expect(rows[0][1]).toBeGreaterThan(0.05);
    expect(rows.every((r) => r[2] === 'permutation')).toBe(true);
    expect(await t.rows(`SELECT EXPLAIN_MODEL('public.cls')`)).toEqual(rows);
    expect((await t.error('SELECT EXPLAIN_MODEL(nosuch)')).code).toBe('UNDEFINED_OBJECT');
  }, 120_000);

  it('evaluates model calls at the leader too (literals, set operations, after ORDER BY ... LIMIT)', async () => {
    const [[slice]] = await t.rows('SELECT cls_fn(x1, x2, cat) FROM pts WHERE id = 7');
    const [[x1, x2, cat]] = await t.rows('SELECT x1, x2, cat FROM pts WHERE id = 7');
    expect(await t.rows(`SELECT cls_fn(${x1}, ${x2}, '${cat}')`)).toEqual([[slice]]);
    const u = await t.rows(`SELECT cls_fn(a, b, 'a') FROM (SELECT 1.5 AS a, 1.0 AS b UNION ALL SELECT -1.5, -1.0) v ORDER BY 1`);
    expect(u).toEqual([[0], [1]]);
    const top = await t.rows('SELECT id, cls_fn(x1, x2, cat) FROM (SELECT * FROM pts ORDER BY id LIMIT 20) s ORDER BY id');
    const direct = await t.rows('SELECT id, cls_fn(x1, x2, cat) FROM pts WHERE id < 20 ORDER BY id');
    expect(top).toEqual(direct);
    const w = await t.rows('SELECT id, row_number() OVER (PARTITION BY cls_fn(x1, x2, cat) ORDER BY id) FROM pts ORDER BY id LIMIT 3');
    expect(w.map((r) => r[0])).toEqual([0, 1, 2]);
    await t.s.execute('CREATE TABLE preds (id INTEGER, p INTEGER); INSERT INTO preds SELECT id, cls_fn(x1, x2, cat) FROM pts');
    expect(await t.rows('SELECT count(*) FROM preds p JOIN pts s ON p.id = s.id WHERE p.p = cls_fn(s.x1, s.x2, s.cat)')).toEqual([[400]]);
  });

  it('says clearly that UPDATE and DELETE cannot call models; outer join conditions can', async () => {
    const e = await t.error('UPDATE pts SET y = reg_fn(x1, x2, cat) WHERE id < 3');
    expect(e.code).toBe('FEATURE_NOT_SUPPORTED');
    expect((await t.error('DELETE FROM pts WHERE cls_fn(x1, x2, cat) = 1')).message).toMatch(/not supported in UPDATE or DELETE/);
    // a call over one input is computed below it: every prediction matches its own row's
    expect(await t.rows('SELECT count(*), count(s.id) FROM preds p LEFT JOIN pts s ON p.id = s.id AND p.p = cls_fn(s.x1, s.x2, s.cat)')).toEqual([[400, 400]]);
    expect(await t.rows('SELECT count(*), count(s.id) FROM preds p LEFT JOIN pts s ON p.id = s.id AND p.p <> cls_fn(s.x1, s.x2, s.cat)')).toEqual([[400, 0]]);
    // a call over both inputs is computed over each piece of the pairs of equal keys
    expect(await t.rows('SELECT count(*), count(s.id) FROM preds p LEFT JOIN pts s ON p.id = s.id AND p.p = cls_fn(s.x1 + p.id * 0, s.x2, s.cat)')).toEqual([[400, 400]]);
  });
});

describe('slices', () => {
  it('gives the same predictions on 1 slice as on 2, after a restart', async () => {
    const q = 'SELECT id, cls_fn(x1, x2, cat), cls_fn_prob(x1, x2, cat), reg_fn(x1, x2, cat), km_fn(x1, x2) FROM pts ORDER BY id';
    const two = await t.rows(q);
    await t.close(false);
    t = await openDb({ dir: t.dir, slices: 1 });
    expect(t.db.slices).toBe(1);
    expect(await t.rows(q)).toEqual(two);
    expect((await t.show('cls'))['Model State']).toBe('READY');
  }, 60_000);
});
