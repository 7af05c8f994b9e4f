// Runs the vendored sqllogictest corpus (test/slt/corpus) against Strata in-process, through the
// same record semantics as test/slt/run.mjs (which also runs DuckDB as the reference):
//
//   npm run test:slt [-- --min-pass P] [--show N] [files-or-dirs...]
//
// Each file gets a fresh database in a temporary directory. Prints per-file results and the
// same summary line as run.mjs; exits 1 when --min-pass P is given and the pass rate is below P.
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Database } from '../../engine/database.ts';
// @ts-expect-error: run.mjs is plain JavaScript without type declarations
import { runFile } from './run.mjs';

const kindOf = (t: string): string => {
  const u = t.toUpperCase();
  if (/BOOL/.test(u)) return 'bool';
  if (/INT/.test(u)) return 'int';
  if (/DOUBLE|REAL|FLOAT|DECIMAL|NUMERIC/.test(u)) return 'real';
  if (/CHAR|TEXT/.test(u)) return 'text';
  return '';
};

/** A run.mjs backend over an in-process Strata database, one per file. */
export const strataBackend = {
  name: 'strata',
  async open() {
    const dir = mkdtempSync(join(tmpdir(), 'strata-slt-'));
    const db = await Database.open({ dataDir: dir, slices: 1 });
    const session = db.connect();
    let controller = new AbortController();
    return {
      async exec(sql: string) {
        controller = new AbortController();
        const results = await session.execute(sql, { signal: controller.signal });
        const r = results[results.length - 1];
        return { columns: r.columns.map((c) => ({ name: c.name, kind: kindOf(c.type) })), rows: r.rows };
      },
      interrupt() { controller.abort(); },
      async close() {
        await session.close();
        await db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

function listFiles(args: string[]): string[] {
  const out: string[] = [];
  for (const a of args) {
    if (statSync(a).isDirectory()) out.push(...readdirSync(a).filter((f) => f.endsWith('.test')).sort().map((f) => join(a, f)));
    else out.push(a);
  }
  return out;
}

async function main(argv: string[]): Promise<void> {
  let minPass: number | null = null, show = 3, timeoutS = 300;
  const paths: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--min-pass') minPass = Number(argv[++i]);
    else if (argv[i] === '--show') show = Number(argv[++i]);
    else if (argv[i] === '--per-file-timeout') timeoutS = Number(argv[++i]);
    else paths.push(argv[i]);
  }
  const files = listFiles(paths.length ? paths : [fileURLToPath(new URL('./corpus', import.meta.url))]);
  let queries = 0, queriesOk = 0, stmts = 0, stmtsOk = 0, clean = 0;
  for (const file of files) {
    const st = await runFile(strataBackend, file, { timeoutS });
    queries += st.queries; queriesOk += st.queriesOk; stmts += st.stmts; stmtsOk += st.stmtsOk;
    if (st.queriesOk === st.queries && st.stmtsOk === st.stmts && !st.timedOut) clean++;
    console.log(`${basename(file)}: queries ${st.queriesOk}/${st.queries}, statements ${st.stmtsOk}/${st.stmts}, skipped ${st.skipped}${st.timedOut ? ', TIMED OUT' : ''} (${(st.ms / 1000).toFixed(1)} s)`);
    for (const f of st.failures.slice(0, show)) console.log(`  ${basename(file)}:${f.line}: ${f.why}${f.sql ? `\n      ${f.sql.replace(/\s+/g, ' ').slice(0, 200)}` : ''}`);
    if (st.failures.length > show) console.log(`  ... and ${st.failures.length - show} more failures`);
  }
  const rate = queries ? (100 * queriesOk) / queries : 0;
  console.log(`slt: ${clean}/${files.length} files clean, queries ${queriesOk}/${queries} passed (${(Math.floor(rate * 100) / 100).toFixed(2)}%), statements ${stmtsOk}/${stmts}`);
  process.exit(minPass !== null && rate < minPass ? 1 : 0);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) await main(process.argv.slice(2));
