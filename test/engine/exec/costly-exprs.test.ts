// Costly expressions (regular expressions, text past 64K characters) are not folded while
// binding and, at the leader, are computed in the slices: same answers, and the leader's event
// loop keeps running meanwhile.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { Database, type Session } from '../../../engine/database.ts';
import { parameterize, LONG_TEXT, type BExpr } from '../../../engine/plan/bound.ts';
import { T } from '../../../engine/types/types.ts';
import { tempDir } from '../../api/helpers.ts';

const tmp = tempDir('strata-costly-');
let db: Database;
let s: Session;
/** the ops of the requests the slices got since the last call */
let sent: string[] = [];
const ops = () => { const o = sent; sent = []; return o; };
const rows = async (sql: string) => (await s.execute(sql)).at(-1)!.rows;

beforeAll(async () => {
  db = await Database.open({ dataDir: tmp.dir, slices: 2 });
  s = db.connect();
  await s.execute("create table t (s varchar(20)); insert into t values ('banana'), ('abc'), ('abc'), (null), ('xyz')");
  const call = db.pool.call.bind(db.pool);
  db.pool.call = ((slice: number, msg: { op: string }, transfer?: ArrayBuffer[]) => { sent.push(msg.op); return call(slice, msg, transfer); }) as typeof db.pool.call;
});
afterAll(async () => {
  await db?.close();
  tmp.remove();
});

describe('costly expressions', () => {
  it('a regular expression over constants is computed in a slice', async () => {
    ops();
    expect(await rows("select regexp_count(repeat('ab', 50000), 'b'), upper('x')")).toEqual([[50000, 'X']]);
    expect(ops()).toEqual(['eval']);
    // cheap constants are still folded while binding: nothing goes to the slices
    expect(await rows("select upper('abc') || repeat('-', 3)")).toEqual([['ABC---']]);
    expect(ops()).toEqual([]);
  });

  it('above an aggregate, in a leader filter, and over rows split between the slices', async () => {
    ops();
    expect(await rows("select regexp_count(repeat('a', 60000) || '!', '(a|aa)+$'), count(*) from t")).toEqual([[0, 5]]);
    expect(ops()).toEqual(['scan', 'scan', 'eval']); // the count in both slices, then the constant in one
    expect(await rows("select s, c from (select s, count(*) c from t group by s) x where regexp_instr(s, 'b') = 2 order by s")).toEqual([['abc', 2]]);
    expect(ops()).toContain('eval');
    // three groups and a NULL: the rows go in two pieces, one per slice, and come back in order
    expect(await rows("select s, regexp_replace(s, 'a', '<A>'), regexp_substr(s, '[bc]+') from (select s from t group by s) x order by s")).toEqual([
      ['abc', '<A>bc', 'bc'], ['banana', 'b<A>n<A>n<A>', 'b'], ['xyz', 'xyz', ''] /* Redshift: no match is '' */, [null, null, null],
    ]);
    expect(ops().filter((o) => o === 'eval')).toHaveLength(2);
  });

  it('errors of a pattern computed in a slice keep their code and message', async () => {
    await expect(s.execute("select regexp_count('aaa', '(a)\\1')")).rejects.toMatchObject({ code: 'FEATURE_NOT_SUPPORTED', message: expect.stringMatching(/backreferences/) });
    await expect(s.execute("select regexp_count('aaa', '(a')")).rejects.toMatchObject({ code: 'INVALID_PARAMETER', message: expect.stringMatching(/invalid regular expression/) });
  });

  it("the leader's event loop runs while a regular expression over a long text is computed", async () => {
    let turns = 0;
    const timer = setInterval(() => turns++, 5);
    try {
      // each call is capped (~100 ms at most, regex.ts REGEX_WORK_LIMIT): four of them
      expect(await rows("select regexp_count(repeat('a', 70000) || '!', '(a|aa)+$'), regexp_count(repeat('a', 70000) || '?', '(aa|a)+$'), regexp_count(repeat('a', 70000) || '.', '(a|aaa)+$'), regexp_count(repeat('a', 70000) || ',', '(aaa|a)+$')")).toEqual([[0, 0, 0, 0]]);
    } finally {
      clearInterval(timer);
    }
    // computed at the leader while binding, they held the thread for the whole calls
    expect(turns).toBeGreaterThanOrEqual(5);
  });

  it('text past 64K is computed in a slice; long text never goes into generated code', async () => {
    ops();
    const text = 'ab'.repeat(40_000);
    expect(await rows("select md5(repeat('ab', 40000)), length(repeat('a', 10000000) || 'b')")).toEqual([[createHash('md5').update(text).digest('hex'), 10_000_001]]);
    expect(ops()).toEqual(['eval']);
    const long = 'x'.repeat(LONG_TEXT + 1);
    const call: BExpr = { k: 'call', name: 'upper', args: [{ k: 'const', value: long, type: T.varchar }], type: T.varchar };
    const { exprs, params } = parameterize([call, { k: 'call', name: 'upper', args: [{ k: 'const', value: 'short', type: T.varchar }], type: T.varchar }]);
    expect(params).toEqual([long]);
    expect(JSON.stringify(exprs)).not.toContain(long);
  });
});
