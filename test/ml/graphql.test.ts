// GraphQL (in-process): `modelEvents` streams a CREATE MODEL's training, then `models` and
// `model(name)` show what SHOW MODEL shows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { code, inProcess, ok, subscribeEvents } from '../api/helpers.ts';

let t: Awaited<ReturnType<typeof inProcess>>;
beforeAll(async () => { t = await inProcess(); });
afterAll(async () => { await t.close(); });

const subscribe = (query: string, stop: (e: any) => boolean, started: () => Promise<void>) =>
  subscribeEvents(t.fetcher, t.api.adminToken!, query, stop, started);

describe('ml GraphQL module', () => {
  it('streams modelEvents for a training, then serves models and model(name)', async () => {
    const setup = `CREATE TABLE g (a REAL, b REAL, y INTEGER);
      INSERT INTO g VALUES ${Array.from({ length: 60 }, (_, i) => `(${i % 7}, ${(i * 3) % 11}, ${(i % 7) + ((i * 3) % 11) > 8 ? 1 : 0})`).join(', ')}`;
    ok(await t.admin('mutation($s: String!) { executeScript(sql: $s) { command } }', { s: setup }));
    const events = await subscribe('subscription { modelEvents(name: "gm") { model state kind message epoch loss validationScore at } }',
      (e) => e.modelEvents.state !== 'TRAINING',
      async () => {
        await new Promise((r) => setTimeout(r, 100));
        ok(await t.admin(`mutation { execute(sql: "CREATE MODEL gm FROM g TARGET y FUNCTION gm_fn AUTO OFF MODEL_TYPE XGBOOST") { command } }`));
      });
    const kinds = events.map((e) => e.modelEvents.kind);
    expect(kinds[0]).toBe('created');
    expect(kinds).toContain('progress');
    expect(events.at(-1).modelEvents).toMatchObject({ model: 'gm', state: 'READY', kind: 'ready' });

    const d = ok(await t.admin(`{ models { name state } model(name: "gm") {
      name database schema owner state reason modelType problemType objective validationScore target query
      functionName functionSignature arguments { name type } returnType probabilityFunction labels
      trainingRows trainingSeconds hyperparameters settings explainBaseline preprocessing { column transform } featureImportance { feature importance } createdAt finishedAt } }`));
    expect(d.models).toEqual([{ name: 'gm', state: 'READY' }]);
    expect(d.model).toMatchObject({
      name: 'gm', database: 'dev', schema: 'public', owner: 'admin', state: 'READY', reason: null, modelType: 'XGBOOST',
      problemType: 'BINARY_CLASSIFICATION', objective: 'F1', target: 'y', query: 'SELECT * FROM g', functionName: 'gm_fn',
      functionSignature: 'gm_fn(REAL, REAL) RETURNS INTEGER', arguments: [{ name: 'a', type: 'REAL' }, { name: 'b', type: 'REAL' }],
      returnType: 'INTEGER', probabilityFunction: 'gm_fn_prob', labels: [0, 1], trainingRows: 60, explainBaseline: null,
    });
    expect(d.model.preprocessing.map((p: { column: string }) => p.column)).toEqual(['a', 'b']);
    expect(d.model.featureImportance).toHaveLength(2);
    expect(typeof d.model.hyperparameters.num_round).toBe('string');
    expect(ok(await t.admin('{ model(name: "nope") { name } }')).model).toBeNull();
    const q = ok(await t.admin('{ query(sql: "SELECT count(*) AS n FROM g WHERE gm_fn(a, b) = y") { rows } }'));
    expect(q.query.rows[0][0]).toBeGreaterThan(50);
  }, 60_000);

  it('ALTER MODEL ... SET EXPLAIN_BACKGROUND over GraphQL shows in model(name).explainBaseline', async () => {
    const before = ok(await t.admin('{ model(name: "gm") { settings } }')).model.settings;
    ok(await t.admin('mutation($s: String!) { execute(sql: $s) { command } }', { s: "ALTER MODEL gm SET EXPLAIN_BACKGROUND 'SELECT a, b FROM g WHERE y = 1'" }));
    const [[n]] = ok(await t.admin('{ query(sql: "SELECT count(*) FROM g WHERE y = 1") { rows } }')).query.rows;
    // a trained model's settings stay its training's
    expect(ok(await t.admin('{ model(name: "gm") { explainBaseline settings } }')).model).toEqual({ explainBaseline: `${Math.min(32, n)} row(s) of EXPLAIN_BACKGROUND`, settings: before });
    const bad = await t.admin('mutation($s: String!) { execute(sql: $s) { command } }', { s: "ALTER MODEL gm SET EXPLAIN_BACKGROUND 'SELECT a FROM g'" });
    expect(code(bad)).toBe('INVALID_PARAMETER');
    expect(bad.errors![0].message).toContain('1 column(s)');
  });
});
