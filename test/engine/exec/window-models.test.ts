// A window reading a model call (`sum(f(x)) OVER (...)`, `PARTITION BY f(x) % 10`) has the model
// computed by a projection below it (plan/window-models.ts), a batch at a time in the slices, so
// the window reads values and takes its usual paths under a small query_memory_limit: in the
// slices by its shared PARTITION BY, at the leader through the external sort. Computed inside the
// window, the model needed every row and its work at once. f is an ONNX model of 2x + 1, so
// DuckDB answers the same query with that expression; the temp area is empty after an error and
// a cancel too.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openTwinEngines, type TwinEngines } from '../../support/twin-engines.ts';
import { canceledOnTempFile, makesTempFile } from '../../support/temp-files.ts';
import { TABLE_A_SETUP } from '../../support/table-a.ts';
import { withLinearModel } from '../../support/linear-model.ts';

let t: TwinEngines;
/** the model's file, outside the data directory (CREATE MODEL may not read inside it) */
const files = mkdtempSync(join(tmpdir(), 'strata-window-models-'));

/** Strata answers `sql` as DuckDB does with f(x) written as the model computes it. */
const same = (sql: string) => t.same(sql, { duckSql: sql.replaceAll('f(x)', 'CAST(2 * x + 1 AS REAL)') });

// w: 60,000 rows, k unique, g 7 partitions, x 0..9,999
const W_SETUP = [
  ...TABLE_A_SETUP,
  'CREATE TABLE w (k INTEGER, g INTEGER, x REAL)',
  'INSERT INTO w SELECT k, k % 7, CAST(k * 7 % 10000 AS REAL) FROM a WHERE k < 60000',
];

/** Sums of each window value weighted by its row, so a value at the wrong row shows. */
const weighted = (cols: string[], windows: string) =>
  `SELECT count(*), ${cols.map((c) => `sum(CAST(${c} AS DOUBLE) * (k % 1009 + 1))`).join(', ')} FROM (SELECT k, ${windows} FROM w) q`;
// a model in an aggregate's input and in the ORDER BY, over a shared PARTITION BY: in the slices
const IN_SLICES = weighted(['r', 'rk'], `sum(f(x)) OVER (PARTITION BY g ORDER BY k ROWS UNBOUNDED PRECEDING) AS r,
  rank() OVER (PARTITION BY g ORDER BY f(x) DESC NULLS LAST, k) AS rk`);
// a model in the PARTITION BY, and one without a PARTITION BY: at the leader, through the external sort
const AT_LEADER = weighted(['m', 'lg'], `max(f(x)) OVER (PARTITION BY CAST(f(x) AS INTEGER) % 10 ORDER BY k ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS m,
  lag(f(x), 3) OVER (ORDER BY k) AS lg`);

beforeAll(async () => {
  t = await openTwinEngines('window-models', W_SETUP);
  await withLinearModel(t, files);
}, 60_000);

afterAll(async () => {
  await t?.close();
  rmSync(files, { recursive: true, force: true });
});

it('a window reading a model answers as DuckDB does at 4 MB, in the slices and through the sorted path, leaving no file behind', async () => {
  expect(await t.explain(IN_SLICES)).toMatch(/Window per slice/);
  await t.s.execute("SET query_memory_limit = '4MB'");
  try {
    // the budget fails a statement past the limit: answering is staying within it; the slices
    // spill their windows' partitions, the leader's window sorts through runs on disk
    await makesTempFile(t.tempArea, (f) => f.inSlice && f.kind === 'window-partition', () => same(IN_SLICES), IN_SLICES);
    await makesTempFile(t.tempArea, (f) => !f.inSlice && f.kind === 'window-sort-run', () => same(AT_LEADER), AT_LEADER);
    expect(t.leftover()).toEqual([]);
    const failing = 'SELECT max(r) FROM (SELECT sum(1 / (CAST(f(x) AS INTEGER) - 19999)) OVER (ORDER BY k ROWS UNBOUNDED PRECEDING) AS r FROM w) q';
    await expect(t.s.execute(failing)).rejects.toMatchObject({ code: 'DIVISION_BY_ZERO' });
    expect(t.leftover()).toEqual([]);
    await canceledOnTempFile(t.s, AT_LEADER, t.tempArea);
  } finally {
    await t.s.execute('RESET query_memory_limit');
  }
});
