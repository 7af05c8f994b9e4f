// ALTER MODEL m SET EXPLAIN_BACKGROUND 'SELECT ...' [SEED n]: a new explanation background for
// the model's current version, in place. The background changes what fn_explain compares with,
// not what the model predicts, so it is no new version: the query runs once as the caller (the
// model's owner; their privileges and limits apply), a seeded sample of at most 32 rows goes into
// a copy of the version's ONNX graph under a new file name, and one catalog commit points the
// version at it. A query already running keeps the graph of its snapshot; later ones explain
// against the new sample; EXPORT MODEL hands it out. The old graph file goes with the last
// snapshot that names it (the catalog's file GC).
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SqlError } from '../../engine/errors.ts';
import type { Result } from '../../engine/result.ts';
import type { StatementContext } from '../../engine/session/context.ts';
import { done } from '../../engine/session/session.ts';
import type * as A from '../../engine/sql/ast.ts';
import { type ModelLocation, type ModelVersion, makeCurrent, modelsOf, resolveVersion, schemaIn, withVersions } from './catalog.ts';
import { sampleBackground, withBackground } from './explain_background.ts';
import type { ModelJobs } from './jobs.ts';

export async function setExplainBackground(stmt: A.AlterModel & { action: { kind: 'SetExplainBackground' } }, m: ModelLocation, ctx: StatementContext, jobs: ModelJobs): Promise<Result> {
  const { query, seed } = stmt.action;
  const { name } = m.entry;
  const v = resolveVersion(m.entry, undefined, stmt.pos);
  if (v.remote) throw new SqlError('FEATURE_NOT_SUPPORTED', `model "${name}" is served by SageMaker endpoint ${v.remote.endpoint}: it has no graph to explain, so no explanation background`, stmt.pos);
  if (v.state !== 'READY' || !v.onnxFile) throw new SqlError('MODEL_NOT_READY', `version ${v.version} of model "${name}" is ${v.state}; only a READY version takes an explanation background`, stmt.pos);
  const rows = await sampleBackground(ctx, query, v.args.map((x) => x.type), seed ?? 0, stmt.pos);
  const graph = new Uint8Array(await readFile(join(ctx.db.dataDir, 'models', v.onnxFile)));
  const file = await jobs.writeOnnx({ account: m.account, database: m.database, schema: m.schema, name, id: `${v.id}-bg-${randomUUID().slice(0, 8)}` }, withBackground(graph, rows));
  ctx.txn.newFiles.add(file);
  const baseline = `${rows.length} row(s) of EXPLAIN_BACKGROUND`;
  const update = (x: ModelVersion): void => {
    x.onnxFile = file;
    x.explainBaseline = baseline;
    // a brought-your-own model's SETTINGS are its background's; a trained model's are its training's
    if (x.modelType === 'EXTERNAL (ONNX)') {
      x.settings = { ...x.settings, EXPLAIN_BACKGROUND: query };
      if (seed !== undefined) x.settings.SEED = String(seed);
      else delete x.settings.SEED;
    }
  };
  ctx.txn.apply((s) => {
    const sc = schemaIn(s, m);
    const e = sc ? modelsOf(sc)[name] : undefined;
    if (!e) throw new SqlError('UNDEFINED_OBJECT', `model "${name}" no longer exists`);
    const w = withVersions(e);
    const target = w.versions.find((x) => x.id === v.id);
    // another statement replaced the graph (or dropped the version) while the query ran
    if (!target || target.onnxFile !== v.onnxFile) throw new SqlError('SERIALIZATION_FAILURE', `version ${v.version} of model "${name}" changed while its explanation background was sampled; run ALTER MODEL again`);
    update(target);
    if (w.id === v.id) makeCurrent(w, target);
  }, { ddl: true });
  ctx.txn.afterCommit.push(() => jobs.emit({ account: m.account, database: m.database, schema: m.schema, name, id: v.id }, 'altered', m.entry.state, { message: `explanation background: ${baseline}` }));
  return done('ALTER MODEL');
}
