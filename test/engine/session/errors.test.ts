// Errors through Session.execute: each kind of bad input gets its code and a message that says
// what and where (line:column and the token, the unknown name, file:line and column for COPY),
// a failed statement changes nothing, and no input (random or mutated SQL) gets anything but a
// SqlError out of the engine.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database, SqlError, type Session } from '../../../engine/database.ts';

let dir: string;
let db: Database;
let s: Session;

const SETUP = `
  CREATE TABLE t (id INTEGER, small SMALLINT, name VARCHAR(5), d DATE, amt DECIMAL(6,2), big BIGINT, x DOUBLE PRECISION);
  INSERT INTO t VALUES (1, 1, 'a', '2020-01-01', 1.50, 10, 0.5), (2, 2, 'bb', '2021-02-03', -2.25, 20, 1.5), (3, 3, 'ccc', NULL, 3.00, 9007199254740000, NULL);
  CREATE TABLE u (id INTEGER, name VARCHAR(10))`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'strata-errors-'));
  db = await Database.open({ dataDir: join(dir, 'data'), slices: 2 });
  s = db.connect();
  await s.execute(SETUP);
});
afterAll(async () => {
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Everything a statement could have changed: the tables and every row of the two fixtures. */
async function snapshot(withTables = true): Promise<string> {
  const r = await db.connect().execute('SHOW TABLES; SELECT * FROM t ORDER BY id; SELECT * FROM u ORDER BY id');
  return JSON.stringify(r.slice(withTables ? 0 : 1).map((x) => x.rows));
}

/** Runs `sql`, expects a SqlError, and checks that nothing changed. */
async function failure(sql: string, session: Session = s): Promise<SqlError> {
  const before = await snapshot();
  let err: unknown;
  try {
    await session.execute(sql);
  } catch (e) {
    err = e;
  }
  if (err === undefined) throw new Error(`expected an error from: ${sql}`);
  expect(err, `error from ${sql}`).toBeInstanceOf(SqlError);
  expect(await snapshot(), `data changed after the failed statement: ${sql}`).toBe(before);
  return err as SqlError;
}

async function expectError(sql: string, code: string, message: RegExp): Promise<SqlError> {
  const e = await failure(sql);
  expect({ sql, code: e.code }).toEqual({ sql, code });
  expect(e.message).toMatch(message);
  return e;
}

describe('syntax errors give line:column and the token near them', () => {
  it.each([
    ['SELEC 1', 1, 1, /syntax error at or near "SELEC" at line 1, column 1$/],
    ['SELECT id\nFROM t\nWHERE )', 3, 7, /at or near "\)" at line 3, column 7$/],
    ['SELECT id,\n  name FROM t WHERE id = = 1', 2, 26, /at or near "=" at line 2, column 26$/],
    ['SELECT * FROM t WHERE id IN ()', 1, 30, /at or near "\)"/],
    ['CREATE TABLE (a INTEGER)', 1, 14, /at or near "\("/],
    ['SELECT id FROM t GROUP id', 1, 18, /at or near "GROUP"/],
    ['SELECT 1;\n\n  SELECT id FROM t ORDER', 3, 20, /at or near "ORDER"/],
  ])('%j', async (sql, line, column, message) => {
    const e = await expectError(sql, 'SYNTAX_ERROR', message);
    expect(e.position).toMatchObject({ line, column });
  });

  it('end of input and unterminated strings say so', async () => {
    expect((await expectError('SELECT id FROM t WHERE', 'SYNTAX_ERROR', /at end of input at line 1, column 23/)).position?.line).toBe(1);
    await expectError("SELECT 'abc FROM t", 'SYNTAX_ERROR', /unterminated quoted string at line 1, column 8/);
    await expectError('SELECT (1 + 2', 'SYNTAX_ERROR', /end of input/);
  });

  it('statements nested too deeply for the parser or the binder say so', async () => {
    await expectError('SELECT ' + '('.repeat(5000) + '1' + ')'.repeat(5000), 'SYNTAX_ERROR', /statement is too deeply nested/);
    await expectError('SELECT ' + Array.from({ length: 5000 }, (_, i) => String(i)).join(' + '), 'SYNTAX_ERROR', /statement is too deeply nested/);
    // a long chain within the limits still works
    expect((await s.execute('SELECT ' + Array.from({ length: 500 }, (_, i) => String(i)).join(' + ')))[0].rows).toEqual([[124750]]);
  });

  it('a syntax error anywhere in a script runs none of it', async () => {
    await expectError("INSERT INTO u VALUES (1, 'x'); SELECT FROM WHERE", 'SYNTAX_ERROR', /line 1, column/);
  });
});

describe('unknown names are named', () => {
  it.each([
    ['SELECT * FROM nosuch_table', 'UNDEFINED_TABLE', /relation "nosuch_table" does not exist at line 1, column 15/],
    ['INSERT INTO nosuch VALUES (1)', 'UNDEFINED_TABLE', /"nosuch"/],
    ['SELECT * FROM t JOIN missing m ON t.id = m.id', 'UNDEFINED_TABLE', /"missing"/],
    ['DELETE FROM gone WHERE id = 1', 'UNDEFINED_TABLE', /"gone"/],
    ['SELECT missing_col FROM t', 'UNDEFINED_COLUMN', /column "missing_col" does not exist at line 1, column 8/],
    ['SELECT id FROM t WHERE nosuchcol > 1', 'UNDEFINED_COLUMN', /"nosuchcol"/],
    ['UPDATE t SET nocol = 1', 'UNDEFINED_COLUMN', /column "nocol" of relation "t" does not exist/],
    ['SELECT t.nope FROM t', 'UNDEFINED_COLUMN', /nope/],
    ['INSERT INTO t (id, wrong) VALUES (1, 2)', 'UNDEFINED_COLUMN', /"wrong"/],
    ['SELECT nosuchfn(id) FROM t', 'UNDEFINED_FUNCTION', /nosuchfn/],
    ['SELECT id FROM t, u', 'AMBIGUOUS_COLUMN', /"?id"?/],
  ])('%s', async (sql, code, message) => { await expectError(sql, code, message); });
});

describe('type mismatches', () => {
  it.each([
    ['SELECT * FROM t WHERE d = 5', /operator does not exist: DATE = INTEGER/],
    ['SELECT name + 1 FROM t', /operator does not exist: VARCHAR\(5\) \+ INTEGER/],
    ['SELECT id FROM t WHERE name', /argument of WHERE must be type boolean/],
    ['INSERT INTO t (d) VALUES (5)', /column "d" is of type date but expression is of type integer/],
    ['UPDATE t SET d = 1.5', /column "d" is of type date/],
    ['SELECT d + d FROM t', /DATE \+ DATE/],
  ])('%s', async (sql, message) => {
    const e = await expectError(sql, 'DATATYPE_MISMATCH', message);
    expect(e.position?.line).toBe(1);
  });

  it('text that is not a value of the type', async () => {
    await expectError("INSERT INTO t (id) VALUES ('x1')", 'INVALID_TEXT_REPRESENTATION', /invalid input syntax for type integer: "x1"/);
    await expectError("SELECT DATE '2020-02-30'", 'INVALID_TEXT_REPRESENTATION', /"2020-02-30"/);
    await expectError("INSERT INTO u VALUES (1, 'far too long a name')", 'INVALID_PARAMETER', /value too long for type character varying\(10\)/);
  });
});

describe('division by zero and overflow', () => {
  it.each([
    'SELECT 1 / 0',
    'SELECT id / (id - id) FROM t',
    'SELECT amt / 0 FROM t',
    'SELECT id % 0 FROM t',
    'SELECT x / 0 FROM t',
    'SELECT sum(id / (id - 2)) FROM t',
  ])('%s', async (sql) => { await expectError(sql, 'DIVISION_BY_ZERO', /division by zero/); });

  it.each([
    ['SELECT 2147483647 + id FROM t', /integer out of range/],
    ['SELECT small * 100000::SMALLINT FROM t', /smallint out of range/],
    ['SELECT CAST(3000000000 AS INTEGER)', /integer out of range/],
    ['INSERT INTO t (small) VALUES (40000)', /smallint out of range/],
    ['INSERT INTO t (amt) VALUES (123456.78)', /value out of range for DECIMAL\(6,2\)/],
    ['SELECT big * 10000 FROM t', /bigint out of range/],
    ['SELECT sum(big * 10000) FROM t', /bigint out of range/],
  ])('%s', async (sql, message) => { await expectError(sql, 'NUMERIC_OVERFLOW', message); });

  it('an UPDATE that overflows or divides by zero on some rows changes no row', async () => {
    await expectError('UPDATE t SET amt = amt * 10000 WHERE id >= 1', 'NUMERIC_OVERFLOW', /DECIMAL\(6,2\)/);
    await expectError('UPDATE t SET small = small * 20000', 'NUMERIC_OVERFLOW', /smallint out of range/);
    await expectError('UPDATE t SET id = 10 / (id - 3)', 'DIVISION_BY_ZERO', /division by zero/);
    await expectError('DELETE FROM t WHERE 1 / (id - 2) > 0', 'DIVISION_BY_ZERO', /division by zero/);
    await expectError('INSERT INTO t (id) SELECT 100 / (id - 3) FROM t', 'DIVISION_BY_ZERO', /division by zero/);
  });
});

describe('COPY of a malformed CSV names file:line and the column', () => {
  const cases: [string, string, RegExp][] = [
    ['badnum.csv', '1,1,a,2020-01-01,1.00,1,1\n2,2,b,2020-01-01,xx,2,2\n', /badnum\.csv:2: column "amt": invalid input syntax for type numeric: "xx"/],
    ['fewcols.csv', '1,1,a,2020-01-01,1.00,1,1\n2,2,b\n', /fewcols\.csv:2: column "d": expected 7 fields but found 3/],
    ['manycols.csv', '1,1,a,2020-01-01,1.00,1,1\n2,2,b,2020-01-01,1.00,2,2,9\n', /manycols\.csv:2: .*expected 7 fields but found 8/],
    ['baddate.csv', '1,1,a,2020-01-01,1.00,1,1\n2,2,b,2020-01-02,1.00,1,1\n3,2,b,2020-13-01,1.00,2,2\n', /baddate\.csv:3: column "d": .*"2020-13-01"/],
    ['quote.csv', '1,1,a,2020-01-01,1.00,1,1\n2,2,"b,2020-01-01,1.00,2,2\n', /quote\.csv:2: column "name": unterminated quoted field/],
    ['long.csv', '1,1,abcdefgh,2020-01-01,1.00,1,1\n', /long\.csv:1: column "name": value too long/],
    ['small.csv', '1,1,a,2020-01-01,1.00,1,1\n1,99999,a,2020-01-01,1.00,1,1\n', /small\.csv:2: column "small": value out of range for type smallint/],
    ['decimal.csv', '1,1,a,2020-01-01,1.00,1,1\n1,1,a,2020-01-01,12345.00,1,1\n', /decimal\.csv:2: column "amt": numeric overflow/],
    ['int.csv', '1,1,a,2020-01-01,1.00,1,1\n7.5,1,a,2020-01-01,1.00,1,1\n', /int\.csv:2: column "id": invalid input syntax for type integer/],
  ];
  it.each(cases)('%s', async (name, body, message) => {
    const file = join(dir, name);
    writeFileSync(file, body);
    await expectError(`COPY t FROM '${file}' FORMAT CSV`, 'BAD_COPY_FILE', message);
  });

  it('the line number counts the header and is right in a large file split over slices', async () => {
    const lines = ['id,small,name,d,amt,big,x'];
    for (let i = 0; i < 60_000; i++) lines.push(`${i},1,n${i % 1000},2020-01-01,${(i % 9999) / 100},${i},0.5`);
    lines[54_321] = '54320,1,bad,2020-01-01,1.00,oops,0.5';
    const file = join(dir, 'large.csv');
    writeFileSync(file, lines.join('\n') + '\n');
    await expectError(`COPY t FROM '${file}' FORMAT CSV IGNOREHEADER 1`, 'BAD_COPY_FILE', /large\.csv:54322: column "big": invalid input syntax/);
  });

  it('a missing file says which', async () => {
    await expectError("COPY t FROM '/nonexistent/dir/file.csv' FORMAT CSV", 'BAD_COPY_FILE', /could not open file "\/nonexistent\/dir\/file.csv"/);
  });
});

describe('a failed statement changes nothing', () => {
  it('earlier statements of a script stay committed; the failing one and later ones do not run', async () => {
    const other = db.connect();
    await other.execute('CREATE TABLE script (id INTEGER)');
    let err: unknown;
    try {
      await other.execute('INSERT INTO script VALUES (1); INSERT INTO script VALUES (2), (1/0); INSERT INTO script VALUES (3)');
    } catch (e) { err = e; }
    expect((err as SqlError).code).toBe('DIVISION_BY_ZERO');
    expect((await other.execute('SELECT id FROM script ORDER BY id'))[0].rows).toEqual([[1]]);
  });

  it('a failed CREATE TABLE AS / INSERT ... SELECT leaves no table or rows', async () => {
    await expectError('CREATE TABLE made AS SELECT id / (id - 2) AS q FROM t', 'DIVISION_BY_ZERO', /division by zero/);
    await expectError('CREATE TABLE t (a INTEGER)', 'DUPLICATE_OBJECT', /"t" already exists/);
    expect((await s.execute('SELECT count(*) FROM t'))[0].rows).toEqual([[3]]);
  });
});

/** A seeded generator for the fuzzer. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('fuzz: random and mutated SQL only ever produces SqlError', () => {
  const BASE = [
    "SELECT id, name, amt * 2 FROM f WHERE id > 1 AND name LIKE 'a%' ORDER BY id DESC NULLS LAST LIMIT 3",
    'SELECT name, count(*), sum(amt), avg(x) FROM f GROUP BY name HAVING count(*) > 0',
    'SELECT f.id, g.v FROM f LEFT JOIN g ON f.id = g.id WHERE g.v IS NULL OR g.v BETWEEN 1 AND 5',
    "SELECT CASE WHEN id % 2 = 0 THEN 'even' ELSE 'odd' END, coalesce(x, 0), substring(name, 1, 2) FROM f",
    'SELECT id FROM f WHERE id IN (SELECT id FROM g) UNION SELECT id FROM g EXCEPT SELECT 3',
    'SELECT id, row_number() OVER (PARTITION BY name ORDER BY amt), sum(x) OVER (ORDER BY id) FROM f',
    "SELECT d + 1, EXTRACT(year FROM d), CAST(amt AS INTEGER), name || '!' FROM f WHERE d < DATE '2022-01-01'",
    "INSERT INTO g VALUES (10, 3), (11, NULL)",
    'UPDATE g SET v = v + 1 WHERE id = (SELECT max(id) FROM f)',
    'DELETE FROM g WHERE v > 100',
    'WITH w AS (SELECT id, amt FROM f) SELECT * FROM w WHERE EXISTS (SELECT 1 FROM g WHERE g.id = w.id)',
    'CREATE TABLE tmp_fz (a INTEGER, b VARCHAR(3))',
    "SELECT DISTINCT name, count(DISTINCT id) FROM f GROUP BY 1 ORDER BY 2",
    'BEGIN; UPDATE g SET v = 1; ROLLBACK',
    'SELECT (SELECT v FROM g WHERE g.id = f.id), -id, NOT (id = 1), 1.5e3, \'it\'\'s\' FROM f',
  ];
  const TOKENS = ['SELECT', 'FROM', 'WHERE', 'GROUP', 'BY', 'ORDER', 'HAVING', 'JOIN', 'ON', 'LEFT', 'UNION', 'ALL', 'CASE', 'WHEN', 'THEN', 'END',
    'NULL', 'NOT', 'AND', 'OR', 'IN', 'IS', 'AS', 'CAST', 'INSERT', 'INTO', 'VALUES', 'UPDATE', 'SET', 'DELETE', 'LIMIT', 'OFFSET', 'OVER',
    'PARTITION', 'DISTINCT', '(', ')', ',', ';', '.', '*', '/', '%', '+', '-', '=', '<>', '<=', '::', '||', "'x'", "'", '"', '0', '1', '-1',
    '2147483647', '99999999999999999999', '1.5', '1e308', "DATE '2020-01-01'", 'f', 'g', 'id', 'name', 'amt', 'x', 'd', 'v', 'count(*)', 'sum(',
    'INTEGER', 'VARCHAR', 'DECIMAL(5,2)', 'BEGIN', 'COMMIT', 'ROLLBACK', '--', '/*', '$1', '?', '@', '\u00e9', '\u0000', '\n'];

  function tokens(sql: string): string[] {
    return sql.match(/'(?:[^']|'')*'|\d+(?:\.\d+)?(?:e\d+)?|[A-Za-z_][A-Za-z_0-9]*|::|<>|<=|>=|\|\||\S/g) ?? [];
  }

  function mutate(sql: string, r: () => number): string {
    const pick = <T>(a: T[]) => a[Math.floor(r() * a.length)];
    let t = tokens(sql);
    const edits = 1 + Math.floor(r() * 3);
    for (let k = 0; k < edits; k++) {
      const i = Math.floor(r() * (t.length + 1));
      switch (Math.floor(r() * 6)) {
        case 0: t.splice(i, 1); break; // drop a token
        case 1: t.splice(i, 0, pick(TOKENS)); break; // insert one
        case 2: t[Math.min(i, t.length - 1)] = pick(TOKENS); break; // replace one
        case 3: { const j = Math.floor(r() * t.length); [t[i], t[j]] = [t[j], t[i]]; t = t.filter((x) => x !== undefined); break; } // swap
        case 4: t = t.slice(0, i); break; // truncate
        default: t.splice(i, 0, ...t.slice(i, i + 3)); // duplicate a run
      }
    }
    return t.join(' ');
  }

  function randomSql(r: () => number): string {
    const n = 1 + Math.floor(r() * 15);
    return Array.from({ length: n }, () => TOKENS[Math.floor(r() * TOKENS.length)]).join(r() < 0.5 ? ' ' : '');
  }

  it('~500 inputs, every failure a SqlError with a code, no hang, no internal error', async () => {
    const fz = db.connect();
    await fz.execute(`CREATE TABLE f (id INTEGER, name VARCHAR(8), amt DECIMAL(8,2), x DOUBLE PRECISION, d DATE);
      INSERT INTO f VALUES (1, 'ab', 1.25, 0.5, '2020-01-01'), (2, 'b', NULL, -1, '2021-06-30'), (3, NULL, -4.00, NULL, NULL), (4, 'ab', 9.99, 2.5, '2023-03-03');
      CREATE TABLE g (id INTEGER, v INTEGER);
      INSERT INTO g VALUES (1, 5), (3, NULL), (4, 7)`);
    const before = await snapshot(false);
    const r = rng(Number(process.env.STRATA_FUZZ_SEED ?? 99));
    const inputs: string[] = [];
    for (const b of BASE) inputs.push(b);
    const total = Number(process.env.STRATA_FUZZ_COUNT ?? 500);
    while (inputs.length < total * 0.84) inputs.push(mutate(BASE[Math.floor(r() * BASE.length)], r));
    while (inputs.length < total) inputs.push(randomSql(r));
    // pathological shapes
    inputs.push('SELECT ' + '('.repeat(5000) + '1' + ')'.repeat(5000));
    inputs.push('SELECT ' + Array.from({ length: 3000 }, (_, i) => `${i}`).join(' + '));
    inputs.push('SELECT 1 FROM f WHERE ' + Array.from({ length: 2000 }, () => 'NOT').join(' ') + ' id = 1');
    inputs.push("SELECT '" + 'x'.repeat(100_000) + "'");
    inputs.push('\u0000\u0001\u0002');
    inputs.push('');
    inputs.push(';;;');
    let ok = 0, failed = 0;
    const internal: string[] = [];
    const codes = new Map<string, number>();
    for (const sql of inputs) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'hang'>((res) => { timer = setTimeout(() => res('hang'), 10_000); });
      let outcome: unknown;
      try {
        outcome = await Promise.race([fz.execute(sql), timeout]);
        if (outcome === 'hang') throw new Error(`no answer within 10 s: ${sql.slice(0, 200)}`);
        ok++;
      } catch (e) {
        if (!(e instanceof SqlError)) throw new Error(`not a SqlError (${(e as Error)?.name}: ${(e as Error)?.message}) from: ${sql.slice(0, 200)}`);
        expect(typeof e.code).toBe('string');
        expect(e.message.length).toBeGreaterThan(0);
        codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
        if (e.code === 'INTERNAL_ERROR') internal.push(`${sql.slice(0, 200)} -> ${e.message}`);
        failed++;
        // a failed statement may leave the session in an aborted block: end it like a client would
        if (fz.inTransaction) await fz.execute('ROLLBACK');
      } finally {
        clearTimeout(timer);
      }
    }
    expect(internal).toEqual([]);
    expect(ok).toBeGreaterThan(10);
    expect(failed).toBeGreaterThan(200);
    expect(codes.get('SYNTAX_ERROR')).toBeGreaterThan(100);
    // the fixtures the fuzzer never names are untouched, and the session still works
    expect(await snapshot(false)).toBe(before);
    expect((await fz.execute('SELECT count(*) FROM f'))[0].rows[0][0]).toBeGreaterThanOrEqual(0);
  }, 60_000);
});
