// The shape of a statement's result, shared by the CLI, the GraphQL API and the tests.

/** One result column: its name and SQL type name (e.g. "DECIMAL(12,2)"). */
export interface ColumnInfo { name: string; type: string }

/**
 * A statement's result. Row values are JSON-ready: numbers, booleans, strings; DECIMAL as a
 * string ("12.30"), DATE as "YYYY-MM-DD", TIMESTAMP as "YYYY-MM-DD HH:MM:SS[.ffffff]", NULL as null.
 */
export interface Result {
  command: string;
  rowCount: number;
  columns: ColumnInfo[];
  rows: unknown[][];
}
