// Strata types as PostgreSQL sees them: type OIDs, sizes and modifiers, and the text and
// binary encodings of result values and parameters. One table keyed by type, so every
// type's wire behaviour is in one place.
import { SqlError } from '../../engine/errors.ts';
import { TYPES as SQL_TYPES, isTypeId, typeInfo, type PgTypeName, type SqlType, type TypeId } from '../../engine/types/types.ts';
import { formatDate, formatFloatText, formatTimestamp, parseBoolean, parseDate, parseFloatText, parseTimestamp } from '../../engine/types/values.ts';

/** PostgreSQL type OIDs Strata uses (from pg_type.dat). */
export const OID = {
  bool: 16, name: 19, int8: 20, int2: 21, int4: 23, text: 25, oid: 26, char: 18,
  float4: 700, float8: 701, unknown: 705, bpchar: 1042, varchar: 1043, date: 1082, timestamp: 1114, numeric: 1700,
} as const;

/** Days from 1970-01-01 to PostgreSQL's epoch 2000-01-01. */
const PG_EPOCH_DAYS = 10957;
const MICROS_PER_DAY = 86_400_000_000n;

/** How one PostgreSQL type is named, sized and encoded. Values arrive as a Result holds them. */
interface WireType {
  oid: number;
  /** pg_type.typname */
  name: string;
  /** pg_type.typlen: bytes, or -1 for variable length */
  size: number;
  /** the type modifier (atttypmod) of a type written with parameters, e.g. VARCHAR(25); without: -1 */
  modifier?: (params: number[]) => number;
  /** the name `format_type` prints for a modifier (-1: none) */
  formatName: (modifier: number) => string;
  text(v: unknown): string;
  binary(v: unknown): Buffer;
  /** binary parameter bytes to the text Strata parses */
  fromBinary(b: Buffer): string;
}

const int = (bytes: 2 | 4 | 8) => (v: unknown): Buffer => {
  const b = Buffer.alloc(bytes);
  if (bytes === 2) b.writeInt16BE(Number(v));
  else if (bytes === 4) b.writeInt32BE(Number(v));
  else b.writeBigInt64BE(BigInt(typeof v === 'number' ? Math.trunc(v) : String(v)));
  return b;
};

const needLength = (b: Buffer, n: number, type: string) => {
  if (b.length !== n) throw new SqlError('INVALID_PARAMETER', `binary ${type} parameter must be ${n} bytes, got ${b.length}`);
};

const utf8 = (v: unknown) => Buffer.from(String(v), 'utf8');

const sized = (name: string, unsized: string) => (modifier: number) => (modifier >= 4 ? `${name}(${modifier - 4})` : unsized);
const fixed = (name: string) => () => name;

/** Every wire type Strata sends, by pg_type.typname; which one a Strata type uses is its TYPES entry's `pg`. */
const WIRE: Record<PgTypeName, WireType> = {
  bool: { oid: OID.bool, name: 'bool', size: 1, formatName: fixed('boolean'), text: (v) => (v ? 't' : 'f'), binary: (v) => Buffer.from([v ? 1 : 0]), fromBinary: (b) => { needLength(b, 1, 'bool'); return b[0] ? 'true' : 'false'; } },
  int2: { oid: OID.int2, name: 'int2', size: 2, formatName: fixed('smallint'), text: String, binary: int(2), fromBinary: (b) => { needLength(b, 2, 'int2'); return String(b.readInt16BE()); } },
  int4: { oid: OID.int4, name: 'int4', size: 4, formatName: fixed('integer'), text: String, binary: int(4), fromBinary: (b) => { needLength(b, 4, 'int4'); return String(b.readInt32BE()); } },
  int8: { oid: OID.int8, name: 'int8', size: 8, formatName: fixed('bigint'), text: String, binary: int(8), fromBinary: (b) => { needLength(b, 8, 'int8'); return String(b.readBigInt64BE()); } },
  float4: {
    oid: OID.float4, name: 'float4', size: 4, formatName: fixed('real'), text: (v) => formatFloatText(Number(v), true),
    binary: (v) => { const b = Buffer.alloc(4); b.writeFloatBE(Number(v)); return b; },
    fromBinary: (b) => { needLength(b, 4, 'float4'); return formatFloatText(b.readFloatBE(), true); },
  },
  float8: {
    oid: OID.float8, name: 'float8', size: 8, formatName: fixed('double precision'), text: (v) => formatFloatText(Number(v)),
    binary: (v) => { const b = Buffer.alloc(8); b.writeDoubleBE(Number(v)); return b; },
    fromBinary: (b) => { needLength(b, 8, 'float8'); return formatFloatText(b.readDoubleBE()); },
  },
  numeric: {
    oid: OID.numeric, name: 'numeric', size: -1,
    modifier: ([p, s]) => ((p << 16) | (s ?? 0)) + 4,
    formatName: (m) => (m >= 4 ? `numeric(${(m - 4) >> 16},${(m - 4) & 0xffff})` : 'numeric'),
    text: String, binary: (v) => numericToBinary(String(v)), fromBinary: numericFromBinary },
  bpchar: { oid: OID.bpchar, name: 'bpchar', size: -1, modifier: ([n]) => n + 4, formatName: sized('character', 'bpchar'), text: String, binary: utf8, fromBinary: (b) => b.toString('utf8') },
  varchar: { oid: OID.varchar, name: 'varchar', size: -1, modifier: ([n]) => n + 4, formatName: sized('character varying', 'character varying'), text: String, binary: utf8, fromBinary: (b) => b.toString('utf8') },
  text: { oid: OID.text, name: 'text', size: -1, formatName: fixed('text'), text: String, binary: utf8, fromBinary: (b) => b.toString('utf8') },
  date: {
    oid: OID.date, name: 'date', size: 4, formatName: fixed('date'), text: String,
    binary: (v) => { const b = Buffer.alloc(4); b.writeInt32BE(parseDate(String(v)) - PG_EPOCH_DAYS); return b; },
    fromBinary: (b) => { needLength(b, 4, 'date'); return formatDate(b.readInt32BE() + PG_EPOCH_DAYS); },
  },
  timestamp: {
    oid: OID.timestamp, name: 'timestamp', size: 8, formatName: fixed('timestamp without time zone'), text: String,
    binary: (v) => { const b = Buffer.alloc(8); b.writeBigInt64BE(BigInt(parseTimestamp(String(v))) - BigInt(PG_EPOCH_DAYS) * MICROS_PER_DAY); return b; },
    fromBinary: (b) => { needLength(b, 8, 'timestamp'); return formatTimestamp(Number(b.readBigInt64BE() + BigInt(PG_EPOCH_DAYS) * MICROS_PER_DAY)); },
  },
};

const BY_OID = new Map<number, WireType>(Object.values(WIRE).map((t) => [t.oid, t]));

/** A result column's wire type: OID, size and type modifier, from Strata's type name. */
export interface ColumnWireType { type: WireType; modifier: number }

/**
 * Maps a Strata type name as results carry it ("DECIMAL(12,2)", "VARCHAR(25)", "INTEGER") to its
 * wire type (its TYPES entry's `pg`) and modifier; anything else travels as text.
 */
export function wireTypeOf(strataType: string): ColumnWireType {
  const m = /^([A-Z ]+?)(?:\((\d+)(?:,\s*(\d+))?\))?$/.exec(strataType.trim().toUpperCase());
  const base = m?.[1] ?? '';
  const type = WIRE[isTypeId(base) ? SQL_TYPES[base].pg : 'text'];
  const params = [m?.[2], m?.[3]].filter((p) => p !== undefined).map(Number);
  return { type, modifier: type.modifier && params.length ? type.modifier(params) : -1 };
}

/** The OID values of a Strata type travel as. */
export const oidOf = (t: SqlType): number => WIRE[typeInfo(t).pg].oid;

/** The Strata type each OID stands for (text, the wire type of bare NULLs, has none of its own). */
const TYPE_BY_OID = new Map<number, SqlType>(
  (Object.keys(SQL_TYPES) as TypeId[]).filter((id) => SQL_TYPES[id].kind !== 'null').map((id) => [WIRE[SQL_TYPES[id].pg].oid, { id } as SqlType]),
);

/** The Strata type a parameter of type `oid` takes (unsized for strings and DECIMAL), or undefined. */
export const sqlTypeOfOid = (oid: number): SqlType | undefined => TYPE_BY_OID.get(oid);

/** The wire type of an OID, or undefined for types Strata does not have. */
export const wireTypeByOid = (oid: number): WireType | undefined => BY_OID.get(oid);

/** PostgreSQL's name for an OID and modifier, as `format_type` prints it. */
export function formatType(oid: number, modifier: number): string {
  return BY_OID.get(oid)?.formatName(modifier) ?? '???';
}

/** Encodes a result value in the format asked for (0 text, 1 binary); null stays null. */
export function encodeValue(t: WireType, v: unknown, format: number): Buffer | null {
  if (v === null || v === undefined) return null;
  return format === 1 ? t.binary(v) : Buffer.from(t.text(v), 'utf8');
}

/** A parameter's bytes as the text Strata parses; binary parameters need a known type. */
export function decodeParameter(oid: number, format: number, bytes: Buffer, index: number): string {
  if (format === 0) return bytes.toString('utf8');
  const t = BY_OID.get(oid);
  if (!t) throw new SqlError('INVALID_PARAMETER', `binary format for parameter $${index} needs its type; give a type OID Strata knows (got ${oid})`);
  return t.fromBinary(bytes);
}

/** Checks a text parameter of a declared type parses as that type (so bad input names the parameter). */
export function checkTextParameter(oid: number, text: string, index: number): void {
  try {
    if (oid === OID.bool) parseBoolean(text);
    else if (oid === OID.float4 || oid === OID.float8) parseFloatText(text, sqlTypeOfOid(oid)!);
    else if (oid === OID.date) parseDate(text);
    else if (oid === OID.timestamp) parseTimestamp(text);
  } catch (e) {
    throw new SqlError('INVALID_TEXT_REPRESENTATION', `parameter $${index}: ${(e as Error).message}`);
  }
}

// ------------------------------------------------------------ numeric in binary
// NUMERIC's binary form: int16 ndigits, int16 weight (of the first base-10000 digit),
// int16 sign (0x0000 +, 0x4000 -, 0xC000 NaN), int16 dscale, then ndigits int16 digits.

function numericToBinary(text: string): Buffer {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(text.trim());
  if (!m) throw new SqlError('INVALID_TEXT_REPRESENTATION', `invalid numeric value "${text}"`);
  const neg = m[1] === '-';
  const intPart = m[2].replace(/^0+/, '');
  const frac = m[3] ?? '';
  const dscale = frac.length;
  // pad the integer part to a multiple of 4 on the left, the fraction on the right
  const ip = intPart.padStart(Math.ceil(intPart.length / 4) * 4, '0');
  const fp = frac.padEnd(Math.ceil(frac.length / 4) * 4, '0');
  let digits: number[] = [];
  for (let i = 0; i < ip.length; i += 4) digits.push(Number(ip.slice(i, i + 4)));
  for (let i = 0; i < fp.length; i += 4) digits.push(Number(fp.slice(i, i + 4)));
  let weight = ip.length / 4 - 1;
  // drop leading and trailing zero digits (the weight keeps the position)
  while (digits.length && digits[0] === 0) { digits.shift(); weight--; }
  while (digits.length && digits[digits.length - 1] === 0) digits.pop();
  if (!digits.length) weight = 0;
  const b = Buffer.alloc(8 + 2 * digits.length);
  b.writeInt16BE(digits.length, 0);
  b.writeInt16BE(weight, 2);
  b.writeUInt16BE(neg && digits.length ? 0x4000 : 0, 4);
  b.writeInt16BE(dscale, 6);
  digits.forEach((d, i) => b.writeInt16BE(d, 8 + 2 * i));
  return b;
}

function numericFromBinary(b: Buffer): string {
  if (b.length < 8) throw new SqlError('INVALID_PARAMETER', 'binary numeric parameter is shorter than its header');
  const n = b.readInt16BE(0), weight = b.readInt16BE(2), sign = b.readUInt16BE(4), dscale = b.readInt16BE(6);
  if (b.length !== 8 + 2 * n) throw new SqlError('INVALID_PARAMETER', 'binary numeric parameter has the wrong length');
  if (sign === 0xc000) throw new SqlError('INVALID_PARAMETER', 'NaN is not a valid DECIMAL value');
  const digits = Array.from({ length: n }, (_, i) => b.readInt16BE(8 + 2 * i));
  let intPart = '';
  for (let w = weight, i = 0; w >= 0; w--, i++) intPart += (i < n ? digits[i] : 0).toString().padStart(4, '0');
  let frac = '';
  // the digit of weight w sits at index weight - w; fraction digits have w < 0
  for (let w = -1; frac.length < dscale; w--) {
    const i = weight - w;
    frac += (i >= 0 && i < n ? digits[i] : 0).toString().padStart(4, '0');
  }
  intPart = intPart.replace(/^0+/, '') || '0';
  frac = frac.slice(0, dscale);
  return `${sign === 0x4000 ? '-' : ''}${intPart}${dscale > 0 ? '.' + frac : ''}`;
}
