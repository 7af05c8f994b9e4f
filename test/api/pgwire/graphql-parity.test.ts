// Parameterised point queries through the PostgreSQL protocol return the same rows as the same
// queries through GraphQL (in-process). The 10k-query run with throughput is `npm run bench -- pgwire`.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startPg, type PgFixture } from './helpers.ts';
import { client, ok } from '../helpers.ts';

vi.setConfig({ testTimeout: 60_000 });

const QUERIES = Number(process.env.STRATA_PG_POINT_QUERIES ?? 100);
let f: PgFixture;
beforeAll(async () => { f = await startPg(); }, 60_000);
afterAll(async () => { await f?.close(); });

describe('pg and GraphQL agree', () => {
  it(`on ${QUERIES} parameterised point queries`, async () => {
    const c = await f.connect();
    await c.query('create table d (x int)');
    await c.query('insert into d values (0),(1),(2),(3),(4),(5),(6),(7),(8),(9)');
    await c.query(`create table points as select a.x * 100 + b.x * 10 + e.x as id, 'n' || cast(a.x * 100 + b.x * 10 + e.x as varchar) as name,
      cast(a.x * 100 + b.x * 10 + e.x as decimal(12,2)) / 7 as score, cast('2024-01-01' as date) + e.x as day from d a, d b, d e`);
    await c.query("insert into points values (1000, null, null, null)");
    const gql = client((url, init) => f.api.app.fetch(url, init), 'http://localhost/graphql', f.token);
    const sql = 'select id, name, score, day from points where id = $1';
    let nonEmpty = 0;
    for (let i = 0; i < QUERIES; i++) {
      const id = (i * 37) % 1003; // includes ids with no row
      const viaPg = (await c.query({ text: sql, values: [id], rowMode: 'array' })).rows;
      const viaGql = ok(await gql('query($sql: String!) { query(sql: $sql) { rows } }', { sql: sql.replace('$1', String(id)) })).query.rows as unknown[][];
      // pg hands NUMERIC/BIGINT over as text and DATE as a Date: compare the wire's text
      expect(viaPg.map((r) => r.map((v) => (v instanceof Date ? `${v.getFullYear()}-${String(v.getMonth() + 1).padStart(2, '0')}-${String(v.getDate()).padStart(2, '0')}` : v === null ? null : String(v)))))
        .toEqual(viaGql.map((r) => r.map((v) => (v === null ? null : String(v)))));
      if (viaGql.length) nonEmpty++;
    }
    expect(nonEmpty).toBeGreaterThan(QUERIES * 0.9);
  });
});
