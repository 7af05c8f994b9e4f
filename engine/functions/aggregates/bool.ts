// BOOL_AND (EVERY) and BOOL_OR over BOOLEAN inputs.
import { T, isBoolean, isNullType } from '../../types/types.ts';
import type { Aggregate } from './contract.ts';

function logical(name: 'bool_and' | 'bool_or'): Aggregate {
  const and = name === 'bool_and';
  return {
    name,
    resultType: (arg) => (arg && (isBoolean(arg) || isNullType(arg)) ? T.bool : `function ${name}(${arg ? arg.id.toLowerCase() : '*'}) does not exist`),
    slotInit: () => [and ? 1 : 0],
    update: (_agg, v, r) => (and ? `if (!${v}) ${r.slots[0]} = 0;` : `if (${v}) ${r.slots[0]} = 1;`),
    merge(_agg, dst, g, src, pg) {
      if (src.count[pg] === 0) return;
      const a = dst.slots[0];
      a[g] = and ? (a[g] && src.slots[0][pg] ? 1 : 0) : (a[g] || src.slots[0][pg] ? 1 : 0);
    },
    finish: (_agg, st, g) => (st.count[g] === 0 ? null : st.slots[0][g] === 1),
  };
}

export const boolAnd = logical('bool_and');
export const boolOr = logical('bool_or');
