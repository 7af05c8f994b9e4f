// Per-row explanations of one model: each SQL argument's contribution, plus the base value they
// add up to the explained output. Tree ensembles get exact TreeSHAP on their margins, computed
// in the ensemble's own feature space (after imputation, scaling, one-hot) and summed back onto
// the arguments those features came from; every other model gets KernelSHAP over the arguments
// against a background sample of its training snapshot (see kernel.ts).
import { SqlError } from '../../engine/errors.ts';
import { type SqlType, T, isNumeric, isString } from '../../engine/types/types.ts';
import { type Vector, stringVector } from '../../engine/types/vector.ts';
import { META } from '../onnx/compile.ts';
import { Predictor } from '../infer/predictor.ts';
import { type Label, labelAt, readNumbers, readTexts } from '../util/values.ts';
import { type Ensemble, coverFromSample, decodeModel, findEnsemble } from './ensemble.ts';
import { featureGraph } from './feature_graph.ts';
import { type Coalitions, EXACT_MAX_PLAYERS, coalitions, rowSeed, solveShapley } from './kernel.ts';
import { TreeShap } from './treeshap.ts';
import { ExplanationText } from './explanation_text.ts';

/** Background rows KernelSHAP averages over (the first ones of the stored sample). */
export const KERNEL_BACKGROUND = 32;
/** Synthetic rows per onnxruntime call while explaining with KernelSHAP. */
const KERNEL_BATCH = 16_384;

/** One row's explanation: base + Σ contributions = prediction (the explained output). */
export interface RowExplanation {
  method: 'tree' | 'kernel';
  /** margin (trees: raw score, log-odds for binary classifiers), value (regression), probability, label_match */
  output: 'margin' | 'value' | 'probability' | 'label_match';
  /** classifiers: the class whose score is explained */
  label?: Label;
  base: number;
  prediction: number;
  contributions: Float64Array;
}

/** A background row in feed space: numbers (null = NULL) for numeric arguments, strings for text. */
export type BackgroundRow = (number | string | null)[];

export interface ExplainerOptions {
  argNames: string[];
  argTypes: SqlType[];
  /** the prediction function's return type (brought-your-own models declare it) */
  outputType?: SqlType;
}

export abstract class Explainer {
  abstract readonly method: RowExplanation['method'];

  constructor(readonly argNames: string[], readonly argTypes: SqlType[], readonly background: BackgroundRow[]) {}

  /** Explains `count` rows of the argument vectors. */
  abstract explain(args: Vector[], count: number): Promise<RowExplanation[]>;
  abstract release(): Promise<void>;

  /** Builds the right explainer for a graph: TreeSHAP when it has one additive tree ensemble we can map back. */
  static async create(bytes: Uint8Array, opts: ExplainerOptions): Promise<Explainer> {
    const model = decodeModel(bytes);
    const meta = Object.fromEntries((model.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? '']));
    const background = parseBackground(meta[META.background], opts.argTypes);
    const labels = meta[META.labels] ? (JSON.parse(meta[META.labels]) as Label[] | null) : null;
    const ensemble = findEnsemble(model);
    if (ensemble) {
      const tree = await TreeExplainer.open(bytes, model, ensemble, meta, background, labels, opts);
      if (tree) return tree;
    }
    return KernelExplainer.open(bytes, meta, background, opts);
  }

  /** Mean |contribution| per argument over the background sample (EXPLAIN_MODEL), or null without one. */
  async meanAbs(limit = Infinity): Promise<{ rows: number; values: Float64Array } | null> {
    const n = Math.min(this.background.length, limit);
    if (n === 0) return null;
    const ex = await this.explain(backgroundVectors(this.background.slice(0, n), this.argTypes), n);
    const out = new Float64Array(this.argNames.length);
    for (const e of ex) for (let i = 0; i < out.length; i++) out[i] += Math.abs(e.contributions[i]) / n;
    return { rows: n, values: out };
  }

  /**
   * The explanations as the VARCHAR JSON `fn_explain` returns, dictionary-coded: equal texts
   * share one entry (see explanation_text.ts).
   */
  async explainColumn(args: Vector[], count: number): Promise<ExplanationColumn> {
    const names = this.argNames.map((n, i) => `${i ? ',' : ''}${JSON.stringify(n)}:`);
    // KernelSHAP without a background compares with one all-zero row: say so, it is rarely meaningful
    const baseline = this.method === 'kernel' ? `"baseline":"${this.background.length ? 'sample' : 'zero'}",` : '';
    const rows = await this.explain(args, count);
    const labels = rows.map((e) => (e.label === undefined ? '' : `"label":${JSON.stringify(e.label)},`));
    const text = new ExplanationText(count, ExplanationText.needsWide([...names, ...labels]));
    rows.forEach((e, r) => {
      text.text(`{"method":"${e.method}","output":"${e.output}",${baseline}${labels[r]}"base":`);
      writeBody(text, names, e.base, e.prediction, e.contributions);
    });
    return { codes: text.codes, dict: text.dictionary() };
  }
}

/** A row's length at most, about: its longest head, the names, and 24 characters per number. */
function rowLength(names: string[], heads: string[]): number {
  return Math.max(...heads.map((h) => h.length)) + names.reduce((n, s) => n + s.length, 0) + 24 * (names.length + 2) + 32;
}

/** A dictionary-coded text column: row r's text is dict[codes[r]], the entries distinct. */
export interface ExplanationColumn { codes: Int32Array; dict: string[] }

/** The rest of a row's JSON after `"base":`, and the row's end. */
function writeBody(text: ExplanationText, names: string[], base: number, prediction: number, contributions: Float64Array): void {
  text.number(base);
  text.text(',"prediction":');
  text.number(prediction);
  text.text(',"contributions":{');
  for (let i = 0; i < names.length; i++) { text.text(names[i]); text.number(contributions[i]); }
  text.text('}}');
  text.endRow();
}

/** Rows TreeSHAP explains per call (bounds its scratch: rows × classes × features doubles). */
const EXPLAIN_CHUNK = 1024;

function padRows(data: Float32Array, count: number, width: number, to: number): Float32Array {
  const out = new Float32Array(count * to);
  for (let r = 0; r < count; r++) out.set(data.subarray(r * width, (r + 1) * width), r * to);
  return out;
}

/** Exact TreeSHAP on the ensemble's margins. */
class TreeExplainer extends Explainer {
  readonly method = 'tree' as const;

  private constructor(
    names: string[], types: SqlType[], background: BackgroundRow[],
    private readonly features: Predictor, private readonly featureName: string,
    private readonly shap: TreeShap, private readonly featureArgs: number[],
    private readonly classes: Label[] | null, private readonly head: 'identity' | 'binary' | 'multi',
  ) { super(names, types, background); }

  /** null when the ensemble's features cannot be mapped back to the arguments (then KernelSHAP). */
  static async open(bytes: Uint8Array, model: ReturnType<typeof decodeModel>, e: Ensemble, meta: Record<string, string>,
    background: BackgroundRow[], labels: Label[] | null, opts: ExplainerOptions): Promise<TreeExplainer | null> {
    const g = featureGraph(model, e.input);
    const features = await Predictor.create(g.bytes);
    const close = async () => { await features.release(); return null; };
    // which argument each feature column comes from
    let featureArgs: number[] | null = null;
    if (meta[META.featureArgs]) featureArgs = JSON.parse(meta[META.featureArgs]) as number[];
    else if (g.isInput) {
      const layout = features.layout;
      if (layout.kind === 'matrix' && layout.width === opts.argNames.length) featureArgs = opts.argNames.map((_, i) => i);
      else if (layout.kind === 'packed' && layout.name === e.input) featureArgs = layout.args;
      else if (layout.kind === 'columns' && layout.inputs.length === 1 && opts.argNames.length === 1) featureArgs = [0];
    }
    if (!featureArgs || featureArgs.some((a) => !Number.isInteger(a) || a < 0 || a >= opts.argNames.length)) return close();
    const width = Math.max(featureArgs.length, e.width);
    if (e.width > featureArgs.length) return close();
    if (e.trees.some((t) => t.cover.some(Number.isNaN))) {
      // covers the model does not carry come from the training background, else no TreeSHAP
      if (!background.length) return close();
      const x = await features.floatOutput(backgroundVectors(background, opts.argTypes), background.length, g.output);
      coverFromSample(e, x.data, background.length, x.width);
    }
    const classes = labels ?? e.classLabels ?? null;
    const head = !classes ? 'identity' : e.targets === 1 ? 'binary' : 'multi';
    return new TreeExplainer(opts.argNames, opts.argTypes, background, features, g.output, new TreeShap(e, width), featureArgs, classes, head);
  }

  async explain(args: Vector[], count: number): Promise<RowExplanation[]> {
    const out: RowExplanation[] = new Array(count);
    const output = this.head === 'identity' ? 'value' : 'margin';
    await this.each(args, count, (r, k, contributions, base, prediction) => {
      out[r] = {
        method: 'tree', output, ...(this.classes ? { label: this.label(k) } : {}),
        base, prediction, contributions: Float64Array.from(contributions),
      };
    });
    return out;
  }

  /** Writes each row's JSON text straight from the contributions (no per-row objects). */
  override async explainColumn(args: Vector[], count: number): Promise<ExplanationColumn> {
    const names = this.argNames.map((n, i) => `${i ? ',' : ''}${JSON.stringify(n)}:`);
    const head = `{"method":"tree","output":"${this.head === 'identity' ? 'value' : 'margin'}",`;
    const labels = this.classes?.map((l) => `${head}"label":${JSON.stringify(l)},"base":`);
    const plain = `${head}"base":`;
    const text = new ExplanationText(count, ExplanationText.needsWide([...names, ...(labels ?? [])]), rowLength(names, labels ?? [plain]));
    await this.each(args, count, (r, k, contributions, base, prediction) => {
      text.text(labels ? labels[this.head === 'binary' ? labels.length - 1 : k] : plain);
      writeBody(text, names, base, prediction, contributions);
    });
    return { codes: text.codes, dict: text.dictionary() };
  }

  private label(k: number): Label {
    return this.classes![this.head === 'binary' ? this.classes!.length - 1 : k];
  }

  /**
   * Explains the rows a chunk at a time and hands each row's explained class k, its per-argument
   * contributions (a scratch array, valid during the call), base and prediction to `row`.
   */
  private async each(args: Vector[], count: number, row: (r: number, k: number, contributions: Float64Array, base: number, prediction: number) => void): Promise<void> {
    const features = await this.features.floatOutput(args, count, this.featureName);
    const shap = this.shap, targets = shap.targets, w = shap.width, stride = Math.max(features.width, w);
    // a feature tensor narrower than the ensemble reads is padded with zeros (unused features)
    const data = features.width >= w ? features.data : padRows(features.data, count, features.width, w);
    const chunk = Math.min(count, EXPLAIN_CHUNK);
    const phi = new Float64Array(chunk * targets * w), margin = new Float64Array(chunk * targets);
    const contributions = new Float64Array(this.argNames.length);
    const featureArgs = this.featureArgs;
    for (let start = 0; start < count; start += chunk) {
      const n = Math.min(chunk, count - start);
      phi.fill(0); margin.fill(0);
      shap.explainBlock(data, start * stride, n, stride, phi, margin);
      for (let r = 0; r < n; r++) {
        let k = 0;
        const m = r * targets;
        if (this.head === 'multi') for (let j = 1; j < targets; j++) if (margin[m + j] > margin[m + k]) k = j;
        contributions.fill(0);
        const at = (m + k) * w;
        for (let f = 0; f < featureArgs.length; f++) contributions[featureArgs[f]] += phi[at + f];
        row(start + r, k, contributions, shap.expected[k], margin[m + k]);
      }
    }
  }

  async release(): Promise<void> { await this.features.release(); }
}

/** KernelSHAP against the background sample (or, without one, a single all-zero / empty-text row). */
class KernelExplainer extends Explainer {
  readonly method = 'kernel' as const;
  private readonly bg: BackgroundRow[];
  private readonly kind: RowExplanation['output'];
  private readonly cache = new Map<number, Coalitions>();
  private baseEval?: Evaluated;

  private constructor(names: string[], types: SqlType[], background: BackgroundRow[], private readonly predictor: Predictor, private readonly hasProba: boolean, classifier: boolean) {
    super(names, types, background);
    this.bg = background.length ? background.slice(0, KERNEL_BACKGROUND) : [types.map((t) => (isString(t) ? '' : 0))];
    const numeric = isNumeric(predictor.outputType);
    this.kind = hasProba ? 'probability' : classifier || !numeric ? 'label_match' : 'value';
  }

  static async open(bytes: Uint8Array, meta: Record<string, string>, background: BackgroundRow[], opts: ExplainerOptions): Promise<KernelExplainer> {
    const predictor = await Predictor.create(bytes, opts.outputType ? { outputType: opts.outputType } : {});
    let hasProba = true;
    try { await predictor.predictProba(opts.argTypes.map((t) => (isString(t) ? stringVector(T.varchar, ['']) : numbers([0]))), 1); } catch { hasProba = false; }
    const problem = meta[META.problemType] ?? '';
    const classifier = problem.endsWith('CLASSIFICATION') || problem === 'CLUSTERING';
    return new KernelExplainer(opts.argNames, opts.argTypes, background, predictor, hasProba, classifier);
  }

  async explain(args: Vector[], count: number): Promise<RowExplanation[]> {
    const M = this.argTypes.length, B = this.bg.length;
    const rows = readRows(args, this.argTypes, count);
    // f on the rows themselves decides the explained class and the prediction
    const own = await this.evaluate(args, count);
    const base = (this.baseEval ??= await this.evaluate(backgroundVectors(this.bg, this.argTypes), B));
    const out: RowExplanation[] = [];
    // rows go to the model in groups of about KERNEL_BATCH synthetic rows (one call each)
    for (let first = 0; first < count;) {
      const group: { r: number; co: Coalitions; at: number }[] = [];
      let total = 0;
      for (let r = first; r < count && (group.length === 0 || total < KERNEL_BATCH); r++) {
        const co = M <= EXACT_MAX_PLAYERS ? this.exact(M) : coalitions(M, rowSeed(rows[r] as (number | string)[]));
        group.push({ r, co, at: total });
        total += co.count * B;
      }
      first += group.length;
      const ev = await this.evaluate(this.synthetic(group.map((g) => ({ row: rows[g.r], co: g.co })), total), total);
      let empty = 0;
      const pickBase = (r: number) => this.picker(own, r);
      for (const g of group) {
        const pick = pickBase(g.r);
        const values = new Float64Array(g.co.count);
        for (let c = 0; c < g.co.count; c++) { let sum = 0; for (let b = 0; b < B; b++) sum += pick(ev, g.at + c * B + b); values[c] = sum / B; }
        empty = 0;
        for (let b = 0; b < B; b++) empty += pick(base, b);
        empty /= B;
        const prediction = pick(own, g.r);
        out.push({
          method: 'kernel', output: this.kind, ...(this.kind !== 'value' ? { label: own.labels[g.r] } : {}),
          base: empty, prediction, contributions: solveShapley(g.co, values, empty, prediction),
        });
      }
    }
    return out;
  }

  /** The coalition rows, column by column: argument j is the row's value where the mask has j, else the background's. */
  private synthetic(parts: { row: BackgroundRow; co: Coalitions }[], total: number): Vector[] {
    const B = this.bg.length, M = this.argTypes.length;
    return this.argTypes.map((t, j) => {
      const text = isString(t);
      const col: (string | number)[] | Float64Array = text ? new Array<string>(total) : new Float64Array(total);
      let o = 0;
      for (const { row, co } of parts) {
        const mine = text ? String(row[j] ?? '') : row[j] === null ? NaN : Number(row[j]);
        for (let c = 0; c < co.count; c++) {
          const take = co.masks[c * M + j] === 1;
          for (let b = 0; b < B; b++, o++) {
            const v = this.bg[b][j];
            col[o] = take ? mine : text ? String(v ?? '') : v === null ? NaN : Number(v);
          }
        }
      }
      return text ? stringVector(T.varchar, col as string[]) : { type: T.double, length: total, values: col as Float64Array, valid: null };
    });
  }

  private exact(M: number): Coalitions {
    let c = this.cache.get(M);
    if (!c) { c = coalitions(M, 0); this.cache.set(M, c); }
    return c;
  }

  /** The explained scalar of evaluated row i, for the class query row r predicted. */
  private picker(own: Evaluated, r: number): (e: Evaluated, i: number) => number {
    if (this.kind === 'value') return (e, i) => e.values[i];
    if (this.kind === 'label_match') { const want = own.labels[r]; return (e, i) => (e.labels[i] === want ? 1 : 0); }
    const k = own.classIndex[r];
    return (e, i) => e.probs![i * e.width + k];
  }

  /** Runs the model over argument vectors (the Predictor batches them). */
  private async evaluate(vs: Vector[], n: number): Promise<Evaluated> {
    const e: Evaluated = { values: new Float64Array(n), labels: new Array(n), classIndex: new Int32Array(n), probs: null, width: 0 };
    if (n === 0) return e;
    if (this.hasProba) {
      const { labels, probs } = await this.predictor.predictProba(vs, n);
      const k = labels.length;
      e.probs = probs; e.width = k;
      for (let i = 0; i < n; i++) {
        let best = 0;
        for (let j = 1; j < k; j++) if (probs[i * k + j] > probs[i * k + best]) best = j;
        e.classIndex[i] = best; e.labels[i] = labels[best];
      }
    } else {
      const v = await this.predictor.predict(vs, n);
      for (let i = 0; i < n; i++) {
        const l = labelAt(v, i);
        e.labels[i] = l ?? '';
        e.values[i] = typeof l === 'number' ? l : typeof l === 'boolean' ? Number(l) : NaN;
      }
    }
    return e;
  }

  async release(): Promise<void> { await this.predictor.release(); }
}

interface Evaluated { values: Float64Array; labels: Label[]; classIndex: Int32Array; probs: Float64Array | null; width: number }

function numbers(xs: ArrayLike<number>): Vector {
  return { type: T.double, length: xs.length, values: Float64Array.from(xs), valid: null };
}

/** Feed-space rows as argument vectors: DOUBLE (NULL as NaN, which the graph imputes) or VARCHAR. */
export function backgroundVectors(rows: BackgroundRow[], types: SqlType[]): Vector[] {
  return types.map((t, i) => (isString(t)
    ? stringVector(T.varchar, rows.map((r) => String(r[i] ?? '')))
    : numbers(rows.map((r) => (r[i] === null ? NaN : Number(r[i]))))));
}

/** Rows of the argument vectors in feed space (what the model sees: numbers, NaN for NULL; text). */
function readRows(args: Vector[], types: SqlType[], count: number): BackgroundRow[] {
  const rows: BackgroundRow[] = Array.from({ length: count }, () => new Array(types.length));
  const nums = new Float64Array(count), texts: string[] = new Array(count);
  types.forEach((t, j) => {
    if (isString(t)) { readTexts(args[j], 0, count, texts); for (let r = 0; r < count; r++) rows[r][j] = texts[r]; }
    else { readNumbers(args[j], 0, count, nums); for (let r = 0; r < count; r++) rows[r][j] = Number.isNaN(nums[r]) ? null : nums[r]; }
  });
  return rows;
}

/** Reads the background the graph carries; malformed metadata is an error, not a silent empty sample. */
function parseBackground(raw: string | undefined, types: SqlType[]): BackgroundRow[] {
  if (!raw) return [];
  let rows: unknown;
  try { rows = JSON.parse(raw); } catch { throw new SqlError('INVALID_PARAMETER', `the model's ${META.background} metadata is not JSON`); }
  const ok = Array.isArray(rows) && rows.every((r) => Array.isArray(r) && r.length === types.length
    && r.every((v, i) => v === null || (isString(types[i]) ? typeof v === 'string' : typeof v === 'number')));
  if (!ok) throw new SqlError('INVALID_PARAMETER', `the model's ${META.background} metadata does not match its ${types.length} argument(s)`);
  return rows as BackgroundRow[];
}
