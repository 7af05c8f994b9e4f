// Printing results for the CLI: an aligned table, one JSON object per line, or CSV.
import type { Result } from '../engine/result.ts';

export type OutputFormat = 'table' | 'json' | 'csv';

const text = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = text(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One statement's result in the chosen format (ends with a newline). */
export function formatResult(r: Result, format: OutputFormat): string {
  if (format === 'json') return `${JSON.stringify({ command: r.command, rowCount: r.rowCount, columns: r.columns, rows: r.rows })}\n`;
  if (format === 'csv') {
    if (!r.columns.length) return '';
    return [r.columns.map((c) => csvCell(c.name)).join(','), ...r.rows.map((row) => row.map(csvCell).join(','))].join('\n') + '\n';
  }
  if (!r.columns.length) return `${r.command}${r.rowCount ? ` ${r.rowCount}` : ''}\n`;
  const cells = r.rows.map((row) => row.map((v) => (v === null ? 'NULL' : text(v))));
  const widths = r.columns.map((c, i) => Math.max(c.name.length, ...cells.map((row) => row[i].length)));
  const numeric = r.columns.map((c) => /INT|DECIMAL|REAL|DOUBLE/.test(c.type));
  const line = (vals: string[], header = false) => vals.map((v, i) => (numeric[i] && !header ? v.padStart(widths[i]) : v.padEnd(widths[i]))).join(' | ');
  const out = [line(r.columns.map((c) => c.name), true), widths.map((w) => '-'.repeat(w)).join('-+-'), ...cells.map((row) => line(row))];
  out.push(`(${r.rows.length} row${r.rows.length === 1 ? '' : 's'})`);
  return out.join('\n') + '\n';
}
