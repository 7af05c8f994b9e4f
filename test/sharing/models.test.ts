// Shared models: the consumer calls the producer's predict function by three-part name on its
// own rows; the model (and its ONNX file) stays the producer's. The ML extension is not in this
// tree yet, so a stub stands in for its name resolution (models in `schema.models` with a
// `function` and an `onnxFile`), which is all sharing relies on.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { world, rows, failure, type World } from './helpers.ts';
import type { Extension } from '../../engine/database.ts';
import { T } from '../../engine/types/types.ts';
import type { StatementContext } from '../../engine/session/context.ts';

interface StubModel { function: string; onnxFile: string }

const stubMl: Extension = {
  name: 'ml-stub',
  resolveModelFunction(ctx: StatementContext, name: string[]) {
    const fn = name[name.length - 1];
    const db = ctx.state.accounts[ctx.session.account]?.databases[name.length === 3 ? name[0] : ctx.session.database];
    const schemas = name.length >= 2 ? [name[name.length - 2]] : ctx.session.searchPath;
    for (const s of schemas) {
      for (const [m, v] of Object.entries(db?.schemas[s]?.models ?? {}) as [string, StubModel][]) {
        if (v.function === fn) return { model: m, onnx: v.onnxFile, proba: false, type: T.real, argTypes: [T.real, T.real] };
      }
    }
    return null;
  },
};

let w: World;
const fixtures = fileURLToPath(new URL('../../models/', import.meta.url));
const spec = JSON.parse(readFileSync(join(fixtures, 'fixtures.json'), 'utf8')).linear_regressor as { inputs: number[][]; expected: number[] };

beforeAll(async () => {
  w = await world();
  w.db.extensions.unshift(stubMl);
  copyFileSync(join(fixtures, 'linear_regressor.onnx'), join(w.dir, 'models', 'prod-linreg.onnx'));
  const txn = w.db.begin(false);
  txn.apply((s) => {
    s.accounts.prod.databases.dev.schemas.public.models.linreg = { function: 'predict_y', onnxFile: 'prod-linreg.onnx' } satisfies StubModel;
    s.accounts.prod.databases.dev.schemas.public.models.unshared = { function: 'predict_z', onnxFile: 'prod-linreg.onnx' } satisfies StubModel;
  }, { ddl: true });
  await w.db.commit(txn, 'prod');
  w.db.release(txn);
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
