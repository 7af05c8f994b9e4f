// COPY table [(columns)] FROM STDIN [options]: the client streams rows (PostgreSQL text or CSV
// format) in CopyData messages; they are parsed here and inserted in batches by
// INSERT ... SELECT from the batch (copy-relation.ts), inside one transaction, so a bad row
// leaves the table unchanged and the engine checks types and the INSERT privilege.
import { StringDecoder } from 'node:string_decoder';
import type * as A from '../../engine/sql/ast.ts';
import { SqlError } from '../../engine/errors.ts';
import type { Result, Session } from '../../engine/database.ts';
import { BodyReader, type Frame } from './framing.ts';
import { copyInResponse } from './messages.ts';
import { COPY_RELATION, withCopyRows } from './copy-relation.ts';

/** A parsed `COPY ... FROM STDIN`. */
export interface CopySpec {
  table: string[];
  columns?: string[];
  format: 'text' | 'csv';
  delimiter: string;
  nullString: string;
  quote: string;
  header: boolean;
}

/** Splits `a."B c".d` into identifiers: unquoted ones fold to lower case. */
function identifiers(s: string): string[] | null {
  const out: string[] = [];
  const re = /\s*(?:"((?:[^"]|"")*)"|([A-Za-z_][A-Za-z0-9_$]*))\s*(\.|,|$)/y;
  let m: RegExpExecArray | null;
  let pos = 0;
  re.lastIndex = 0;
  while (pos < s.length && (m = re.exec(s))) {
    out.push(m[1] !== undefined ? m[1].replace(/""/g, '"') : m[2].toLowerCase());
    pos = re.lastIndex;
    if (m[3] === '') break;
  }
  return pos >= s.trimEnd().length && out.length ? out : null;
}

const COPY_RE = /^\s*copy\s+((?:"(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_$]*)(?:\s*\.\s*(?:"(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_$]*))*)\s*(?:\(([^)]*)\))?\s+from\s+stdin\b([\s\S]*?);?\s*$/i;

/** Recognizes COPY ... FROM STDIN; anything else is left to the engine. Throws on bad options. */
export function parseCopyFromStdin(text: string): CopySpec | null {
  const m = COPY_RE.exec(text);
  if (!m) return null;
  const table = identifiers(m[1]);
  const columns = m[2] !== undefined ? identifiers(m[2]) : undefined;
  if (!table || columns === null) throw new SqlError('SYNTAX_ERROR', 'COPY: cannot read the table or column list');
  const spec: CopySpec = { table, ...(columns ? { columns } : {}), format: 'text', delimiter: '\t', nullString: '\\N', quote: '"', header: false };
  let opts = m[3].trim().replace(/^with\b\s*/i, '');
  // option list form: (FORMAT csv, HEADER true, DELIMITER ',', NULL '', QUOTE '"')
  if (opts.startsWith('(') && opts.endsWith(')')) opts = opts.slice(1, -1).replace(/,/g, ' ');
  const tokens = opts.match(/'(?:[^']|'')*'|[A-Za-z_]+/g) ?? [];
  const str = (t: string | undefined, what: string) => {
    if (!t || !t.startsWith("'")) throw new SqlError('SYNTAX_ERROR', `COPY: ${what} needs a quoted string`);
    return t.slice(1, -1).replace(/''/g, "'");
  };
  let delimiterSet = false, nullSet = false;
  for (let i = 0; i < tokens.length; i++) {
    const word = tokens[i].toLowerCase();
    const next = () => { i++; if (tokens[i]?.toLowerCase() === 'as') i++; return tokens[i]; };
    switch (word) {
      case 'format': {
        const f = next()?.replace(/'/g, '').toLowerCase();
        if (f === 'binary') throw new SqlError('FEATURE_NOT_SUPPORTED', 'COPY FROM STDIN supports FORMAT text and csv, not binary');
        if (f !== 'csv' && f !== 'text') throw new SqlError('SYNTAX_ERROR', `COPY format "${f}" not recognized`);
        spec.format = f;
        break;
      }
      case 'csv': spec.format = 'csv'; break;
      case 'binary': throw new SqlError('FEATURE_NOT_SUPPORTED', 'COPY FROM STDIN supports FORMAT text and csv, not binary');
      case 'header':
        spec.header = !/^(false|off|0)$/i.test(tokens[i + 1] ?? '');
        if (/^(true|on|1|false|off|0)$/i.test(tokens[i + 1] ?? '')) i++;
        break;
      case 'delimiter': spec.delimiter = str(next(), 'DELIMITER'); delimiterSet = true; break;
      case 'null': spec.nullString = str(next(), 'NULL'); nullSet = true; break;
      case 'quote': spec.quote = str(next(), 'QUOTE'); break;
      case 'encoding': { const e = str(next(), 'ENCODING'); if (!/^utf-?8$/i.test(e)) throw new SqlError('FEATURE_NOT_SUPPORTED', `COPY ENCODING ${e}: only UTF8 is supported`); break; }
      default: throw new SqlError('SYNTAX_ERROR', `COPY option "${tokens[i]}" not recognized`);
    }
  }
  if (spec.format === 'csv') {
    if (!delimiterSet) spec.delimiter = ',';
    if (!nullSet) spec.nullString = '';
  }
  if ([...spec.delimiter].length !== 1) throw new SqlError('INVALID_PARAMETER', 'COPY delimiter must be a single character');
  if ([...spec.quote].length !== 1) throw new SqlError('INVALID_PARAMETER', 'COPY quote must be a single character');
  return spec;
}

const TEXT_ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/** One field of the text format: backslash escapes decoded; `\N` (the null string) is NULL. */
function textField(raw: string, nullString: string): string | null {
  if (raw === nullString) return null;
  if (!raw.includes('\\')) return raw;
  return raw.replace(/\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)/g, (_, e: string) => {
    if (e[0] === 'x') return String.fromCharCode(parseInt(e.slice(1), 16));
    if (/^[0-7]/.test(e)) return String.fromCharCode(parseInt(e, 8));
    return TEXT_ESCAPES[e] ?? e;
  });
}

/** Incremental parser of COPY rows; keeps a partial record between chunks. */
export class CopyRowParser {
  private buf = '';
  private line = 0;
  private skippedHeader = false;
  ended = false;

  constructor(private readonly spec: CopySpec) {}

  /** Rows completed by this chunk, each with its 1-based line number. */
  push(text: string): { line: number; fields: (string | null)[] }[] {
    this.buf += text;
    return this.drain(false);
  }

  /** The last row when the data did not end with a newline. */
  finish(): { line: number; fields: (string | null)[] }[] {
    return this.drain(true);
  }

  private drain(atEnd: boolean): { line: number; fields: (string | null)[] }[] {
    const out: { line: number; fields: (string | null)[] }[] = [];
    for (;;) {
      if (this.ended) { this.buf = ''; return out; }
      const rec = this.spec.format === 'csv' ? this.nextCsv(atEnd) : this.nextText(atEnd);
      if (!rec) return out;
      this.line++;
      if (rec.endMarker) { this.ended = true; continue; }
      if (this.spec.header && !this.skippedHeader) { this.skippedHeader = true; continue; }
      out.push({ line: this.line, fields: rec.fields });
    }
  }

  private nextText(atEnd: boolean): { fields: (string | null)[]; endMarker?: boolean } | null {
    let nl = this.buf.indexOf('\n');
    if (nl < 0) { if (!atEnd || !this.buf.length) return null; nl = this.buf.length; }
    let line = this.buf.slice(0, nl);
    this.buf = this.buf.slice(nl + 1);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line === '\\.') return { fields: [], endMarker: true };
    // split on delimiters not escaped by a backslash
    const fields: (string | null)[] = [];
    let start = 0;
    for (let i = 0; i < line.length; i++) {
      if (line[i] === '\\') { i++; continue; }
      if (line[i] === this.spec.delimiter) { fields.push(textField(line.slice(start, i), this.spec.nullString)); start = i + 1; }
    }
    fields.push(textField(line.slice(start), this.spec.nullString));
    return { fields };
  }

  private nextCsv(atEnd: boolean): { fields: (string | null)[]; endMarker?: boolean } | null {
    const { delimiter, quote, nullString } = this.spec;
    const s = this.buf;
    const fields: (string | null)[] = [];
    let i = 0;
    if (s.startsWith('\\.\n') || s.startsWith('\\.\r\n') || (atEnd && s === '\\.')) {
      this.buf = '';
      return { fields: [], endMarker: true };
    }
    for (;;) {
      if (s[i] === quote) {
        let value = '';
        let j = i + 1;
        for (;;) {
          const q = s.indexOf(quote, j);
          if (q < 0) { if (atEnd) throw new SqlError('BAD_COPY_FILE', `unterminated CSV quoted field at line ${this.line + 1}`); return null; }
          value += s.slice(j, q);
          if (s[q + 1] === quote) { value += quote; j = q + 2; continue; }
          if (q + 1 >= s.length && !atEnd) return null;
          i = q + 1;
          break;
        }
        fields.push(value);
      } else {
        let j = i;
        while (j < s.length && s[j] !== delimiter && s[j] !== '\n' && s[j] !== '\r') j++;
        if (j >= s.length && !atEnd) return null;
        const raw = s.slice(i, j);
        fields.push(raw === nullString ? null : raw);
        i = j;
      }
      if (s[i] === delimiter) { i++; continue; }
      if (s[i] === '\r') i++;
      if (s[i] === '\n') i++;
      else if (i < s.length) throw new SqlError('BAD_COPY_FILE', `unexpected character after a quoted CSV field at line ${this.line + 1}`);
      this.buf = s.slice(i);
      if (fields.length === 1 && fields[0] === null && i === 0) return null;
      return { fields };
    }
  }
}

/** What COPY needs of the connection. */
export interface CopyIo {
  session: Session;
  send(b: Buffer): void;
  flush(): void;
  read(): Promise<Frame>;
  run(stmt: A.Statement): Promise<Result>;
}

/** Rows per INSERT: bounds memory while keeping inserts columnar and segments large. */
const BATCH_ROWS = 50_000;
const pos0: A.Pos = { line: 1, column: 1, offset: 0 };

/** `DECIMAL(15,2)` as a type reference for a cast. */
function typeRef(type: string): A.TypeRef {
  const m = /^([A-Za-z ]+?)\s*(?:\((\d+)(?:,\s*(\d+))?\))?$/.exec(type.trim());
  const params = m ? [m[2], m[3]].filter((x) => x !== undefined).map(Number) : [];
  return { kind: 'TypeRef', pos: pos0, name: m ? m[1] : type, params };
}

/** INSERT INTO table (columns) SELECT CAST(c0 AS type0), ... FROM the COPY batch. */
function insertFromBatch(spec: CopySpec, columns: string[], types: string[]): A.Insert {
  const items: A.SelectItem[] = columns.map((_, i) => ({
    kind: 'SelectItem', pos: pos0,
    expr: { kind: 'Cast', pos: pos0, expr: { kind: 'ColumnRef', pos: pos0, name: [`c${i}`] }, type: typeRef(types[i]), syntax: 'cast' },
  }));
  const source: A.Select = {
    kind: 'Select', pos: pos0, distinct: false, columns: items,
    from: [{ kind: 'TableName', pos: pos0, name: [COPY_RELATION] }], groupBy: [], orderBy: [],
  };
  return { kind: 'Insert', pos: pos0, table: spec.table, columns, source };
}

/** Runs COPY FROM STDIN: asks for the data, inserts it atomically, returns the COPY result. */
export async function copyFromStdin(spec: CopySpec, io: CopyIo): Promise<Result> {
  // the target's columns and types (the engine checks the table exists and the user may see it)
  const described = await io.run({ kind: 'ShowColumns', pos: pos0, table: spec.table });
  const typeOf = new Map(described.rows.map((r) => [String(r[0]), String(r[1])]));
  const columns = spec.columns ?? [...typeOf.keys()];
  for (const c of columns) if (!typeOf.has(c)) throw new SqlError('UNDEFINED_COLUMN', `column "${c}" of relation "${spec.table.join('.')}" does not exist`);
  const insert = insertFromBatch(spec, columns, columns.map((c) => typeOf.get(c)!));
  io.send(copyInResponse(columns.length));
  io.flush();
  const parser = new CopyRowParser(spec);
  const decoder = new StringDecoder('utf8');
  const ownBlock = !io.session.inTransaction;
  let failure: unknown = null;
  let rows = 0;
  const load = async (batch: { line: number; fields: (string | null)[] }[]) => {
    if (!batch.length) return;
    const where = `COPY ${spec.table.join('.')}, line`;
    for (const r of batch) {
      if (r.fields.length < columns.length) throw new SqlError('BAD_COPY_FILE', `${where} ${r.line}: missing data for column "${columns[r.fields.length]}"`);
      if (r.fields.length > columns.length) throw new SqlError('BAD_COPY_FILE', `${where} ${r.line}: extra data after last expected column`);
    }
    try {
      const res = await withCopyRows(io.session.info, batch.map((r) => r.fields), columns.length, () => io.run(insert));
      rows += res.rowCount;
    } catch (e) {
      if (!(e instanceof SqlError) || e.code === 'QUERY_CANCELED') throw e;
      throw new SqlError(e.code, `${where}s ${batch[0].line}-${batch[batch.length - 1].line}: ${e.message.replace(/ at line \d+, column \d+$/, '')}`);
    }
  };
  if (ownBlock) await io.run({ kind: 'Begin', pos: pos0 });
  try {
    let pending: { line: number; fields: (string | null)[] }[] = [];
    for (;;) {
      const f = await io.read();
      const type = String.fromCharCode(f.type);
      if (type === 'd') {
        if (failure) continue;
        try {
          for (const r of parser.push(decoder.write(f.body))) pending.push(r);
          if (pending.length >= BATCH_ROWS) { await load(pending); pending = []; }
        } catch (e) { failure = e; }
      } else if (type === 'c') {
        if (!failure) {
          try {
            for (const r of [...parser.push(decoder.end()), ...parser.finish()]) pending.push(r);
            await load(pending);
          } catch (e) { failure = e; }
        }
        break;
      } else if (type === 'f') {
        failure = new SqlError('QUERY_CANCELED', `COPY from stdin failed: ${new BodyReader(f.body).cstring()}`);
        break;
      } else if (type === 'H' || type === 'S') {
        continue; // allowed during COPY and ignored
      } else {
        failure = new SqlError('INVALID_PARAMETER', `unexpected message type "${type}" during COPY from stdin`);
        break;
      }
    }
    if (failure) throw failure;
    if (ownBlock) await io.run({ kind: 'Commit', pos: pos0 });
    return { command: 'COPY', rowCount: rows, columns: [], rows: [] };
  } catch (e) {
    if (ownBlock) await io.run({ kind: 'Rollback', pos: pos0 }).catch(() => undefined);
    throw e;
  }
}
