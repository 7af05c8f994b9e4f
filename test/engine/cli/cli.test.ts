// The real `strata sql` command line, run as a child process: output formats (json exactly as
// documented, csv, table), SQL from an argument, -f and stdin, errors on stderr with exit code 1,
// scripts that fail part way, and the same answers whatever --slices says.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../../bin/strata.js', import.meta.url));
let root: string;
let data: string;

interface Run { code: number | null; stdout: string; stderr: string }

/** Runs `strata sql ...args` (stdin from `input`, or closed). */
function strata(args: string[], input?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'sql', ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, STRATA_DATA: '' } });
    let stdout = '', stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 40_000);
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
    child.stdin.end(input ?? '');
  });
}

const jsonLines = (out: string) => out.trim().split('\n').map((l) => JSON.parse(l));

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'strata-cli-'));
  data = join(root, 'data');
  const setup = join(root, 'setup.sql');
  writeFileSync(setup, `-- a script with several statements
CREATE TABLE n (a INTEGER);
INSERT INTO n VALUES (1), (2);
CREATE TABLE v (id INTEGER, amt DECIMAL(10,2), day DATE, name VARCHAR(20), x DOUBLE PRECISION, ok BOOLEAN);
INSERT INTO v VALUES
  (1, 12.30, '2024-02-29', 'plain', 0.5, true),
  (2, -0.05, '1999-12-31', 'with, comma', NULL, false),
  (3, NULL, NULL, NULL, 2.25, NULL),
  (4, 1000000.00, '2024-01-01', 'say "hi"', -1, true);
`);
  const r = await strata(['--data', data, '--slices', '2', '--format', 'json', '-f', setup]);
  // a directory that does not exist yet is created, and the CLI says so (a mistyped --data shows)
  expect(r.stderr).toBe(`strata: ${data} does not exist: creating a new, empty warehouse there\n`);
  expect(r.code).toBe(0);
  expect(jsonLines(r.stdout).map((x) => [x.command, x.rowCount])).toEqual([['CREATE TABLE', 0], ['INSERT', 2], ['CREATE TABLE', 0], ['INSERT', 4]]);
}, 60_000);
afterAll(() => { rmSync(root, { recursive: true, force: true }); });

describe('output formats', () => {
  it('--format json: one object per statement per line, exactly as documented', async () => {
    const r = await strata(['--data', data, '--slices', '2', '--format', 'json', 'SELECT a FROM n ORDER BY a; SELECT id, amt, day, name, x, ok FROM v ORDER BY id']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    expect(lines.length).toBe(3);
    expect(lines[2]).toBe('');
    expect(lines[0]).toBe('{"command":"SELECT","rowCount":2,"columns":[{"name":"a","type":"INTEGER"}],"rows":[[1],[2]]}');
    // DECIMAL as strings with their scale, DATE as YYYY-MM-DD, NULL as null
    expect(JSON.parse(lines[1])).toEqual({
      command: 'SELECT', rowCount: 4,
      columns: [
        { name: 'id', type: 'INTEGER' }, { name: 'amt', type: 'DECIMAL(10,2)' }, { name: 'day', type: 'DATE' },
        { name: 'name', type: 'VARCHAR(20)' }, { name: 'x', type: 'DOUBLE PRECISION' }, { name: 'ok', type: 'BOOLEAN' },
      ],
      rows: [
        [1, '12.30', '2024-02-29', 'plain', 0.5, true],
        [2, '-0.05', '1999-12-31', 'with, comma', null, false],
        [3, null, null, null, 2.25, null],
        [4, '1000000.00', '2024-01-01', 'say "hi"', -1, true],
      ],
    });
  }, 30_000);

  it('--format csv: a header and quoted fields; NULL empty', async () => {
    const r = await strata(['--data', data, '--format', 'csv', 'SELECT id, amt, day, name FROM v ORDER BY id']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('id,amt,day,name\n1,12.30,2024-02-29,plain\n2,-0.05,1999-12-31,"with, comma"\n3,,,\n4,1000000.00,2024-01-01,"say ""hi"""\n');
  }, 30_000);

  it('table output: aligned columns, NULL shown, a row count, and command tags', async () => {
    const r = await strata(['--data', data, "SELECT id, amt, name FROM v WHERE id >= 3 ORDER BY id; INSERT INTO n SELECT a + 10 FROM n WHERE a > 100"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe([
      'id | amt        | name',
      '---+------------+---------',
      ' 3 |       NULL | NULL',
      ' 4 | 1000000.00 | say "hi"',
      '(2 rows)',
      'INSERT',
      '',
    ].join('\n'));
  }, 30_000);
});

describe('input: argument, -f and stdin', () => {
  it('reads a script from stdin', async () => {
    const r = await strata(['--data', data, '--format', 'json'], 'SELECT count(*) AS c FROM n;\nSELECT sum(amt) AS s FROM v;\n');
    expect(r.code).toBe(0);
    expect(jsonLines(r.stdout)).toEqual([
      { command: 'SELECT', rowCount: 1, columns: [{ name: 'c', type: 'BIGINT' }], rows: [[2]] },
      { command: 'SELECT', rowCount: 1, columns: [{ name: 's', type: 'DECIMAL(38,2)' }], rows: [['1000012.25']] },
    ]);
  }, 30_000);
});

describe('errors', () => {
  it('a syntax error: exit code 1, ERROR with line and column on stderr, nothing on stdout', async () => {
    const r = await strata(['--data', data, 'SELECT a,\n  FROM n']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('ERROR: syntax error at or near "FROM" at line 2, column 3\n');
  }, 30_000);

  it('an unknown table is named', async () => {
    const r = await strata(['--data', data, 'SELECT * FROM nowhere']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^ERROR: relation "nowhere" does not exist at line 1, column 15\n$/);
  }, 30_000);

  it('a script failing part way: earlier statements stay committed, the failing one changes nothing', async () => {
    const script = join(root, 'partial.sql');
    writeFileSync(script, [
      'CREATE TABLE p (id INTEGER, amt DECIMAL(4,2));',
      'INSERT INTO p VALUES (1, 1.00), (2, 2.00);',
      'UPDATE p SET amt = amt * 100;', // overflows DECIMAL(4,2): changes nothing
      'INSERT INTO p VALUES (3, 3.00);', // never runs
    ].join('\n'));
    const r = await strata(['--data', data, '--format', 'json', '-f', script]);
    expect(r.code).toBe(1);
    expect(jsonLines(r.stdout).map((x) => x.command)).toEqual(['CREATE TABLE', 'INSERT']);
    expect(r.stderr).toMatch(/^ERROR: numeric overflow: value out of range for DECIMAL\(4,2\)/);
    const after = await strata(['--data', data, '--format', 'csv', 'SELECT id, amt FROM p ORDER BY id']);
    expect(after.stdout).toBe('id,amt\n1,1.00\n2,2.00\n');
  }, 60_000);

  it('bad options: exit code 2 and the usage', async () => {
    const r = await strata(['--data', data, '--format', 'xml', 'SELECT 1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^ERROR: --format must be table, json or csv, not "xml"\nusage:/);
  }, 30_000);
});

describe('--slices does not change answers', () => {
  it('loads and queries the same with 1 and 3 slices, and a 3-slice directory reopens with 1', async () => {
    const csv = join(root, 'rows.csv');
    const lines: string[] = [];
    for (let i = 0; i < 5000; i++) lines.push(`${i},g${i % 7},${((i * 37) % 10007) / 100},${i % 11 === 0 ? '' : `2024-0${1 + (i % 9)}-1${i % 10}`}`);
    writeFileSync(csv, lines.join('\n') + '\n');
    const load = `CREATE TABLE r (id INTEGER, g VARCHAR(3), amt DECIMAL(8,2), d DATE) DISTKEY(g) SORTKEY(d);
      COPY r FROM '${csv}' FORMAT CSV;
      INSERT INTO r SELECT id + 5000, g, amt, d FROM r WHERE id % 3 = 0;
      DELETE FROM r WHERE id % 10 = 1;`;
    const queries = `SELECT g, count(*), sum(amt), min(d), max(d) FROM r GROUP BY g ORDER BY g;
      SELECT id, amt FROM r WHERE d IS NULL ORDER BY amt DESC, id LIMIT 5;
      SELECT a.g, count(*) FROM r a JOIN r b ON a.id = b.id + 1 GROUP BY a.g ORDER BY 1;
      SELECT id, rank() OVER (PARTITION BY g ORDER BY amt DESC, id) FROM r WHERE id < 60 ORDER BY id;`;
    const d1 = join(root, 's1'), d3 = join(root, 's3');
    const [r1, r3] = await Promise.all([
      strata(['--data', d1, '--slices', '1', '--format', 'json', load + queries]),
      strata(['--data', d3, '--slices', '3', '--format', 'json', load + queries]),
    ]);
    expect(r1.stderr).toBe(`strata: ${d1} does not exist: creating a new, empty warehouse there\n`);
    expect(r3.stderr).toBe(`strata: ${d3} does not exist: creating a new, empty warehouse there\n`);
    const out1 = jsonLines(r1.stdout), out3 = jsonLines(r3.stdout);
    expect(out1.length).toBe(8);
    expect(out1[1]).toMatchObject({ command: 'COPY', rowCount: 5000 });
    const ids = [...Array.from({ length: 5000 }, (_, i) => i), ...Array.from({ length: 5000 }, (_, i) => i).filter((i) => i % 3 === 0).map((i) => i + 5000)];
    expect(out1[2]).toMatchObject({ command: 'INSERT', rowCount: 1667 });
    expect(out1[3]).toMatchObject({ command: 'DELETE', rowCount: ids.filter((i) => i % 10 === 1).length });
    expect(out3).toEqual(out1);
    expect(out1[4].rows.length).toBe(7);
    // the 3-slice directory answers the same when opened with 1 slice
    const again = await strata(['--data', d3, '--slices', '1', '--format', 'json', queries]);
    expect(again.stderr).toBe('');
    expect(jsonLines(again.stdout)).toEqual(out1.slice(4));
  }, 90_000);
});
