// Model versions and aliases: CREATE [OR REPLACE] MODEL adds versions, the function follows the
// current one, ALTER MODEL switches atomically (also under concurrent queries), fn@k / fn@alias
// pin a version, queries see the versions of their snapshot, files of kept versions survive GC,
// a version still training leaves the current one answering, and shared models follow the
// producer's current version. Versions are constant ONNX models (version k answers k), so a
// query that mixed versions would show two values.
import { existsSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extension as sharingExtension } from '../../../sharing/extension.ts';
import { type TestDb, constantModel, eventsUntil, makePoints, openDb } from './helpers.ts';

const files = mkdtempSync(join(tmpdir(), 'strata-versions-'));
const modelFile = (k: number) => {
  const p = join(files, `const${k}.onnx`);
  if (!existsSync(p)) writeFileSync(p, constantModel(k));
  return p;
};
const create = (k: number, how = 'CREATE MODEL') => `${how} m FUNCTION f(REAL) RETURNS REAL FROM '${modelFile(k)}'`;

let t: TestDb;
beforeAll(async () => {
  t = await openDb({ slices: 2 });
  const rows = Array.from({ length: 2000 }, (_, i) => `(${i}, ${i / 7})`).join(', ');
  await t.s.execute(`CREATE TABLE obs (id INTEGER, x REAL); INSERT INTO obs VALUES ${rows}`);
  await t.s.execute(create(1));
});
afterAll(async () => { await t.close(); rmSync(files, { recursive: true, force: true }); });

const answer = async (sql: string) => (await t.rows(sql)).map((r) => r.map(Number));

describe('versions and aliases', () => {
  it('CREATE MODEL on an existing name and CREATE OR REPLACE MODEL add versions; the function follows the current one', async () => {
    expect(await answer('SELECT f(x) FROM obs WHERE id = 3')).toEqual([[1]]);
    await t.s.execute(create(2));
    expect(await answer('SELECT min(f(x)), max(f(x)) FROM obs')).toEqual([[2, 2]]);
    await t.s.execute(create(3, 'CREATE OR REPLACE MODEL'));
    expect(await answer('SELECT min(f(x)), max(f(x)) FROM obs')).toEqual([[3, 3]]);
    const versions = await t.rows('SHOW MODEL m VERSIONS');
    expect(versions.map((r) => [r[0], r[1], r[2], r[9]])).toEqual([1, 2, 3].map((k) => [k, 'READY', k === 3, modelFile(k)]));
    expect(await t.show('m')).toMatchObject({ 'Model Version': expect.stringMatching(/^3 \(current; .* all 3\)$/), Source: modelFile(3) });
  });

  it('fn@k and fn@alias call a given version, in the slices and at the leader', async () => {
    expect(await answer('SELECT min(f@1(x)), max(f@1(x)), min(f@2(x)), max(f(x)) FROM obs')).toEqual([[1, 1, 2, 3]]);
    expect(await answer('SELECT f@2(1.5)')).toEqual([[2]]);
    await t.s.execute('ALTER MODEL m SET ALIAS challenger TO VERSION 2');
    expect(await answer('SELECT max(f@challenger(x)) FROM obs')).toEqual([[2]]);
    expect((await t.show('m')).Aliases).toBe('challenger -> 2');
    expect((await t.rows('SHOW MODEL m VERSIONS')).map((r) => r[3])).toEqual([null, 'challenger', null]);
    await t.s.execute('ALTER MODEL m SET ALIAS challenger TO VERSION 1');
    expect(await answer('SELECT f@challenger(0)')).toEqual([[1]]);
  });

  it('ALTER MODEL m SET VERSION k rolls back and forward', async () => {
    await t.s.execute('ALTER MODEL m SET VERSION 1');
    expect(await answer('SELECT min(f(x)), max(f(x)) FROM obs')).toEqual([[1, 1]]);
    expect((await t.rows('SHOW MODEL m VERSIONS')).map((r) => r[2])).toEqual([true, false, false]);
    await t.s.execute('ALTER MODEL m SET VERSION 3');
    expect(await answer('SELECT f(0)')).toEqual([[3]]);
  });

  it('names unknown versions and aliases, and refuses versions on other functions', async () => {
    const cases: [string, string, RegExp][] = [
      ['SELECT f@9(x) FROM obs', 'UNDEFINED_OBJECT', /model "m" has no version 9 \(it has versions 1, 2, 3; aliases challenger\)/],
      ['SELECT f@nope(x) FROM obs', 'UNDEFINED_OBJECT', /model "m" has no alias "nope"/],
      ['SELECT abs@1(x) FROM obs', 'UNDEFINED_FUNCTION', /function abs@1 does not exist: only model functions take a version/],
      ['ALTER MODEL m SET VERSION 7', 'UNDEFINED_OBJECT', /has no version 7/],
      ['ALTER MODEL m DROP ALIAS nope', 'UNDEFINED_OBJECT', /has no alias "nope"/],
      ['ALTER MODEL nosuch SET VERSION 1', 'UNDEFINED_OBJECT', /model "nosuch" does not exist/],
      ['DROP MODEL m VERSION 3', 'INVALID_PARAMETER', /version 3 is the current version of model "m"/],
      ['DROP MODEL m VERSION 1', 'INVALID_PARAMETER', /aliased as challenger; move or drop the alias first/],
      ['SELECT f@ (x) FROM obs', 'SYNTAX_ERROR', /syntax error/],
      [create(4).replace('FUNCTION f(', 'FUNCTION g('), 'INVALID_PARAMETER', /model "m" has function f; a new version keeps it/],
    ];
    for (const [sql, code, message] of cases) {
      const e = await t.error(sql);
      expect({ sql, code: e.code }).toEqual({ sql, code });
      expect(e.message).toMatch(message);
    }
  });

  it('DROP MODEL m VERSION k removes a version; numbers are not reused', async () => {
    await t.s.execute('ALTER MODEL m DROP ALIAS challenger; DROP MODEL m VERSION 1');
    expect((await t.rows('SHOW MODEL m VERSIONS')).map((r) => r[0])).toEqual([2, 3]);
    expect((await t.error('SELECT f@1(0)')).message).toMatch(/no version 1 \(it has versions 2, 3\)/);
    await t.s.execute(create(4));
    expect((await t.rows('SHOW MODEL m VERSIONS')).map((r) => r[0])).toEqual([2, 3, 4]);
    expect(await answer('SELECT f(0), f@2(0)')).toEqual([[4, 2]]);
  });

  it('a query sees the versions of its snapshot', async () => {
    const other = t.db.connect();
    await t.s.execute('BEGIN');
    expect(await answer('SELECT f(0)')).toEqual([[4]]);
    await other.execute('ALTER MODEL m SET VERSION 2; ALTER MODEL m SET ALIAS champion TO VERSION 3');
    expect(await answer('SELECT max(f(x)) FROM obs')).toEqual([[4]]);
    expect((await t.error('SELECT f@champion(0)')).code).toBe('UNDEFINED_OBJECT');
    await t.s.execute('COMMIT');
    expect(await answer('SELECT max(f(x)), f@champion(0) FROM obs')).toEqual([[2, 3]]);
  });

  it('switches atomically under concurrent queries: every query runs wholly on one version', async () => {
    const seen = new Set<number>();
    let stop = false;
    const readers = Array.from({ length: 3 }, async () => {
      const s = t.db.connect();
      let n = 0;
      while (!stop || n < 3) {
        const [[lo, hi]] = (await s.execute('SELECT min(f(x)), max(f(x)) FROM obs')).at(-1)!.rows.map((r) => r.map(Number));
        expect(lo).toBe(hi);
        seen.add(lo);
        n++;
      }
      return n;
    });
    const writer = t.db.connect();
    for (let i = 0; i < 20; i++) await writer.execute(`ALTER MODEL m SET VERSION ${i % 2 ? 2 : 4}`);
    stop = true;
    const counts = await Promise.all(readers);
    expect(counts.every((n) => n >= 3)).toBe(true);
    expect([...seen].every((v) => v === 2 || v === 4)).toBe(true);
    expect(seen.size).toBe(2);
  }, 60_000);

  it('keeps every version\'s file through GC and a restart', async () => {
    // age the files past GC's grace period: then only references keep them
    const ageAll = () => { for (const f of readdirSync(join(t.dir, 'models'))) utimesSync(join(t.dir, 'models', f), new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000)); };
    ageAll();
    await t.db.collectGarbage();
    // versions 2, 3, 4 are kept; dropped version 1's file is gone
    expect(readdirSync(join(t.dir, 'models'))).toHaveLength(3);
    await t.close(false);
    t = await openDb({ dir: t.dir, slices: 1 });
    expect(await answer('SELECT f@2(0), f@3(0), f@4(0), f(0)')).toEqual([[2, 3, 4, 2]]);
    await t.s.execute('DROP MODEL m VERSION 4');
    ageAll();
    await t.db.collectGarbage();
    expect(readdirSync(join(t.dir, 'models'))).toHaveLength(2);
  });

  it('only the owner adds versions or switches them; EXECUTE is enough to call a pinned version', async () => {
    await t.s.execute(`CREATE USER bob PASSWORD 'Secret123'; GRANT CREATE MODEL TO bob; GRANT EXECUTE ON MODEL m TO bob`);
    const bob = t.db.connect({ user: 'bob' });
    const fails = async (sql: string) => { try { await bob.execute(sql); } catch (e) { return (e as { code: string }).code; } return 'ok'; };
    expect(await fails('ALTER MODEL m SET VERSION 3')).toBe('PERMISSION_DENIED');
    expect(await fails('DROP MODEL m VERSION 3')).toBe('PERMISSION_DENIED');
    expect(await fails(create(5))).toBe('PERMISSION_DENIED');
    expect((await bob.execute('SELECT f@3(0), f(0)')).at(-1)!.rows).toEqual([[3, 2]]);
    expect((await t.rows('SHOW MODEL m VERSIONS')).map((r) => r[0])).toEqual([2, 3]);
  });
});

describe('trained versions', () => {
  it('a version still training leaves the current version answering; it becomes current when READY', async () => {
    await makePoints(t);
    await t.s.execute('SET ml_wait_for_training TO on');
    await t.s.execute('CREATE MODEL lin FROM (SELECT x1, x2, y FROM pts) TARGET y FUNCTION lin_fn AUTO OFF MODEL_TYPE LINEAR_LEARNER SETTINGS (SEED 1)');
    await t.s.execute('SET ml_wait_for_training TO off');
    const [[before]] = await answer('SELECT sum(lin_fn(x1, x2)) FROM pts');
    const ready = eventsUntil(t.db, 'lin', ['ready', 'failed']);
    await t.s.execute('CREATE OR REPLACE MODEL lin FROM (SELECT x1, x2, -y AS y FROM pts) TARGET y FUNCTION lin_fn AUTO OFF MODEL_TYPE LINEAR_LEARNER SETTINGS (SEED 1)');
    const training = await t.rows('SHOW MODEL lin VERSIONS');
    expect(training.map((r) => [r[0], r[1], r[2]])).toEqual([[1, 'READY', true], [2, 'TRAINING', false]]);
    expect(await answer('SELECT sum(lin_fn(x1, x2)) FROM pts')).toEqual([[before]]);
    expect((await t.error('SELECT lin_fn@2(x1, x2) FROM pts')).message).toMatch(/version 2 of model "lin" is still training/);
    expect((await ready).at(-1)!.kind).toBe('ready');
    const done = await t.rows('SHOW MODEL lin VERSIONS');
    expect(done.map((r) => [r[0], r[1], r[2]])).toEqual([[1, 'READY', false], [2, 'READY', true]]);
    expect(String(done[1][8])).toMatch(/- ?y AS y/i);
    const [[after, v1]] = await answer('SELECT sum(lin_fn(x1, x2)), sum(lin_fn@1(x1, x2)) FROM pts');
    expect(v1).toBeCloseTo(before, 3);
    // v2 learned -y: its predictions are v1's mirrored
    expect(after).toBeCloseTo(-before, 0);
  }, 120_000);
});

describe('shared models', () => {
  it('a consumer calls the producer\'s current version, and follows a switch', async () => {
    const s = await openDb({ slices: 2 });
    try {
      s.db.use(sharingExtension(s.db));
      await s.s.execute('CREATE ACCOUNT prod; CREATE ACCOUNT acme');
      const prod = s.db.connect({ account: 'prod' }), acme = s.db.connect({ account: 'acme' });
      await prod.execute(`${create(1)}; ${create(2)}`);
      await prod.execute(`CREATE DATASHARE ml; ALTER DATASHARE ml ADD MODEL m; GRANT USAGE ON DATASHARE ml TO ACCOUNT 'acme'`);
      await acme.execute(`CREATE DATABASE shared FROM DATASHARE ml OF ACCOUNT 'prod'; CREATE TABLE obs (x REAL); INSERT INTO obs VALUES (1), (2)`);
      const call = async () => (await acme.execute('SELECT max(shared.public.f(x)) FROM obs')).at(-1)!.rows.map((r) => r.map(Number));
      expect(await call()).toEqual([[2]]);
      await prod.execute('ALTER MODEL m SET VERSION 1');
      expect(await call()).toEqual([[1]]);
      // consumer queries stay on one version while the producer switches underneath them
      await acme.execute(`INSERT INTO obs SELECT x + 2 FROM obs; INSERT INTO obs SELECT x + 4 FROM obs; INSERT INTO obs SELECT x + 8 FROM obs`);
      let stop = false;
      const seen = new Set<number>();
      const reader = (async () => {
        const c = s.db.connect({ account: 'acme' });
        while (!stop) {
          const [[lo, hi]] = (await c.execute('SELECT min(shared.public.f(x)), max(shared.public.f(x)) FROM obs')).at(-1)!.rows.map((r) => r.map(Number));
          expect(lo).toBe(hi);
          seen.add(lo);
        }
      })();
      for (let i = 0; i < 12; i++) await prod.execute(`ALTER MODEL m SET VERSION ${i % 2 ? 1 : 2}`);
      stop = true;
      await reader;
      expect([...seen].every((v) => v === 1 || v === 2)).toBe(true);
    } finally {
      await s.close();
    }
  }, 60_000);
});
