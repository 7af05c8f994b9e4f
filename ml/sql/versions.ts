// Model versions: CREATE [OR REPLACE] MODEL on an existing name adds version n+1 (trained, brought
// or imported alike). Which version is current decides what `fn(...)` runs; the rules live here so
// the statement, the background job and ALTER MODEL agree.
import { SqlError } from '../../engine/errors.ts';
import { newObjectId } from '../../engine/catalog/catalog.ts';
import type { StatementContext } from '../../engine/session/context.ts';
import { checkOwner } from '../../engine/session/privileges.ts';
import type * as A from '../../engine/sql/ast.ts';
import { type ModelEntry, type ModelVersion, makeCurrent, modelsOf, schemaIn, withVersions } from './catalog.ts';
import { checkCreatePrivilege, checkNamesFree, functionName, newModelKey } from './create.ts';
import type { ModelKey } from './jobs.ts';

/** Where a CREATE MODEL statement's version goes: a new model, or a new version of `existing`. */
export interface VersionTarget { key: ModelKey; fn: string; existing?: ModelEntry }

/**
 * Checks that the statement may create this model or add a version to it: the CREATE MODEL
 * privilege always; for a new version also ownership, and the model keeps its function name.
 */
export function versionTarget(ctx: StatementContext, name: string[], fnName: string[] | { fallback: string }, pos: A.Pos): VersionTarget {
  checkCreatePrivilege(ctx, pos);
  const key = newModelKey(ctx, name, pos);
  const existing = modelsOf(schemaIn(ctx.state, key)!)[key.name];
  // IMPORT MODEL without FUNCTION: the model's own function, else the one in the metadata
  const fn = Array.isArray(fnName) ? functionName(fnName, key, pos) : existing?.function ?? fnName.fallback;
  if (!existing) {
    checkNamesFree(ctx, key, fn, pos);
    return { key, fn };
  }
  checkOwner(ctx, existing, `model ${existing.name}`, pos);
  if (existing.function !== fn) {
    throw new SqlError('INVALID_PARAMETER', `model "${existing.name}" has function ${existing.function}; a new version keeps it (write FUNCTION ${existing.function}, or DROP MODEL first)`, pos);
  }
  return { key, fn, existing };
}

/**
 * Adds the version in the statement's transaction: a new model (version 1), or version
 * lastVersion+1 of the existing one, numbered when the transaction commits (so two concurrent
 * CREATEs get distinct numbers). Re-checked on replay.
 */
export function insertVersion(ctx: StatementContext, t: VersionTarget, v: Omit<ModelVersion, 'version'>): void {
  const { key } = t;
  const owner = ctx.ownerRef;
  ctx.txn.apply((s) => {
    const sc = schemaIn(s, key);
    if (!sc) throw new SqlError('UNDEFINED_OBJECT', `schema "${key.database}.${key.schema}" no longer exists`);
    const models = modelsOf(sc);
    const e = models[key.name];
    if (!t.existing) {
      if (e) throw new SqlError('DUPLICATE_OBJECT', `model "${key.name}" already exists`);
      const first: ModelVersion = { ...structuredClone(v), version: 1 };
      const entry = { ...structuredClone(first), modelId: newObjectId(), name: key.name, ...owner, function: t.fn, versions: [first], lastVersion: 1 } as ModelEntry;
      const clash = Object.values(models).find((o) => [o.function, `${o.function}_prob`].some((f) => f === t.fn || f === `${t.fn}_prob`));
      if (clash) throw new SqlError('DUPLICATE_OBJECT', `function ${t.fn} already exists (it belongs to model "${clash.name}")`);
      models[key.name] = entry;
      return;
    }
    if (!e || e.function !== t.fn) throw new SqlError('UNDEFINED_OBJECT', `model "${key.name}" was dropped or replaced while this version was being made`);
    const w = withVersions(e);
    const next: ModelVersion = { ...structuredClone(v), version: Math.max(w.lastVersion ?? 0, ...w.versions.map((x) => x.version)) + 1 };
    w.versions.push(next);
    w.lastVersion = next.version;
    if (becomesCurrent(w, next)) makeCurrent(w, next);
  }, { ddl: true });
}

/**
 * Whether version `v` (new, or just finished training) takes over from the current one: a READY
 * version replaces an older or unusable current one; a version still training only replaces a
 * current one that is not READY (so a model keeps answering while its next version trains).
 */
export function becomesCurrent(e: ModelEntry, v: ModelVersion): boolean {
  if (v.version === e.version) return true;
  if (e.state !== 'READY') return true;
  return v.state === 'READY' && v.version > e.version;
}

/** Applies a change to the version with id `id` (mirrored to the top level if it is current). */
export function updateVersion(e: ModelEntry, id: string, change: (v: ModelVersion) => void): ModelVersion | null {
  const w = withVersions(e);
  const v = w.versions.find((x) => x.id === id);
  if (!v) return null;
  change(v);
  if (becomesCurrent(w, v)) makeCurrent(w, v);
  return v;
}
