// The one error type every layer throws for bad input. `code` is stable (the API exposes it);
// `position` is the 1-based line:column in the SQL text when the error has one.

export type ErrorCode =
  | 'SYNTAX_ERROR' | 'UNDEFINED_TABLE' | 'UNDEFINED_COLUMN' | 'UNDEFINED_FUNCTION' | 'UNDEFINED_OBJECT'
  | 'DUPLICATE_OBJECT' | 'AMBIGUOUS_COLUMN' | 'DATATYPE_MISMATCH' | 'DIVISION_BY_ZERO' | 'NUMERIC_OVERFLOW'
  | 'INVALID_TEXT_REPRESENTATION' | 'BAD_COPY_FILE' | 'SERIALIZATION_FAILURE' | 'PERMISSION_DENIED'
  | 'QUERY_CANCELED' | 'FEATURE_NOT_SUPPORTED' | 'INVALID_PARAMETER' | 'INVALID_TRANSACTION_STATE'
  | 'OBJECT_IN_USE' | 'DEPENDENT_OBJECTS_STILL_EXIST'
  | 'CARDINALITY_VIOLATION'
  | 'RECURSION_LIMIT'
  | 'READ_ONLY' | 'MODEL_NOT_READY' | 'NOT_NULL_VIOLATION' | 'OUT_OF_MEMORY' | 'LIMIT_EXCEEDED' | 'INTERNAL_ERROR';

export interface SourcePosition { line: number; column: number; offset: number }

export class SqlError extends Error {
  readonly code: ErrorCode;
  readonly position?: SourcePosition;
  constructor(code: ErrorCode, message: string, position?: SourcePosition) {
    super(position ? `${message} at line ${position.line}, column ${position.column}` : message);
    this.name = 'SqlError';
    this.code = code;
    this.position = position;
  }
}

/** Converts any thrown value to a SqlError, so callers never see a raw stack trace. */
export function asSqlError(e: unknown): SqlError {
  if (e instanceof SqlError) return e;
  if (e && typeof e === 'object' && (e as { name?: string }).name === 'SqlError') {
    const o = e as { code: ErrorCode; message: string; position?: SourcePosition };
    return Object.assign(new SqlError(o.code, ''), { message: o.message, position: o.position });
  }
  // a statement too deep for the binder or planner's recursion (the parser checks its own depth)
  if (e instanceof RangeError && /call stack/i.test(e.message)) return new SqlError('SYNTAX_ERROR', 'statement is too deeply nested');
  const msg = e instanceof Error ? (process.env.STRATA_DEBUG ? String(e.stack) : e.message) : String(e);
  return new SqlError('INTERNAL_ERROR', `internal error: ${msg}`);
}
