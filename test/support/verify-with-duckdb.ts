// Replays test/sql/**/*.slt in DuckDB and reports every query whose rows differ from the file,
// so expected results are computed, not guessed. Records after a `# strata-only` line are
// skipped; `statement error` only checks that DuckDB fails too (its messages differ).
//
//   node bin/run-ts.js test/support/verify-with-duckdb.ts [--fix] [path-substring ...]
//
// --fix rewrites the expected rows of differing queries with DuckDB's answer (review the diff!).
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  formatFailure, parseSltFile, renderFloat, runRecords,
  type QueryRecord, type RecordFailure, type ResultLike, type SessionLike,
} from './slt.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Redshift -> DuckDB: drops distribution/sort/encoding clauses and rewrites COPY options. */
export function translateToDuckDB(sql: string): string {
  let s = sql
    .replace(/\bDISTSTYLE\s+(EVEN|KEY|ALL|AUTO)\b/gi, '')
    .replace(/\b(COMPOUND\s+|INTERLEAVED\s+)?SORTKEY\s*\([^)]*\)/gi, '')
    .replace(/\bDISTKEY\s*\([^)]*\)/gi, '')
    .replace(/\b(DISTKEY|SORTKEY)\b/gi, '')
    .replace(/\bENCODE\s+\w+/gi, '')
    .replace(/\bpublic\./gi, 'main.'); // DuckDB's default schema
  s = s.replace(/\bCOPY\s+([\w.]+(?:\s*\([^)]*\))?)\s+FROM\s+('[^']*')([^;]*)/gi, (_m, target: string, path: string, opts: string) => {
    const o: string[] = [];
    const csv = /\b(FORMAT\s+(AS\s+)?)?CSV\b/i.test(opts);
    const header = /\bIGNOREHEADER\s+(AS\s+)?(\d+)/i.exec(opts);
    const delim = /\bDELIMITER\s+(AS\s+)?('[^']*')/i.exec(opts);
    const nul = /\bNULL\s+AS\s+('[^']*')/i.exec(opts);
    o.push('FORMAT CSV');
    const skip = header ? Number(header[2]) : 0;
    o.push(skip === 1 ? 'HEADER true' : 'HEADER false');
    if (skip > 1) o.push(`SKIP ${skip}`);
    o.push(`DELIMITER ${delim ? delim[2] : csv ? "','" : "'|'"}`);
    if (nul) o.push(`NULL ${nul[1]}`);
    if (csv) o.push('ALLOW_QUOTED_NULLS false'); // a quoted "" is an empty string, as in PostgreSQL
    else o.push("QUOTE ''", "ESCAPE ''");
    return `COPY ${target} FROM ${path} (${o.join(', ')})`;
  });
  return s;
}

/** Converts a DuckDB value to the shape Strata returns (see engine/result.ts). */
function toStrataValue(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  return String(v); // DECIMAL keeps its scale, DATE YYYY-MM-DD, TIMESTAMP YYYY-MM-DD HH:MM:SS
}

/** A SessionLike over a DuckDB connection (the script's last statement gives the result). */
export class DuckDBSession implements SessionLike {
  constructor(private readonly con: DuckDBConnection) {}

  static async open(): Promise<{ session: DuckDBSession; close: () => void }> {
    const inst = await DuckDBInstance.create(':memory:', { threads: '2' });
    const con = await inst.connect();
    // Redshift semantics where DuckDB differs by default.
    for (const setup of [
      'SET integer_division = true',
      "SET default_null_order = 'nulls_last_on_asc_first_on_desc'",
      'CREATE MACRO nvl(a, b) AS coalesce(a, b)',
      'CREATE MACRO btrim(a) AS trim(a)',
    ]) await con.run(setup);
    return { session: new DuckDBSession(con), close: () => con.disconnectSync() };
  }

  async execute(sql: string): Promise<ResultLike[]> {
    const r = await this.con.runAndReadAll(sql);
    const names = r.columnNames();
    return [{ columns: names.map((name) => ({ name })), rows: r.getRows().map((row) => row.map(toStrataValue)) }];
  }
}

/** Rewrites the expected block of each failing query with DuckDB's rows. */
function fixFile(file: string, failures: RecordFailure[]): number {
  const lines = readFileSync(file, 'utf8').split('\n');
  const fixes = failures
    .filter((f) => f.record.kind === 'query' && f.actualRows && f.actualRows.every((r) => r.length === (f.record as QueryRecord).types.length))
    .sort((a, b) => b.record.line - a.record.line);
  for (const f of fixes) {
    const q = f.record as QueryRecord;
    let rows = f.actualRows!.map((row) => row.map((v, j) => (q.types[j] === 'R' && v !== 'NULL' ? renderFloat(Number(v)) : v)));
    if (q.sort === 'rowsort') rows = rows.map((r) => [r.join('\t')]).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    if (q.sort === 'valuesort') rows = rows.flat().sort().map((v) => [v]);
    const start = q.resultLine; // 0-based index of the first expected row
    let end = start;
    while (end < lines.length && lines[end].trim() !== '') end++;
    lines.splice(start, end - start, ...rows.map((r) => r.join('\t')));
  }
  writeFileSync(file, lines.join('\n'));
  return fixes.length;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const fix = args.includes('--fix');
  const filters = args.filter((a) => !a.startsWith('--'));
  const sqlDir = join(root, 'test', 'sql');
  const files = readdirSync(sqlDir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.slt'))
    .map((f) => relative(root, join(sqlDir, f)))
    .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
    .sort();
  process.chdir(root); // COPY paths in .slt files are relative to the repo root
  let bad = 0, checked = 0, skipped = 0;
  for (const file of files) {
    const records = parseSltFile(file);
    const { session, close } = await DuckDBSession.open();
    const failures = await runRecords(session, records, { skipStrataOnly: true, checkErrorText: false, translate: translateToDuckDB });
    close();
    checked += records.filter((r) => !r.strataOnly && r.kind === 'query').length;
    skipped += records.filter((r) => r.strataOnly).length;
    if (failures.length) {
      bad += failures.length;
      console.log(`\n=== ${file}: ${failures.length} difference(s)`);
      for (const f of failures) console.log(formatFailure(f) + '\n');
      if (fix) console.log(`fixed ${fixFile(file, failures)} expected block(s) in ${file}`);
    }
  }
  console.log(`\n${files.length} file(s), ${checked} queries checked in DuckDB, ${skipped} strata-only record(s) skipped, ${bad} difference(s)`);
  process.exitCode = bad ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) await main();
