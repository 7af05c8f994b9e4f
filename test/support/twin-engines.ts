// A Strata database (in a fresh temp folder) and a DuckDB session loaded by the same statements,
// for tests that check Strata's answers against DuckDB's over the same rows.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database, type Session } from '../../engine/database.ts';
import { DuckDBSession, translateToDuckDB } from './verify-with-duckdb.ts';

export interface TwinEngines {
  db: Database;
  s: Session;
  duck: DuckDBSession;
  /** closes both engines and removes the folder */
  close(): Promise<void>;
}

/** Opens both engines and runs `setup` on each (ANALYZE on Strata only, the rest translated for DuckDB). */
export async function openTwinEngines(name: string, setup: string[], { slices = 2 } = {}): Promise<TwinEngines> {
  const dir = mkdtempSync(join(tmpdir(), `strata-${name}-`));
  const db = await Database.open({ dataDir: join(dir, 'data'), slices });
  const s = db.connect();
  const { session: duck, close: closeDuck } = await DuckDBSession.open();
  const close = async () => {
    await s.close();
    await db.close();
    closeDuck();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const sql of setup) {
      await s.execute(sql);
      if (!/^\s*ANALYZE\b/i.test(sql)) await duck.execute(translateToDuckDB(sql));
    }
  } catch (e) {
    await close();
    throw e;
  }
  return { db, s, duck, close };
}
