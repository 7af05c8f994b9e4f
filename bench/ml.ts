// `npm run bench -- ml [--rows N] [--runs N]`: in-database inference and training times.
//  1. SELECT count(*) FROM t WHERE fn(c1..c20) > 0.5 over N rows x 20 REAL columns with an MLP
//     (20-64-1) trained by CREATE MODEL, on 2 slices and on 1 slice (same data directory);
//  2. the same ONNX graph in a plain onnxruntime loop (one session per thread, one intra-op
//     thread, float32 columns already in memory, 8K-row batches), on 1 and 2 threads;
//  3. CREATE MODEL with AUTO ON on churn (../shared/datasets), timed.
// Prints rows/s, the in-database / plain-loop ratios, the 2-slice speed-up and training times.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Database } from '../engine/database.ts';
import { StatementContext } from '../engine/session/context.ts';
import type { Session } from '../engine/session/session.ts';
import { parseOne } from '../engine/sql/parser.ts';
import { extension } from '../ml/extension.ts';
import type { ModelEntry } from '../ml/sql/catalog.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const DATASETS = join(root, '..', 'shared', 'datasets');
const COLS = Array.from({ length: 20 }, (_, i) => `c${i + 1}`);
const QUERY = `SELECT count(*) FROM t WHERE mlp_fn(${COLS.join(', ')}) > 0.5`;

interface Options { rows: number; runs: number }

function parseArgs(args: string[]): Options {
  const o: Options = { rows: 2_000_000, runs: 3 };
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--rows') o.rows = Number(args[++i]);
    else if (args[i] === '--runs') o.runs = Number(args[++i]);
    else throw new Error(`unknown option ${args[i]} (expected --rows N, --runs N)`);
  }
  return o;
}

async function open(dir: string, slices: number): Promise<{ db: Database; s: Session }> {
  const db = await Database.open({ dataDir: dir, slices });
  db.use(extension(db));
  const s = db.connect();
  await s.execute('SET ml_wait_for_training TO on');
  return { db, s };
}

const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const rate = (rows: number, ms: number) => rows / (ms / 1000);
const mrows = (r: number) => `${(r / 1e6).toFixed(2)} M rows/s`;

/** Best wall time of `runs` runs (after one warm-up), and the last answer. */
async function best<T>(runs: number, f: () => Promise<T>): Promise<{ ms: number; value: T }> {
  let value = await f();
  let ms = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    value = await f();
    ms = Math.min(ms, performance.now() - t0);
  }
  return { ms, value };
}

/** The plain loop on `threads` worker threads, each over its share of the columns. */
async function plainLoop(onnx: Uint8Array, cols: Float32Array[], rows: number, threads: number, runs: number): Promise<{ ms: number; count: number }> {
  const per = Math.ceil(rows / threads);
  const workers = await Promise.all(Array.from({ length: threads }, (_, w) => {
    const lo = w * per, hi = Math.min(rows, lo + per);
    const share = cols.map((c) => c.slice(lo, hi));
    const worker = new Worker(new URL('./ml-ort-worker.mjs', import.meta.url), {
      workerData: { onnx, cols: share, rows: hi - lo, batch: 8192 }, transferList: share.map((c) => c.buffer as ArrayBuffer),
    });
    return new Promise<Worker>((resolve, reject) => { worker.once('message', () => resolve(worker)); worker.once('error', reject); });
  }));
  const once = async () => {
    const counts = await Promise.all(workers.map((w) => new Promise<number>((resolve) => { w.once('message', (m: { count: number }) => resolve(m.count)); w.postMessage('go'); })));
    return counts.reduce((a, b) => a + b, 0);
  };
  const r = await best(runs, once);
  for (const w of workers) w.postMessage('exit');
  return { ms: r.ms, count: r.value };
}

export async function main(args: string[]): Promise<void> {
  const o = parseArgs(args);
  const dir = mkdtempSync(join(tmpdir(), 'strata-bench-ml-'));
  const report: string[] = [];
  const line = (s: string) => { console.log(s); report.push(s); };
  try {
    // data and model on 2 slices
    let { db, s } = await open(dir, 2);
    let t0 = performance.now();
    const gen = COLS.map((c) => `CAST(random() * 2 - 1 AS REAL) AS ${c}`).join(', ');
    await s.execute(`CREATE TABLE d (x INTEGER); INSERT INTO d VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9);
      CREATE TABLE k AS SELECT a.x * 1000 + b.x * 100 + c.x * 10 + e.x AS k FROM d a, d b, d c, d e;
      CREATE TABLE t AS SELECT ${gen} FROM k a, k b WHERE b.k < ${Math.ceil(o.rows / 10_000)} LIMIT ${o.rows}`);
    const [[n]] = (await s.execute('SELECT count(*) FROM t'))[0].rows as number[][];
    line(`data: ${n} rows x 20 REAL in ${secs(performance.now() - t0)}`);
    t0 = performance.now();
    await s.execute(`CREATE TABLE train AS SELECT ${COLS.join(', ')}, c1 + c2 * c3 - c4 + CASE WHEN c5 > 0 THEN 1 ELSE 0 END AS y FROM t LIMIT 20000;
      CREATE MODEL bench_mlp FROM train TARGET y FUNCTION mlp_fn AUTO OFF MODEL_TYPE MLP PROBLEM_TYPE REGRESSION
        HYPERPARAMETERS DEFAULT EXCEPT (HIDDEN_LAYERS '64', EPOCHS '20') SETTINGS (SEED 1)`);
    const entry = (db.catalog.accounts.admin.databases.dev.schemas.public.models as Record<string, ModelEntry>).bench_mlp;
    line(`MLP 20-64-1 (CREATE MODEL, 20000 rows, 20 epochs): ${secs(performance.now() - t0)}; validation ${entry.objective} ${entry.validationScore?.toFixed(4)}`);
    const onnx = new Uint8Array(readFileSync(join(dir, 'models', entry.onnxFile!)));

    const q2 = await best(o.runs, async () => Number((await s.execute(QUERY))[0].rows[0][0]));
    // the same columns in memory for the plain loop
    const txn = db.begin(false);
    const ctx = new StatementContext(db, s.info, txn);
    const stmt = parseOne(`SELECT ${COLS.join(', ')} FROM t`);
    if (stmt.kind !== 'Query') throw new Error('unreachable');
    const batch = await ctx.run(await ctx.bindQuery(stmt.query));
    db.release(txn);
    const cols = batch.columns.map((v) => v.values as Float32Array);
    await db.close();

    ({ db, s } = await open(dir, 1));
    const q1 = await best(o.runs, async () => Number((await s.execute(QUERY))[0].rows[0][0]));
    await db.close();

    const p1 = await plainLoop(onnx, cols, n, 1, o.runs);
    const p2 = await plainLoop(onnx, cols, n, 2, o.runs);
    const agree = q1.value === q2.value && q2.value === p1.count && p1.count === p2.count;
    line(`in-database, 1 slice : ${mrows(rate(n, q1.ms))} (${secs(q1.ms)}), count ${q1.value}`);
    line(`in-database, 2 slices: ${mrows(rate(n, q2.ms))} (${secs(q2.ms)}), count ${q2.value}`);
    line(`plain ort loop, 1 thread : ${mrows(rate(n, p1.ms))} (${secs(p1.ms)}), count ${p1.count}`);
    line(`plain ort loop, 2 threads: ${mrows(rate(n, p2.ms))} (${secs(p2.ms)}), count ${p2.count}`);
    const r1 = p1.ms / q1.ms, r2 = p2.ms / q2.ms, speedup = q1.ms / q2.ms;
    line(`in-database / plain loop: ${(r1 * 100).toFixed(0)}% on 1 thread, ${(r2 * 100).toFixed(0)}% on 2 threads (target >= 70%) ${r1 >= 0.7 && r2 >= 0.7 ? 'OK' : 'MISSED'}`);
    line(`2 slices vs 1: ${speedup.toFixed(2)}x (target >= 1.8x) ${speedup >= 1.8 ? 'OK' : 'MISSED'}`);
    line(`answers agree: ${agree}`);

    // AUTO ON on churn
    if (existsSync(join(DATASETS, 'churn_train.csv'))) {
      const cdir = mkdtempSync(join(tmpdir(), 'strata-bench-churn-'));
      ({ db, s } = await open(cdir, 2));
      await s.execute(`CREATE TABLE churn (customer_id INTEGER, plan VARCHAR(20), region VARCHAR(20), tenure_months INTEGER,
          monthly_charges DOUBLE PRECISION, support_calls INTEGER, autopay BOOLEAN, usage_gb DOUBLE PRECISION, churned INTEGER);
        COPY churn FROM '${join(DATASETS, 'churn_train.csv')}' FORMAT CSV IGNOREHEADER 1`);
      t0 = performance.now();
      await s.execute('CREATE MODEL churn_model FROM churn TARGET churned FUNCTION predict_churn');
      const ms = performance.now() - t0;
      const m = Object.fromEntries((await s.execute('SHOW MODEL churn_model'))[0].rows as [string, string][]);
      line(`churn AUTO ON (15000 rows): ${secs(ms)} (target < 60 s) ${ms < 60_000 ? 'OK' : 'MISSED'}; chose ${m['Model Type']}, validation ${m['Validation Score']}; candidates ${m.Candidates}`);
      await db.close();
      rmSync(cdir, { recursive: true, force: true });
    } else {
      line(`churn AUTO ON: skipped (${DATASETS} not found)`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
