// Which file a worker thread starts from: the compiled worker next to a dist/ module, the compiled
// workers in STRATA_WORKER_DIR (the test suite's, see test/support/compiled-workers.ts), or the tsx
// entry of the sources; and that the tsx entry, which the rest of the suite no longer starts,
// still runs slices.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Database } from '../../../engine/database.ts';
import { workerEntry } from '../../../engine/exec/worker-entry.ts';

const saved = process.env.STRATA_WORKER_DIR;
afterEach(() => {
  if (saved === undefined) delete process.env.STRATA_WORKER_DIR;
  else process.env.STRATA_WORKER_DIR = saved;
});

describe('workerEntry', () => {
  it('picks the compiled worker beside a dist/ module, whatever STRATA_WORKER_DIR says', () => {
    process.env.STRATA_WORKER_DIR = '/elsewhere';
    expect(workerEntry('file:///app/dist/chunk-AB12.js', 'slice-worker.js', 'slice-worker-entry.mjs').href).toBe('file:///app/dist/slice-worker.js');
  });

  it('from sources: the compiled worker in STRATA_WORKER_DIR, else the tsx entry beside the module', () => {
    process.env.STRATA_WORKER_DIR = '/tmp/w 1';
    const src = 'file:///repo/engine/exec/slice-pool.ts';
    expect(workerEntry(src, 'slice-worker.js', 'slice-worker-entry.mjs').href).toBe(pathToFileURL('/tmp/w 1/slice-worker.js').href);
    delete process.env.STRATA_WORKER_DIR;
    expect(workerEntry(src, 'slice-worker.js', 'slice-worker-entry.mjs').href).toBe('file:///repo/engine/exec/slice-worker-entry.mjs');
  });

  it('the suite runs compiled workers', () => {
    expect(saved, 'test/support/compiled-workers.ts sets STRATA_WORKER_DIR').toBeTruthy();
    expect(fileURLToPath(workerEntry(import.meta.url, 'slice-worker.js', 'x.mjs'))).toBe(join(saved!, 'slice-worker.js'));
  });

  it('slices started from the tsx entry store rows and aggregate them', async () => {
    delete process.env.STRATA_WORKER_DIR;
    const dataDir = mkdtempSync(join(tmpdir(), 'strata-worker-entry-'));
    const db = await Database.open({ dataDir, slices: 2 });
    try {
      const s = db.connect();
      const values = Array.from({ length: 1000 }, (_, i) => `(${(i + 1) % 7}, ${i + 1})`).join(', ');
      await s.execute(`CREATE TABLE t (k INTEGER, v INTEGER); INSERT INTO t VALUES ${values}`);
      const [r] = await s.execute('SELECT k, count(*), sum(v) FROM t GROUP BY k ORDER BY k');
      const want = Array.from({ length: 7 }, (_, k) => {
        const vs = Array.from({ length: 1000 }, (_, i) => i + 1).filter((v) => v % 7 === k);
        return [k, vs.length, vs.reduce((a, b) => a + b, 0)];
      });
      expect(r.rows.map((row) => row.map(Number))).toEqual(want);
    } finally {
      await db.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
