// A join the slices spill to their grace join (spill/slice-grace-join.ts), read by a client as a
// streamed result (the root is the Gather): once the slices' input is done, each pair of
// partition files is joined and its rows go to the slice's output a probe block at a time,
// past the slice's share to its result file, so at a 4 MB query_memory_limit the join answers
// as DuckDB does (on main it failed with OUT_OF_MEMORY: a reservation per output piece, rounded
// up to a KB, and a dictionary per spill block stayed counted after the rows went to the file).
// Build sides broadcast between the slices and redistributed by key; inner, left and anti
// joins; the temp area is empty after each, after a cancel while the slices write their result
// files, and after a stream closed early.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Session } from '../../../engine/database.ts';
import type { DuckDBSession } from '../../support/verify-with-duckdb.ts';
import { openTwinEngines, type TwinEngines } from '../../support/twin-engines.ts';
import { TABLE_A_SETUP } from '../../support/table-a.ts';
import { canceledOnTempFile, watchTempFiles } from '../../support/temp-files.ts';

let twins: TwinEngines | undefined;
let s: Session;
let duck: DuckDBSession;


// 225,000 build rows: every slice's table of them is far over its share of 4 MB
// (the key computed in the build side: DuckDB's NOT EXISTS over x.k = y.k + 1 runs for minutes)
const BUILD = '(SELECT k + 1 AS k1 FROM a WHERE k % 4 <> 0)';
const JOINS = {
  INNER: `SELECT x.k AS xk, x.s AS xs, y.k1 AS yk FROM a x JOIN ${BUILD} y ON x.k = y.k1`,
  LEFT: `SELECT x.k AS xk, x.s AS xs, y.k1 AS yk FROM a x LEFT JOIN ${BUILD} y ON x.k = y.k1`,
  ANTI: `SELECT x.k AS xk, x.s AS xs FROM a x WHERE NOT EXISTS (SELECT 1 FROM ${BUILD} y WHERE x.k = y.k1)`,
};

/** Rows, keys, joined keys and a checksum of every row's string with its key, of a streamed result read 40,000 rows at a time. */
async function streamedSummary(sql: string): Promise<string[]> {
  const [r] = await s.execute(sql, { stream: true });
  let rows = 0, sumX = 0, joined = 0, sumY = 0, check = 0;
  while (r.stream!.remaining > 0) {
    for (const [xk, xs, yk] of r.stream!.next(40_000)) {
      rows++;
      sumX += Number(xk);
      if (yk !== null && yk !== undefined) { joined++; sumY += Number(yk); }
      check += String(xs).length * (Number(xk) % 7);
    }
  }
  return [rows, sumX, joined, sumY, check].map(String);
}

async function duckSummary(sql: string): Promise<string[]> {
  const yk = sql.includes(' AS yk') ? 'yk' : 'NULL::INTEGER';
  const [d] = await duck.execute(`SELECT count(*), sum(xk), count(${yk}), coalesce(sum(${yk}), 0), sum(length(xs) * (xk % 7)) FROM (${sql}) z`);
  return d.rows[0].map(String);
}

/** Runs `work` and waits for a spill file of each of `kinds` (a name past its number) among those its statements made. */
async function makingFiles<T>(kinds: string[], work: () => Promise<T>): Promise<T> {
  const watch = watchTempFiles(twins!.tempArea);
  try {
    const result = await work();
    for (const kind of kinds) await watch.saw((f) => f.kind === kind, kind);
    return result;
  } finally {
    watch.stop();
  }
}

beforeAll(async () => {
  twins = await openTwinEngines('grace-join-stream', TABLE_A_SETUP);
  ({ s, duck } = twins);
  await s.execute("SET query_memory_limit = '4MB'");
}, 60_000);

afterAll(async () => {
  await twins?.close();
});

it.each([
  ['broadcast', /build: broadcast\)/],
  ['redistribute', /build: both sides redistributed by key/],
])('inner, left and anti joins spilled in the slices with the build side %s stream to the client at 4 MB as DuckDB answers', async (distribution, build) => {
  await s.execute(`SET join_distribution = '${distribution}'`);
  try {
    for (const [kind, sql] of Object.entries(JOINS)) {
      const plan = (await s.execute(`EXPLAIN ${sql}`))[0].rows.map((r) => String(r[0])).join('\n');
      expect(plan, sql).toMatch(/^Gather \(every slice -> leader\)/);
      expect(plan, sql).toMatch(new RegExp(`Hash ${kind} Join \\(probe: left input, ${build.source}[^\\n]*\\[2 slices`));
      // the join spills in the slices, and their rows past the share go to result files
      const result = await makingFiles(['slice-hash-join-build-partition', 'slice-hash-join-probe-partition', 'result-rows'], () => streamedSummary(sql));
      expect(result, `${distribution} ${kind}`).toEqual(await duckSummary(sql));
      expect(twins!.leftover()).toEqual([]);
    }
  } finally {
    await s.execute('RESET join_distribution');
  }
}, 60_000);

it('a semi join built on its preserved side (both sides redistributed) keeps its rows past a slice\'s share in a file and streams at 4 MB as DuckDB answers', async () => {
  // the preserved side: 225,000 rows with their strings, marked by the rows of a that match
  // (on main the slices computed them whole and failed with OUT_OF_MEMORY)
  const marked = { SEMI: 'SELECT y.xk, y.xs FROM (SELECT k + 1 AS xk, s AS xs FROM a WHERE k % 4 <> 0) y WHERE EXISTS (SELECT 1 FROM a x WHERE x.k = y.xk)' };
  await s.execute("SET join_distribution = 'redistribute'");
  try {
    for (const [kind, sql] of Object.entries(marked)) {
      const plan = (await s.execute(`EXPLAIN ${sql}`))[0].rows.map((r) => String(r[0])).join('\n');
      expect(plan, sql).toMatch(new RegExp(`Hash ${kind} Join \\(build: left input, both sides redistributed by key[^\\n]*the right input's rows mark the left rows they match`));
      const result = await makingFiles(['slice-hash-join-build-partition', 'rows-a-semi-join-keeps'], () => streamedSummary(sql));
      expect(result, kind).toEqual(await duckSummary(sql));
      expect(twins!.leftover()).toEqual([]);
    }
  } finally {
    await s.execute('RESET join_distribution');
  }
}, 60_000);

it('a cancel while the slices write their result files, or a stream closed early, leaves the temp area empty', async () => {
  await s.execute("SET join_distribution = 'broadcast'");
  try {
    await canceledOnTempFile(s, JOINS.LEFT, twins!.tempArea, (f) => f.kind === 'result-rows', true);
    const [r] = await s.execute(JOINS.INNER, { stream: true });
    expect(r.stream!.next(10)).toHaveLength(10);
    expect(twins!.leftover().filter((f) => f.startsWith('result-')).length).toBeGreaterThan(1); // the result's files, for the client
    r.stream!.close();
    expect(twins!.leftover()).toEqual([]);
  } finally {
    await s.execute('RESET join_distribution');
  }
}, 30_000);
