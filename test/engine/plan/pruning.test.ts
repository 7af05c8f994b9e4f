// Zone maps: segments whose min/max rule out a predicate are skipped, and answers stay right.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database, type Session } from '../../../engine/database.ts';

describe('zone-map pruning', () => {
  let dir: string, db: Database, s: Session;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'strata-prune-'));
    db = await Database.open({ dataDir: dir, slices: 2 });
    s = db.connect();
    await s.execute('CREATE TABLE ev (id INT, day DATE, v DECIMAL(8,2)) SORTKEY(day)');
    // ten inserts, each its own segment covering one month
    for (let m = 1; m <= 10; m++) {
      const rows = Array.from({ length: 50 }, (_, i) => `(${m * 100 + i}, DATE '2024-${String(m).padStart(2, '0')}-${String((i % 28) + 1).padStart(2, '0')}', ${i}.25)`);
      await s.execute(`INSERT INTO ev VALUES ${rows.join(', ')}`);
    }
  });
  afterAll(async () => { await db.close(); rmSync(dir, { recursive: true, force: true }); });

  it('skips segments outside the range and returns the same rows as a full scan', async () => {
    const [explain] = await s.execute("EXPLAIN ANALYZE SELECT count(*), sum(v) FROM ev WHERE day BETWEEN DATE '2024-03-01' AND DATE '2024-03-31'");
    const text = explain.rows.map((r) => r[0]).join('\n');
    const pruned = Number(/pruned by zone maps (\d+)/.exec(text)?.[1]);
    const scanned = Number(/segments scanned (\d+)/.exec(text)?.[1]);
    expect(pruned).toBe(9);
    expect(scanned).toBe(1);
    const [r] = await s.execute("SELECT count(*), sum(v) FROM ev WHERE day BETWEEN DATE '2024-03-01' AND DATE '2024-03-31'");
    // the same predicate written so no zone map applies
    const [full] = await s.execute("SELECT count(*), sum(v) FROM ev WHERE EXTRACT(month FROM day) = 3");
    expect(r.rows).toEqual(full.rows);
    expect(r.rows).toEqual([[50, String(50 * 0.25 + (49 * 50) / 2).replace(/(\.\d)$/, '$10')]]);
  });

  it('prunes on equality and keeps segments that may match', async () => {
    const [explain] = await s.execute("EXPLAIN ANALYZE SELECT * FROM ev WHERE day = DATE '2024-07-04'");
    const text = explain.rows.map((r) => r[0]).join('\n');
    expect(text).toMatch(/pruned by zone maps 9/);
    const [r] = await s.execute("SELECT id FROM ev WHERE day = DATE '2024-07-04' ORDER BY id");
    expect(r.rows).toEqual([[703], [731]]);
  });
});
