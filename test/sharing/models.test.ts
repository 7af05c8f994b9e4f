// Shared models: the consumer calls the producer's predict function by three-part name on its
// own rows; the model (and its ONNX file) stays the producer's. The producer brings the model
// from models/linear_regressor.onnx through the ML extension.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { world, rows, failure, type World } from './helpers.ts';
import { extension as mlExtension } from '../../ml/extension.ts';

let w: World;
const fixtures = fileURLToPath(new URL('../../models/', import.meta.url));
const spec = JSON.parse(readFileSync(join(fixtures, 'fixtures.json'), 'utf8')).linear_regressor as { inputs: number[][]; expected: number[] };

beforeAll(async () => {
  w = await world();
  w.db.use(mlExtension(w.db));
  const file = join(fixtures, 'linear_regressor.onnx');
  await w.prod.execute(`CREATE MODEL linreg FUNCTION predict_y(REAL, REAL) RETURNS REAL FROM '${file}';
    CREATE MODEL unshared FUNCTION predict_z(REAL, REAL) RETURNS REAL FROM '${file}'`);
  await w.prod.execute(`CREATE DATASHARE ml; ALTER DATASHARE ml ADD MODEL linreg; GRANT USAGE ON DATASHARE ml TO ACCOUNT 'acme'`);
  const vals = spec.inputs[0].map((a, i) => `(${i}, ${a}, ${spec.inputs[1][i]})`).join(', ');
  await w.acme.execute(`CREATE DATABASE models FROM DATASHARE ml OF ACCOUNT 'prod'; create table obs (i int, a real, b real); insert into obs values ${vals}`);
}, 30_000);

afterAll(() => w?.close());

it('the consumer runs a shared model on its own rows', async () => {
  const r = await rows(w.acme, 'select i, models.public.predict_y(a, b) from obs order by i');
  expect(r.map((x) => Number(x[1]))).toEqual(spec.expected.map((e) => expect.closeTo(e, 4)) as unknown as number[]);
  expect(await rows(w.acme, `select object_type, object_name from svv_datashare_objects where object_type = 'MODEL'`)).toEqual([['MODEL', 'public.linreg']]);
});

it('models not in the share are not callable', async () => {
  expect((await failure(w.acme, 'select models.public.predict_z(a, b) from obs')).code).toBe('UNDEFINED_FUNCTION');
  await w.prod.execute(`REVOKE USAGE ON DATASHARE ml FROM ACCOUNT 'acme'`);
  expect((await failure(w.acme, 'select models.public.predict_y(a, b) from obs')).code).toBe('PERMISSION_DENIED');
});
