import { describe, expect, it } from 'vitest';
import { SqlError } from '../../../engine/errors.ts';
import type { Expr, Query, Select, Statement } from '../../../engine/sql/ast.ts';
import { parse, parseOne } from '../../../engine/sql/parser.ts';
import { printStatement } from '../../../engine/sql/printer.ts';
import { stripPos } from './helpers.ts';
import { STATEMENTS, TPCH_Q1, TPCH_Q6 } from './statements.ts';

function select(sql: string): Select {
  const s = parseOne(sql);
  if (s.kind !== 'Query' || s.query.kind !== 'Select') throw new Error(`not a plain SELECT: ${sql}`);
  return s.query;
}
/** The first select-list expression of `SELECT <sql>`, without positions. */
const ex = (sql: string): Expr => stripPos(select(`SELECT ${sql}`).columns[0].expr);

const col = (...name: string[]) => ({ kind: 'ColumnRef', name });
const int = (n: number) => ({ kind: 'Literal', value: n, literalType: 'integer', text: String(n) });
const bin = (op: string, left: unknown, right: unknown) => ({ kind: 'Binary', op, left, right });

function syntaxError(sql: string): SqlError {
  try {
    parse(sql);
  } catch (e) {
    expect(e).toBeInstanceOf(SqlError);
    return e as SqlError;
  }
  throw new Error(`expected a syntax error for: ${sql}`);
}

describe('expression precedence', () => {
  it('multiplies before adding and compares after arithmetic', () => {
    expect(ex('a + b * c = d - 1')).toEqual(
      bin('=', bin('+', col('a'), bin('*', col('b'), col('c'))), bin('-', col('d'), int(1))),
    );
  });

  it('binds NOT looser than comparison and tighter than AND; AND tighter than OR', () => {
    expect(ex('NOT a = 1 AND b OR c')).toEqual(
      bin('OR', bin('AND', { kind: 'Unary', op: 'NOT', operand: bin('=', col('a'), int(1)) }, col('b')), col('c')),
    );
    expect(ex('a OR b AND c')).toEqual(bin('OR', col('a'), bin('AND', col('b'), col('c'))));
  });

  it('binds :: tighter than unary minus, as in PostgreSQL', () => {
    expect(ex('-1::int')).toEqual({
      kind: 'Unary', op: '-',
      operand: { kind: 'Cast', expr: int(1), type: { kind: 'TypeRef', name: 'INTEGER', params: [] }, syntax: 'colon' },
    });
    expect(ex('-a * b')).toEqual(bin('*', { kind: 'Unary', op: '-', operand: col('a') }, col('b')));
  });

  it('keeps BETWEEN ... AND apart from boolean AND', () => {
    expect(ex('a BETWEEN 1 AND 2 AND b')).toEqual(
      bin('AND', { kind: 'Between', expr: col('a'), low: int(1), high: int(2), negated: false }, col('b')),
    );
    expect(ex('a NOT BETWEEN b + 1 AND c * 2')).toEqual({
      kind: 'Between', expr: col('a'), low: bin('+', col('b'), int(1)), high: bin('*', col('c'), int(2)), negated: true,
    });
  });

  it('parses IS after comparison and || between LIKE and arithmetic', () => {
    expect(ex('a = b IS NOT NULL')).toEqual({ kind: 'IsNull', expr: bin('=', col('a'), col('b')), negated: true });
    expect(ex("a || 'x' LIKE b")).toMatchObject({ kind: 'Like', expr: bin('||', col('a'), { kind: 'Literal', value: 'x' }) });
    expect(ex('1 + 2 || 3')).toEqual(bin('||', bin('+', int(1), int(2)), int(3)));
  });

  it('normalizes != to <> and folds NOT EXISTS into one node', () => {
    expect(ex('a != b')).toEqual(bin('<>', col('a'), col('b')));
    expect(ex('NOT EXISTS (SELECT 1)')).toMatchObject({ kind: 'Exists', negated: true });
    expect(ex('NOT (EXISTS (SELECT 1))')).toMatchObject({ kind: 'Unary', op: 'NOT', operand: { kind: 'Exists', negated: false } });
  });

  it('keeps literal text exact and types literals', () => {
    expect(ex('12.30')).toEqual({ kind: 'Literal', value: 12.3, literalType: 'decimal', text: '12.30' });
    expect(ex('1e3')).toMatchObject({ literalType: 'float', value: 1000 });
    expect(ex('NULL')).toMatchObject({ literalType: 'null', value: null });
    expect(ex("DATE '1998-12-01'")).toEqual({
      kind: 'TypedLiteral', typeName: { kind: 'TypeRef', name: 'DATE', params: [] }, value: '1998-12-01',
    });
    expect(ex("INTERVAL '90' DAY")).toEqual({ kind: 'Interval', value: '90', unit: 'day' });
    expect(ex("INTERVAL '3 months'")).toEqual({ kind: 'Interval', value: '3 months' });
  });

  it('maps special function syntax to plain calls', () => {
    expect(ex("POSITION('a' IN s)")).toMatchObject({ kind: 'FunctionCall', name: ['position'], args: [{ value: 'a' }, col('s')] });
    expect(ex('SUBSTRING(s FROM 2 FOR 3)')).toMatchObject({ name: ['substring'], args: [col('s'), int(2), int(3)] });
    expect(ex("TRIM(LEADING 'x' FROM s)")).toMatchObject({ name: ['ltrim'], args: [col('s'), { value: 'x' }] });
    expect(ex('TRIM(s)')).toMatchObject({ name: ['btrim'], args: [col('s')] });
    expect(ex('EXTRACT(YEAR FROM d)')).toEqual({ kind: 'Extract', field: 'year', expr: col('d') });
    expect(ex('count(*)')).toEqual({ kind: 'FunctionCall', name: ['count'], args: [], distinct: false, star: true });
  });

  it('canonicalizes type names through resolveTypeName', () => {
    expect(ex('x::int4')).toMatchObject({ type: { name: 'INTEGER', params: [] } });
    expect(ex('CAST(x AS numeric(10, 2))')).toMatchObject({ type: { name: 'DECIMAL', params: [10, 2] }, syntax: 'cast' });
    expect(ex('x::character varying(5)')).toMatchObject({ type: { name: 'VARCHAR', params: [5] } });
    expect(ex('x::float8')).toMatchObject({ type: { name: 'DOUBLE PRECISION' } });
    expect(ex('x::super')).toMatchObject({ type: { name: 'SUPER' } });
  });
});

describe('queries', () => {
  it('parses TPC-H Q1', () => {
    const q = select(TPCH_Q1);
    expect(q.columns.map(c => c.alias)).toEqual([
      undefined, undefined, 'sum_qty', 'sum_base_price', 'sum_disc_price', 'sum_charge', 'avg_qty', 'avg_price', 'avg_disc', 'count_order',
    ]);
    expect(stripPos(q.where)).toEqual(bin('<=', col('l_shipdate'), bin('-',
      { kind: 'TypedLiteral', typeName: { kind: 'TypeRef', name: 'DATE', params: [] }, value: '1998-12-01' },
      { kind: 'Interval', value: '90', unit: 'day' })));
    expect(q.groupBy).toHaveLength(2);
    expect(q.orderBy.map(o => o.desc)).toEqual([false, false]);
  });

  it('parses TPC-H Q6', () => {
    const q = select(TPCH_Q6);
    const where = stripPos(q.where) as Expr;
    expect(where).toMatchObject({ kind: 'Binary', op: 'AND', right: bin('<', col('l_quantity'), int(24)) });
    const between = (where as { left: { right: Expr } }).left.right;
    expect(between).toMatchObject({
      kind: 'Between',
      low: bin('-', { kind: 'Literal', text: '.06', literalType: 'decimal' }, { kind: 'Literal', text: '0.01' }),
    });
  });

  it('lower-cases unquoted names and keeps quoted case', () => {
    const q = select('SELECT Foo."Bar" FROM Db.Public."Tab" AS X');
    expect(stripPos(q.columns[0].expr)).toEqual(col('foo', 'Bar'));
    expect(stripPos(q.from[0])).toEqual({ kind: 'TableName', name: ['db', 'public', 'Tab'], alias: 'x' });
  });

  it('builds left-deep joins and keeps comma lists', () => {
    const q = select('SELECT 1 FROM a JOIN b ON a.x = b.x LEFT OUTER JOIN c USING (y), d CROSS JOIN e');
    expect(q.from).toHaveLength(2);
    expect(q.from[0]).toMatchObject({ kind: 'Join', joinType: 'LEFT', using: ['y'], left: { kind: 'Join', joinType: 'INNER' } });
    expect(q.from[1]).toMatchObject({ kind: 'Join', joinType: 'CROSS', left: { name: ['d'] }, right: { name: ['e'] } });
  });

  it('gives INTERSECT precedence over UNION and attaches ORDER BY/LIMIT to the whole', () => {
    const s = parseOne('SELECT 1 UNION ALL SELECT 2 INTERSECT SELECT 3 ORDER BY 1 LIMIT 2') as { query: Query };
    expect(s.query).toMatchObject({
      kind: 'SetOp', op: 'UNION', all: true, right: { kind: 'SetOp', op: 'INTERSECT', all: false },
      orderBy: [{ desc: false }], limit: { value: 2 },
    });
  });

  it('treats LIMIT ALL as no limit and TOP n as a limit', () => {
    expect(select('SELECT a FROM t LIMIT ALL').limit).toBeUndefined();
    expect(select('SELECT TOP 3 a FROM t').limit).toMatchObject({ value: 3 });
  });

  it('records WITH on the query', () => {
    const s = parseOne('WITH x (a) AS (SELECT 1) SELECT a FROM x') as { query: Select };
    expect(s.query.with).toMatchObject([{ kind: 'Cte', name: 'x', columns: ['a'] }]);
  });

  it('parses window specs', () => {
    const e = ex('sum(x) OVER (PARTITION BY a ORDER BY b DESC NULLS FIRST ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)');
    expect(e).toMatchObject({
      over: {
        partitionBy: [col('a')], orderBy: [{ desc: true, nullsFirst: true }],
        frame: { units: 'ROWS', start: { type: 'PRECEDING', offset: int(2) }, end: { type: 'CURRENT ROW' } },
      },
    });
  });
});

describe('statements', () => {
  const one = (sql: string): Statement => stripPos(parseOne(sql));

  it('parses CREATE TABLE with Redshift attributes', () => {
    expect(one('CREATE TABLE t (a INT NOT NULL DISTKEY, b VARCHAR(10) ENCODE ZSTD, PRIMARY KEY (a)) DISTSTYLE KEY SORTKEY (b)')).toEqual({
      kind: 'CreateTable', name: ['t'], ifNotExists: false, temporary: false,
      columns: [
        { kind: 'ColumnDef', name: 'a', type: { kind: 'TypeRef', name: 'INTEGER', params: [] }, notNull: true, distKey: true, sortKey: false, primaryKey: false, unique: false },
        { kind: 'ColumnDef', name: 'b', type: { kind: 'TypeRef', name: 'VARCHAR', params: [10] }, notNull: false, encode: 'zstd', distKey: false, sortKey: false, primaryKey: false, unique: false },
      ],
      constraints: [{ kind: 'TableConstraint', type: 'PRIMARY KEY', columns: ['a'] }],
      distStyle: 'KEY', sortKey: { columns: ['b'] },
    });
  });

  it('parses COPY options in any order into a typed object', () => {
    expect(one("COPY t FROM 'f.csv' DELIMITER AS ';' IGNOREHEADER 1 FORMAT AS CSV IAM_ROLE default NULL AS '\\N' GZIP")).toEqual({
      kind: 'Copy', table: ['t'], from: 'f.csv',
      options: { delimiter: ';', ignoreHeader: 1, format: 'CSV', iamRole: { default: true }, nullAs: '\\N', compression: 'GZIP' },
    });
  });

  it('parses the UNLOAD query text into a query with positions in the whole text', () => {
    const s = parseOne("UNLOAD ('select ''a'', b from t') TO 'out'") as Extract<Statement, { kind: 'Unload' }>;
    expect(s.queryText).toBe("select 'a', b from t");
    const q = s.query as Select;
    // b is at offset 23 of the whole statement (the quote doubling shifts it by one)
    expect(q.columns[1].expr.pos).toEqual({ line: 1, column: 24, offset: 23 });
  });

  it('reports errors inside the UNLOAD query at their place in the whole text', () => {
    const e = syntaxError("UNLOAD ('select a\n from t wher x') TO 'out'");
    expect(e.position).toMatchObject({ line: 2, column: 9 });
    expect(e.message).toContain('"wher"');
  });

  it('parses CREATE MODEL with clauses in any order', () => {
    const s = one("CREATE MODEL m FROM (SELECT a, y FROM t) FUNCTION f TARGET y SETTINGS (S3_BUCKET 'b', max_cells 1000) IAM_ROLE default AUTO OFF");
    expect(s).toMatchObject({
      kind: 'CreateModel', name: ['m'], target: 'y', function: ['f'], auto: false, iamRole: { default: true },
      from: { kind: 'Subquery' }, settings: [{ key: 'S3_BUCKET', value: 'b' }, { key: 'MAX_CELLS', value: 1000 }],
    });
    expect(one("CREATE MODEL m FROM t FUNCTION f MODEL_TYPE KMEANS HYPERPARAMETERS DEFAULT EXCEPT (K '4')")).toMatchObject({
      from: { kind: 'TableName', name: ['t'] }, modelType: 'KMEANS', hyperparameters: [{ key: 'K', value: '4' }],
    });
    expect(one("CREATE MODEL m FUNCTION f(REAL, INT) RETURNS INT FROM 'm.onnx'")).toMatchObject({
      kind: 'CreateModelExternal', argTypes: [{ name: 'REAL' }, { name: 'INTEGER' }], returns: { name: 'INTEGER' }, path: 'm.onnx',
    });
  });

  it('parses sharing and exchange statements', () => {
    expect(one('ALTER DATASHARE s ADD MODEL m@2, n, m@challenger')).toEqual({
      kind: 'AlterDatashare', name: 's', action: { kind: 'DatashareObjects', op: 'ADD', objectType: 'MODEL', names: [['m'], ['n'], ['m']], versions: ['2', null, 'challenger'] },
    });
    expect(one('ALTER DATASHARE s ADD ALL TABLES IN SCHEMA public')).toEqual({
      kind: 'AlterDatashare', name: 's', action: { kind: 'DatashareObjects', op: 'ADD', objectType: 'ALL TABLES IN SCHEMA', names: [['public']] },
    });
    expect(one("GRANT USAGE ON DATASHARE s TO ACCOUNT 'a', ACCOUNT 'b'")).toEqual({
      kind: 'Grant', privileges: ['USAGE'], on: { type: 'DATASHARE', names: [['s']] },
      grantees: [{ type: 'ACCOUNT', name: 'a' }, { type: 'ACCOUNT', name: 'b' }], withGrantOption: false,
    });
    expect(one("CREATE PRODUCT p FROM DATASHARE s TERM 6 MONTHS TITLE 'x'")).toEqual({
      kind: 'CreateProduct', name: 'p', datashare: 's', title: 'x', termMonths: 6,
    });
  });

  it('maps transaction synonyms onto three kinds', () => {
    expect(parse('BEGIN; START TRANSACTION; END; COMMIT WORK; ABORT; ROLLBACK').map(s => s.kind)).toEqual([
      'Begin', 'Begin', 'Commit', 'Commit', 'Rollback', 'Rollback',
    ]);
  });

  it('splits scripts on semicolons and skips empty statements', () => {
    const stmts = parse(';; SELECT 1;\n\nSELECT 2 ; ; ');
    expect(stmts.map(s => s.kind)).toEqual(['Query', 'Query']);
    expect(stmts[1].pos).toEqual({ line: 3, column: 1, offset: 14 });
    expect(parse('')).toEqual([]);
  });

  it('parseOne rejects more than one statement', () => {
    expect(() => parseOne('SELECT 1; SELECT 2')).toThrow(SqlError);
    expect(() => parseOne('')).toThrow(SqlError);
  });
});

describe('syntax errors', () => {
  it('points at a misspelled keyword', () => {
    const e = syntaxError('SELECT a FORM t');
    expect(e.code).toBe('SYNTAX_ERROR');
    expect(e.position).toEqual({ line: 1, column: 10, offset: 9 });
    expect(e.message).toBe('syntax error at or near "FORM" at line 1, column 10');
  });

  it('reports positions in multi-line scripts', () => {
    const e = syntaxError('SELECT 1;\nSELECT a,\n  b\nFROM t WHERE;');
    expect(e.position).toMatchObject({ line: 4, column: 13 });
    expect(e.message).toBe('syntax error at or near ";" at line 4, column 13');
    const e2 = syntaxError('CREATE TABLE t (\n  a INT,\n  b VARCHAR(10\n)');
    expect(e2.message).toBe('syntax error at end of input at line 4, column 2');
  });

  it.each([
    ['SELECT * FROM t WHER a = 1', 'WHER', 17],
    ['SELECT (1 + 2', '', 14],
    ['SELECT a FROM t ORDER a', 'ORDER', 17],
    ['INSERT t VALUES (1)', 't', 8],
    ['CREATE TABEL t (a int)', 'TABEL', 8],
    ['SELECT 1 +', '', 11],
    ['DROP TABLE', '', 11],
    ['SELECT a FROM (SELECT 1)', '', 25],
    ["COPY t FROM 'x' FORMAT XML", 'XML', 24],
    ['SELECT CASE END', 'END', 13],
    ['SELECT a FROM t JOIN u', '', 23],
    ['SELECT a LIKE b LIKE c', 'LIKE', 17],
  ])('%s', (sql, near, column) => {
    const e = syntaxError(sql);
    expect(e.code).toBe('SYNTAX_ERROR');
    expect(e.position?.column).toBe(column);
    if (near) expect(e.message).toContain(`"${near}"`);
  });
});

describe('fuzz: only SqlError is ever thrown', () => {
  // deterministic PRNG so failures reproduce
  let seed = 12345;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
  const WORDS = [
    'SELECT', 'FROM', 'WHERE', 'a', 'b', 't', '(', ')', ',', ';', '*', '+', '-', '::', 'int', "'x'", '1', '1.5', 'AND', 'OR',
    'NOT', 'IN', 'BETWEEN', 'LIKE', 'IS', 'NULL', 'CASE', 'WHEN', 'THEN', 'END', 'JOIN', 'ON', 'GROUP', 'BY', 'ORDER',
    'UNION', 'WITH', 'AS', 'CREATE', 'TABLE', 'MODEL', 'DATASHARE', 'COPY', 'UNLOAD', 'TO', 'OVER', 'PARTITION', '.', '"q"',
    '$$', "E'", '/*', '--', '\n', 'EXISTS', 'INTERVAL', 'DATE', 'CAST', '=', '<>', 'LIMIT', 'ALL', 'GRANT', 'SHOW', '$1',
  ];

  const check = (sql: string) => {
    try {
      const stmts = parse(sql);
      // anything that parses must also print and re-parse to the same tree
      const again = parse(stmts.map(printStatement).join(';\n'));
      expect(stripPos(again)).toEqual(stripPos(stmts));
    } catch (e) {
      if (!(e instanceof SqlError)) throw new Error(`non-SqlError for ${JSON.stringify(sql)}: ${String(e)}`);
      expect(e.code, sql).toBe('SYNTAX_ERROR');
    }
  };

  // tens of thousands of parses: seconds on a loaded machine
  it('survives every prefix of every corpus statement', () => {
    for (const s of STATEMENTS) for (let i = 0; i <= s.length; i++) check(s.slice(0, i));
  }, 30_000);

  it('survives random token soup', () => {
    for (let n = 0; n < 4000; n++) {
      const len = 1 + Math.floor(rand() * 20);
      const parts: string[] = [];
      for (let k = 0; k < len; k++) parts.push(pick(WORDS));
      check(parts.join(rand() < 0.8 ? ' ' : ''));
    }
  });

  it('survives random mutations of valid statements', () => {
    const chars = ` ()'"*,.;:-+/$\\\n\tabcSELECT0123456789\u00e9\ud83d\ude00#`;
    for (let n = 0; n < 4000; n++) {
      const base = pick(STATEMENTS);
      const chars2 = base.split('');
      const edits = 1 + Math.floor(rand() * 3);
      for (let k = 0; k < edits; k++) {
        const at = Math.floor(rand() * (chars2.length + 1));
        const op = rand();
        if (op < 0.4) chars2.splice(at, 1);
        else if (op < 0.8) chars2.splice(at, 0, pick(chars.split('')));
        else chars2.splice(at, 0, ...(' ' + pick(WORDS) + ' ').split(''));
      }
      check(chars2.join(''));
    }
  });

  it('rejects absurd nesting with a SqlError instead of a stack overflow', () => {
    check('SELECT ' + '('.repeat(5000) + '1' + ')'.repeat(5000));
    check('SELECT ' + '-'.repeat(1) + ' -'.repeat(5000) + '1');
    check('SELECT ' + 'NOT '.repeat(5000) + 'a');
    check('SELECT * FROM ' + '('.repeat(3000) + 't' + ')'.repeat(3000));
    check('SELECT a::int' + '::int'.repeat(3000));
  });

  // speed belongs in benchmarks; a timing bound here fails on a loaded machine
  it('parses a large script into one statement each', () => {
    const script = Array.from({ length: 2000 }, () => TPCH_Q1).join(';\n');
    const stmts = parse(script);
    expect(stmts).toHaveLength(2000);
    expect(new Set(stmts.map((st) => st.kind))).toEqual(new Set([stmts[0].kind]));
  });
});
