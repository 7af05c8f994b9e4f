// `npm run bench -- cli [--runs N]`: cold start of `strata sql "select 1"` against `node -e 0`,
// the median of N runs each (default 5), alternating so load from elsewhere hits both alike.
// Runs the compiled dist/ build (building it first when stale, as `npm install` would have)
// and, for comparison, the TypeScript sources through tsx (STRATA_NO_DIST=1).
// Target: strata's median at most 0.3 s above node's.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(root, 'bin/strata.js');

function parseRuns(args: string[]): number {
  const i = args.indexOf('--runs');
  const n = i >= 0 ? Number(args[i + 1]) : 5;
  if (!Number.isInteger(n) || n < 1) throw new Error('--runs must be a positive integer');
  return n;
}

/** Wall-clock milliseconds of one run of a command; throws if it fails. */
function timeRun(args: string[], env: NodeJS.ProcessEnv): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr.toString()}`);
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms: number) => `${(ms / 1000).toFixed(3)} s`;

export async function main(args: string[]): Promise<void> {
  const runs = parseRuns(args);
  const data = mkdtempSync(join(tmpdir(), 'strata-bench-cli-'));
  try {
    execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { stdio: 'inherit' });
    const env = { ...process.env, STRATA_DATA: data };
    const sql = [BIN, 'sql', 'select 1'];
    timeRun(sql, env); // creates the data directory, so every timed run opens an existing one
    const node: number[] = [], dist: number[] = [], tsx: number[] = [];
    for (let i = 0; i < runs; i++) {
      node.push(timeRun(['-e', '0'], env));
      dist.push(timeRun(sql, env));
      tsx.push(timeRun(sql, { ...env, STRATA_NO_DIST: '1' }));
    }
    const over = median(dist) - median(node);
    console.log(`cold start, median of ${runs} runs (load average ${loadavg()[0].toFixed(1)}):`);
    console.log(`  node -e 0                          ${fmt(median(node))}`);
    console.log(`  strata sql "select 1" (dist/)      ${fmt(median(dist))}  (+${fmt(over)} over node; target <= 0.300 s) ${over <= 300 ? 'OK' : 'MISSED'}`);
    console.log(`  strata sql "select 1" (tsx, no dist) ${fmt(median(tsx))}  (+${fmt(median(tsx) - median(node))} over node)`);
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
}
