// Column-level privileges as Redshift has them: GRANT/REVOKE SELECT (cols) and UPDATE (cols) on a
// table; every place a query names a column (select list, *, WHERE, JOIN ON/USING, ORDER BY,
// GROUP BY, subqueries, renamed columns) is checked, as are UPDATE's SET columns and the columns
// DELETE/UPDATE read; svv_column_privileges lists the grants.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database, SqlError, type Session } from '../../../engine/database.ts';
import { parseOne } from '../../../engine/sql/parser.ts';
import { printStatement } from '../../../engine/sql/printer.ts';

let dir: string;
let db: Database;
let admin: Session;
let ann: Session;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'strata-colpriv-'));
  db = await Database.open({ dataDir: dir, slices: 1 });
  admin = db.connect();
  await admin.execute(`CREATE TABLE emp (id INT, name VARCHAR(10), salary INT, dept INT);
    INSERT INTO emp VALUES (1, 'ann', 100, 1), (2, 'bo', 200, 2);
    CREATE TABLE dept (dept INT, title VARCHAR(10));
    INSERT INTO dept VALUES (1, 'eng'), (2, 'ops');
    CREATE USER ann;
    GRANT SELECT (id, name, dept), UPDATE (name) ON emp TO ann;
    GRANT SELECT ON dept TO ann`);
  ann = db.connect({ user: 'ann' });
});
afterAll(async () => {
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

const rows = async (s: Session, sql: string) => (await s.execute(sql)).at(-1)!.rows;
async function denied(s: Session, sql: string): Promise<SqlError> {
  try {
    await s.execute(sql);
  } catch (e) {
    expect((e as SqlError).code, `${sql}: ${(e as Error).message}`).toBe('PERMISSION_DENIED');
    return e as SqlError;
  }
  throw new Error(`expected "${sql}" to be refused`);
}

describe('GRANT SELECT (columns)', () => {
  it('parses and prints back the column lists', () => {
    for (const sql of ['GRANT SELECT (a, b), UPDATE (c) ON TABLE t TO u', 'REVOKE SELECT (a) ON TABLE t FROM u', 'GRANT ALL (a), INSERT ON TABLE t TO PUBLIC']) {
      const stmt = parseOne(sql);
      expect(parseOne(printStatement(stmt))).toEqual(stmt);
    }
    expect(parseOne('GRANT SELECT (a, b), UPDATE (c) ON t TO u')).toMatchObject({ privileges: ['SELECT', 'UPDATE'], columns: [['a', 'b'], ['c']] });
  });

  it('lets the user read the granted columns anywhere in a query', async () => {
    expect(await rows(ann, 'SELECT id, name FROM emp ORDER BY id')).toEqual([[1, 'ann'], [2, 'bo']]);
    expect(await rows(ann, 'SELECT e.name, d.title FROM emp e JOIN dept d ON e.dept = d.dept WHERE e.id = 2')).toEqual([['bo', 'ops']]);
    expect(await rows(ann, 'SELECT name FROM emp JOIN dept USING (dept) ORDER BY dept DESC')).toEqual([['bo'], ['ann']]);
    expect(await rows(ann, 'SELECT count(*) FROM emp')).toEqual([[2]]);
    expect(await rows(ann, 'SELECT x.n FROM (SELECT name AS n FROM emp WHERE id = 1) x')).toEqual([['ann']]);
  });

  it('refuses an ungranted column in every clause, naming it', async () => {
    const e = await denied(ann, 'SELECT id, salary FROM emp');
    expect(e.message).toMatch(/permission denied for column salary of relation public\.emp/);
    expect(e.message).toMatch(/line 1, column 12/);
    expect((await denied(ann, 'SELECT * FROM emp')).message).toMatch(/column salary/);
    expect((await denied(ann, 'SELECT emp.* FROM emp')).message).toMatch(/column salary/);
    await denied(ann, 'SELECT id FROM emp WHERE salary > 150');
    await denied(ann, 'SELECT id FROM emp ORDER BY salary');
    await denied(ann, 'SELECT dept, max(salary) FROM emp GROUP BY dept');
    await denied(ann, 'SELECT d.title FROM dept d JOIN emp e ON e.salary = d.dept');
    await denied(ann, 'SELECT title FROM dept WHERE dept IN (SELECT dept FROM emp WHERE salary > 150)');
    await denied(ann, 'SELECT title FROM dept d WHERE EXISTS (SELECT 1 FROM emp e WHERE e.dept = d.dept AND e.salary > 150)');
    await denied(ann, 'SELECT s FROM emp AS x(i, n, s, d)');
    await denied(ann, 'WITH c AS (SELECT * FROM emp) SELECT id FROM c');
    await denied(ann, 'CREATE TABLE copy AS SELECT salary FROM emp');
    // a table with no grant at all is refused as before
    await admin.execute('CREATE TABLE hidden (x INT)');
    expect((await denied(ann, 'SELECT count(*) FROM hidden')).message).toMatch(/permission denied for relation public\.hidden/);
  });

  it('REVOKE SELECT (col) takes one column away; a table-level REVOKE takes them all', async () => {
    await admin.execute('REVOKE SELECT (name) ON emp FROM ann');
    await denied(ann, 'SELECT name FROM emp');
    expect(await rows(ann, 'SELECT id FROM emp ORDER BY id')).toEqual([[1], [2]]);
    await admin.execute('REVOKE SELECT ON emp FROM ann');
    await denied(ann, 'SELECT id FROM emp');
    await admin.execute('GRANT SELECT (id, name, dept) ON emp TO ann');
  });

  it('follows a renamed column and dies with a dropped one', async () => {
    await admin.execute('CREATE TABLE r (a INT, b INT); GRANT SELECT (a) ON r TO ann');
    await admin.execute('ALTER TABLE r RENAME COLUMN a TO a2');
    expect(await rows(ann, 'SELECT a2 FROM r')).toEqual([]);
    await admin.execute('ALTER TABLE r DROP COLUMN a2; ALTER TABLE r ADD COLUMN a2 INT');
    await denied(ann, 'SELECT a2 FROM r');
  });

  it('refuses column lists where Redshift does', async () => {
    const bad = async (sql: string, code: string) => {
      await expect(admin.execute(sql)).rejects.toMatchObject({ code });
    };
    await bad('GRANT INSERT (id) ON emp TO ann', 'INVALID_PARAMETER');
    await bad('GRANT SELECT (nope) ON emp TO ann', 'UNDEFINED_COLUMN');
    await bad('GRANT SELECT (id) ON emp TO ann WITH GRANT OPTION', 'FEATURE_NOT_SUPPORTED');
    await bad('GRANT USAGE (id) ON SCHEMA public TO ann', 'INVALID_PARAMETER');
    await expect(ann.execute('GRANT SELECT (salary) ON emp TO ann')).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
  });
});

describe('UPDATE (columns) and the columns DELETE/UPDATE read', () => {
  it('lets the user SET a granted column, reading granted columns', async () => {
    const r = await ann.execute("BEGIN; UPDATE emp SET name = 'x' WHERE id = 1; ROLLBACK");
    expect(r[1].rowCount).toBe(1);
  });

  it('refuses SET of a column without UPDATE on it', async () => {
    expect((await denied(ann, 'UPDATE emp SET salary = 0')).message).toMatch(/column salary of relation public\.emp: user "ann" lacks UPDATE/);
    await denied(ann, "UPDATE emp SET name = 'x', dept = 3");
  });

  it('refuses a WHERE or SET that reads a column without SELECT on it', async () => {
    expect((await denied(ann, "UPDATE emp SET name = 'rich' WHERE salary > 150")).message).toMatch(/column salary/);
    await denied(ann, 'UPDATE emp SET name = CAST(salary AS VARCHAR)');
    await admin.execute('GRANT DELETE ON emp TO ann');
    expect((await denied(ann, 'DELETE FROM emp WHERE salary > 150')).message).toMatch(/column salary.*DELETE needs/);
    const ok = await ann.execute('BEGIN; DELETE FROM emp WHERE dept = 2; ROLLBACK');
    expect(ok[1].rowCount).toBe(1);
    expect(await rows(admin, 'SELECT count(*) FROM emp')).toEqual([[2]]);
  });
});

describe('svv_column_privileges', () => {
  it('lists the grants a user may see', async () => {
    await admin.execute('CREATE USER bob; GRANT SELECT (salary) ON emp TO bob; GRANT UPDATE (title) ON dept TO PUBLIC');
    const sql = "SELECT relation_name, column_name, privilege_type, identity_name, identity_type FROM svv_column_privileges WHERE relation_name IN ('emp', 'dept') ORDER BY 1, 2, 4, 3";
    expect(await rows(admin, sql)).toEqual([
      ['dept', 'title', 'UPDATE', 'PUBLIC', 'public'],
      ['emp', 'dept', 'SELECT', 'ann', 'user'],
      ['emp', 'id', 'SELECT', 'ann', 'user'],
      ['emp', 'name', 'SELECT', 'ann', 'user'],
      ['emp', 'name', 'UPDATE', 'ann', 'user'],
      ['emp', 'salary', 'SELECT', 'bob', 'user'],
    ]);
    // ann sees her own grants and PUBLIC's, not bob's
    expect((await rows(ann, sql)).map((r) => r[3])).not.toContain('bob');
    expect((await rows(ann, sql)).length).toBe(5);
  });
});
