// Request limits: GraphQL document size, depth and field count, SQL text size, page size.
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
  maxSqlBytes: 1024 * 1024,
  defaultRows: 1000,
  maxRows: 10_000,
};

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
        if (depth > maxDepth) ctx.reportError(new GraphQLError(`query is nested ${depth} levels deep; the limit is ${maxDepth}`, { nodes: [op], extensions: { code: 'QUERY_TOO_COMPLEX' } }));
        else if (fields > maxFields) ctx.reportError(new GraphQLError(`query selects more than ${maxFields} fields`, { nodes: [op], extensions: { code: 'QUERY_TOO_COMPLEX' } }));
      },
    };
  };
}
