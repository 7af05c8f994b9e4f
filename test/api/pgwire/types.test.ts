// Every Strata type over the wire: OIDs and modifiers in RowDescription, text and binary result
// encodings (bytes computed by hand from the PostgreSQL formats), and binary parameters.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import pgTypes from 'pg-types';
import { serialize } from 'pg-protocol';
import { RawClient, dataRowFields, startPg, sqlstate, type PgFixture } from './helpers.ts';

vi.setConfig({ testTimeout: 30_000 });

let f: PgFixture;
// cleartext from loopback, so the raw client below can log in without SCRAM
beforeAll(async () => { f = await startPg({ auth: 'password' }); }, 60_000);

/** Runs a statement through Parse/Bind/Execute with binary results; the DataRows' raw fields. */
async function binaryRows(sql: string, values: (Buffer | null)[] = [], types: number[] = []): Promise<(Buffer | null)[][]> {
  const c = await RawClient.login(f.server.port, f.token);
  try {
    c.send(Buffer.concat([serialize.parse({ text: sql, types }), serialize.bind({ values, binary: true }), serialize.describe({ type: 'P' }), serialize.execute(), serialize.sync()]));
    const msgs = await c.until('Z');
    const err = msgs.find((m) => m.type === 'E');
    if (err) throw new Error(err.body.toString());
    const desc = msgs.find((m) => m.type === 'T');
    if (!desc) { expect(msgs.map((m) => m.type)).toEqual(['1', '2', 'n', 'C', 'Z']); return []; }
    // every column's format code in the RowDescription is 1 (binary)
    const n = desc.body.readInt16BE(0);
    let p = 2;
    for (let i = 0; i < n; i++) { p = desc.body.indexOf(0, p) + 1 + 16; expect(desc.body.readInt16BE(p)).toBe(1); p += 2; }
    return msgs.filter((m) => m.type === 'D').map((m) => dataRowFields(m.body));
  } finally {
    c.close();
  }
}
afterAll(async () => { await f?.close(); });

const raw = { getTypeParser: () => (v: unknown) => v };
/** Parse-message parameter types for `pg` (which reads them from the query's `types`). */
const paramTypes = (oids: number[]) => Object.assign([...oids], raw);

const COLUMNS = 'a smallint, b int, c bigint, d decimal(12,3), e real, f double precision, g boolean, h char(4), i varchar(10), j date, k timestamp';
const OIDS = [21, 23, 20, 1700, 700, 701, 16, 1042, 1043, 1082, 1114];
const ROW = "(-32768, 2147483647, 9007199254740991, -1234.567, 0.1, 1e-7, true, 'abcd', 'héllo', '1999-12-31', '2000-01-01 00:00:00.000001')";

/** The same values in PostgreSQL's binary formats, written out by hand. */
const BINARY = [
  '8000', '7fffffff', '001fffffffffffff',
  // numeric: 2 digits, weight 0, negative, dscale 3: 1234 | 5670
  '0002' + '0000' + '4000' + '0003' + '04d2' + '1626',
  '3dcccccd', '3e7ad7f29abcaf48', '01',
  Buffer.from('abcd').toString('hex'), Buffer.from('héllo').toString('hex'),
  'ffffffff', // one day before 2000-01-01
  '0000000000000001', // one microsecond after 2000-01-01
];

describe('types', () => {
  it('describes each column with its OID and type modifier', async () => {
    const c = await f.connect();
    await c.query(`create table rt (${COLUMNS})`);
    await c.query(`insert into rt values ${ROW}, (null, null, null, null, null, null, null, null, null, null, null)`);
    const r = await c.query('select * from rt');
    expect(r.fields.map((x) => x.dataTypeID)).toEqual(OIDS);
    expect(r.fields.map((x) => x.dataTypeModifier)).toEqual([-1, -1, -1, (12 << 16 | 3) + 4, -1, -1, -1, 8, 14, -1, -1]);
    expect(r.fields.map((x) => x.dataTypeSize)).toEqual([2, 4, 8, -1, 4, 8, 1, -1, -1, 4, 8]);
  });

  it('sends text as PostgreSQL prints it', async () => {
    const c = await f.connect();
    const r = await c.query({ text: 'select * from rt order by a', rowMode: 'array', types: raw });
    expect(r.rows[0]).toEqual(['-32768', '2147483647', '9007199254740991', '-1234.567', '0.1', '1e-07', 't', 'abcd', 'héllo', '1999-12-31', '2000-01-01 00:00:00.000001']);
    expect(r.rows[1]).toEqual(new Array(11).fill(null));
  });

  it('sends binary in PostgreSQL\'s binary formats', async () => {
    const [row] = await binaryRows('select * from rt where a is not null');
    expect(row.map((b) => b!.toString('hex'))).toEqual(BINARY);
    // node-postgres' own binary parsers read the numbers back
    const [a, b, , , e, , g] = row as Buffer[];
    expect(pgTypes.getTypeParser(21, 'binary')(a as never)).toBe(-32768);
    expect(pgTypes.getTypeParser(23, 'binary')(b as never)).toBe(2147483647);
    expect(pgTypes.getTypeParser(700, 'binary')(e as never)).toBeCloseTo(0.1, 7);
    expect(pgTypes.getTypeParser(16, 'binary')(g as never)).toBe(true);
    expect(await binaryRows('select * from rt where a is null')).toEqual([new Array(11).fill(null)]);
  });

  it('sends int8 past 2^53 exactly, as text and in binary', async () => {
    const c = await f.connect();
    const sql = 'select 9223372036854775807, -9223372036854775807 - 1, 9007199254740993';
    const r = await c.query({ text: sql, rowMode: 'array', types: raw });
    expect(r.fields.map((x) => x.dataTypeID)).toEqual([20, 20, 20]);
    expect(r.rows[0]).toEqual(['9223372036854775807', '-9223372036854775808', '9007199254740993']);
    const [row] = await binaryRows(sql);
    expect(row.map((b) => b!.toString('hex'))).toEqual(['7fffffffffffffff', '8000000000000000', '0020000000000001']);
  });

  it('takes every type as a binary parameter and round-trips it', async () => {
    const values = BINARY.map((h) => Buffer.from(h, 'hex'));
    await binaryRows('insert into rt values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)', values, OIDS);
    const c = await f.connect();
    const r = await c.query({ text: 'select * from rt where a is not null', rowMode: 'array', types: raw });
    expect(r.rows).toHaveLength(2);
    expect(r.rows[1]).toEqual(r.rows[0]);
    const rows = await binaryRows('select * from rt where a is not null');
    expect(rows[1].map((b) => b!.toString('hex'))).toEqual(BINARY);
  });

  it('takes text parameters of declared types and checks them', async () => {
    const c = await f.connect();
    const r = await c.query({ text: 'select count(*) from rt where j = $1 and k = $2 and d = $3 and g = $4', values: ['1999-12-31', '2000-01-01 00:00:00.000001', '-1234.567', 't'], types: paramTypes([1082, 1114, 1700, 16]), rowMode: 'array' });
    expect(r.rows).toEqual([[2]].map((x) => x.map(String)));
    expect(await sqlstate(c.query({ text: 'select $1', values: ['1999-13-01'], types: paramTypes([1082]) }))).toBe('22P02');
    // a binary parameter of a type left open cannot be read
    expect(await sqlstate(c.query({ text: 'select $1', values: [Buffer.from('00000001', 'hex')] }))).toBe('22023');
    expect(await sqlstate(c.query({ text: 'select $1', values: [Buffer.from('0001', 'hex')], types: paramTypes([23]) }))).toBe('22023');
  });
});
