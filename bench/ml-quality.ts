// `npm run bench -- ml-quality [--only name,name]`: CREATE MODEL's AUTO ON against scikit-learn on
// held-out data. Each data set in bench/ml-quality/ (split once and scored by scikit-learn's
// tuned models with bench/ml-quality/build.py) is loaded with COPY, trained with CREATE MODEL
// (AUTO ON, defaults) on its train split and scored in SQL on its test split. Prints the table
// dataset | metric | scikit-learn best | Strata AUTO | gap (target: within 1 point everywhere).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Database } from '../engine/database.ts';
import { extension } from '../ml/extension.ts';

const DIR = fileURLToPath(new URL('./ml-quality/', import.meta.url));

interface Reference { problem: 'classification' | 'regression'; metric: 'accuracy' | 'r2'; target: string; best_model: string; best: number; models: Record<string, number> }

export async function main(args: string[]): Promise<void> {
  const refs = JSON.parse(readFileSync(join(DIR, 'sklearn_scores.json'), 'utf8')) as Record<string, Reference>;
  const at = args.indexOf('--only');
  const only = at >= 0 ? new Set(args[at + 1].split(',')) : null;
  const rows: string[][] = [];
  for (const [name, ref] of Object.entries(refs)) {
    if (only && !only.has(name)) continue;
    const dir = mkdtempSync(join(tmpdir(), `strata-quality-${name}-`));
    const db = await Database.open({ dataDir: dir, slices: 2 });
    db.use(extension(db));
    const s = db.connect();
    try {
      await s.execute('SET ml_wait_for_training TO on');
      const header = readFileSync(join(DIR, `${name}_train.csv`), 'utf8').split(/\r?\n/, 1)[0].split(',');
      const features = header.filter((h) => h !== ref.target);
      const cols = header.map((h) => `${h} ${h === ref.target ? (ref.problem === 'classification' ? 'INTEGER' : 'DOUBLE PRECISION') : 'DOUBLE PRECISION'}`).join(', ');
      for (const split of ['train', 'test']) {
        await s.execute(`CREATE TABLE ${split} (${cols}); COPY ${split} FROM '${join(DIR, `${name}_${split}.csv`)}' FORMAT CSV IGNOREHEADER 1`);
      }
      const t0 = performance.now();
      await s.execute(`CREATE MODEL m FROM train TARGET ${ref.target} FUNCTION f`);
      const secs = (performance.now() - t0) / 1000;
      const show = Object.fromEntries((await s.execute('SHOW MODEL m'))[0].rows as [string, string][]);
      const call = `f(${features.join(', ')})`;
      const sql = ref.problem === 'classification'
        ? `SELECT avg(CASE WHEN ${call} = ${ref.target} THEN 1.0 ELSE 0.0 END::FLOAT) FROM test`
        : `SELECT 1 - sum((${call} - ${ref.target}) * (${call} - ${ref.target})) / sum((${ref.target} - (SELECT avg(${ref.target}) FROM test)) * (${ref.target} - (SELECT avg(${ref.target}) FROM test))) FROM test`;
      const score = Number((await s.execute(sql))[0].rows[0][0]);
      const gap = (ref.best - score) * 100;
      rows.push([name, ref.metric, `${ref.best.toFixed(4)} (${ref.best_model})`, `${score.toFixed(4)} (${show['Model Type']})`, `${gap >= 0 ? '' : '+'}${Math.abs(gap).toFixed(1)}${gap > 1 ? ' MISSED' : ''}`, `${secs.toFixed(0)} s`]);
      console.log(`${name}: scikit-learn ${ref.best} (${ref.best_model}), Strata ${score.toFixed(4)} (${show['Model Type']}, ${show.Candidates}); ${secs.toFixed(1)} s`);
    } finally {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const head = ['dataset', 'metric', 'scikit-learn best', 'Strata AUTO ON', 'gap (points)', 'training'];
  console.log(`\n| ${head.join(' | ')} |\n|${head.map(() => '---').join('|')}|`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
}
