// The explanation case of `npm run bench -- ml` (alone: `npm run bench -- ml --only explain`):
// fn_explain against fn on the same rows, in the database on 2 slices, best of --runs each, run
// round-robin, by wall time and by the process's CPU time (slice workers included: steadier on a
// shared machine). A gradient-boosted classifier (CREATE MODEL ... MODEL_TYPE XGBOOST, defaults:
// up to 100 rounds of depth-6 trees) over 20 REAL columns: TreeSHAP's cost / one prediction
// (target <= 20x); and KernelSHAP on a 20-column linear model over a few rows, for scale.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from '../engine/database.ts';
import { extension } from '../ml/extension.ts';
import type { ModelEntry } from '../ml/sql/catalog.ts';
import { decodeModel, findEnsemble } from '../ml/explain/ensemble.ts';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';

const COLS = Array.from({ length: 20 }, (_, i) => `c${i + 1}`);

export async function explainCase(opts: { rows: number; runs: number }, line: (s: string) => void): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'strata-bench-explain-'));
  const db = await Database.open({ dataDir: dir, slices: 2 });
  db.use(extension(db));
  const s = db.connect();
  try {
    await s.execute('SET ml_wait_for_training TO on');
    // pseudo-random columns from the row numbers (several random() calls in one row return one value today)
    const P = [7919, 104729, 130069, 154858, 179429, 203807, 982451, 573259, 373587, 141650, 860281, 499799, 324528, 228017, 154867, 957689, 736878, 591559, 409309, 286049];
    const gen = COLS.map((c, i) => `CAST((CAST(a.k * 10000 + b.k AS BIGINT) * ${P[i]} % 1000003) / 500001.5 - 1 AS REAL) AS ${c}`).join(', ');
    await s.execute(`CREATE TABLE d (x INTEGER); INSERT INTO d VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9);
      CREATE TABLE k AS SELECT a.x * 1000 + b.x * 100 + c.x * 10 + e.x AS k FROM d a, d b, d c, d e;
      CREATE TABLE t AS SELECT ${gen} FROM k a, k b WHERE b.k < ${Math.ceil(opts.rows / 10_000)} LIMIT ${opts.rows};
      CREATE TABLE train AS SELECT ${COLS.join(', ')}, CASE WHEN c1 + c2 * c3 - c4 + CASE WHEN c5 > 0 THEN 0.5 ELSE 0 END > 0 THEN 1 ELSE 0 END AS y FROM t LIMIT 20000;
      CREATE MODEL bench_gbt FROM train TARGET y FUNCTION gbt_fn AUTO OFF MODEL_TYPE XGBOOST SETTINGS (SEED 1);
      CREATE MODEL bench_lin FROM (SELECT ${COLS.join(', ')}, c1 + 2 * c2 - c3 AS y FROM train) TARGET y FUNCTION lin_fn AUTO OFF MODEL_TYPE LINEAR_LEARNER SETTINGS (SEED 1)`);
    const models = db.catalog.accounts.admin.databases.dev.schemas.public.models as Record<string, ModelEntry>;
    const e = findEnsemble(decodeModel(new Uint8Array(readFileSync(join(dir, 'models', models.bench_gbt.onnxFile!)))))!;
    const leaves = e.trees.reduce((n, tr) => n + tr.mode.filter((m) => m === null).length, 0);
    const [[n]] = (await s.execute('SELECT count(*) FROM t'))[0].rows as number[][];
    line(`explanations: GBT classifier with ${e.trees.length} trees, ${leaves} leaves (avg ${(leaves / e.trees.length).toFixed(1)}) over ${n} rows x 20 REAL, 2 slices`);
    const args = COLS.join(', ');
    const q = {
      predict: `SELECT count(*) FROM t WHERE gbt_fn(${args}) = 1`,
      prob: `SELECT count(*) FROM t WHERE gbt_fn_prob(${args}) IS NOT NULL`,
      explain: `SELECT count(*) FROM t WHERE gbt_fn_explain(${args}) IS NOT NULL`,
    };
    const best: Record<string, number> = {}, cpu: Record<string, number> = {};
    const loadBefore = loadavg().map((x) => x.toFixed(1)).join(' ');
    for (let i = 0; i <= opts.runs; i++) {
      for (const [k, sql] of Object.entries(q)) {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        await s.execute(sql);
        const ms = performance.now() - t0, c = process.cpuUsage(c0);
        // the first round warms up sessions and explainers
        if (i > 0) { best[k] = Math.min(best[k] ?? Infinity, ms); cpu[k] = Math.min(cpu[k] ?? Infinity, (c.user + c.system) / 1000); }
      }
    }
    const load = () => loadavg().map((x) => x.toFixed(1)).join(' ');
    line(`  load average before: ${loadBefore}, after: ${load()}`);
    const ratio = best.explain / best.predict;
    const rps = (ms: number) => `${Math.round(n / (ms / 1000)).toLocaleString('en-US')} rows/s`;
    line(`  fn: ${rps(best.predict)}; fn_prob: ${rps(best.prob)}; fn_explain (TreeSHAP): ${rps(best.explain)}`);
    line(`  fn_explain / fn: ${ratio.toFixed(1)}x (target <= 20x) ${ratio <= 20 ? 'OK' : 'MISSED'}; fn_explain / fn_prob: ${(best.explain / best.prob).toFixed(1)}x`);
    const us = (ms: number) => `${((ms * 1000) / n).toFixed(2)} us/row`;
    const cpuRatio = cpu.explain / cpu.predict;
    line(`  CPU time: fn ${us(cpu.predict)}, fn_prob ${us(cpu.prob)}, fn_explain ${us(cpu.explain)}: ${cpuRatio.toFixed(1)}x (target <= 20x) ${cpuRatio <= 20 ? 'OK' : 'MISSED'}`);
    const cps = (ms: number) => `${Math.round(n / (ms / 1000)).toLocaleString('en-US')} rows per CPU-second`;
    line(`  by CPU: fn ${cps(cpu.predict)}, fn_explain ${cps(cpu.explain)}`);
    const few = Math.min(200, n);
    const t0 = performance.now();
    await s.execute(`SELECT count(*) FROM (SELECT * FROM t LIMIT ${few}) x WHERE lin_fn_explain(${args}) IS NOT NULL`);
    const kms = performance.now() - t0;
    line(`  KernelSHAP (linear model, 20 arguments: 1024 coalitions x 32 background rows per row): ${few} rows in ${(kms / 1000).toFixed(2)} s, ${(kms / few).toFixed(1)} ms/row`);
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
