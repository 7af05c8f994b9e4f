// The GraphQL schema: the core modules below, plus `graphqlModule` exported by optional
// modules of other areas (ml/graphql.ts, sharing/graphql.ts) when they exist.
import { createSchema } from 'graphql-yoga';
import type { GraphQLSchema } from 'graphql';
import type { GraphQLModule } from './module.ts';
import { base } from './base.ts';
import { sql } from './sql.ts';
import { catalog } from './catalog.ts';
import { access } from './access.ts';
import { wlm } from './wlm.ts';
import { events } from './events.ts';

/** The API's own modules; `base` defines the root types the others extend. */
export const CORE_MODULES: GraphQLModule[] = [base, sql, catalog, access, wlm, events];

/** Other areas' schema parts, each exporting `graphqlModule: GraphQLModule` (or a list); literal
 * import() calls, so the dist/ build rewrites them like any other import. */
const OPTIONAL: [string, () => Promise<{ graphqlModule?: GraphQLModule | GraphQLModule[] }>][] = [
  ['ml/graphql', () => import('../../ml/graphql.ts')],
  ['ml/monitor/graphql', () => import('../../ml/monitor/graphql.ts')],
  ['sharing/graphql', () => import('../../sharing/graphql.ts')],
];

export async function loadModules(): Promise<GraphQLModule[]> {
  const out = [...CORE_MODULES];
  for (const [name, load] of OPTIONAL) {
    let mod: { graphqlModule?: GraphQLModule | GraphQLModule[] };
    try {
      mod = await load();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String((e as Error).message).includes(name)) continue;
      throw e;
    }
    if (mod.graphqlModule) out.push(...[mod.graphqlModule].flat());
  }
  return out;
}

/** Merges modules into one executable schema. */
export function buildSchema(modules: GraphQLModule[]): GraphQLSchema {
  return createSchema({ typeDefs: modules.map((m) => m.typeDefs), resolvers: modules.map((m) => m.resolvers) });
}
