// Shared model functions: a consumer calls `d.schema.fn(...)` and the producer's model runs. The ML
// extension owns the model layout (`schema.models`), so sharing asks it to resolve the function
// as the producer would (same snapshot, the producer's namespace), then checks that the model or
// function is in the share. The model and its ONNX file stay the producer's.
import type { Pos } from '../engine/sql/ast.ts';
import type { Hooks, ModelFunction } from '../engine/session/extension.ts';
import { StatementContext } from '../engine/session/context.ts';
import { SqlError } from '../engine/errors.ts';
import { consumerDatabase, openShare } from './consumer.ts';

const KEY_PREFIX = '\u0000shared-model:';

/** Remembers the ONNX file behind each shared model key handed to the planner. */
export class SharedModels {
  private readonly onnx = new Map<string, string | undefined>();

  /** `next` resolves model functions as the ML extension does; shared ones are resolved through it as the producer. */
  resolve(ctx: StatementContext, name: string[], pos: Pos, next: Hooks['modelFunction']): ModelFunction | null {
    // the executor asks for the ONNX file by the model key we returned at bind time
    if (name.length === 1 && name[0].startsWith(KEY_PREFIX)) {
      if (!this.onnx.has(name[0])) return null;
      return { model: name[0], onnx: this.onnx.get(name[0]), proba: false, type: { id: 'NULL' }, argTypes: [] };
    }
    let dbName: string, schema: string, fn: string;
    if (name.length === 3) [dbName, schema, fn] = name;
    else if (name.length === 2) [dbName, schema, fn] = [ctx.session.database, name[0], name[1]];
    else return null;
    if (!consumerDatabase(ctx, dbName)) return null;
    const open = openShare(ctx, dbName, pos);
    const { share } = open;
    const producerCtx = new StatementContext(ctx.db, {
      account: share.producer, user: share.owner, database: share.database, searchPath: [schema], settings: new Map(),
    }, ctx.txn, ctx.signal);
    const f = asProducer(producerCtx, [share.database, schema, fn], pos, next);
    const full = `${dbName}.${schema}.${fn}`;
    if (!f) throw new SqlError('UNDEFINED_FUNCTION', `function ${full} does not exist in datashare "${share.name}"`, pos);
    const modelName = f.model.split('.').pop()!;
    const shared = share.objects.some((o) => o.schema === schema && ((o.type === 'MODEL' && o.name === modelName) || (o.type === 'FUNCTION' && o.name === fn)));
    if (!shared) throw new SqlError('UNDEFINED_FUNCTION', `function ${full} is not shared by datashare "${share.name}"`, pos);
    // the key names the graph too: a producer switching model versions between this query's bind
    // and its execution (or another query's bind) cannot change the graph this query runs
    const key = `${KEY_PREFIX}${share.producer}.${share.database}.${schema}.${modelName}#${f.onnx ?? ''}`;
    this.onnx.set(key, f.onnx);
    return { ...f, model: key };
  }
}

/** The producer's model function of that name, resolved in the producer's namespace; null if none. */
function asProducer(ctx: StatementContext, name: string[], pos: Pos, next: Hooks['modelFunction']): ModelFunction | null {
  try {
    return next(ctx, name, pos);
  } catch (e) {
    if (!(e instanceof SqlError) || (e.code !== 'UNDEFINED_FUNCTION' && e.code !== 'UNDEFINED_OBJECT')) throw e;
    return null;
  }
}
