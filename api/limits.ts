// Request limits: body bytes (also when chunked), GraphQL document size, depth, field count and
// top-level fields, SQL text size, statements per request, page size.
import { GraphQLError, Kind, type ASTVisitor, type FragmentDefinitionNode, type SelectionSetNode, type ValidationContext } from 'graphql';

export interface ApiLimits {
  /** bytes of an HTTP request body */
  maxBodyBytes: number;
  /** characters of a GraphQL document */
  maxQueryChars: number;
  /** nesting depth of a GraphQL selection */
  maxDepth: number;
  /** fields selected in one operation, counting fragment spreads expanded */
  maxFields: number;
  /** top-level fields (aliases included) in one operation: each may run SQL */
  maxRootFields: number;
  /** SQL statements one request may run, over all its fields and scripts */
  maxStatements: number;
  /** bytes of SQL text per request */
  maxSqlBytes: number;
  /** default and maximum rows in one page of a Result */
  defaultRows: number;
  maxRows: number;
}

export const DEFAULT_LIMITS: ApiLimits = {
  maxBodyBytes: 2 * 1024 * 1024,
  maxQueryChars: 100_000,
  maxDepth: 12,
  maxFields: 1000,
  maxRootFields: 20,
  maxStatements: 100,
  maxSqlBytes: 1024 * 1024,
  defaultRows: 1000,
  maxRows: 10_000,
};

/** Thrown when a request body grows past the limit while it is read. */
export class BodyTooLarge extends Error {
  constructor(readonly limit: number) { super(`request body is larger than ${limit} bytes`); }
}

/**
 * The request body read into memory, refusing it as soon as it passes `maxBytes` whatever the
 * Content-Length says (or when it is chunked and says nothing): the stream is cancelled, so an
 * endless body costs at most `maxBytes` of memory.
 */
export async function readBodyLimited(request: Request, maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new BodyTooLarge(maxBytes);
    }
    parts.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.byteLength; }
  return out;
}

/** Counts the statements of one request against its limit (fields resolve concurrently). */
export class StatementBudget {
  private used = 0;
  constructor(readonly limit: number) {}
  /** Takes `n` statements or throws LIMIT_EXCEEDED naming the limit. */
  take(n: number): void {
    this.used += n;
    if (this.used > this.limit) throw new GraphQLError(`this request runs more than ${this.limit} SQL statements; split it into several requests`, { extensions: { code: 'LIMIT_EXCEEDED', http: { status: 413 } } });
  }
}

/** A validation rule rejecting operations with more than `max` top-level fields (aliases count). */
export function rootFieldsRule(max: number) {
  return (ctx: ValidationContext): ASTVisitor => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const d of ctx.getDocument().definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
    return {
      OperationDefinition(op) {
        const count = (set: SelectionSetNode, seen: Set<string>): number => {
          let n = 0;
          for (const s of set.selections) {
            if (s.kind === Kind.FIELD) n += s.name.value === '__typename' ? 0 : 1;
            else if (s.kind === Kind.INLINE_FRAGMENT) n += count(s.selectionSet, seen);
            else {
              const f = fragments.get(s.name.value);
              if (f && !seen.has(f.name.value)) n += count(f.selectionSet, new Set([...seen, f.name.value]));
            }
          }
          return n;
        };
        const n = count(op.selectionSet, new Set());
        if (n > max) ctx.reportError(new GraphQLError(`operation has ${n} top-level fields; the limit is ${max} (each may run SQL)`, { nodes: [op], extensions: { code: 'QUERY_TOO_COMPLEX' } }));
      },
    };
  };
}

/**
 * How deep an operation that only introspects (`__schema`, `__type`) may nest: the standard
 * introspection query GraphiQL and codegen tools send is 15 levels deep (TypeRef's ofType
 * chain). Its cost is bounded by the schema, not by data; maxFields still applies.
 */
export const INTROSPECTION_DEPTH = 20;

/** A validation rule rejecting operations nested deeper than maxDepth or wider than maxFields. */
export function complexityRule(maxDepth: number, maxFields: number) {
  return (ctx: ValidationContext): ASTVisitor => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const d of ctx.getDocument().definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
    return {
      OperationDefinition(op) {
        let fields = 0;
        const walk = (set: SelectionSetNode | undefined, depth: number, seen: Set<string>): number => {
          if (!set) return depth;
          let max = depth;
          for (const s of set.selections) {
            if (fields > maxFields) return max;
            if (s.kind === Kind.FIELD) {
              fields++;
              max = Math.max(max, walk(s.selectionSet, depth + 1, seen));
            } else if (s.kind === Kind.INLINE_FRAGMENT) {
              max = Math.max(max, walk(s.selectionSet, depth, seen));
            } else {
              const f = fragments.get(s.name.value);
              if (!f || seen.has(f.name.value)) continue;
              max = Math.max(max, walk(f.selectionSet, depth, new Set([...seen, f.name.value])));
            }
          }
          return max;
        };
        const depth = walk(op.selectionSet, 0, new Set());
        const introspection = op.selectionSet.selections.every((s) => s.kind === Kind.FIELD && s.name.value.startsWith('__'));
        const limit = introspection ? Math.max(maxDepth, INTROSPECTION_DEPTH) : maxDepth;
        if (depth > limit) ctx.reportError(new GraphQLError(`query is nested ${depth} levels deep; the limit is ${limit}`, { nodes: [op], extensions: { code: 'QUERY_TOO_COMPLEX' } }));
        else if (fields > maxFields) ctx.reportError(new GraphQLError(`query selects more than ${maxFields} fields`, { nodes: [op], extensions: { code: 'QUERY_TOO_COMPLEX' } }));
      },
    };
  };
}
