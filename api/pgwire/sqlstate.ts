// Strata error codes as PostgreSQL SQLSTATEs (Appendix A of the PostgreSQL manual), and
// SqlErrors as ErrorResponse fields with the 1-based character position psql points at.
import { asSqlError } from '../../engine/errors.ts';
import type { ErrorFields } from './messages.ts';

const SQLSTATE: Record<string, string> = {
  SYNTAX_ERROR: '42601',
  UNDEFINED_TABLE: '42P01',
  UNDEFINED_COLUMN: '42703',
  UNDEFINED_FUNCTION: '42883',
  UNDEFINED_OBJECT: '42704',
  DUPLICATE_OBJECT: '42710',
  AMBIGUOUS_COLUMN: '42702',
  DATATYPE_MISMATCH: '42804',
  DIVISION_BY_ZERO: '22012',
  NUMERIC_OVERFLOW: '22003',
  INVALID_TEXT_REPRESENTATION: '22P02',
  BAD_COPY_FILE: '22P04',
  SERIALIZATION_FAILURE: '40001',
  PERMISSION_DENIED: '42501',
  DEPENDENT_OBJECTS_STILL_EXIST: '2BP01',
  QUERY_CANCELED: '57014',
  FEATURE_NOT_SUPPORTED: '0A000',
  INVALID_PARAMETER: '22023',
  INVALID_TRANSACTION_STATE: '25000',
  READ_ONLY: '25006',
  MODEL_NOT_READY: '55000',
  NOT_NULL_VIOLATION: '23502',
  LIMIT_EXCEEDED: '54000',
  INTERNAL_ERROR: 'XX000',
};

/** The SQLSTATE of a Strata error code; unknown codes are internal errors. */
export function sqlstateOf(code: string, message = ''): string {
  // Postgres distinguishes "in failed transaction" from other transaction-state errors
  if (code === 'INVALID_TRANSACTION_STATE' && /transaction is aborted/.test(message)) return '25P02';
  return SQLSTATE[code] ?? 'XX000';
}

/**
 * ErrorResponse fields for anything thrown while running a statement. `base` is the character
 * offset of the statement inside the text the client sent (positions are 1-based there).
 */
export function errorFields(e: unknown): ErrorFields {
  const err = asSqlError(e);
  // the engine appends "at line L, column C" for people; the wire carries the position apart
  const message = err.position ? err.message.replace(/ at line \d+, column \d+$/, '') : err.message;
  return {
    severity: 'ERROR',
    code: sqlstateOf(err.code, message),
    message,
    ...(err.position ? { position: err.position.offset + 1 } : {}),
  };
}
