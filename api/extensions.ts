// Loads the optional parts of Strata (ML, sharing) into a database. Each declares the statements
// and hooks it wraps through the engine's extension interface, which composes them in one fixed
// order; registration is cheap, and their heavy libraries load with the first statement that
// needs them.
import type { Database } from '../engine/database.ts';
import { dropTokensOf } from './tokens.ts';
import { alsoRun } from '../engine/session/extension.ts';

/** Literal import() calls, so the dist/ build rewrites them like any other import. */
const MODULES: [string, () => Promise<{ extension?: (db: Database) => Parameters<Database['use']>[0] }>][] = [
  ['ml/extension', () => import('../ml/extension.ts')],
  ['sharing/extension', () => import('../sharing/extension.ts')],
];

export async function loadExtensions(db: Database): Promise<void> {
  for (const [name, load] of MODULES) {
    let mod: Awaited<ReturnType<typeof load>>;
    try {
      mod = await load();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String((e as Error).message).includes(name)) continue;
      throw e;
    }
    if (mod.extension) db.use(mod.extension(db));
  }
  // API tokens die with their user or account, in the same commit
  db.use({ name: 'tokens', hooks: { principalDropped: alsoRun('principalDropped', dropTokensOf) } });
}
