// EXPLAIN ANALYZE's times are each operator's own: a Filter, Project or LIMIT at the leader that
// hands its input's pieces on to its consumer inside its own loop is not charged what the consumer
// does with them, and no operator's time includes its inputs'. So the leader operators' times
// add up to no more than the statement's.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database, type Session } from '../../../engine/database.ts';
import { TABLE_A_SETUP } from '../../support/table-a.ts';

let dir: string;
let db: Database;
let s: Session;

const analyze = async (sql: string) => (await s.execute(`EXPLAIN ANALYZE ${sql}`))[0].rows.map((r) => String(r[0]));
/** The line of the operator whose text matches. */
const line = (lines: string[], re: RegExp) => { const l = lines.find((x) => re.test(x)); expect(l, `no line matches ${re}\n${lines.join('\n')}`).toBeTruthy(); return l!; };
/** An operator line's time (its own, summed over the slices for a slice operator). */
const msOf = (l: string) => Number(/actual rows \d+, ([\d.]+) ms/.exec(l)![1]);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'strata-analyze-times-'));
  db = await Database.open({ dataDir: join(dir, 'data'), slices: 2 });
  s = db.connect();
  for (const stmt of TABLE_A_SETUP) await s.execute(stmt);
}, 60_000);

afterAll(async () => {
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('charges a slow consumer\'s work to it, not to the Filter, Project and LIMIT handing it pieces, and says what the times mean', async () => {
  // the slices' rows come in pieces through a leader LIMIT, Filter, LIMIT and Project into an
  // aggregate doing far more per row (20,000 groups of an integer and a string, six aggregates)
  const sql = `SELECT k1 % 20000, s, count(*), sum(k1), min(s), max(s), min(k1 * 3), avg(k1)
    FROM (SELECT k + 1 AS k1, s FROM (SELECT k, s FROM a LIMIT 100000) l WHERE k % 3 = 0 LIMIT 30000) x GROUP BY 1, 2`;
  const lines = await analyze(sql);
  expect(lines[0]).toMatch(/^Times are each operator's own work, not its inputs' nor its consumer's/);
  // no time is counted twice: the leader's operators ran one after another within the statement,
  // so their own times add up to at most its time (each charged its consumer's, as before, they
  // added up to about four times the statement's); a sum, not a ratio of timings, so no machine's
  // speed or load decides it
  const leader = lines.filter((l) => /\[leader;/.test(l)).reduce((t, l) => t + msOf(l), 0);
  const total = Number(/^Execution: \d+ rows in ([\d.]+) ms/.exec(lines.at(-1)!)![1]);
  expect(leader).toBeLessThanOrEqual(total + 0.1 * lines.length);
  // a Project in the slices is computed by the step reading its columns: the scan's time is not counted again
  expect(line(lines, /Project: k, s\s+\[2 slices/)).toMatch(/actual rows \d+, 0\.00 ms; per slice: #0 \d+ rows 0\.00 ms, #1 \d+ rows 0\.00 ms/);
  expect(msOf(line(lines, /Scan public\.a/))).toBeGreaterThan(0);
});
