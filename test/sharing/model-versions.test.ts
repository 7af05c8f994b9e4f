// Consumers call pinned versions of shared models: `shared.public.fn@2(...)` and
// `fn@alias(...)` resolve only for versions and aliases the producer's datashare names
// (ALTER DATASHARE s ADD MODEL m@2, m@alias). Everything else reads "not shared", without
// telling the consumer which other versions exist; removal and revocation act on the next
// statement. Through the in-process API (GraphQL, with ML and sharing loaded as the server does),
// and once through the one-shot CLI.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../../api/tokens.ts';
import { inProcess, ok, type GqlResponse } from '../api/helpers.ts';
import { constantModel } from '../ml/sql/helpers.ts';
import type { Session } from '../../engine/session/session.ts';

let t: Awaited<ReturnType<typeof inProcess>>;
let prod: Session;
let acme: (q: string, v?: Record<string, unknown>) => Promise<GqlResponse>;
const files = mkdtempSync(join(tmpdir(), 'strata-pinned-'));

/** The consumer's query over GraphQL: its rows, or its error code and message. */
async function consumer(sql: string): Promise<unknown[][] | { code: string; message: string }> {
  const r = await acme('query($s: String!) { query(sql: $s) { rows } }', { s: sql });
  if (r.errors?.length) return { code: r.errors[0].extensions?.code, message: r.errors[0].message };
  return r.data!.query.rows;
}

beforeAll(async () => {
  t = await inProcess();
  const db = t.api.services.db;
  await db.connect().execute('CREATE ACCOUNT prod; CREATE ACCOUNT acme');
  acme = t.as((await createToken(db, { account: 'acme' })).token);
  // the producer brings its model files as a local user (the API only reads under --import-dir)
  prod = db.connect({ account: 'prod', localFiles: true });
  // version k of each model answers k for every row; `other` is never shared
  for (const v of [1, 2, 3]) {
    writeFileSync(join(files, `const${v}.onnx`), constantModel(v));
    await prod.execute(`CREATE MODEL m FUNCTION f(REAL) RETURNS REAL FROM '${join(files, `const${v}.onnx`)}'`);
  }
  await prod.execute(`CREATE MODEL other FUNCTION g(REAL) RETURNS REAL FROM '${join(files, 'const1.onnx')}'; CREATE MODEL other FUNCTION g(REAL) RETURNS REAL FROM '${join(files, 'const2.onnx')}'`);
  await prod.execute(`ALTER MODEL m SET VERSION 1; ALTER MODEL m SET ALIAS challenger TO VERSION 3; ALTER MODEL other SET ALIAS challenger TO VERSION 2`);
  await prod.execute(`CREATE DATASHARE ml; ALTER DATASHARE ml ADD MODEL m, m@2, m@challenger; GRANT USAGE ON DATASHARE ml TO ACCOUNT 'acme'`);
  ok(await acme('mutation { execute(sql: "CREATE DATABASE shared FROM DATASHARE ml OF ACCOUNT \'prod\'; CREATE TABLE obs (x REAL); INSERT INTO obs VALUES (1), (2), (3)") { rowCount } }'));
}, 60_000);

afterAll(async () => { await t?.close(); rmSync(files, { recursive: true, force: true }); });

describe('pinned versions of shared models', () => {
  it('the consumer calls the current version, the shared version and the shared alias', async () => {
    expect(await consumer('SELECT max(shared.public.f(x)), max(shared.public.f@2(x)), max(shared.public.f@challenger(x)) FROM obs')).toEqual([[1, 2, 3]]);
    // at the leader too (no table: one row of constants)
    expect(await consumer('SELECT shared.public.f@2(0.5), shared.public.f@challenger(0.5)')).toEqual([[2, 3]]);
    const d = ok(await acme('{ datashare(name: "ml", producer: "prod") { objects { type name } } }'));
    expect(d.datashare.objects.filter((o: { type: string }) => o.type === 'MODEL').map((o: { name: string }) => o.name).sort()).toEqual(['public.m', 'public.m@2', 'public.m@challenger']);
  });

  it('versions and aliases the share does not name read "not shared", whatever exists', async () => {
    const notShared = /function shared\.public\.(f|g)@\w+ is not shared by datashare "ml" \(it shares the model versions m@2, m@challenger\)/;
    for (const sql of [
      'SELECT shared.public.f@1(x) FROM obs', // exists, not shared
      'SELECT shared.public.f@3(x) FROM obs', // exists (as the alias's target), not shared by number
      'SELECT shared.public.f@9(x) FROM obs', // does not exist
      'SELECT shared.public.f@champion(x) FROM obs', // no such alias
      'SELECT shared.public.g@challenger(x) FROM obs', // the alias name is shared, but for m, not for other
      'SELECT shared.public.g@2(x) FROM obs',
    ]) {
      const r = await consumer(sql);
      expect({ sql, r }).toEqual({ sql, r: { code: 'UNDEFINED_FUNCTION', message: expect.stringMatching(notShared) } });
      expect((r as { message: string }).message).not.toMatch(/version 1|versions 1|has no/);
    }
    expect(await consumer('SELECT shared.public.g(x) FROM obs')).toMatchObject({ code: 'UNDEFINED_FUNCTION', message: expect.stringMatching(/is not shared by datashare "ml"/) });
  });

  it('an alias follows the producer; removing a pin or the model acts on the next statement', async () => {
    await prod.execute('ALTER MODEL m SET ALIAS challenger TO VERSION 2');
    expect(await consumer('SELECT shared.public.f@challenger(0)')).toEqual([[2]]);
    // only pins left: the current version is no longer callable, version 2 still is
    await prod.execute('ALTER DATASHARE ml REMOVE MODEL m');
    expect(await consumer('SELECT shared.public.f(0)')).toMatchObject({ code: 'UNDEFINED_FUNCTION' });
    expect(await consumer('SELECT shared.public.f@2(0)')).toEqual([[2]]);
    await prod.execute('ALTER DATASHARE ml REMOVE MODEL m@2');
    expect(await consumer('SELECT shared.public.f@2(0)')).toMatchObject({ code: 'UNDEFINED_FUNCTION' });
    await prod.execute('ALTER DATASHARE ml ADD MODEL m, m@2');
  });

  it('the producer can pin only versions that exist and are ready, of models it may share', async () => {
    const fails = async (sql: string) => { try { await prod.execute(sql); return 'ok'; } catch (e) { return `${(e as { code: string }).code}: ${(e as Error).message}`; } };
    expect(await fails('ALTER DATASHARE ml ADD MODEL m@9')).toMatch(/^UNDEFINED_OBJECT: model "m" has no version 9/);
    expect(await fails('ALTER DATASHARE ml ADD MODEL m@nope')).toMatch(/^UNDEFINED_OBJECT: model "m" has no alias "nope"/);
    expect(await fails('ALTER DATASHARE ml REMOVE MODEL m@3')).toMatch(/^UNDEFINED_OBJECT: model "public.m@3" is not in datashare ml/);
    expect(await fails('ALTER DATASHARE ml ADD MODEL nosuch@1')).toMatch(/^UNDEFINED_OBJECT: model "public.nosuch" does not exist/);
  });

  it('revocation stops pinned calls at once', async () => {
    expect(await consumer('SELECT shared.public.f@2(0)')).toEqual([[2]]);
    await prod.execute(`REVOKE USAGE ON DATASHARE ml FROM ACCOUNT 'acme'`);
    expect(await consumer('SELECT shared.public.f@2(0)')).toMatchObject({ code: 'PERMISSION_DENIED' });
    expect(await consumer('SELECT shared.public.f@challenger(x) FROM obs')).toMatchObject({ code: 'PERMISSION_DENIED' });
  });
});

it('strata sql: a consumer account calls a pinned version from the CLI', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-pinned-cli-'));
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const strata = async (account: string, script: string) =>
    (await promisify(execFile)(process.execPath, [join(root, 'bin/strata.js'), 'sql', '--data', dir, '--slices', '1', '--account', account, '--format', 'csv', script], { cwd: root })).stdout;
  try {
    await strata('admin', 'CREATE ACCOUNT prod; CREATE ACCOUNT acme');
    await strata('prod', `CREATE MODEL m FUNCTION f(REAL) RETURNS REAL FROM '${join(files, 'const1.onnx')}';
      CREATE MODEL m FUNCTION f(REAL) RETURNS REAL FROM '${join(files, 'const2.onnx')}';
      CREATE DATASHARE ml; ALTER DATASHARE ml ADD MODEL m@1; GRANT USAGE ON DATASHARE ml TO ACCOUNT 'acme'`);
    const out = await strata('acme', `CREATE DATABASE shared FROM DATASHARE ml OF ACCOUNT 'prod'; SELECT shared.public.f@1(0.5) AS pinned`);
    expect(out).toMatch(/pinned\r?\n1\r?\n/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
