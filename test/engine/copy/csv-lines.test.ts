// COPY's CSV reader finds most records' newlines by a native byte search and splits them at
// delimiters only (exec/csv.ts); lines holding a quote or a CR other than the one before their
// newline take the byte-by-byte path. Rows built here (so the expected values are known) mix
// both kinds line by line: CRLF and LF endings, lone-CR record ends, quoted fields with
// delimiters, quotes, LF and CRLF inside, a quote inside an unquoted field, blank lines, a last
// line without a newline, and ranges split over two slices.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database, type Session } from '../../../engine/database.ts';

let dir: string;
let db: Database;
let s: Session;

const ROWS = 3000;

/** Row i's name as the file writes it and as it should load (null: NULL). */
function nameOf(i: number): { text: string; value: string | null } {
  switch (i % 14) {
    case 0: return { text: `n${i}`, value: `n${i}` };
    case 1: return { text: `"a,${i}"`, value: `a,${i}` };
    case 2: return { text: `"x\ny${i}"`, value: `x\ny${i}` };
    case 3: return { text: `"p\r\nq${i}"`, value: `p\r\nq${i}` };
    case 4: return { text: `"say ""${i}"""`, value: `say "${i}"` };
    case 5: return { text: '', value: null };
    case 6: return { text: `o"k${i}`, value: `o"k${i}` };
    default: return { text: `m${i}`, value: `m${i}` };
  }
}

/** LF, CRLF, and now and then a lone CR (between two lines without quotes), which also ends a record. */
const endOf = (i: number): string => (i % 14 === 8 && i % 3 === 1 ? '\r' : i % 3 === 0 ? '\r\n' : '\n');

function csv(): string {
  let out = '';
  for (let i = 0; i < ROWS; i++) {
    if (i % 50 === 49) out += '\n'; // a blank line is skipped
    out += `${i},${(i * 37) % 1000}.${String(i % 100).padStart(2, '0')},${nameOf(i).text}`; // a string last: a CR before the newline is not part of it
    if (i < ROWS - 1) out += endOf(i); // the last line has no newline
  }
  return out;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'strata-csv-lines-'));
  writeFileSync(join(dir, 'rows.csv'), csv());
  db = await Database.open({ dataDir: join(dir, 'data'), slices: 2 });
  s = db.connect();
  await s.execute('CREATE TABLE t (id INTEGER, amt DECIMAL(8,2), name VARCHAR(20))');
  await s.execute(`COPY t FROM '${join(dir, 'rows.csv')}' FORMAT CSV`);
}, 60_000);

afterAll(async () => {
  await s?.close();
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('COPY CSV records with and without quotes, line by line', () => {
  it('loads every row with the values written', async () => {
    const r = await s.execute('SELECT id, name, amt FROM t ORDER BY id');
    const rows = (Array.isArray(r) ? r[r.length - 1] : r).rows as unknown[][];
    const expected = Array.from({ length: ROWS }, (_, i) => [i, nameOf(i).value, `${(i * 37) % 1000}.${String(i % 100).padStart(2, '0')}`]);
    expect(rows.length).toBe(ROWS);
    for (let i = 0; i < ROWS; i++) expect(rows[i].map((v) => (typeof v === 'object' && v !== null ? String(v) : v)), `row ${i}`).toEqual(expected[i]);
  });
});
