// LISTAGG(x [, delimiter]) [WITHIN GROUP (ORDER BY ...)]: the group's non-NULL values joined by the
// delimiter, in the WITHIN GROUP order (input order without one).
import { T } from '../../types/types.ts';
import type { BAgg } from '../../plan/bound.ts';
import type { Aggregate } from './contract.ts';

type Entry = string | unknown[]; // the value alone, or [value, ...sort keys]

function compareKeys(agg: BAgg, x: unknown[], y: unknown[]): number {
  const order = agg.order!;
  for (let k = 0; k < order.length; k++) {
    const a = x[k + 1], b = y[k + 1];
    if (a === b) continue;
    const { desc, nullsFirst } = order[k];
    if (a === null || b === null) return (a === null) === nullsFirst ? -1 : 1;
    const c = (a as number) < (b as number) ? -1 : 1;
    return desc ? -c : c;
  }
  return 0;
}

export const listagg: Aggregate = {
  name: 'listagg',
  rowOrderMatters: true,
  resultType: (arg) => (arg === null ? 'listagg(*) is not valid; only count(*) is' : T.varchar),
  slotInit: () => [],
  newObject: () => [],
  update: (agg, v, r, keys) => (agg.order?.length ? `${r.objs}[${r.g}].push([${v}, ${keys.join(', ')}]);` : `${r.objs}[${r.g}].push(${v});`),
  merge(_agg, dst, g, src, pg) {
    const out = dst.objs![g] as Entry[];
    for (const e of src.objs![pg] as Entry[]) out.push(e);
  },
  finish(agg, st, g) {
    if (st.count[g] === 0) return null;
    const entries = st.objs![g] as Entry[];
    if (!agg.order?.length) return (entries as string[]).join(agg.sep ?? '');
    // a stable sort keeps input order among equal keys
    return (entries as unknown[][]).slice().sort((x, y) => compareKeys(agg, x, y)).map((e) => e[0] as string).join(agg.sep ?? '');
  },
};
