// A slice reads its byte range of the CSV file in chunks into one buffer, moving the unparsed
// tail to the front before each read and growing the buffer for a record longer than it
// (exec/csv.ts). Parsed with reads of a few hundred bytes, so records, quoted fields, CRLF pairs
// and multi-byte characters all cross reads, the columns must equal those of a single read.
// Writing, a slice parses the next segment while the last one's file is written and fsynced: the
// segments must list every file written, in the order of their rows, also when a bad row stops it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCsvRange, type CsvRangeRequest } from '../../../engine/exec/csv.ts';
import { T } from '../../../engine/types/types.ts';
import { valueAt } from '../../../engine/types/vector.ts';
import { readSegment } from '../../../engine/storage/segment.ts';

let dir: string;
let path: string;
/** a byte inside row 1501, which has no quoted newline (a range starting inside one is re-parsed by the leader) */
let mid: number;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'strata-csv-reads-'));
  path = join(dir, 'rows.csv');
  const lines: string[] = [];
  for (let i = 0; i < 3000; i++) {
    const text = i % 500 === 7 ? `"${'long, quoted\r\n'.repeat(90)}é"` : i % 3 === 0 ? `"q ""${i}"" 東京"` : `plain ${i} ÆØÅ`;
    lines.push(`${i},${text},${(i * 7) % 1000}.25,2001-02-${String((i % 28) + 1).padStart(2, '0')}${i % 2 ? '\r\n' : '\n'}`);
  }
  writeFileSync(path, lines.join(''));
  mid = Buffer.byteLength(lines.slice(0, 1501).join('')) + 5;
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function request(start: number, end: number, readBytes?: number, file = path): CsvRangeRequest {
  return {
    path: file, start, end, exactStart: start === 0, delimiter: 44, quote: 34, nullAs: '',
    types: [T.int, T.varchar, T.decimal(8, 2), T.date], names: ['i', 's', 'd', 'dt'],
    encodings: [undefined, undefined, undefined, undefined], segmentRows: Number.MAX_SAFE_INTEGER, sortKey: [], mode: 'return', readBytes,
  };
}

async function rowsOf(start: number, end: number, readBytes?: number): Promise<{ first: number; last: number; rows: unknown[][] }> {
  const r = await parseCsvRange(request(start, end, readBytes), dir, 0);
  expect(r.error).toBeUndefined();
  const cols = r.columns!;
  return { first: r.first, last: r.last, rows: Array.from({ length: r.rows }, (_, i) => cols.map((c) => valueAt(c, i))) };
}

describe('CSV ranges read in small chunks', () => {
  it('give the columns one read gives, whole and split in two', async () => {
    const size = statSync(path).size;
    const whole = await rowsOf(0, size);
    expect(whole.rows.length).toBe(3000);
    expect(whole.rows[7][1]).toBe(`${'long, quoted\r\n'.repeat(90)}é`); // longer than a read: the buffer grows
    for (const readBytes of [257, 1000]) {
      expect((await rowsOf(0, size, readBytes)).rows).toEqual(whole.rows);
      const a = await rowsOf(0, mid, readBytes), b = await rowsOf(mid, size, readBytes);
      expect(a.last).toBe(b.first);
      expect([...a.rows, ...b.rows]).toEqual(whole.rows);
    }
  });

  it('write segments while parsing on: every file listed, in row order, also when a bad row stops the range', async () => {
    const whole = await rowsOf(0, statSync(path).size);
    const types = request(0, 0).types;
    for (const bad of [false, true]) {
      const dataDir = join(dir, bad ? 'bad-data' : 'data');
      mkdirSync(join(dataDir, 'segments'), { recursive: true });
      let file = path;
      if (bad) {
        file = join(dir, 'bad.csv');
        writeFileSync(file, readFileSync(path, 'utf8').replace('\n2222,', '\n2222x,'));
      }
      const r = await parseCsvRange({ ...request(0, statSync(file).size, 1000, file), mode: 'write', segmentRows: 400 }, dataDir, 0);
      expect(r.error?.message ?? null).toBe(bad ? 'invalid input syntax for type integer: "2222x"' : null);
      expect(r.segments.length).toBe(bad ? 5 : 8);
      expect(readdirSync(join(dataDir, 'segments')).sort()).toEqual(r.segments.map((s) => s.file).sort());
      const rows: unknown[][] = [];
      for (const s of r.segments) {
        const cols = await readSegment(join(dataDir, 'segments', s.file), types);
        for (let i = 0; i < cols[0].length; i++) rows.push(cols.map((c) => valueAt(c, i)));
      }
      expect(rows).toEqual(whole.rows.slice(0, bad ? 2000 : 3000));
    }
  });
});
