// MIN and MAX over any orderable type: numbers (and DATE/TIMESTAMP/DECIMAL physical values) in a
// Float64 slot, strings in the group's object.
import { isBoolean, isString, isWide, type SqlType } from '../../types/types.ts';
import type { BAgg } from '../../plan/bound.ts';
import type { Aggregate } from './contract.ts';

// strings, and wide DECIMALs (a bigint past 2^53), are kept in the group's object
const onStrings = (agg: BAgg) => agg.arg !== null && (isString(agg.arg.type) || isWide(agg.arg.type));

function extremum(name: 'min' | 'max'): Aggregate {
  const op = name === 'min' ? '<' : '>';
  const better = name === 'min' ? (x: unknown, y: unknown) => (x as number) < (y as number) : (x: unknown, y: unknown) => (x as number) > (y as number);
  return {
    name,
    resultType: (arg: SqlType | null) => arg ?? `${name}(*) is not valid; only count(*) is`,
    slotInit: () => [0],
    newObject: () => undefined,
    update(agg, v, r) {
      if (onStrings(agg)) return `{ const x = ${v}; if (${r.count} === 0 || x ${op} ${r.objs}[${r.g}]) ${r.objs}[${r.g}] = x; }`;
      return `{ const x = ${v}; if (${r.count} === 0 || x ${op} ${r.slots[0]}) ${r.slots[0]} = x; }`;
    },
    merge(agg, dst, g, src, pg) {
      if (src.count[pg] === 0) return;
      const empty = dst.count[g] === 0;
      if (onStrings(agg)) { if (empty || better(src.objs![pg], dst.objs![g])) dst.objs![g] = src.objs![pg]; }
      else if (empty || better(src.slots[0][pg], dst.slots[0][g])) dst.slots[0][g] = src.slots[0][pg];
    },
    finish(agg, st, g) {
      if (st.count[g] === 0) return null;
      if (onStrings(agg)) return st.objs![g] as string | number | bigint;
      const x = st.slots[0][g];
      return isBoolean(agg.type) ? x === 1 : x;
    },
  };
}

export const min = extremum('min');
export const max = extremum('max');
