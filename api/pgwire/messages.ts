// Backend messages of protocol v3 (what the server sends), one encoder each.
import { MessageWriter } from './framing.ts';

/** Transaction status in ReadyForQuery: idle, in a block, in a failed block. */
export type TxStatus = 'I' | 'T' | 'E';

/** A column of a RowDescription. */
export interface FieldDescription {
  name: string;
  tableOid: number;
  columnNumber: number;
  typeOid: number;
  typeSize: number;
  typeModifier: number;
  /** 0 text, 1 binary */
  format: number;
}

/** Fields of an ErrorResponse or NoticeResponse, keyed by their one-letter codes. */
export interface ErrorFields {
  severity: 'ERROR' | 'FATAL' | 'NOTICE' | 'WARNING';
  code: string;
  message: string;
  /** 1-based character position in the statement text */
  position?: number;
  detail?: string;
  hint?: string;
}

const empty = (type: string) => new MessageWriter(type).finish();

export const authenticationOk = () => new MessageWriter('R').int32(0).finish();
export const authenticationCleartext = () => new MessageWriter('R').int32(3).finish();
export const authenticationSasl = (mechanisms: string[]) => {
  const w = new MessageWriter('R').int32(10);
  for (const m of mechanisms) w.cstring(m);
  return w.int8(0).finish();
};
export const authenticationSaslContinue = (data: string) => new MessageWriter('R').int32(11).bytes(Buffer.from(data, 'utf8')).finish();
export const authenticationSaslFinal = (data: string) => new MessageWriter('R').int32(12).bytes(Buffer.from(data, 'utf8')).finish();

export const parameterStatus = (name: string, value: string) => new MessageWriter('S').cstring(name).cstring(value).finish();
export const backendKeyData = (pid: number, secret: number) => new MessageWriter('K').int32(pid).int32(secret).finish();
export const readyForQuery = (status: TxStatus) => new MessageWriter('Z').int8(status.charCodeAt(0)).finish();

export const parseComplete = () => empty('1');
export const bindComplete = () => empty('2');
export const closeComplete = () => empty('3');
export const noData = () => empty('n');
export const portalSuspended = () => empty('s');
export const emptyQueryResponse = () => empty('I');
export const commandComplete = (tag: string) => new MessageWriter('C').cstring(tag).finish();

export const parameterDescription = (oids: number[]) => {
  const w = new MessageWriter('t').int16(oids.length);
  for (const o of oids) w.int32(o);
  return w.finish();
};

export function rowDescription(fields: FieldDescription[]): Buffer {
  const w = new MessageWriter('T').int16(fields.length);
  for (const f of fields) w.cstring(f.name).int32(f.tableOid).int16(f.columnNumber).int32(f.typeOid).int16(f.typeSize).int32(f.typeModifier).int16(f.format);
  return w.finish();
}

/** A DataRow from already-encoded values (null for SQL NULL), built in one allocation. */
export function dataRow(values: (Buffer | null)[]): Buffer {
  let size = 4 + 2;
  for (const v of values) size += 4 + (v ? v.length : 0);
  const b = Buffer.allocUnsafe(size + 1);
  b[0] = 0x44; // 'D'
  b.writeInt32BE(size, 1);
  b.writeInt16BE(values.length, 5);
  let p = 7;
  for (const v of values) {
    if (!v) { b.writeInt32BE(-1, p); p += 4; continue; }
    b.writeInt32BE(v.length, p);
    v.copy(b, p + 4);
    p += 4 + v.length;
  }
  return b;
}

function fieldsMessage(type: 'E' | 'N', f: ErrorFields): Buffer {
  const w = new MessageWriter(type);
  w.int8(0x53).cstring(f.severity); // S
  w.int8(0x56).cstring(f.severity); // V: the untranslated severity
  w.int8(0x43).cstring(f.code); // C
  w.int8(0x4d).cstring(f.message); // M
  if (f.detail) w.int8(0x44).cstring(f.detail); // D
  if (f.hint) w.int8(0x48).cstring(f.hint); // H
  if (f.position) w.int8(0x50).cstring(String(f.position)); // P
  return w.int8(0).finish();
}

export const errorResponse = (f: ErrorFields) => fieldsMessage('E', f);
export const noticeResponse = (f: ErrorFields) => fieldsMessage('N', f);

/** CopyInResponse: overall format (0 text) and each column's format. */
export function copyInResponse(columns: number): Buffer {
  const w = new MessageWriter('G').int8(0).int16(columns);
  for (let i = 0; i < columns; i++) w.int16(0);
  return w.finish();
}
