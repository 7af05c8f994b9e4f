// Each statement reads its own clock: CURRENT_DATE and GETDATE() are the time the statement
// started, even while another session's statement starts in between (the API interleaves
// sessions across awaits). The database clock here advances a day at every read, so statements
// that shared a clock would show the same date.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from '../../../engine/database.ts';

let dir: string;
let db: Database;
let reads = 0;
const DAY = 86_400_000;
const start = Date.UTC(2024, 0, 1);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'strata-clock-'));
  db = await Database.open({ dataDir: join(dir, 'data'), slices: 1, now: () => new Date(start + DAY * reads++) });
}, 60_000);

afterAll(async () => {
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('statement clock', () => {
  it('gives every statement its own start time, however statements interleave', async () => {
    const sessions = [db.connect(), db.connect(), db.connect()];
    await sessions[0].execute('CREATE TABLE t (d DATE); INSERT INTO t VALUES (DATE \'2024-01-01\')');
    const sql = "SELECT current_date, (SELECT current_date), getdate()::DATE, (SELECT count(*) FROM t WHERE d <= current_date) FROM t";
    const results = await Promise.all(sessions.map((s) => s.execute(sql)));
    const rows = results.map((r) => r[r.length - 1].rows[0]);
    for (const [a, b, c, n] of rows) {
      // one clock within a statement
      expect(b).toBe(a);
      expect(c).toBe(a);
      expect(n).toBe(1);
    }
    // three statements started at three different times
    expect(new Set(rows.map((r) => r[0])).size).toBe(3);
  });
});
