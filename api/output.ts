// Printing results for the CLI: an aligned table (or psql's expanded records, `\x`), one JSON
// object per line, or CSV.
import type { Result, RowStream } from '../engine/result.ts';

export type OutputFormat = 'table' | 'json' | 'csv';

const text = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = text(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * One statement's result in the chosen format (ends with a newline). `expanded` prints records;
 * `width` (a terminal's columns) wraps a table's last column to fit, as psql's wrapped format.
 */
export function formatResult(r: Result, format: OutputFormat, expanded = false, width?: number): string {
  if (format === 'json') return `${JSON.stringify({ command: r.command, rowCount: r.rowCount, columns: r.columns, rows: r.rows })}\n`;
  if (format === 'csv') {
    if (!r.columns.length) return '';
    return [r.columns.map((c) => csvCell(c.name)).join(','), ...r.rows.map((row) => row.map(csvCell).join(','))].join('\n') + '\n';
  }
  if (!r.columns.length) return `${r.command}${r.rowCount ? ` ${r.rowCount}` : ''}\n`;
  const cells = r.rows.map((row) => row.map((v) => (v === null ? 'NULL' : text(v))));
  const count = `(${r.rows.length} row${r.rows.length === 1 ? '' : 's'})`;
  if (expanded) return r.rows.length ? `${records(r, cells)}\n${count}\n` : `${count}\n`;
  return `${aligned(r, cells, width)}\n${count}\n`;
}

/** Rows of a streamed result printed at a time; each piece of a table is aligned on its own (as psql's FETCH_COUNT). */
export const PRINT_ROWS = 10_000;

/**
 * Writes one statement's result as formatResult formats it; a streamed result (Result.stream)
 * a piece of rows at a time, so it is never formatted whole, and closed once written. Rows that
 * arrive from a server (ArrivingRows) are written as each piece arrives.
 */
export function writeResult(r: Result, write: (text: string) => void, format: OutputFormat, expanded = false, width?: number): void {
  const stream = r.stream;
  if (!stream) { write(formatResult(r, format, expanded, width)); return; }
  const w = new PieceWriter(r, write, format, expanded, width);
  if (stream instanceof ArrivingRows) { stream.follow(w); return; }
  try {
    do w.piece(stream.next(PRINT_ROWS)); while (stream.remaining > 0);
    w.end();
  } finally {
    stream.close();
  }
}

/** Writes a result's rows piece by piece, as formatResult writes them whole. */
class PieceWriter {
  private n = 0;
  private pieces = 0;

  constructor(private readonly r: Result, private readonly write: (text: string) => void, private readonly format: OutputFormat, private readonly expanded: boolean, private readonly width?: number) {}

  piece(rows: unknown[][]): void {
    const { r, write, n } = this;
    if (this.format === 'json') {
      // the same text as one JSON.stringify of the whole result: its head up to `"rows":[`, then the rows
      if (this.pieces === 0) write(JSON.stringify({ command: r.command, rowCount: r.rowCount, columns: r.columns, rows: [] }).slice(0, -2));
      if (rows.length) write(`${n ? ',' : ''}${rows.map((row) => JSON.stringify(row)).join(',')}`);
    } else {
      const piece: Result = { ...r, rows, stream: undefined };
      if (this.format === 'csv') {
        const text = formatResult(piece, 'csv');
        write(n ? text.slice(text.indexOf('\n') + 1) : text);
      } else if (rows.length || !this.expanded) {
        const cells = rows.map((row) => row.map((v) => (v === null ? 'NULL' : text(v))));
        // a later piece of a table goes on under the first one's header
        const body = this.expanded ? records(piece, cells, n) : aligned(piece, cells, this.width);
        if (this.pieces === 0 || this.expanded) write(`${body}\n`);
        else if (rows.length) write(`${body.split('\n').slice(2).join('\n')}\n`);
      }
    }
    this.n += rows.length;
    this.pieces++;
  }

  end(): void {
    if (this.pieces === 0) this.piece([]);
    if (this.format === 'json') this.write(']}\n');
    else if (this.format !== 'csv') this.write(`(${this.n} row${this.n === 1 ? '' : 's'})\n`);
  }
}

/**
 * A result's rows that arrive later, a piece at a time (a query a server runs for the CLI over
 * its control socket): a printer follows them, writing each piece as it comes; until one does,
 * they wait here.
 */
export class ArrivingRows implements RowStream {
  private waiting: unknown[][][] = [];
  private arrived = 0;
  private read = 0;
  private follower: PieceWriter | null = null;
  private closed = false;
  readonly heldBytes = 0;

  constructor(readonly total: number) {}

  get remaining(): number {
    return this.total - this.read;
  }

  get complete(): boolean {
    return this.arrived >= this.total;
  }

  /** Takes the next piece; the last one ends the follower's output. */
  push(rows: unknown[][]): void {
    this.arrived += rows.length;
    if (this.closed) return;
    if (this.follower) { this.read += rows.length; this.follower.piece(rows); } else this.waiting.push(rows);
    if (this.complete) this.follower?.end();
  }

  follow(w: PieceWriter): void {
    this.follower = w;
    for (const rows of this.waiting.splice(0)) { this.read += rows.length; w.piece(rows); }
    if (this.complete) w.end();
  }

  next(n: number): unknown[][] {
    const out: unknown[][] = [];
    while (out.length < n && this.waiting.length) {
      const head = this.waiting[0];
      const take = head.splice(0, n - out.length);
      out.push(...take);
      if (!head.length) this.waiting.shift();
    }
    this.read += out.length;
    return out;
  }

  close(): void {
    this.closed = true;
    this.waiting = [];
  }
}

/** Breaks a line into pieces of at most `room` characters, at spaces where it can. */
function wrapLine(line: string, room: number): string[] {
  const out: string[] = [];
  let rest = line;
  while (rest.length > room) {
    const cut = rest.lastIndexOf(' ', room);
    const at = cut > room / 2 ? cut : room;
    out.push(rest.slice(0, at).trimEnd());
    rest = rest.slice(at).trimStart();
  }
  out.push(rest);
  return out;
}

/** The narrowest a wrapped last column gets: below it, long lines are left to the terminal. */
const MIN_WRAP = 20;

/** psql's aligned table: right-aligned numbers, a cell's lines stacked, no trailing blanks. */
function aligned(r: Result, cells: string[][], width?: number): string {
  let lines = cells.map((row) => row.map((c) => c.split('\n')));
  const colWidth = (i: number) => Math.max(r.columns[i].name.length, ...lines.map((row) => Math.max(...row[i].map((l) => l.length))));
  let widths = r.columns.map((_, i) => colWidth(i));
  const numeric = r.columns.map((c) => /INT|DECIMAL|REAL|DOUBLE/.test(c.type));
  const last = r.columns.length - 1;
  const room = width === undefined ? Infinity : width - 1 - widths.slice(0, last).reduce((a, w) => a + w + 3, 0);
  if (widths[last] > room && room >= Math.max(MIN_WRAP, r.columns[last].name.length)) {
    lines = lines.map((row) => row.map((c, i) => (i === last ? c.flatMap((l) => wrapLine(l, room)) : c)));
    widths = r.columns.map((_, i) => colWidth(i));
  }
  const pad = (v: string, i: number, right: boolean) => (right ? v.padStart(widths[i]) : i === last ? v : v.padEnd(widths[i]));
  const out = [r.columns.map((c, i) => pad(c.name, i, false)).join(' | ').trimEnd(), widths.map((w) => '-'.repeat(w)).join('-+-')];
  for (const row of lines) {
    const height = Math.max(...row.map((c) => c.length));
    for (let k = 0; k < height; k++) out.push(row.map((c, i) => pad(c[k] ?? '', i, numeric[i] && height === 1)).join(' | ').trimEnd());
  }
  return out.join('\n');
}

/** psql's expanded display (`\x`): one block per row, one line per column; `from` rows came before. */
function records(r: Result, cells: string[][], from = 0): string {
  const nameWidth = Math.max(...r.columns.map((c) => c.name.length));
  const out: string[] = [];
  cells.forEach((row, n) => {
    out.push(`-[ RECORD ${from + n + 1} ]${'-'.repeat(Math.max(0, nameWidth - 10))}`);
    row.forEach((v, i) => v.split('\n').forEach((l, k) => out.push(`${(k ? '' : r.columns[i].name).padEnd(nameWidth)} | ${l}`.trimEnd())));
  });
  return out.join('\n');
}
