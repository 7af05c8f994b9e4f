// A CSV record without quotes is parsed in one pass over its bytes (exec/csv-columns.ts
// parseSimpleRow); a record with a quoted field is split first and parsed field by field. The
// same values written both ways must load the same, and a bad value must fail with the same
// message naming the same line and column: the one-pass parser hands anything it is unsure of
// (signs, blanks, exact BIGINTs past 2^53, out-of-range values, odd dates) to the other path.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database, type Session } from '../../../engine/database.ts';

const COLUMNS = 'i INTEGER, b BIGINT, s SMALLINT, d DECIMAL(10,2), w DECIMAL(20,2), dt DATE, c CHAR(3), v VARCHAR(10)';
/** Tricky but valid text for each column (i, b, s, d, w, dt, c); v is the row number. */
const VALUES: string[][] = [
  ['', '0', '-0', '+7', '-2147483648', '2147483647', ' 12', '12 ', '007'],
  ['', '123', '9007199254740993', '-9007199254740993', '+42', '9223372036854775807'],
  ['', '-32768', '32767', '5'],
  ['', '1.', '.5', '-.5', '+3.25', '12345678.99', ' 1.5', '7'],
  ['', '123456789012345678.25', '-0.01', '3'],
  ['', '2000-02-29', '2024-02-29', '2000-03-01', '2024-12-31', '1999-12-31', '0001-01-01', '9999-12-31', '1900-03-01', '2001-1-5'],
  ['', 'ab ', '   ', 'é', 'xyz', 'a'],
];
/** Values that must fail, by column, with the message's expected text. */
const BAD: [number, string, string][] = [
  [0, '2147483648', 'column "i"'],
  [0, '12a', 'column "i"'],
  [2, '32768', 'column "s"'],
  [3, '123456789.00', 'column "d"'],
  [5, '1900-02-29', 'column "dt"'],
  [5, '2001-13-01', 'column "dt"'],
  [6, 'abcd', 'column "c"'],
];

const ROWS = 400;
let dir: string;
let db: Database;
let s: Session;

/** The file's lines; `quoted` quotes the last field, which sends every record down the field-by-field path. */
function lines(quoted: boolean, bad?: { row: number; column: number; text: string }): string[] {
  return Array.from({ length: ROWS }, (_, r) => {
    const fields = VALUES.map((vs, c) => (bad && bad.row === r && bad.column === c ? bad.text : vs[(r * 7 + c * 3) % vs.length]));
    return `${fields.join(',')},${quoted ? `"v${r}"` : `v${r}`}\n`;
  });
}

async function load(name: string, text: string): Promise<{ rows?: unknown[][]; error?: string }> {
  const path = join(dir, `${name}.csv`);
  writeFileSync(path, text);
  await s.execute(`CREATE TABLE ${name} (${COLUMNS})`);
  try {
    await s.execute(`COPY ${name} FROM '${path}' FORMAT CSV`);
  } catch (e) {
    return { error: (e as Error).message.replace(`${name}.csv`, 'FILE') };
  }
  const r = await s.execute(`SELECT * FROM ${name} ORDER BY v`);
  return { rows: r[r.length - 1].rows as unknown[][] };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'strata-csv-one-pass-'));
  db = await Database.open({ dataDir: join(dir, 'data'), slices: 1 });
  s = db.connect();
}, 60_000);

afterAll(async () => {
  await s?.close();
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('one-pass records load as field-by-field records do', () => {
  it('every value, NULL and CHAR padding alike', async () => {
    const one = await load('one', lines(false).join(''));
    const split = await load('split', lines(true).join(''));
    expect(one.error).toBeUndefined();
    expect(split.error).toBeUndefined();
    expect(one.rows!.length).toBe(ROWS);
    expect(one.rows).toEqual(split.rows);
    // the path under test did take some rows and leave others: exact BIGINTs past 2^53 are there
    expect(one.rows!.some((r) => String(r[1]) === '9007199254740993')).toBe(true);
    // and both give the calendar's dates (the one-pass and field-by-field paths share the day table)
    const dates = await s.execute('SELECT DISTINCT dt FROM one WHERE dt IS NOT NULL ORDER BY dt');
    const expected = VALUES[5].filter((d) => d !== '').map((d) => d.replace('2001-1-5', '2001-01-05')).sort();
    expect((dates[0].rows as unknown[][]).map((r) => String(r[0]))).toEqual(expected);
  });

  BAD.forEach(([column, text, named], k) => {
    it(`${text} in ${named}: the same error, line and column, and nothing loaded`, async () => {
      const bad = { row: 150 + k, column, text };
      const one = await load(`bad_one_${k}`, lines(false, bad).join(''));
      const split = await load(`bad_split_${k}`, lines(true, bad).join(''));
      expect(one.error).toContain(`FILE:${bad.row + 1}: ${named}`);
      expect(one.error).toBe(split.error);
      expect((await s.execute(`SELECT count(*) FROM bad_one_${k}`))[0].rows).toEqual([[0]]);
    });
  });

  it('too many and too few fields fail as they did', async () => {
    for (const [name, edit] of [['more', (l: string) => l.replace('\n', ',x\n')], ['fewer', (l: string) => l.replace(/,[^,]*\n$/, '\n')]] as const) {
      const one = lines(false), split = lines(true);
      one[77] = edit(one[77]);
      split[77] = edit(split[77]);
      const a = await load(`${name}_one`, one.join('')), b = await load(`${name}_split`, split.join(''));
      expect(a.error).toContain('FILE:78:');
      expect(a.error).toMatch(/expected 8 fields but found (9|7)/);
      expect(a.error).toBe(b.error);
    }
  });
});
