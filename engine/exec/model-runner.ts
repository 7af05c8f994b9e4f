// Model inference inside a slice: one onnxruntime session per model per worker, fed this
// slice's rows batch by batch. The ML code is loaded only when a query calls a model.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Batch, Vector } from '../types/vector.ts';
import { makeVector, allocVector, stringVector } from '../types/vector.ts';
import { typeName } from '../types/types.ts';
import type { ModelStep } from './fragment.ts';
import { projectBatch } from './kernels.ts';
import { SqlError } from '../errors.ts';

interface PredictorLike {
  predict(args: Vector[], count: number): Promise<Vector>;
  predictProba(args: Vector[], count: number): Promise<{ labels: (string | number | boolean)[]; probs: Float64Array }>;
}

/** What stops a remote model's calls: the statement's cancel flag and deadline (epoch ms, 0 = none). */
export interface EvalStop { check(): void; readonly deadline: number }

interface ExplainerLike {
  /** the JSON texts dictionary-coded, entries distinct (the explainer dedupes them, cheaper than hashing the text) */
  explainColumn(args: Vector[], count: number): Promise<{ codes: Int32Array; dict: string[] }>;
}

export class ModelRunner {
  private sessions = new Map<string, Promise<PredictorLike>>();
  private explainers = new Map<string, Promise<ExplainerLike>>();

  constructor(private readonly dataDir: string) {}

  /** How many model sessions are open: one per graph and output type, never per query. */
  get sessionCount(): number {
    return this.sessions.size;
  }

  /** One session per graph and output type (a brought-your-own model returns its declared type). */
  private session(step: ModelStep): Promise<PredictorLike> {
    const key = `${step.onnx ?? step.model}|${step.proba ? 'prob' : typeName(step.type)}`;
    let s = this.sessions.get(key);
    if (!s) {
      s = (async () => {
        if (!step.onnx) throw new SqlError('MODEL_NOT_READY', `model ${step.model} has no compiled graph`);
        const bytes = new Uint8Array(await readFile(join(this.dataDir, 'models', step.onnx)));
        const { Predictor } = await import('../../ml/infer/predictor.ts');
        return Predictor.create(bytes, step.proba ? {} : { outputType: step.type }) as Promise<PredictorLike>;
      })();
      s.catch(() => this.sessions.delete(key));
      this.sessions.set(key, s);
    }
    return s;
  }

  /** One explainer per graph (`fn_explain`): TreeSHAP or KernelSHAP, see ml/explain. */
  private explainer(step: ModelStep & { explain: string[] }): Promise<ExplainerLike> {
    const key = `${step.onnx ?? step.model}|${JSON.stringify(step.explain)}|${JSON.stringify(step.args.map((a) => a.type))}`;
    let s = this.explainers.get(key);
    if (!s) {
      s = (async () => {
        if (!step.onnx) throw new SqlError('MODEL_NOT_READY', `model ${step.model} has no compiled graph`);
        const bytes = new Uint8Array(await readFile(join(this.dataDir, 'models', step.onnx)));
        const { Explainer } = await import('../../ml/explain/explainer.ts');
        return Explainer.create(bytes, { argNames: step.explain, argTypes: step.args.map((a) => a.type) });
      })();
      s.catch(() => this.explainers.delete(key));
      this.explainers.set(key, s);
    }
    return s;
  }

  /** The model's output for every row of the batch, as a new column. */
  async evaluate(step: ModelStep, batch: Batch, stop: EvalStop = { check: () => {}, deadline: 0 }): Promise<Vector> {
    if (batch.length === 0) return allocVector(step.type, 0);
    // plain column arguments are passed as they are; only computed ones are projected
    const computed = step.args.filter((a) => a.k !== 'col');
    const projected = computed.length ? projectBatch(batch, computed, null, batch.length) : [];
    let next = 0;
    const args = step.args.map((a) => (a.k === 'col' ? batch.columns[a.index] : projected[next++]));
    if (step.remote) {
      const { invokeRemote } = await import('../../ml/sagemaker/invoke.ts');
      return invokeRemote(step.remote, args, batch.length, step.type, stop);
    }
    if (step.explain) {
      const { codes, dict } = await (await this.explainer(step as ModelStep & { explain: string[] })).explainColumn(args, batch.length);
      return makeVector(step.type, batch.length, codes, null, dict);
    }
    const predictor = await this.session(step);
    if (!step.proba) {
      const out = await predictor.predict(args, batch.length);
      return { ...out, type: step.type };
    }
    const { labels, probs } = await predictor.predictProba(args, batch.length);
    const k = labels.length;
    const items: string[] = new Array(batch.length);
    const labelJson = JSON.stringify(labels);
    for (let r = 0; r < batch.length; r++) {
      const p: number[] = new Array(k);
      for (let j = 0; j < k; j++) p[j] = Math.round(probs[r * k + j] * 1e6) / 1e6;
      items[r] = `{"labels":${labelJson},"probabilities":${JSON.stringify(p)}}`;
    }
    return stringVector(step.type, items);
  }
}
