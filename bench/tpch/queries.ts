// The 22 TPC-H queries as shipped in queries/qNN.sql, split into statements.
import { readFileSync } from 'node:fs';

/** One TPC-H query: its number, its statements, and which statement's rows are the answer. */
export interface TpchQuery {
  n: number;
  name: string;
  statements: string[];
  answer: number;
}

/** Reads query n (1..22) from its standard text. */
export function tpchQuery(n: number): TpchQuery {
  const text = readFileSync(new URL(`./queries/q${String(n).padStart(2, '0')}.sql`, import.meta.url), 'utf8');
  const statements = text.split(/;\s*\n/).map((s) => s.trim()).filter(Boolean);
  const answer = statements.findIndex((s) => /^select\b/i.test(s));
  return { n, name: `Q${n}`, statements, answer };
}

export const TPCH_QUERIES: TpchQuery[] = Array.from({ length: 22 }, (_, i) => tpchQuery(i + 1));

/** DuckDB rejects the interval precision of Q1 (`interval '90' day (3)`); everything else runs as is. */
export function forDuckDB(sql: string): string {
  return sql.replace(/(interval\s+'\d+'\s+day)\s*\(\d+\)/gi, '$1');
}
