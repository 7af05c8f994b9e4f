// Per-type knowledge lives in the TYPES table (engine/types/types.ts): code elsewhere asks the
// table or a narrowing helper (isDecimal, isNullType, ...) instead of comparing type ids.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rawArrowType } from '../../../engine/storage/arrow-types.ts';
import { TYPES, isTypeId, type TypeId } from '../../../engine/types/types.ts';

const ROOT = join(import.meta.dirname, '../../..');

function* sources(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* sources(p);
    else if (e.name.endsWith('.ts')) yield p;
  }
}

/** `x.id === 'DATE'`, `t.id !== "NULL"`: a type id compared with a literal. */
const RAW_ID_CHECK = /\.id\s*[!=]==?\s*['"]([A-Z][A-Z ]*)['"]/g;

describe('type dispatch', () => {
  it('compares no type id with a literal outside engine/types', () => {
    const found: string[] = [];
    for (const top of ['engine', 'ml', 'sharing', 'api']) {
      for (const file of sources(join(ROOT, top))) {
        const rel = relative(ROOT, file);
        if (rel.startsWith(join('engine', 'types'))) continue;
        readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
          for (const m of line.matchAll(RAW_ID_CHECK)) if (isTypeId(m[1])) found.push(`${rel}:${i + 1}: ${m[0]}`);
        });
      }
    }
    expect(found).toEqual([]);
  });

  it('stores raw columns in the in-memory array type where the two share a form', () => {
    // BIGINT (a double in memory, int64 on disk), BOOLEAN (bytes vs bits) and strings (codes vs
    // UTF-8) convert in storage/codec-raw.ts; every other type is read back as its array
    const converted = new Set<TypeId>(['BIGINT', 'BOOLEAN', 'CHAR', 'VARCHAR']);
    for (const id of Object.keys(TYPES) as TypeId[]) {
      if (converted.has(id)) continue;
      expect([id, rawArrowType(id).ArrayType]).toEqual([id, TYPES[id].array]);
    }
  });

  it('keeps every integer range inside its in-memory array and its digits', () => {
    for (const info of Object.values(TYPES)) {
      if (info.kind !== 'integer') { expect(info.range).toBeNull(); continue; }
      const [lo, hi] = info.range!;
      const a = new info.array(2);
      a[0] = lo; a[1] = hi;
      expect([a[0], a[1]]).toEqual([lo, hi]);
      expect(String(hi).length).toBeLessThanOrEqual(info.digits);
    }
  });
});
