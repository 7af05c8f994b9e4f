// Loads the optional parts of Strata (ML, sharing) into a database. Each registers its
// statements and name resolution through the engine's extension interface.
import type { Database } from '../engine/database.ts';

const MODULES = ['../ml/extension.ts', '../sharing/extension.ts'];

export async function loadExtensions(db: Database): Promise<void> {
  for (const m of MODULES) {
    let mod: { extension?: (db: Database) => Parameters<Database['use']>[0] };
    try {
      mod = await import(m);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String((e as Error).message).includes(m.slice(3))) continue;
      throw e;
    }
    if (mod.extension) db.use(mod.extension(db));
  }
}
