// Shared models: the consumer calls the producer's predict function by three-part name on its
// own rows; the model (and its ONNX file) stays the producer's. The producer brings the model
// from models/linear_regressor.onnx through the ML extension.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { world, rows, failure, type World } from './helpers.ts';
import { extension as mlExtension } from '../../ml/extension.ts';
import { constantModel } from '../ml/sql/helpers.ts';
import { parseOne } from '../../engine/sql/parser.ts';
import { StatementContext } from '../../engine/session/context.ts';

let w: World;
const fixtures = fileURLToPath(new URL('../../models/', import.meta.url));
const spec = JSON.parse(readFileSync(join(fixtures, 'fixtures.json'), 'utf8')).linear_regressor as { inputs: number[][]; expected: number[] };

beforeAll(async () => {
  w = await world();
  w.db.use(mlExtension(w.db));
  const file = join(fixtures, 'linear_regressor.onnx');
  await w.prod.execute(`CREATE MODEL linreg FUNCTION predict_y(REAL, REAL) RETURNS REAL FROM '${file}';
    CREATE MODEL unshared FUNCTION predict_z(REAL, REAL) RETURNS REAL FROM '${file}'`);
  // versions of `k` answer their own number: k(x) = 1, then 2, ...
  const files = mkdtempSync(join(tmpdir(), 'strata-shared-models-'));
  for (const v of [1, 2, 3]) {
    writeFileSync(join(files, `const${v}.onnx`), constantModel(v));
    await w.prod.execute(`CREATE MODEL k FUNCTION k_fn(REAL) RETURNS REAL FROM '${join(files, `const${v}.onnx`)}'`);
  }
  rmSync(files, { recursive: true });
  await w.prod.execute('ALTER MODEL k SET VERSION 1');
  await w.prod.execute(`CREATE DATASHARE ml; ALTER DATASHARE ml ADD MODEL linreg, k; GRANT USAGE ON DATASHARE ml TO ACCOUNT 'acme'`);
  const vals = spec.inputs[0].map((a, i) => `(${i}, ${a}, ${spec.inputs[1][i]})`).join(', ');
  await w.acme.execute(`CREATE DATABASE models FROM DATASHARE ml OF ACCOUNT 'prod'; create table obs (i int, a real, b real); insert into obs values ${vals}`);
}, 30_000);

afterAll(() => w?.close());

it('the consumer runs a shared model on its own rows', async () => {
  const r = await rows(w.acme, 'select i, models.public.predict_y(a, b) from obs order by i');
  expect(r.map((x) => Number(x[1]))).toEqual(spec.expected.map((e) => expect.closeTo(e, 4)) as unknown as number[]);
  expect(await rows(w.acme, `select object_type, object_name from svv_datashare_objects where object_type = 'MODEL' order by 2`)).toEqual([['MODEL', 'public.k'], ['MODEL', 'public.linreg']]);
});

it('a consumer query runs the version it bound, even if the producer switches before it executes', async () => {
  const acme = w.acme.info;
  const txn = w.db.begin(false);
  const ctx = new StatementContext(w.db, acme, txn);
  try {
    const q = parseOne('SELECT min(models.public.k_fn(a)), max(models.public.k_fn(a)) FROM obs');
    if (q.kind !== 'Query') throw new Error('not a query');
    const plan = await ctx.bindQuery(q.query);
    // the bound call names the producer's model and version, not a name to look up later
    expect(JSON.stringify(plan)).toMatch(/"ref":\{"account":"prod","database":"dev","schema":"public","name":"k","id":"[^"]+","version":1,/);
    await w.prod.execute('ALTER MODEL k SET VERSION 2');
    expect((await ctx.query(plan)).rows).toEqual([[1, 1]]);
  } finally {
    w.db.release(txn);
  }
  // the next statement binds the producer's new current version
  expect(await rows(w.acme, 'select min(models.public.k_fn(a)), max(models.public.k_fn(a)) from obs')).toEqual([[2, 2]]);
});

it('a consumer transaction sees the producer\'s versions as of its snapshot', async () => {
  await w.acme.execute('BEGIN');
  try {
    expect(await rows(w.acme, 'select max(models.public.k_fn(a)) from obs')).toEqual([[2]]);
    await w.prod.execute('ALTER MODEL k SET VERSION 3');
    expect(await rows(w.acme, 'select max(models.public.k_fn(a)) from obs')).toEqual([[2]]);
  } finally {
    await w.acme.execute('COMMIT');
  }
  expect(await rows(w.acme, 'select max(models.public.k_fn(a)) from obs')).toEqual([[3]]);
});

it('nothing is kept per query: model sessions are one per graph however many queries bind it', async () => {
  const runner = w.db.modelRunner;
  await rows(w.acme, 'select models.public.k_fn(0.5)');
  const before = runner.sessionCount;
  for (let i = 0; i < 40; i++) {
    await w.prod.execute(`ALTER MODEL k SET VERSION ${1 + (i % 3)}`);
    expect(await rows(w.acme, `select models.public.k_fn(${i})`)).toEqual([[1 + (i % 3)]]);
  }
  // three versions, three graphs: at most two more sessions than after the first query
  expect(runner.sessionCount).toBeLessThanOrEqual(before + 2);
  expect(runner.sessionCount).toBeLessThanOrEqual(3);
});

it('a model not in the share reads as absent, even when the producer\'s own call would fail for it', async () => {
  // a version of `unshared` still training, as the ML extension records one
  const txn = w.db.begin(false);
  txn.apply((st) => {
    const models = st.accounts.prod.databases.dev.schemas.public.models as Record<string, Record<string, unknown> & { versions: Record<string, unknown>[] }>;
    const e = structuredClone(models.unshared);
    Object.assign(e, { name: 'secret', function: 'secret_fn', state: 'TRAINING', versions: e.versions.map((v) => ({ ...v, state: 'TRAINING' })) });
    models.secret = e;
  }, { ddl: true });
  await w.db.commit(txn, 'prod');
  w.db.release(txn);
  expect((await failure(w.prod, 'select secret_fn(1, 2)')).code).toBe('MODEL_NOT_READY');
  const hidden = await failure(w.acme, 'select models.public.secret_fn(a, b) from obs');
  expect(hidden).toEqual({ code: 'UNDEFINED_FUNCTION', message: expect.stringMatching(/function models\.public\.secret_fn does not exist in datashare "ml"/) });
  expect(hidden.message).not.toMatch(/training|model "secret"/);
  // once shared, the consumer is told why it cannot run
  await w.prod.execute('ALTER DATASHARE ml ADD MODEL secret');
  expect((await failure(w.acme, 'select models.public.secret_fn(a, b) from obs')).code).toBe('MODEL_NOT_READY');
  await w.prod.execute('ALTER DATASHARE ml REMOVE MODEL secret');
});

it('models not in the share are not callable', async () => {
  expect((await failure(w.acme, 'select models.public.predict_z(a, b) from obs')).code).toBe('UNDEFINED_FUNCTION');
  await w.prod.execute(`REVOKE USAGE ON DATASHARE ml FROM ACCOUNT 'acme'`);
  expect((await failure(w.acme, 'select models.public.predict_y(a, b) from obs')).code).toBe('PERMISSION_DENIED');
});
