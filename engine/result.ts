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
  /**
   * A query's rows when the caller asked to stream them (`stream` in Session.execute/run):
   * `rows` is then empty and the rows are read from here; whoever takes the result closes it.
   */
  stream?: RowStream;
}

/**
 * A query's rows read a piece at a time (a client's result that is never formatted whole): the
 * rows the slices kept in memory, then those they wrote to files past their share of the budget.
 */
export interface RowStream {
  /** rows in the whole result */
  readonly total: number;
  /** rows not read yet */
  readonly remaining: number;
  /** bytes it holds: its rows in memory plus its files on disk */
  readonly heldBytes: number;
  /** the next rows, at most `n`, formatted as `Result.rows` holds them */
  next(n: number): unknown[][];
  /** gives up the rest: drops the rows and deletes the files (again is a no-op) */
  close(): void;
}
