// A Strata database (in a fresh temp folder) and a DuckDB session loaded by the same statements,
// for tests that check Strata's answers against DuckDB's over the same rows (`same`: the one way
// to compare them); optionally a second Strata database with one slice, loaded with some of them
// (plans that differ with one slice). `twinsOf` pairs a DuckDB session with a session of a
// database opened elsewhere (a server's).
import { expect } from 'vitest';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database, type Session } from '../../engine/database.ts';
import { DuckDBSession, translateToDuckDB } from './verify-with-duckdb.ts';

/** A Strata session and a DuckDB session loaded by the same statements, and the ways to compare them. */
export interface Twins {
  s: Session;
  duck: DuckDBSession;
  /** the last statement's rows of `sql` on Strata, each cell as `cellText` */
  strataRows(sql: string): Promise<string[][]>;
  /** the rows of `sql` (translated) on DuckDB, each cell as `cellText` */
  duckRows(sql: string): Promise<string[][]>;
  /**
   * Expects Strata's rows of `sql` to be DuckDB's (of `duckSql` when it must be written another
   * way there), in their order, or in any order with `anyOrder`; with `digits`, numbers compare
   * rounded to that many significant digits (floating-point sums added in another order); returns Strata's.
   */
  same(sql: string, opts?: SameOptions): Promise<string[][]>;
  /** Runs `statements` on both engines, as `setup` was (ANALYZE on Strata only, the rest translated for DuckDB) */
  load(statements: string[]): Promise<void>;
  /** Strata's EXPLAIN of `sql`, its lines joined */
  explain(sql: string): Promise<string>;
  /** the Strata database's temp area (spill files) */
  tempArea: string;
  /** what is in the temp area now, files and directories (nothing once every statement cleaned up) */
  leftover(): string[];
  /** closes both sessions */
  close(): Promise<void>;
}

export interface TwinEngines extends Twins {
  /** the temp folder: Strata's data in `data` (and `one`); removed by close() */
  dir: string;
  db: Database;
  /** the one-slice database's session (with `oneSlice`), else null */
  s1: Session | null;
  /** closes the engines and removes the folder */
  close(): Promise<void>;
}

export interface SameOptions { duckSql?: string; anyOrder?: boolean; digits?: number }

/** A cell as text, NULL for null or undefined, so both engines' answers compare as strings. */
export const cellText = (v: unknown) => (v === null || v === undefined ? 'NULL' : String(v));

/**
 * Opens the engines and runs `setup` on each (ANALYZE on Strata only, the rest translated for
 * DuckDB); with `oneSlice`, also a Strata database with one slice, loaded by those statements.
 */
export async function openTwinEngines(name: string, setup: string[], { slices = 2, oneSlice }: { slices?: number; oneSlice?: string[] } = {}): Promise<TwinEngines> {
  const dir = mkdtempSync(join(tmpdir(), `strata-${name}-`));
  const db = await Database.open({ dataDir: join(dir, 'data'), slices });
  const one = oneSlice ? await Database.open({ dataDir: join(dir, 'one'), slices: 1 }) : null;
  const s1 = one?.connect() ?? null;
  let twins: Twins | undefined;
  const close = async () => {
    await twins?.close();
    await s1?.close();
    await db.close();
    await one?.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    twins = await twinsOf(db.connect(), join(dir, 'data', 'tmp'), setup);
    for (const sql of oneSlice ?? []) await s1!.execute(sql);
  } catch (e) {
    await close();
    throw e;
  }
  return { ...twins, dir, db, s1, close };
}

/**
 * Strata session `s` (of a database opened elsewhere, a server's; its temp area `tempArea`) and a
 * new DuckDB session, each loaded by `setup` (ANALYZE on Strata only, the rest translated for DuckDB).
 */
export async function twinsOf(s: Session, tempArea: string, setup: string[]): Promise<Twins> {
  const { session: duck, close: closeDuck } = await DuckDBSession.open();
  const close = async () => {
    await s.close();
    closeDuck();
  };
  const load = async (statements: string[]) => {
    for (const sql of statements) {
      await s.execute(sql);
      if (!/^\s*ANALYZE\b/i.test(sql)) await duck.execute(translateToDuckDB(sql));
    }
  };
  try {
    await load(setup);
  } catch (e) {
    await close();
    throw e;
  }
  const strataRows = async (sql: string) => {
    const r = await s.execute(sql);
    return r[r.length - 1].rows.map((row: unknown[]) => row.map(cellText));
  };
  const duckRows = async (sql: string) => (await duck.execute(translateToDuckDB(sql)))[0].rows.map((row) => row.map(cellText));
  const same = async (sql: string, { duckSql = sql, anyOrder = false, digits }: SameOptions = {}) => {
    const got = await strataRows(sql);
    const shown = (rows: string[][]) => {
      const cells = digits ? rows.map((r) => r.map((c) => (c !== '' && Number.isFinite(Number(c)) ? String(Number(Number(c).toPrecision(digits))) : c))) : rows;
      return anyOrder ? cells.map((r) => JSON.stringify(r)).sort() : cells;
    };
    expect(shown(got), sql).toEqual(shown(await duckRows(duckSql)));
    return got;
  };
  const explain = async (sql: string) => (await strataRows(`EXPLAIN ${sql}`)).map((r) => r[0]).join('\n');
  const leftover = () => readdirSync(tempArea, { recursive: true, encoding: 'utf8' });
  return { s, duck, strataRows, duckRows, same, load, explain, tempArea, leftover, close };
}
