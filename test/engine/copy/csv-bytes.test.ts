// COPY keeps string columns as the file's UTF-8 bytes from the parser to the segment
// (exec/utf8-dictionary.ts), interning repeated values by their bytes and appending rare ones
// as they come, and sketches and zone-maps them without JS strings while they are ASCII. These
// files mix what that path must get right, each checked against DuckDB reading the same file:
// multi-byte text (2-, 3- and 4-byte UTF-8), quotes, escaped quotes, delimiters and newlines
// inside quoted fields, CRLF or LF line ends, NULL (unquoted empty or NULL AS) against the quoted empty
// string, CHAR padding, a mostly distinct column (interned here; utf8-sketches.test.ts covers
// blocks past where interning stops), and byte
// ranges that split inside a quoted field. Malformed rows must fail naming line and column and
// load nothing; bytes that are not UTF-8 load as U+FFFD, as they did when rows were decoded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rng } from '../../support/rng.ts';
import { openTwinEngines, type TwinEngines } from '../../support/twin-engines.ts';

/** Makes rows long, so a file over 1 MiB (split between two slices) needs fewer of them. */
const PADDING = ' and then some more words to make the note longer'.repeat(2);
const WORDS = ['plain', 'é', 'naïve café', '東京', 'smile 😀', 'Zürich', 'a,b', 'say "hi"', 'x\ny', 'p\r\nq', ' padded ', 'ÆØÅ'];
const FLAGS = ['A', 'B', 'é', 'ZZ'];

let dir: string;
let twins: TwinEngines;

/** One CSV field as written: quoted when it must be (or now and then when it need not). */
function field(v: string | null, quoteAnyway: boolean): string {
  if (v === null) return '';
  if (v === '' || /[",\r\n]/.test(v) || quoteAnyway) return `"${v.replace(/"/g, '""')}"`;
  return v;
}

/**
 * Rows of (id, word, note, flag, amt, day); `note` is mostly distinct. One line ending per file:
 * DuckDB's strict mode refuses a file that mixes them.
 */
function rows(n: number, seed: number, end = '\n', padding = ''): string[] {
  const r = rng(seed);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const k = Math.floor(r() * 20);
    const word = k === 0 ? null : k === 1 ? '' : WORDS[k % WORDS.length];
    const note = k === 2 ? null : `${WORDS[Math.floor(r() * WORDS.length)]} ${i} ${Math.floor(r() * 1e6).toString(36)}${padding}`;
    const flag = k === 3 ? null : FLAGS[i % FLAGS.length];
    const amt = (Math.floor(r() * 2e6) - 1e6) / 100;
    const day = new Date(Date.UTC(1990, 0, 1) + Math.floor(r() * 12000) * 86_400_000).toISOString().slice(0, 10);
    out.push(`${i},${field(word, r() < 0.1)},${field(note, r() < 0.1)},${field(flag, false)},${amt.toFixed(2)},${day}${end}`);
  }
  return out;
}

/**
 * A file over 1 MiB (so two slices each parse half) whose middle byte falls inside one long quoted
 * field. `inside` is what its lines hold: lines that parse as rows (the second slice's guess at
 * a record start then yields rows, and the ranges fail to meet) or lines that do not (its
 * guess then fails with a parse error that is not the file's).
 */
function splitInsideQuote(inside: 'rows' | 'garbage'): string {
  const lines = rows(10_000, 7, '\n', PADDING);
  // rows: the field's last line and what follows its closing quote also make six fields
  const text = inside === 'rows' ? `${'9,w,n,A,1.00,2001-01-01\n'.repeat(400)}9,w,n` : Array.from({ length: 400 }, () => 'not,a row').join('\n');
  const big = `${lines.length},"word","${text}",A,1.00,2001-01-01\n`;
  const size = lines.reduce((s, l) => s + Buffer.byteLength(l), 0) + Buffer.byteLength(big);
  const middle = Math.ceil(size / 2);
  // put the long field where it spans the middle byte
  let at = 0, k = 0;
  while (at + Buffer.byteLength(lines[k]) + Buffer.byteLength(big) / 2 < middle) at += Buffer.byteLength(lines[k++]);
  return [...lines.slice(0, k), big, ...lines.slice(k)].join('');
}

const TABLE = '(id INTEGER, word VARCHAR(64), note VARCHAR(16000), flag CHAR(2), amt DECIMAL(10,2), day DATE)';
const FILES: Record<string, string> = {
  'rows.csv': rows(12_000, 1, '\r\n', PADDING).join(''),
  'split-rows.csv': splitInsideQuote('rows'),
  'split-garbage.csv': splitInsideQuote('garbage'),
  'null-as.csv': rows(500, 3).join('').replace(/,,/g, ',NA,'),
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'strata-csv-bytes-'));
  for (const [name, text] of Object.entries(FILES)) writeFileSync(join(dir, name), text);
  const setup = Object.keys(FILES).flatMap((name, i) => [
    `CREATE TABLE t${i} ${TABLE}`,
    `COPY t${i} FROM '${join(dir, name)}' FORMAT CSV${name === 'null-as.csv' ? " NULL AS 'NA'" : ''}`,
  ]);
  twins = await openTwinEngines('csv-bytes', setup);
}, 120_000);

afterAll(async () => {
  await twins?.close();
  rmSync(dir, { recursive: true, force: true });
});

const norm = (rs: unknown[][]): unknown[][] => rs.map((r) => r.map((v) => (typeof v === 'object' && v !== null ? String(v) : v)));

async function both(sql: string): Promise<{ strata: unknown[][]; duck: unknown[][] }> {
  const a = await twins.s.execute(sql);
  const b = await twins.duck.execute(sql);
  return { strata: norm(a[a.length - 1].rows as unknown[][]), duck: norm(b[b.length - 1].rows as unknown[][]) };
}

describe('COPY CSV strings from bytes, against DuckDB reading the same file', () => {
  Object.keys(FILES).forEach((name, i) => {
    it(`${name}: every row and value`, async () => {
      const { strata, duck } = await both(`SELECT id, word, note, flag, amt, day FROM t${i} ORDER BY id`);
      expect(strata.length).toBeGreaterThan(400);
      expect(strata.length).toBe(duck.length);
      for (let r = 0; r < duck.length; r++) expect(strata[r], `row ${r}`).toEqual(duck[r]);
    });
  });

  it('string bounds, distinct counts and lengths over the loaded columns (zone maps and sketches of bytes)', async () => {
    for (const sql of [
      "SELECT count(*) FROM t0 WHERE note > 'smile' AND note < 'x'",
      "SELECT count(*) FROM t0 WHERE word = '東京' OR word = 'naïve café'",
      "SELECT count(*) FROM t0 WHERE note >= 'Zürich 3' AND note < 'Zürich 4'",
      'SELECT min(note), max(note), min(word), max(word), count(DISTINCT word), count(DISTINCT note) FROM t0',
      'SELECT sum(length(note)), count(word), count(*) - count(note) FROM t0',
      "SELECT count(*) FROM t0 WHERE word = ''",
    ]) {
      const { strata, duck } = await both(sql);
      expect(strata, sql).toEqual(duck);
    }
  });
});

/** The 1-based line (counting newlines inside quoted fields) where row `k` starts. */
const lineOf = (lines: string[], k: number): number => 1 + lines.slice(0, k).join('').split('\n').length - 1;

describe('COPY CSV errors and odd bytes', () => {
  it('a bad value in the second half fails naming its line and column, and loads nothing', async () => {
    const lines = rows(12_000, 5, '\n', PADDING);
    lines[9_000] = lines[9_000].replace(/,\d{4}-\d\d-\d\d(\r?\n)$/, ',2001-02-30$1');
    writeFileSync(join(dir, 'bad.csv'), lines.join(''));
    const line = lineOf(lines, 9_000);
    expect(line).toBeGreaterThan(9_001); // quoted newlines before it count
    await twins.s.execute(`CREATE TABLE bad ${TABLE}`);
    const err = await twins.s.execute(`COPY bad FROM '${join(dir, 'bad.csv')}' FORMAT CSV`).then(() => null, (e: Error) => e);
    expect(err?.message).toContain(`bad.csv:${line}: column "day"`);
    expect((await twins.s.execute('SELECT count(*) FROM bad'))[0].rows).toEqual([[0]]);
  });

  it('a row with too few fields fails naming its line', async () => {
    const lines = rows(12_000, 6, '\n', PADDING);
    lines[10_000] = 'é,東京\n';
    writeFileSync(join(dir, 'short.csv'), lines.join(''));
    const line = lineOf(lines, 10_000);
    const err = await twins.s.execute(`COPY bad FROM '${join(dir, 'short.csv')}' FORMAT CSV`).then(() => null, (e: Error) => e);
    expect(err?.message).toMatch(new RegExp(`short\\.csv:${line}: .*expected 6 fields but found 2`));
    expect((await twins.s.execute('SELECT count(*) FROM bad'))[0].rows).toEqual([[0]]);
  });

  it('bytes that are not UTF-8 load as U+FFFD, in rare and in repeated values', async () => {
    const bad = Buffer.from([0x61, 0xff, 0x62]); // 'a', a byte no UTF-8 text holds, 'b'
    const parts: Buffer[] = [];
    for (let i = 0; i < 20_000; i++) parts.push(Buffer.from(`${i},`), i % 7 === 0 ? bad : Buffer.from('ok'), Buffer.from(`,n${i}`), i === 12_345 ? bad : Buffer.from(''), Buffer.from(',A,1.00,2001-01-01\n'));
    writeFileSync(join(dir, 'latin.csv'), Buffer.concat(parts));
    await twins.s.execute(`CREATE TABLE latin ${TABLE}`);
    await twins.s.execute(`COPY latin FROM '${join(dir, 'latin.csv')}' FORMAT CSV`);
    const r = await twins.s.execute("SELECT count(*), min(word), max(word) FROM latin WHERE word <> 'ok'");
    expect(r[0].rows).toEqual([[Math.ceil(20_000 / 7), 'a\uFFFDb', 'a\uFFFDb']]);
    const note = await twins.s.execute('SELECT note FROM latin WHERE id = 12345');
    expect(note[0].rows).toEqual([['n12345a\uFFFDb']]);
  });
});
