// sqllogictest files: parser, value rendering, comparison and a runner that is independent of
// the engine (it talks to anything with `execute(sql) -> results`), so the same code checks
// Strata (test/sqllogic.test.ts) and DuckDB (test/support/verify-with-duckdb.ts).
// The format is documented in test/sql/README.md.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** How a query's rows are ordered before comparing. */
export type SortMode = 'nosort' | 'rowsort' | 'valuesort';

/** Column type letters of a `query` record (see test/sql/README.md). */
export type TypeLetter = 'I' | 'R' | 'T' | 'B' | 'D';

interface RecordBase {
  file: string;
  /** 1-based line of the `statement` / `query` header */
  line: number;
  sql: string;
  /** preceded by a `# strata-only` comment: not replayed in DuckDB */
  strataOnly: boolean;
  /** the `## heading` the record sits under (records before the first heading: '') */
  group: string;
}

export interface StatementRecord extends RecordBase {
  kind: 'statement';
  expect: 'ok' | 'error';
  /** `statement error CODE ...`: the SqlError code expected, if given */
  errorCode?: string;
  /** substring (case-insensitive) or /regex/flags the error message must contain */
  errorText?: string;
}

export interface QueryRecord extends RecordBase {
  kind: 'query';
  types: TypeLetter[];
  sort: SortMode;
  /** expected rows, each already split on tabs */
  expected: string[][];
  /** 1-based line of the `----` separator (where expected rows start, minus one) */
  resultLine: number;
}

export interface HaltRecord { kind: 'halt'; file: string; line: number; strataOnly: boolean; group: string; sql: '' }

export type SltRecord = StatementRecord | QueryRecord | HaltRecord;

/** Record groups: the unit that becomes one vitest test. */
export interface SltGroup { name: string; line: number; records: SltRecord[] }

export class SltParseError extends Error {}

const ERROR_CODE = /^[A-Z][A-Z_]+$/;
const TYPE_LETTERS = /^[IRTBD]+$/;

/** Parses .slt text. `file` is used for messages only; `__TEST_DIR__` is left for the runner. */
export function parseSlt(text: string, file: string): SltRecord[] {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const records: SltRecord[] = [];
  let i = 0;
  let strataOnly = false;
  let group = '';
  const fail = (msg: string, at: number): never => { throw new SltParseError(`${file}:${at + 1}: ${msg}`); };

  while (i < lines.length) {
    const raw = lines[i];
    const line = raw.trim();
    if (line === '') { i++; continue; }
    if (line.startsWith('#')) {
      if (/^##\s/.test(line)) group = line.replace(/^##\s*/, '').trim();
      else if (/^#\s*strata-only\b/i.test(line)) strataOnly = true;
      i++;
      continue;
    }
    const header = line.split(/\s+/);
    const headerLine = i;
    i++;
    // SQL runs to the first blank line (statements) or the `----` separator (queries).
    const readSql = (stopAtSeparator: boolean): string => {
      const sql: string[] = [];
      while (i < lines.length && lines[i].trim() !== '' && !(stopAtSeparator && lines[i].trim() === '----')) {
        sql.push(lines[i]);
        i++;
      }
      if (sql.length === 0) fail('missing SQL', headerLine);
      return sql.join('\n');
    };

    if (header[0] === 'statement') {
      const base = { file, line: headerLine + 1, strataOnly, group };
      if (header[1] === 'ok' && header.length === 2) {
        records.push({ ...base, kind: 'statement', expect: 'ok', sql: readSql(false) });
      } else if (header[1] === 'error') {
        let rest = line.replace(/^statement\s+error\s*/, '');
        let errorCode: string | undefined;
        const first = rest.split(/\s+/)[0];
        if (first && ERROR_CODE.test(first)) { errorCode = first; rest = rest.slice(first.length).trim(); }
        records.push({ ...base, kind: 'statement', expect: 'error', errorCode, errorText: rest || undefined, sql: readSql(false) });
      } else {
        fail(`expected "statement ok" or "statement error [CODE] [text]", got "${line}"`, headerLine);
      }
    } else if (header[0] === 'query') {
      const types = header[1] ?? '';
      if (!TYPE_LETTERS.test(types)) fail(`query types must be letters from IRTBD, got "${types}"`, headerLine);
      const sort = (header[2] ?? 'nosort') as SortMode;
      if (!['nosort', 'rowsort', 'valuesort'].includes(sort)) fail(`unknown sort mode "${sort}"`, headerLine);
      const sql = readSql(true);
      if (i >= lines.length || lines[i].trim() !== '----') fail('query without "----" separator', headerLine);
      const resultLine = i + 1;
      i++;
      const expected: string[][] = [];
      while (i < lines.length && lines[i] !== '' && lines[i].trim() !== '') {
        expected.push(lines[i].split('\t'));
        i++;
      }
      records.push({
        kind: 'query', file, line: headerLine + 1, strataOnly, group, sql,
        types: types.split('') as TypeLetter[], sort, expected, resultLine,
      });
    } else if (header[0] === 'halt') {
      records.push({ kind: 'halt', file, line: headerLine + 1, strataOnly, group, sql: '' });
    } else {
      fail(`unknown record "${line}"`, headerLine);
    }
    strataOnly = false;
  }
  return records;
}

/** Splits records into groups at `## heading` comments (one vitest test per group). */
export function groupRecords(records: SltRecord[]): SltGroup[] {
  const groups: SltGroup[] = [];
  for (const r of records) {
    if (r.kind === 'halt') break; // `halt` ends the file
    const last = groups[groups.length - 1];
    if (last && last.name === r.group) last.records.push(r);
    else groups.push({ name: r.group, line: r.line, records: [r] });
  }
  return groups;
}

export function parseSltFile(path: string): SltRecord[] {
  return parseSlt(readFileSync(path, 'utf8'), path);
}

// ---- rendering and comparison ----

/** Renders one result value the way expected rows are written. */
export function renderValue(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'string') {
    if (v === '') return '(empty)';
    return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\t/g, '\\t').replace(/\r/g, '\\r');
  }
  if (typeof v === 'number') {
    if (Object.is(v, -0)) return '0';
    return String(v);
  }
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return String(v);
}

/** Renders a float for writing expected results: at most 12 significant digits. */
export function renderFloat(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  return String(Number(v.toPrecision(12)));
}

/** True when `actual` matches `expected` under the column's type letter. */
export function valueMatches(type: TypeLetter, expected: string, actual: string): boolean {
  if (expected === actual) return true;
  if (type !== 'R' || expected === 'NULL' || actual === 'NULL') return false;
  const e = Number(expected);
  const a = Number(actual);
  if (Number.isNaN(e) || Number.isNaN(a)) return false;
  // within 1e-9 relative, or equal once rounded to the digits the file prints
  if (Math.abs(a - e) <= 1e-9 * Math.max(Math.abs(a), Math.abs(e))) return true;
  const digits = (expected.split('.')[1] ?? '').replace(/e.*$/i, '').length;
  if (/e/i.test(expected) || digits > 15) return false;
  return a.toFixed(digits) === e.toFixed(digits) || Number(a.toFixed(digits)) === e;
}

function sortRows(rows: string[][], mode: SortMode): string[][] {
  if (mode === 'rowsort') return [...rows].sort((x, y) => cmpStr(x.join('\t'), y.join('\t')));
  if (mode === 'valuesort') return rows.flat().sort(cmpStr).map((v) => [v]);
  return rows;
}

function cmpStr(a: string, b: string): number { return a < b ? -1 : a > b ? 1 : 0; }

// ---- running ----

/** What the runner needs from a result: its columns and rows (Strata's Result fits). */
export interface ResultLike { columns?: { name: string; type?: string }[]; rows: unknown[][] }
/** What the runner needs from a connection (Strata's Session fits). */
export interface SessionLike { execute(sql: string): Promise<ResultLike[]> }

export interface RunOptions {
  /** skip records marked `# strata-only` (DuckDB replay) */
  skipStrataOnly?: boolean;
  /** check the error code and message text of `statement error` (off for DuckDB) */
  checkErrorText?: boolean;
  /** rewrites SQL before it runs (DuckDB dialect translation) */
  translate?: (sql: string) => string;
}

/** One failed record, with everything needed to print it. */
export interface RecordFailure {
  record: SltRecord;
  message: string;
  /** for queries: expected and actual rows rendered (sorted per the sort mode) */
  expected?: string[];
  actual?: string[];
  /** actual rows as rendered, unsorted-by-mode, for rewriting expectations */
  actualRows?: string[][];
}

/** Replaces `__TEST_DIR__` with the folder of the .slt file (absolute). */
export function substituteDirs(sql: string, file: string): string {
  return sql.split('__TEST_DIR__').join(dirname(resolve(file)));
}

function errorInfo(e: unknown): { code?: string; message: string } {
  if (e && typeof e === 'object') {
    const o = e as { code?: unknown; message?: unknown };
    return { code: typeof o.code === 'string' ? o.code : undefined, message: String(o.message ?? e) };
  }
  return { message: String(e) };
}

function textMatches(pattern: string, message: string): boolean {
  const m = /^\/(.*)\/([a-z]*)$/.exec(pattern);
  if (m) return new RegExp(m[1], m[2].includes('i') ? m[2] : m[2] + 'i').test(message);
  return message.toLowerCase().includes(pattern.toLowerCase());
}

/** Runs one record; returns a failure or null. */
export async function runRecord(session: SessionLike, r: SltRecord, opts: RunOptions = {}): Promise<RecordFailure | null> {
  if (r.kind === 'halt') return null;
  let sql = substituteDirs(r.sql, r.file);
  if (opts.translate) sql = opts.translate(sql);
  const checkText = opts.checkErrorText ?? true;

  if (r.kind === 'statement') {
    try {
      await session.execute(sql);
    } catch (e) {
      const err = errorInfo(e);
      if (r.expect === 'ok') return { record: r, message: `statement failed: ${err.code ? err.code + ': ' : ''}${err.message}` };
      if (checkText && r.errorCode && err.code !== r.errorCode) {
        return { record: r, message: `expected error code ${r.errorCode}, got ${err.code ?? '(none)'}: ${err.message}` };
      }
      if (checkText && r.errorText && !textMatches(r.errorText, err.message)) {
        return { record: r, message: `expected error containing "${r.errorText}", got ${err.code ?? ''}: ${err.message}` };
      }
      return null;
    }
    if (r.expect === 'error') return { record: r, message: `statement succeeded but an error was expected${r.errorText ? ` ("${r.errorText}")` : ''}` };
    return null;
  }

  let results: ResultLike[];
  try {
    results = await session.execute(sql);
  } catch (e) {
    const err = errorInfo(e);
    return { record: r, message: `query failed: ${err.code ? err.code + ': ' : ''}${err.message}` };
  }
  const res = results[results.length - 1];
  if (!res) return { record: r, message: 'query returned no result' };
  const actualRows = res.rows.map((row) => row.map(renderValue));
  const width = res.columns?.length ?? actualRows[0]?.length ?? r.types.length;
  if (width !== r.types.length) {
    return {
      record: r, actualRows,
      message: `query has ${width} column(s) (${(res.columns ?? []).map((c) => c.name).join(', ')}) but the header declares ${r.types.length} (${r.types.join('')})`,
    };
  }
  const exp = sortRows(r.expected, r.sort);
  const act = sortRows(actualRows, r.sort);
  const types = r.sort === 'valuesort' ? null : r.types;
  let same = exp.length === act.length;
  for (let i = 0; same && i < exp.length; i++) {
    if (exp[i].length !== act[i].length) { same = false; break; }
    for (let j = 0; j < exp[i].length; j++) {
      const t: TypeLetter = types ? types[j] : (r.types.includes('R') ? 'R' : 'T');
      if (!valueMatches(t, exp[i][j], act[i][j])) { same = false; break; }
    }
  }
  if (same) return null;
  return {
    record: r, actualRows,
    message: exp.length === act.length ? 'query results differ' : `expected ${exp.length} row(s), got ${act.length}`,
    expected: exp.map((x) => x.join('\t')),
    actual: act.map((x) => x.join('\t')),
  };
}

/** Runs records in order on one session, collecting every failure (a `halt` stops). */
export async function runRecords(session: SessionLike, records: SltRecord[], opts: RunOptions = {}): Promise<RecordFailure[]> {
  const failures: RecordFailure[] = [];
  for (const r of records) {
    if (r.kind === 'halt') break;
    if (opts.skipStrataOnly && r.strataOnly) continue;
    const f = await runRecord(session, r, opts);
    if (f) failures.push(f);
  }
  return failures;
}

/** A line diff (LCS) of expected vs actual rows, `-` expected only, `+` actual only. */
export function diffLines(expected: string[], actual: string[]): string {
  const n = expected.length, m = actual.length;
  if (n * m > 4_000_000) {
    return [...expected.map((l) => `- ${l}`), ...actual.map((l) => `+ ${l}`)].join('\n');
  }
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i][j] = expected[i] === actual[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out: string[] = [];
  let i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && expected[i] === actual[j]) { out.push(`  ${expected[i]}`); i++; j++; }
    else if (i < n && (j >= m || lcs[i + 1][j] >= lcs[i][j + 1])) { out.push(`- ${expected[i]}`); i++; }
    else { out.push(`+ ${actual[j]}`); j++; }
  }
  return out.join('\n');
}

/** Formats a failure as `file:line: message`, the SQL, and a diff for queries. */
export function formatFailure(f: RecordFailure): string {
  const r = f.record;
  const where = r.kind === 'query' ? `${r.file}:${r.line} (results at line ${r.resultLine + 1})` : `${r.file}:${r.line}`;
  const parts = [`${where}: ${f.message}`, indent(r.sql)];
  if (f.expected && f.actual) parts.push('--- expected\n+++ actual\n' + diffLines(f.expected, f.actual));
  else if (f.actualRows && f.actualRows.length) parts.push('actual rows:\n' + f.actualRows.slice(0, 20).map((x) => `+ ${x.join('\t')}`).join('\n'));
  return parts.join('\n');
}

function indent(s: string): string { return s.split('\n').map((l) => `    ${l}`).join('\n'); }
