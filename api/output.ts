// Printing results for the CLI: an aligned table (or psql's expanded records, `\x`), one JSON
// object per line, or CSV.
import type { Result } from '../engine/result.ts';

export type OutputFormat = 'table' | 'json' | 'csv';

const text = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = text(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One statement's result in the chosen format (ends with a newline); `expanded` prints records. */
export function formatResult(r: Result, format: OutputFormat, expanded = false): string {
  if (format === 'json') return `${JSON.stringify({ command: r.command, rowCount: r.rowCount, columns: r.columns, rows: r.rows })}\n`;
  if (format === 'csv') {
    if (!r.columns.length) return '';
    return [r.columns.map((c) => csvCell(c.name)).join(','), ...r.rows.map((row) => row.map(csvCell).join(','))].join('\n') + '\n';
  }
  if (!r.columns.length) return `${r.command}${r.rowCount ? ` ${r.rowCount}` : ''}\n`;
  const cells = r.rows.map((row) => row.map((v) => (v === null ? 'NULL' : text(v))));
  const count = `(${r.rows.length} row${r.rows.length === 1 ? '' : 's'})`;
  if (expanded) return r.rows.length ? `${records(r, cells)}\n${count}\n` : `${count}\n`;
  return `${aligned(r, cells)}\n${count}\n`;
}

/** psql's aligned table: right-aligned numbers, a cell's lines stacked, no trailing blanks. */
function aligned(r: Result, cells: string[][]): string {
  const lines = cells.map((row) => row.map((c) => c.split('\n')));
  const widths = r.columns.map((c, i) => Math.max(c.name.length, ...lines.map((row) => Math.max(...row[i].map((l) => l.length)))));
  const numeric = r.columns.map((c) => /INT|DECIMAL|REAL|DOUBLE/.test(c.type));
  const last = r.columns.length - 1;
  const pad = (v: string, i: number, right: boolean) => (right ? v.padStart(widths[i]) : i === last ? v : v.padEnd(widths[i]));
  const out = [r.columns.map((c, i) => pad(c.name, i, false)).join(' | ').trimEnd(), widths.map((w) => '-'.repeat(w)).join('-+-')];
  for (const row of lines) {
    const height = Math.max(...row.map((c) => c.length));
    for (let k = 0; k < height; k++) out.push(row.map((c, i) => pad(c[k] ?? '', i, numeric[i] && height === 1)).join(' | ').trimEnd());
  }
  return out.join('\n');
}

/** psql's expanded display (`\x`): one block per row, one line per column. */
function records(r: Result, cells: string[][]): string {
  const nameWidth = Math.max(...r.columns.map((c) => c.name.length));
  const out: string[] = [];
  cells.forEach((row, n) => {
    out.push(`-[ RECORD ${n + 1} ]${'-'.repeat(Math.max(0, nameWidth - 10))}`);
    row.forEach((v, i) => v.split('\n').forEach((l, k) => out.push(`${(k ? '' : r.columns[i].name).padEnd(nameWidth)} | ${l}`.trimEnd())));
  });
  return out.join('\n');
}
