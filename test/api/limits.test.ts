import { describe, it, expect } from 'vitest';
import { parse, validate, buildSchema, getIntrospectionQuery } from 'graphql';
import { readBodyLimited, BodyTooLarge, rootFieldsRule, StatementBudget, complexityRule } from '../../api/limits.ts';

/** A request whose body is a stream of `chunks` chunks of `size` bytes (no Content-Length). */
function chunked(chunks: number, size: number): { request: Request; pulled: () => number } {
  let pulled = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(c) {
      if (pulled >= chunks) { c.close(); return; }
      pulled++;
      c.enqueue(new Uint8Array(size).fill(120));
    },
  });
  return { request: new Request('http://x/arrow', { method: 'POST', body, duplex: 'half' } as RequestInit), pulled: () => pulled };
}

describe('readBodyLimited', () => {
  it('reads a body under the limit whole', async () => {
    const { request } = chunked(3, 1000);
    expect((await readBodyLimited(request, 10_000)).byteLength).toBe(3000);
  });

  it('stops reading a chunked body as soon as it passes the limit', async () => {
    const { request, pulled } = chunked(1_000_000, 64 * 1024); // 64 GB if read to the end
    await expect(readBodyLimited(request, 1024 * 1024)).rejects.toBeInstanceOf(BodyTooLarge);
    expect(pulled()).toBeLessThan(20);
  });
});

describe('complexityRule', () => {
  const schema = buildSchema('type Query { n: N } type N { n: N v: Int }');
  const rule = complexityRule(12, 1000);
  const nested = (d: number) => `{ ${'n { '.repeat(d - 1)}v${' }'.repeat(d - 1)} }`;
  it('allows the standard introspection query (15 levels) but not data queries past the limit', () => {
    expect(validate(schema, parse(getIntrospectionQuery()), [rule])).toEqual([]);
    expect(validate(schema, parse(nested(12)), [rule])).toEqual([]);
    expect(validate(schema, parse(nested(13)), [rule])[0].message).toMatch(/13 levels deep; the limit is 12/);
    // introspection beside a data field gets the ordinary limit
    const deepIntrospection = `__schema { types { fields { type { ${'ofType { '.repeat(8)}name${' }'.repeat(8)} } } } }`;
    expect(validate(schema, parse(`{ ${deepIntrospection} }`), [rule])).toEqual([]);
    expect(validate(schema, parse(`{ n { v } ${deepIntrospection} }`), [rule])[0].message).toMatch(/13 levels deep; the limit is 12/);
  });
});

describe('rootFieldsRule', () => {
  const schema = buildSchema('type Query { a: Int b: Int }');
  const rule = rootFieldsRule(3);
  it('counts aliases, inline fragments and fragment spreads', () => {
    expect(validate(schema, parse('{ x: a y: a z: b }'), [rule])).toEqual([]);
    const errs = validate(schema, parse('{ x: a y: a ... on Query { z: b } ...F } fragment F on Query { w: a }'), [rule]);
    expect(errs[0].message).toMatch(/4 top-level fields; the limit is 3/);
    expect(errs[0].extensions.code).toBe('QUERY_TOO_COMPLEX');
    expect(validate(schema, parse('{ x: a __typename y: a z: a }'), [rule])).toEqual([]);
  });
});

describe('StatementBudget', () => {
  it('refuses the statement that passes the limit', () => {
    const b = new StatementBudget(5);
    b.take(3);
    b.take(2);
    expect(() => b.take(1)).toThrow(/more than 5 SQL statements/);
  });
});
