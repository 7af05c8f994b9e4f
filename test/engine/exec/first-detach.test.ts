// A slice's optimized code survives its first result. V8 compiles typed array accesses on the
// promise that no ArrayBuffer in the isolate was ever detached, and the first detach (a result
// sent to the leader with its buffers moved) throws away every function compiled so: a fresh
// process compiled its hash join and grouping code twice, the second time in its second query.
// The slice detaches a buffer as it starts (slice-worker.ts), before anything is optimized.
// A fresh process runs a join into a GROUP BY under V8's traces of optimizations and of
// dependency deoptimizations: the join's functions are optimized in it, and none of them is
// thrown away once the first result has gone. The answer is checked against the rows' formula.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '../../../engine/database.ts';
import { compile, type Compiled } from '../../support/compile.ts';

/** The slice's hash join and grouping functions, as V8's traces name them. */
const JOIN_CODE = new Set(['BuildTable', 'probe', 'firstMatches', 'KeyBatch', 'findOrAdd', 'insert']);
const ROWS = 400_000, KEYS = 50_000;

let root: string;
let compiled: Compiled;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'strata-first-detach-'));
  compiled = await compile({ 'first-detach-child': fileURLToPath(new URL('./first-detach-child.ts', import.meta.url)) });
  const db = await Database.open({ dataDir: join(root, 'data'), slices: 1 });
  const s = db.connect();
  const digits = (n: number) => Array.from({ length: n }, (_, i) => `d${i}.n * ${10 ** i}`).join(' + ');
  const from = (n: number) => Array.from({ length: n }, (_, i) => `d d${i}`).join(', ');
  for (const q of [
    'CREATE TABLE d (n INTEGER)',
    'INSERT INTO d VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)',
    'CREATE TABLE f (k INTEGER, v INTEGER)',
    `INSERT INTO f SELECT x % ${KEYS}, x % 100 FROM (SELECT ${digits(6)} AS x FROM ${from(6)}) t WHERE x < ${ROWS}`,
    'CREATE TABLE dim (k INTEGER, label VARCHAR(8))',
    `INSERT INTO dim SELECT x, 'l' || CAST(x % 7 AS VARCHAR(4)) FROM (SELECT ${digits(5)} AS x FROM ${from(5)}) t WHERE x < ${KEYS}`,
  ]) await s.execute(q);
  await s.close();
  await db.close();
});

afterAll(async () => {
  compiled?.remove();
  await rm(root, { recursive: true, force: true });
});

/**
 * Runs the child over the loaded directory under V8's optimization and deoptimization traces: its
 * stdout (the traces and its markers, in order) and stderr (the answer). Both go to files: a pipe
 * the traces fill makes the child's own writes fail (EAGAIN).
 */
async function runTraced(): Promise<{ out: string; err: string }> {
  // optimizing early and on the slice's own thread, the join code is optimized well within the first query
  const v8 = ['--trace-opt', '--trace-deopt-verbose', '--no-concurrent-recompilation', '--interrupt-budget=8192'];
  const outFile = join(root, 'stdout'), errFile = join(root, 'stderr');
  const [out, err] = [openSync(outFile, 'w'), openSync(errFile, 'w')];
  try {
    const child = spawn(process.execPath, [...v8, join(compiled.dir, 'first-detach-child.js'), join(root, 'data')], { stdio: ['ignore', out, err] });
    const code = await new Promise((resolve) => child.on('close', resolve));
    if (code !== 0) throw new Error(`child exited with ${code}: ${readFileSync(errFile, 'utf8')}`);
  } finally {
    closeSync(out);
    closeSync(err);
  }
  return { out: readFileSync(outFile, 'utf8'), err: readFileSync(errFile, 'utf8') };
}

/** The function a trace line names (`<JSFunction name (sfi` or `<SharedFunctionInfo name>`), if any. */
function named(line: string): string | undefined {
  return /<JSFunction (\w+) \(sfi|<SharedFunctionInfo (\w+)>/.exec(line)?.slice(1).find((x) => x);
}

describe('a slice\'s first result', () => {
  it('leaves the join code the first query optimized as it was', async () => {
    const { out, err } = await runTraced();
    const lines = out.split('\n');
    const firstQuery = lines.indexOf('@@QUERY 0');
    expect(firstQuery).toBeGreaterThanOrEqual(0);
    const optimized = new Set(lines.filter((l) => l.startsWith('[completed compiling')).map(named));
    const thrownAway = lines.slice(firstQuery).filter((l) => l.includes('marking dependent code')).map(named).filter((n) => n && JOIN_CODE.has(n));
    // the join's code was optimized (else nothing could be thrown away), and none of it was discarded
    expect([...JOIN_CODE].filter((n) => optimized.has(n)).length).toBeGreaterThan(0);
    expect(thrownAway).toEqual([]);

    const answer = JSON.parse(err) as [string, number | string][];
    const want = new Map<string, number>();
    for (let x = 0; x < ROWS; x++) {
      const label = `l${(x % KEYS) % 7}`;
      want.set(label, (want.get(label) ?? 0) + (x % 100));
    }
    expect(answer.map(([label, total]) => [label, Number(total)])).toEqual([...want].sort(([a], [b]) => a.localeCompare(b)));
  });
});
