// Schema USAGE through the real HTTP server and the CLI: what a token holding SELECT on a table
// in a schema it may not use reaches (nothing), what USAGE plus SELECT reaches (that table's
// rows, nothing more), what the catalog listings show it, and that a consumer of a datashare is
// governed by the consumer database's grant, not by the producer's schema grants.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { code, ok, tempDir } from '../api/helpers.ts';
import { constantModel } from '../ml/sql/helpers.ts';
import { Database } from '../../engine/database.ts';
import { secureServer, message, type Caller, type SecureServer } from './helpers.ts';

let srv: SecureServer;
let acme: Caller;
let eve: Caller;
const files = tempDir('strata-usage-files-');

beforeAll(async () => {
  const onnx = join(files.dir, 'const3.onnx');
  writeFileSync(onnx, constantModel(3));
  srv = await secureServer({ accounts: ['acme', 'globex'], importDirs: [files.dir] });
  acme = srv.as(await srv.token('acme'));
  ok(await acme.sql(`CREATE USER eve; CREATE SCHEMA hr;
    CREATE TABLE hr.salaries (name VARCHAR(10), pay INT); INSERT INTO hr.salaries VALUES ('ann', 100), ('bo', 200);
    CREATE TABLE hr.reviews (name VARCHAR(10), note VARCHAR(20)); INSERT INTO hr.reviews VALUES ('ann', 'fine');
    GRANT SELECT ON hr.salaries TO eve;
    CREATE MODEL hr.raise FUNCTION hr.raise_for(REAL) RETURNS REAL FROM '${onnx}'`));
  eve = srv.as(await srv.token('acme', 'eve'));
}, 60_000);
afterAll(async () => { await srv?.close(); files.remove(); });

const tables = async (c: Caller) => ok(await c('{ tables { schema name } }')).tables.map((t: { schema: string; name: string }) => `${t.schema}.${t.name}`);

describe('a token with SELECT on a table in a schema it may not use', () => {
  it('reads nothing of it, and the catalog lists nothing of the schema but its name', async () => {
    const r = await eve.sql('SELECT pay FROM hr.salaries');
    expect(code(r)).toBe('PERMISSION_DENIED');
    expect(message(r)).toBe('permission denied for schema hr: user "eve" lacks USAGE on it at line 1, column 17');
    expect(r.errors![0].extensions!.position).toEqual({ line: 1, column: 17 });
    expect(await tables(eve)).toEqual([]);
    const dbs = ok(await eve('{ databases { name schemas { name tables { name } } } }')).databases;
    expect(dbs).toEqual([{ name: 'dev', schemas: [{ name: 'hr', tables: [] }, { name: 'public', tables: [] }] }]);
    expect(ok(await eve('{ table(name: "salaries", schema: "hr") { name } }')).table).toBeNull();
    expect(ok(await eve('{ models { name } }')).models).toEqual([]);
    expect(await tables(acme)).toEqual(['hr.reviews', 'hr.salaries']);
  });

  it('cannot pass it to another account through a datashare, even holding SELECT WITH GRANT OPTION', async () => {
    ok(await acme.sql('CREATE DATASHARE leak; GRANT ALTER ON DATASHARE leak TO eve; GRANT SELECT ON hr.salaries TO eve WITH GRANT OPTION'));
    const r = await eve.sql('ALTER DATASHARE leak ADD TABLE hr.salaries');
    expect(message(r)).toBe('permission denied for schema hr: user "eve" lacks USAGE on it at line 1, column 1');
    expect(ok(await acme.sql('DESC DATASHARE leak')).execute.rows).toEqual([]);
  });
});

describe('a token with USAGE on the schema and SELECT on one table', () => {
  it('reads that table and lists it, and reaches nothing else', async () => {
    ok(await acme.sql('GRANT USAGE ON SCHEMA hr TO eve'));
    expect(ok(await eve.sql('SELECT name, pay FROM hr.salaries ORDER BY name')).execute.rows).toEqual([['ann', 100], ['bo', 200]]);
    expect(await tables(eve)).toEqual(['hr.reviews', 'hr.salaries']);
    for (const sql of ['SELECT * FROM hr.reviews', "INSERT INTO hr.salaries VALUES ('eve', 999)", 'DELETE FROM hr.salaries', 'DROP TABLE hr.salaries',
      'GRANT USAGE ON SCHEMA hr TO PUBLIC', 'GRANT SELECT ON hr.reviews TO eve', 'DROP SCHEMA hr CASCADE']) {
      expect(code(await eve.sql(sql)), sql).toBe('PERMISSION_DENIED');
    }
    expect(ok(await acme.sql('SELECT count(*) FROM hr.salaries')).execute.rows).toEqual([[2]]);
    // the model's function needs EXECUTE too, granted on the function or on the model alike
    expect(ok(await eve('{ models { name schema } }')).models).toEqual([{ name: 'raise', schema: 'hr' }]);
    expect(code(await eve.sql('SELECT hr.raise_for(1.0)'))).toBe('PERMISSION_DENIED');
    ok(await acme.sql('GRANT EXECUTE ON FUNCTION hr.raise_for(REAL) TO eve'));
    expect(ok(await eve.sql('SELECT hr.raise_for(1.0)')).execute.rows).toEqual([[3]]);
    // REVOKE takes effect at once
    ok(await acme.sql('REVOKE USAGE ON SCHEMA hr FROM eve'));
    expect(code(await eve.sql('SELECT hr.raise_for(1.0)'))).toBe('PERMISSION_DENIED');
    expect(code(await eve.sql('SELECT name FROM hr.salaries'))).toBe('PERMISSION_DENIED');
    expect(await tables(eve)).toEqual([]);
  });
});

describe('a datashare consumer', () => {
  it('is governed by its own database\'s USAGE, not by the producer\'s schema grants', async () => {
    ok(await acme.sql("CREATE DATASHARE pay; ALTER DATASHARE pay ADD SCHEMA hr; ALTER DATASHARE pay ADD TABLE hr.salaries; GRANT USAGE ON DATASHARE pay TO ACCOUNT 'globex'"));
    const globex = srv.as(await srv.token('globex'));
    ok(await globex.sql("CREATE DATABASE acme_pay FROM DATASHARE pay OF ACCOUNT 'acme'; CREATE USER gus"));
    const gus = srv.as(await srv.token('globex', 'gus'));
    expect(code(await gus.sql('SELECT count(*) FROM acme_pay.hr.salaries'))).toBe('PERMISSION_DENIED');
    ok(await globex.sql('GRANT USAGE ON DATABASE acme_pay TO gus'));
    expect(ok(await gus.sql('SELECT sum(pay) FROM acme_pay.hr.salaries')).execute.rows).toEqual([[300]]);
  });
});

describe('the CLI', () => {
  it('refuses a table of a schema the user may not use, naming the schema and position', async () => {
    const { dir, remove } = tempDir('strata-usage-cli-');
    try {
      const db = await Database.open({ dataDir: dir, slices: 1, lazySlices: true });
      await db.connect().execute('CREATE USER kim; CREATE SCHEMA ops; CREATE TABLE ops.keys (k INT); GRANT SELECT ON ops.keys TO kim');
      await db.close();
      const r = await strata(['--data', dir, '--slices', '1', '--user', 'kim', 'SELECT k FROM ops.keys']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('permission denied for schema ops: user "kim" lacks USAGE on it at line 1, column 15');
    } finally {
      remove();
    }
  });
});

const BIN = fileURLToPath(new URL('../../bin/strata.js', import.meta.url));

/** Runs `strata sql ...args` as a child process. */
function strata(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'sql', ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, STRATA_DATA: '' } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', reject);
    child.on('close', (c) => resolve({ code: c, stderr }));
  });
}
