// The drift-monitor case of `npm run bench -- ml` (alone: `npm run bench -- ml --only monitor`):
// RUN MONITOR over N rows (3 REAL columns and one text column, a boosted-tree classifier) against
// its peer in the same run: the query the monitor runs, `SELECT args..., fn(args...) FROM t`,
// executed to the same column batch without any statistics. Best of --runs each, round-robin.
// The ratio is what PSI, KS and recording the run cost on top of reading and predicting.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from '../engine/database.ts';
import { StatementContext } from '../engine/session/context.ts';
import { parseOne } from '../engine/sql/parser.ts';
import { extension } from '../ml/extension.ts';

export async function monitorCase(opts: { rows: number; runs: number }, line: (s: string) => void): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'strata-bench-monitor-'));
  const db = await Database.open({ dataDir: dir, slices: 2 });
  db.use(extension(db));
  const s = db.connect();
  try {
    await s.execute('SET ml_wait_for_training TO on');
    const P = [7919, 104729, 130069];
    const num = P.map((p, i) => `CAST((CAST(a.k * 10000 + b.k AS BIGINT) * ${p} % 1000003) / 500001.5 - 1 AS REAL) AS c${i + 1}`).join(', ');
    await s.execute(`CREATE TABLE d (x INTEGER); INSERT INTO d VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9);
      CREATE TABLE k AS SELECT a.x * 1000 + b.x * 100 + c.x * 10 + e.x AS k FROM d a, d b, d c, d e;
      CREATE TABLE t AS SELECT ${num}, CASE (a.k + b.k) % 3 WHEN 0 THEN 'red' WHEN 1 THEN 'green' ELSE 'blue' END AS cat
        FROM k a, k b WHERE b.k < ${Math.ceil(opts.rows / 10_000)} LIMIT ${opts.rows};
      CREATE TABLE train AS SELECT c1, c2, c3, cat, CASE WHEN c1 + c2 * c3 > 0 THEN 1 ELSE 0 END AS y FROM t LIMIT 20000;
      CREATE MODEL bench_mon FROM train TARGET y FUNCTION mon_fn AUTO OFF MODEL_TYPE XGBOOST SETTINGS (SEED 1);
      CREATE MONITOR bench_drift ON MODEL bench_mon USING (SELECT c1 + 0.1 AS c1, c2, c3, cat FROM t)`);
    const [[n]] = (await s.execute('SELECT count(*) FROM t'))[0].rows as number[][];
    line(`drift monitor: RUN MONITOR over ${n} rows x (3 REAL + 1 VARCHAR), GBT classifier, 2 slices`);
    const peer = async () => {
      const txn = db.begin(false);
      const ctx = new StatementContext(db, { account: 'admin', user: 'admin', database: 'dev', searchPath: ['public'], settings: new Map() }, txn);
      try {
        const q = parseOne('SELECT c1, c2, c3, cat, mon_fn(c1, c2, c3, cat) FROM (SELECT c1 + 0.1 AS c1, c2, c3, cat FROM t) x');
        if (q.kind !== 'Query') throw new Error('expected a query');
        await ctx.run(await ctx.bindQuery(q.query));
      } finally {
        ctx.dispose();
        db.release(txn);
      }
    };
    const cases: Record<string, () => Promise<unknown>> = { query: peer, monitor: () => s.execute('RUN MONITOR bench_drift') };
    const best: Record<string, number> = {};
    for (let i = 0; i <= opts.runs; i++) {
      for (const [k, f] of Object.entries(cases)) {
        const t0 = performance.now();
        await f();
        const ms = performance.now() - t0;
        if (i > 0) best[k] = Math.min(best[k] ?? Infinity, ms); // the first round warms up model sessions
      }
    }
    const rps = (ms: number) => `${Math.round(n / (ms / 1000)).toLocaleString('en-US')} rows/s`;
    line(`  its query alone: ${(best.query / 1000).toFixed(2)} s (${rps(best.query)}); RUN MONITOR: ${(best.monitor / 1000).toFixed(2)} s (${rps(best.monitor)})`);
    line(`  RUN MONITOR / its query: ${(best.monitor / best.query).toFixed(2)}x (PSI and KS for 5 columns, the profile read, the run committed)`);
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
