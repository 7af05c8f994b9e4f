// ORDER BY ... LIMIT pushed into the slices must return exactly the rows a full sort returns.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database, type Session } from '../../../engine/database.ts';
import { rng } from '../../support/rng.ts';

describe('top-N in slices', () => {
  let dir: string, db: Database, s: Session;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'strata-topn-'));
    const r = rng(7);
    const lines: string[] = [];
    // 200K rows: more than a batch per slice; NULLs and many ties in the sort keys
    for (let i = 0; i < 200_000; i++) {
      const k = r() < 0.05 ? '' : String(Math.floor(r() * 5000) - 2500);
      const d = (Math.floor(r() * 100000) / 100).toFixed(2);
      lines.push(`${i},${k},${d},name${Math.floor(r() * 300)}`);
    }
    writeFileSync(join(dir, 'data.csv'), lines.join('\n') + '\n');
    db = await Database.open({ dataDir: join(dir, 'db'), slices: 2 });
    s = db.connect();
    await s.execute(`CREATE TABLE t (id INT, k INT, d DECIMAL(10,2), name VARCHAR(20)); COPY t FROM '${join(dir, 'data.csv')}' FORMAT CSV`);
  });
  afterAll(async () => { await db.close(); rmSync(dir, { recursive: true, force: true }); });

  const orders = [
    'k, id',
    'k DESC, id',
    'k NULLS FIRST, id',
    'k DESC NULLS LAST, id DESC',
    'd DESC, id',
    'name, d, id',
    'k * 2 + 1, id',
  ];
  for (const order of orders) {
    it(`ORDER BY ${order}`, async () => {
      const [full] = await s.execute(`SELECT id, k, d, name FROM t WHERE id % 3 <> 1 ORDER BY ${order}`);
      for (const [limit, offset] of [[1, 0], [10, 0], [25, 5], [3000, 100]]) {
        const [top] = await s.execute(`SELECT id, k, d, name FROM t WHERE id % 3 <> 1 ORDER BY ${order} LIMIT ${limit} OFFSET ${offset}`);
        expect(top.rows).toEqual(full.rows.slice(offset, offset + limit));
      }
    });
  }
});
