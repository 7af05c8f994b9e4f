// The rows of a COPY FROM STDIN batch as a relation only the copying session can read, so the
// load runs as one columnar `INSERT INTO t SELECT CAST(c AS type) ... FROM <batch>`: the
// engine coerces and checks the values and the user's INSERT privilege, at the speed of
// INSERT ... SELECT rather than of per-row VALUES.
import type { Database, Extension } from '../../engine/database.ts';
import type { SessionInfo } from '../../engine/session/context.ts';
import { answerFirst } from '../../engine/session/extension.ts';
import type { Relation } from '../../engine/plan/bind-query.ts';
import { stringVector, type Batch } from '../../engine/types/vector.ts';
import { T } from '../../engine/types/types.ts';

/** The name COPY's INSERT reads from; it resolves only in a session with rows pending. */
export const COPY_RELATION = '__pgwire_copy_stdin';

const pending = new WeakMap<SessionInfo, Extract<Relation, { kind: 'batch' }>>();
const installed = new WeakSet<Database>();

const extension: Extension = {
  name: 'pgwire',
  hooks: { relation: answerFirst('relation', (ctx, name) => {
    if (name.length !== 1 || name[0] !== COPY_RELATION) return null;
    return pending.get(ctx.session) ?? null;
  }) },
};

/** Adds the extension to a database once. */
export function installCopyRelation(db: Database): void {
  if (installed.has(db)) return;
  installed.add(db);
  db.use(extension);
}

/** Makes rows of text fields (null = NULL) readable as columns c0, c1, ... by `session` while `run` runs. */
export async function withCopyRows<T>(session: SessionInfo, rows: (string | null)[][], width: number, run: () => Promise<T>): Promise<T> {
  const columns = Array.from({ length: width }, (_, c) => stringVector(T.varchar, rows.map((r) => r[c])));
  const batch: Batch = { length: rows.length, columns };
  pending.set(session, { kind: 'batch', batch, fields: columns.map((_, c) => ({ name: `c${c}`, type: T.varchar })), path: [COPY_RELATION] });
  try {
    return await run();
  } finally {
    pending.delete(session);
  }
}
