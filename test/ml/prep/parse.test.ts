// PREPROCESSORS JSON: accepted forms and clear errors.
import { describe, expect, it } from 'vitest';
import { T } from '../../../engine/types/types.ts';
import { parsePreprocessors } from '../../../ml/prep/parse.ts';

const cols = [
  { name: 'a', type: T.double }, { name: 'b', type: T.int }, { name: 'c', type: T.varchar }, { name: 'd', type: T.bool },
];
const parse = (v: unknown) => parsePreprocessors(typeof v === 'string' ? v : JSON.stringify(v), cols, 'y');

describe('parsePreprocessors', () => {
  it('turns ColumnSets into plans', () => {
    const plans = parse([
      { ColumnSet: ['c'], Transformers: ['OneHotEncoder'] },
      { ColumnSet: ['A', 'b'], Transformers: ['Imputer', 'StandardScaler'] },
      { ColumnSet: ['d'], Transformers: ['NumericPassthrough'] },
    ]);
    expect(plans).toEqual([
      { kind: 'onehot', column: 'c', imputeMode: false },
      { kind: 'numeric', columns: ['a', 'b'], steps: ['standard'], normalize: false },
      { kind: 'numeric', columns: ['d'], steps: [], normalize: false },
    ]);
  });

  it('accepts MinMax and MinMaxScaler, Normalizer last, OrdinalEncoder after Imputer', () => {
    expect(parse([{ ColumnSet: ['a'], Transformers: ['MinMaxScaler', 'Normalizer'] }])).toEqual([{ kind: 'numeric', columns: ['a'], steps: ['minmax'], normalize: true }]);
    expect(parse([{ ColumnSet: ['b'], Transformers: ['MinMax'] }])[0]).toMatchObject({ steps: ['minmax'] });
    expect(parse([{ ColumnSet: ['c'], Transformers: ['Imputer', 'OrdinalEncoder'] }])).toEqual([{ kind: 'ordinal', column: 'c', imputeMode: true }]);
  });

  const errors: [string, unknown, RegExp][] = [
    ['invalid JSON', '[{"ColumnSet": [', /invalid JSON/],
    ['not an array', { ColumnSet: ['a'] }, /expected a JSON array/],
    ['unknown transformer', [{ ColumnSet: ['a'], Transformers: ['PCA'] }], /unknown transformer "PCA"/],
    ['unknown column', [{ ColumnSet: ['zz'], Transformers: ['Imputer'] }], /unknown column "zz"/],
    ['the target', [{ ColumnSet: ['y'], Transformers: ['Imputer'] }], /"y" is the target/],
    ['a column twice', [{ ColumnSet: ['a'], Transformers: ['Imputer'] }, { ColumnSet: ['a'], Transformers: ['MinMax'] }], /more than one ColumnSet/],
    ['scaling text', [{ ColumnSet: ['c'], Transformers: ['StandardScaler'] }], /"c" is text/],
    ['encoder not last', [{ ColumnSet: ['c'], Transformers: ['OneHotEncoder', 'Imputer'] }], /must be the last/],
    ['normalizer not last', [{ ColumnSet: ['a'], Transformers: ['Normalizer', 'MinMax'] }], /Normalizer must be the last/],
    ['missing Transformers', [{ ColumnSet: ['a'] }], /Transformers must be a non-empty array/],
    ['unknown key', [{ ColumnSet: ['a'], Transformers: ['Imputer'], Extra: 1 }], /unknown key "Extra"/],
  ];
  for (const [what, json, msg] of errors) {
    it(`rejects ${what}`, () => {
      expect(() => parse(json)).toThrow(msg);
      try { parse(json); } catch (e) { expect((e as { code: string }).code).toBe('INVALID_PARAMETER'); }
    });
  }
});
