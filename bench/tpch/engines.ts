// Loads generated TPC-H data into Strata and into DuckDB, and runs a query in each.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Session } from '../../engine/database.ts';
import { createTableSql, TPCH_TABLES } from './schema.ts';
import { forDuckDB, type TpchQuery } from './queries.ts';
import { fromDuckDB, type Row } from './compare.ts';

const quote = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** Creates the eight tables in a Strata session and COPYs the '|'-delimited files from `dir`. */
export async function loadStrata(session: Session, dir: string): Promise<void> {
  for (const t of TPCH_TABLES) {
    await session.execute(createTableSql(t, true));
    await session.execute(`COPY ${t.name} FROM ${quote(join(dir, `${t.name}.tbl`))} FORMAT CSV DELIMITER '|'`);
  }
}

/** Creates the eight tables in DuckDB and loads the same files. */
export async function loadDuckDB(con: DuckDBConnection, dir: string): Promise<void> {
  for (const t of TPCH_TABLES) {
    await con.run(createTableSql(t, false));
    await con.run(`COPY ${t.name} FROM ${quote(join(dir, `${t.name}.tbl`))} (FORMAT CSV, HEADER false, DELIMITER '|', QUOTE '')`);
  }
}

/**
 * A new DuckDB database with `threads` threads in a temporary directory, loaded from `data` and
 * checkpointed; `use` gets its connection and the load's time, then the directory is removed.
 */
export async function withLoadedDuckDB<T>(data: string, threads: number, use: (con: DuckDBConnection, loadMs: number) => Promise<T>): Promise<T> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const dir = mkdtempSync(join(tmpdir(), 'bench-tpch-duckdb-'));
  try {
    const inst = await DuckDBInstance.create(join(dir, 'tpch.duckdb'), { threads: String(threads) });
    const con = await inst.connect();
    const t = performance.now();
    await loadDuckDB(con, data);
    await con.run('CHECKPOINT');
    try { return await use(con, performance.now() - t); } finally { con.disconnectSync(); }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs a query's statements in Strata; returns the answer statement's rows. */
export async function runStrata(session: Session, q: TpchQuery, signal?: AbortSignal): Promise<Row[]> {
  let rows: Row[] = [];
  for (let i = 0; i < q.statements.length; i++) {
    const results = await session.execute(q.statements[i], { signal });
    if (i === q.answer) rows = results[results.length - 1].rows as Row[];
  }
  return rows;
}

/** Runs a query's statements in DuckDB; returns the answer statement's rows. */
export async function runDuckDB(con: DuckDBConnection, q: TpchQuery): Promise<Row[]> {
  let rows: Row[] = [];
  for (let i = 0; i < q.statements.length; i++) {
    const r = await con.runAndReadAll(forDuckDB(q.statements[i]));
    if (i === q.answer) rows = r.getRows().map((row) => row.map(fromDuckDB));
  }
  return rows;
}
