// SQL errors as GraphQL errors: a stable `code` extension and the SQL position when known.
import { GraphQLError } from 'graphql';
import { maskError as yogaMaskError } from 'graphql-yoga';
import type { SqlError } from '../../engine/database.ts';

/** Extension codes the API itself adds besides the engine's error codes. */
export type ApiErrorCode = 'UNAUTHENTICATED' | 'LIMIT_EXCEEDED' | 'INVALID_CURSOR' | 'QUERY_TOO_COMPLEX';

/** An API-level error with a code extension. */
export function apiError(code: ApiErrorCode | string, message: string, status?: number): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...(status ? { http: { status } } : {}) } });
}

function isSqlError(e: unknown): e is SqlError {
  return !!e && typeof e === 'object' && (e as { name?: string }).name === 'SqlError' && typeof (e as { code?: unknown }).code === 'string';
}

/** The GraphQL error for a SqlError: `code`, `position` {line, column} and cancel `reason`. */
export function sqlGraphQLError(e: SqlError, from?: GraphQLError): GraphQLError {
  const reason = (e as { reason?: string }).reason;
  return new GraphQLError(e.message, {
    nodes: from?.nodes, source: from?.source, positions: from?.positions, path: from?.path, originalError: e,
    extensions: { code: e.code, ...(e.position ? { position: { line: e.position.line, column: e.position.column } } : {}), ...(reason ? { reason } : {}) },
  });
}

/** GraphQLError by shape: graphql may be loaded twice (ESM and CJS), so instanceof is unreliable. */
function isGraphQLError(e: unknown): e is GraphQLError {
  return e instanceof GraphQLError || (!!e && typeof e === 'object' && (e as { name?: string }).name === 'GraphQLError' && 'extensions' in e);
}

/** Yoga's maskError: SqlErrors and API errors keep their code and message; anything else is masked. */
export function maskError(error: unknown, message: string, isDev?: boolean): Error {
  const wrapper = isGraphQLError(error) ? error : undefined;
  const orig = wrapper ? wrapper.originalError ?? undefined : error;
  if (isSqlError(orig)) return sqlGraphQLError(orig, wrapper);
  if (isGraphQLError(orig)) {
    return new GraphQLError(orig.message, { nodes: wrapper?.nodes, source: wrapper?.source, positions: wrapper?.positions, path: wrapper?.path, extensions: orig.extensions });
  }
  if (wrapper && !orig) return wrapper;
  return yogaMaskError(error, message, isDev);
}
