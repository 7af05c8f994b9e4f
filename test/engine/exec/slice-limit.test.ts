// A LIMIT the slices compute (no ORDER BY): they count the rows they keep together, in shared
// memory, and each stops once the count reaches LIMIT + OFFSET, not only once it has that many
// itself. The table puts 10 matching rows first in one slice and ~500,000 rows that never match
// in the other (a costly filter, so that slice would scan for a while): the leader's rows are
// there after the first slice's first segment, and the other slice stops within a batch or two
// of that instead of scanning its whole share, as EXPLAIN ANALYZE's rows scanned shows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { openTwinEngines, type TwinEngines } from '../../support/twin-engines.ts';

let twins: TwinEngines;
const ROWS = 1_000_000;
/** each slice's share of the rows that never match */
const SHARE = ROWS / 2;

beforeAll(async () => {
  twins = await openTwinEngines('slice-limit', [
    'CREATE TABLE d (n INTEGER)',
    'INSERT INTO d VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)',
    // one key: every hit is on one slice, in its first segment
    'CREATE TABLE lim (k INTEGER, s VARCHAR(10)) DISTKEY(k)',
    "INSERT INTO lim SELECT -1, 'hit' FROM d",
    "INSERT INTO lim SELECT d1.n * 100000 + d2.n * 10000 + d3.n * 1000 + d4.n * 100 + d5.n * 10 + d6.n, 'row' FROM d d1, d d2, d d3, d d4, d d5, d d6",
  ]);
}, 60_000);

afterAll(async () => {
  await twins?.close();
});

/** The rows and the rows scanned (EXPLAIN ANALYZE's last line) of a query. */
async function analyzed(sql: string): Promise<{ rows: string[][]; scanned: number }> {
  const rows = await twins.strataRows(sql);
  const plan = await twins.strataRows(`EXPLAIN ANALYZE ${sql}`);
  const last = plan.at(-1)![0];
  const m = /(\d+) rows scanned/.exec(last);
  if (!m) throw new Error(`no rows scanned in: ${last}`);
  return { rows, scanned: Number(m[1]) };
}

// not zone-mapped (k + 0) and costly (the regular expression) on every row
const HIT = "k + 0 < 0 OR regexp_instr(s, 'x+y') > 0";

describe('a LIMIT in the slices', () => {
  it('stops every slice once the slices together have LIMIT + OFFSET rows', async () => {
    expect(await twins.strataRows(`EXPLAIN SELECT k, s FROM lim WHERE ${HIT} LIMIT 5`)).toContainEqual([expect.stringMatching(/Limit 5 per slice/)]);
    const limited = await analyzed(`SELECT k, s FROM lim WHERE ${HIT} LIMIT 5`);
    expect(limited.rows).toEqual(Array.from({ length: 5 }, () => ['-1', 'hit']));
    expect(limited.scanned).toBeLessThan(SHARE / 2);
    const offset = await analyzed(`SELECT k, s FROM lim WHERE ${HIT} LIMIT 3 OFFSET 4`);
    expect(offset.rows).toEqual(Array.from({ length: 3 }, () => ['-1', 'hit']));
    expect(offset.scanned).toBeLessThan(SHARE / 2);
  });

  it('still gives every row the LIMIT asks for when no slice has them all', async () => {
    // 10 hits on one slice and k = 0..2 on either: 13 rows, 12 asked for
    const sql = 'SELECT k FROM lim WHERE k + 0 < 3 LIMIT 12';
    const rows = await twins.strataRows(sql);
    expect(rows).toHaveLength(12);
    const all = (await twins.duckRows('SELECT k FROM lim WHERE k + 0 < 3')).map(([k]) => k);
    for (const [k] of rows) expect(all).toContain(k);
    expect(rows.filter(([k]) => k !== '-1').length).toBeGreaterThanOrEqual(2);
    // and a LIMIT past every row gives them all
    expect((await twins.strataRows(`SELECT count(*) FROM (SELECT k FROM lim WHERE k % 3 = 0 LIMIT ${ROWS}) x`))).toEqual(await twins.duckRows(`SELECT count(*) FROM (SELECT k FROM lim WHERE k % 3 = 0) x`));
  });

  it('a client\'s streamed LIMIT past the memory limit gets its rows and leaves no file', async () => {
    const { s, dir } = twins;
    await s.execute("SET query_memory_limit = '2MB'");
    try {
      const [r] = await s.execute('SELECT k, s FROM lim WHERE k % 2 = 0 LIMIT 100000', { stream: true });
      let count = 0;
      while (r.stream!.remaining > 0) for (const [k] of r.stream!.next(50_000)) { expect(Number(k) % 2).toBe(0); count++; }
      expect(count).toBe(100_000);
    } finally {
      await s.execute('RESET query_memory_limit');
    }
    expect(readdirSync(join(dir, 'data', 'tmp'), { recursive: true })).toEqual([]);
  });
});
