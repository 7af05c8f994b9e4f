// GraphQL: `models` and `model(name)` with the fields of SHOW MODEL. Training events are the
// API's `modelEvents` subscription (api/graphql/events.ts), fed by ModelJobs' 'model' events.
import type { ApiContext, GraphQLModule } from '../api/graphql/module.ts';
import type { AccountState } from '../engine/catalog/catalog.ts';
import { typeName } from '../engine/types/types.ts';
import { mayUseSchema } from '../engine/catalog/schema-usage.ts';
import type { MlExtension } from './extension.ts';
import { type ModelEntry, modelsOf } from './sql/catalog.ts';
import { effectiveState, signature } from './sql/show.ts';

interface ModelRef { database: string; schema: string; entry: ModelEntry; ctx: ApiContext }

function modelsIn(ctx: ApiContext, database?: string | null, schema?: string | null): ModelRef[] {
  const acct: AccountState | undefined = ctx.db.catalog.accounts[ctx.principal.account];
  const out: ModelRef[] = [];
  for (const d of Object.values(acct?.databases ?? {})) {
    if (database && d.name !== database) continue;
    for (const s of Object.values(d.schemas)) {
      // as SHOW MODEL: only models in schemas the caller may use
      if ((schema && s.name !== schema) || !mayUseSchema(ctx.db.catalog, ctx.principal, d, s)) continue;
      for (const entry of Object.values(modelsOf(s))) out.push({ database: d.name, schema: s.name, entry, ctx });
    }
  }
  return out.sort((a, b) => `${a.database}.${a.schema}.${a.entry.name}`.localeCompare(`${b.database}.${b.schema}.${b.entry.name}`));
}

function stateOf(r: ModelRef) {
  const ext = r.ctx.db.extensions.find((e) => e.name === 'ml') as MlExtension | undefined;
  return ext ? effectiveState(r.entry, ext.jobs) : { state: r.entry.state, reason: r.entry.reason };
}

export const graphqlModule: GraphQLModule = {
  name: 'ml',
  typeDefs: /* GraphQL */ `
    "A model made by CREATE MODEL: what SHOW MODEL shows."
    type Model {
      name: String!
      database: String!
      schema: String!
      owner: String!
      "TRAINING, READY or FAILED"
      state: String!
      "why training failed (FAILED only)"
      reason: String
      "LINEAR_LEARNER, XGBOOST, MLP, KMEANS, EXTERNAL (ONNX) for a brought-your-own model, REMOTE (SAGEMAKER) for remote inference"
      modelType: String
      problemType: String
      objective: String
      validationScore: Float
      target: String
      "the FROM query as SQL"
      query: String
      "the ONNX file a brought-your-own model came from (sagemaker:<endpoint> for remote inference)"
      source: String
      "remote inference: the SageMaker endpoint the function calls (CREATE MODEL ... SAGEMAKER 'endpoint')"
      endpoint: String
      "a multi-model endpoint's target model (SAGEMAKER 'endpoint':'model')"
      endpointModel: String
      functionName: String!
      "e.g. predict(REAL, VARCHAR) RETURNS INTEGER"
      functionSignature: String!
      arguments: [ModelArgument!]!
      returnType: String!
      "fn_prob, for classifiers"
      probabilityFunction: String
      labels: [JSON!]
      trainingRows: Int
      trainingSeconds: Float
      hyperparameters: JSON
      settings: JSON
      "brought-your-own models: what fn_explain's KernelSHAP compares with: zero, N row(s) of EXPLAIN_BACKGROUND, or the sample the graph carries"
      explainBaseline: String
      preprocessing: [ModelPreprocessing!]!
      featureImportance: [FeatureImportance!]!
      createdAt: String!
      finishedAt: String
    }

    type ModelArgument { name: String!, type: String! }
    type ModelPreprocessing { column: String!, transform: String! }
    type FeatureImportance { feature: String!, importance: Float! }

    extend type Query {
      "Models of the caller's account, optionally of one database and/or schema."
      models(database: String, schema: String): [Model!]!
      "One model by name (defaults: dev, public)."
      model(name: String!, schema: String, database: String): Model
    }
  `,
  resolvers: {
    Query: {
      models: (_: unknown, a: { database?: string | null; schema?: string | null }, ctx: ApiContext) => modelsIn(ctx, a.database, a.schema),
      model: (_: unknown, a: { name: string; schema?: string | null; database?: string | null }, ctx: ApiContext) =>
        modelsIn(ctx, a.database ?? 'dev', a.schema ?? 'public').find((r) => r.entry.name === a.name) ?? null,
    },
    Model: {
      name: (r: ModelRef) => r.entry.name,
      database: (r: ModelRef) => r.database,
      schema: (r: ModelRef) => r.schema,
      owner: (r: ModelRef) => r.entry.owner,
      state: (r: ModelRef) => stateOf(r).state,
      reason: (r: ModelRef) => stateOf(r).reason ?? null,
      modelType: (r: ModelRef) => r.entry.modelType ?? null,
      problemType: (r: ModelRef) => r.entry.problemType ?? null,
      objective: (r: ModelRef) => r.entry.objective ?? null,
      validationScore: (r: ModelRef) => r.entry.validationScore ?? null,
      target: (r: ModelRef) => r.entry.target ?? null,
      query: (r: ModelRef) => r.entry.query ?? null,
      source: (r: ModelRef) => r.entry.source ?? null,
      endpoint: (r: ModelRef) => r.entry.remote?.endpoint ?? null,
      endpointModel: (r: ModelRef) => r.entry.remote?.targetModel ?? null,
      functionName: (r: ModelRef) => r.entry.function,
      functionSignature: (r: ModelRef) => signature(r.entry),
      arguments: (r: ModelRef) => r.entry.args.map((x) => ({ name: x.name, type: typeName(x.type) })),
      returnType: (r: ModelRef) => typeName(r.entry.returns),
      probabilityFunction: (r: ModelRef) => (r.entry.proba ? `${r.entry.function}_prob` : null),
      labels: (r: ModelRef) => r.entry.labels ?? null,
      trainingRows: (r: ModelRef) => r.entry.trainingRows ?? null,
      trainingSeconds: (r: ModelRef) => r.entry.trainingSeconds ?? null,
      hyperparameters: (r: ModelRef) => r.entry.hyperparameters ?? null,
      settings: (r: ModelRef) => r.entry.settings,
      explainBaseline: (r: ModelRef) => r.entry.explainBaseline ?? null,
      preprocessing: (r: ModelRef) => r.entry.preprocessing ?? [],
      featureImportance: (r: ModelRef) => r.entry.featureImportance ?? [],
      createdAt: (r: ModelRef) => r.entry.createdAt,
      finishedAt: (r: ModelRef) => r.entry.finishedAt ?? null,
    },
  },
};
