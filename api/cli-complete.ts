// Tab completion for the shell: backslash commands, SQL keywords, and the tables, views and
// columns of the session's current database (from the latest committed catalog).
import type { CatalogState } from '../engine/catalog/catalog.ts';

/** What completion knows: table and view names, and their columns. */
export interface CatalogNames { relations: string[]; columns: Map<string, string[]> }

const KEYWORDS = `SELECT FROM WHERE GROUP BY HAVING ORDER LIMIT OFFSET DISTINCT AS AND OR NOT NULL IS IN
BETWEEN LIKE ILIKE CASE WHEN THEN ELSE END JOIN INNER LEFT RIGHT FULL OUTER CROSS ON USING UNION
INTERSECT EXCEPT ALL WITH RECURSIVE INSERT INTO VALUES UPDATE SET DELETE CREATE TABLE VIEW SCHEMA
DATABASE DROP ALTER ADD COLUMN RENAME TO IF EXISTS PRIMARY KEY UNIQUE DEFAULT DISTSTYLE DISTKEY
SORTKEY EVEN AUTO COPY UNLOAD FORMAT CSV PARQUET IGNOREHEADER DELIMITER BEGIN COMMIT ROLLBACK
GRANT REVOKE EXPLAIN ANALYZE VACUUM SHOW DESCRIBE MODEL FUNCTION TARGET RETURNS DATASHARE ACCOUNT
MONITOR MONITORS RUN SCHEDULE EVERY THRESHOLD RETRAIN DRIFT
TRUE FALSE CAST INTEGER INT BIGINT SMALLINT DECIMAL NUMERIC REAL DOUBLE PRECISION VARCHAR CHAR
BOOLEAN DATE TIMESTAMP INTERVAL COUNT SUM AVG MIN MAX COALESCE NULLIF OVER PARTITION ASC DESC
NULLS FIRST LAST`.split(/\s+/);

const META = ['\\?', '\\d', '\\dt', '\\dv', '\\dm', '\\dS', '\\dn', '\\l', '\\x', '\\timing', '\\i', '\\o', '\\q'];

/** The tables and views (with their columns) of one database of an account. */
export function catalogNames(catalog: CatalogState, account: string, database: string): CatalogNames {
  const db = catalog.accounts[account]?.databases[database];
  const relations: string[] = [];
  const columns = new Map<string, string[]>();
  for (const s of Object.values(db?.schemas ?? {})) {
    for (const t of Object.values(s.tables)) { relations.push(t.name); columns.set(t.name, t.columns.map((c) => c.name)); }
    for (const v of Object.values(s.views)) { relations.push(v.name); columns.set(v.name, v.columns.map((c) => c.name)); }
  }
  return { relations, columns };
}

/**
 * Completions for the word before the cursor, given the statement typed so far (`before`, the
 * earlier lines) and the current line. Columns come from the tables the statement names, or
 * from every table when it names none yet.
 */
export function complete(names: CatalogNames, before: string, line: string): [string[], string] {
  const word = /[\\\w.$]*$/.exec(line)![0];
  if (word.startsWith('\\')) return [META.filter((m) => m.startsWith(word)), word];
  const prefix = word.slice(word.lastIndexOf('.') + 1);
  const lower = prefix.toLowerCase();
  const { relations, columns } = names;
  const text = `${before} ${line}`.toLowerCase();
  const named = relations.filter((r) => new RegExp(`\\b${r.replace(/\$/g, '\\$')}\\b`).test(text));
  const cols = [...new Set((named.length ? named : relations).flatMap((r) => columns.get(r) ?? []))];
  const afterFrom = /\b(from|join|into|update|table|describe)\s+[\w.$]*$/i.test(line);
  const upper = prefix !== '' && prefix === prefix.toUpperCase() && /[A-Z]/.test(prefix);
  const keywords = afterFrom ? [] : KEYWORDS.map((k) => (upper ? k : k.toLowerCase()));
  const pool = afterFrom ? relations : [...cols, ...relations, ...keywords];
  const hits = [...new Set(pool.filter((c) => c.toLowerCase().startsWith(lower)))].sort();
  return [hits, prefix];
}
