// SQL errors as GraphQL errors: a stable `code` extension and the SQL position when known.
import { GraphQLError } from 'graphql';
import { maskError as yogaMaskError } from 'graphql-yoga';
import type { SqlError } from '../../engine/database.ts';
import { realpathSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

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

/**
 * Removes the server's own absolute paths (data directory, working and home directories, the
 * installation, the temp directory) from error messages before they reach API clients.
 */
export function pathScrubber(dataDir: string): (message: string) => string {
  const label = new Map<string, string>();
  const add = (p: string, name: string) => {
    for (const v of [p, realOr(p)]) if (v.length > 1 && !label.has(v)) label.set(v, name);
  };
  add(resolve(dataDir), '<data>');
  add(fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, ''), '<server>');
  add(process.cwd(), '<server>');
  add(tmpdir(), '<tmp>');
  add(homedir(), '~');
  const roots = [...label.keys()].sort((a, b) => b.length - a.length);
  const re = new RegExp(`(?:file://)?(${roots.map(escapeRegExp).join('|')})(?=[/\\\\\\s"'\`:,)]|$)`, 'g');
  return (message) => message.replace(re, (_, root: string) => label.get(root)!);
}

function realOr(p: string): string {
  try { return realpathSync.native(p); } catch { return p; }
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The same error with its message passed through `scrub`. */
export function scrubError(e: Error, scrub: (m: string) => string): Error {
  const message = scrub(e.message);
  if (message === e.message) return e;
  if (isGraphQLError(e)) return new GraphQLError(message, { nodes: e.nodes, source: e.source, positions: e.positions, path: e.path, extensions: e.extensions });
  return Object.assign(new Error(message), { name: e.name });
}
