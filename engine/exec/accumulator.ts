// One group's aggregate state outside the generated kernels: windows feed it a frame's values
// and DISTINCT replays a group's distinct inputs through it. It runs the aggregate's own update
// code (compiled once per call shape), so every path computes the same thing.
import type { BAgg } from '../plan/bound.ts';
import { aggregateFor, type Aggregate, type AggValue, type GroupStates } from '../functions/aggregates/registry.ts';
import { runtime } from './runtime.ts';
import { generatedCode } from './code-cache.ts';

type Updater = (slots: Float64Array[], objs: unknown[] | null, count: Float64Array, v: unknown, keys: unknown[], rt: unknown) => void;

const updaters = new Map<string, Updater>();

function updaterFor(agg: BAgg, def: Aggregate): Updater {
  const key = JSON.stringify({ fn: agg.fn, t: agg.arg?.type ?? null, type: agg.type, order: agg.order?.length ?? 0 });
  let u = updaters.get(key);
  if (!u) {
    const slots = def.slotInit(agg).map((_, k) => `slots[${k}][0]`);
    const keys = (agg.order ?? []).map((_, k) => `keys[${k}]`);
    const code = `const g = 0; ${def.update(agg, 'v', { slots, objs: 'objs', count: 'count[0]', g: 'g' }, keys)} count[0]++;`;
    u = generatedCode.fn<Updater>(['slots', 'objs', 'count', 'v', 'keys', 'rt'], code);
    if (updaters.size > 500) updaters.clear();
    updaters.set(key, u);
  }
  return u;
}

/** A single group of one aggregate call, fed value by value (NULLs are skipped by the caller). */
export class Accumulator {
  private readonly def: Aggregate;
  private readonly update: Updater;
  private st!: GroupStates;

  constructor(private readonly agg: BAgg) {
    this.def = aggregateFor(agg.fn);
    this.update = updaterFor(agg, this.def);
    this.clear();
  }

  /** Empties the state (a sliding frame's aggregate taken again over its rows). */
  clear(): void {
    this.st = {
      slots: this.def.slotInit(this.agg).map((x) => Float64Array.of(x)),
      count: new Float64Array(1),
      objs: this.def.newObject ? [this.def.newObject(this.agg)] : null,
    };
  }

  /** Adds one non-NULL input with its WITHIN GROUP sort key values. */
  add(v: unknown, keys: unknown[] = []): void {
    this.update(this.st.slots, this.st.objs, this.st.count, v, keys, runtime);
  }

  /** The result so far (the state stays usable: frames that only grow keep adding). */
  result(): AggValue {
    return this.def.finish(this.agg, this.st, 0);
  }
}
