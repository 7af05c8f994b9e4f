// Slice threads stepping back behind the leader: each thread's nice value, read from /proc.
import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { Worker } from 'node:worker_threads';
import { Database } from '../../../engine/database.ts';
import { tempDir } from '../../api/helpers.ts';

/** Nice value of each thread of this process (field 19 of /proc/self/task/T/stat). */
function threadNices(): number[] {
  return readdirSync('/proc/self/task').flatMap((t) => {
    try {
      const stat = readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
      return [Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16])];
    } catch { return []; } // a thread that ended meanwhile
  });
}

describe.runIf(process.platform === 'linux')('thread priority', () => {
  it('lowerThisThread lowers only the calling thread', async () => {
    const base = getPriority(0);
    const url = new URL('../../../engine/exec/thread-priority.ts', import.meta.url).href;
    // a worker (with the TypeScript loader) lowers itself 3 levels, reports what it got and stays
    // alive until terminated (a thread that ended has no nice value left to read)
    const w = new Worker(`setInterval(() => {}, 60000); import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(url)}); }).then((m) => require('node:worker_threads').parentPort.postMessage(m.lowerThisThread(3)));`, { eval: true });
    const got = await new Promise((resolve, reject) => { w.once('message', resolve); w.once('error', reject); });
    expect(got).toBe(Math.min(19, base + 3));
    expect(threadNices().filter((n) => n === base + 3)).toHaveLength(1);
    expect(getPriority(0)).toBe(base);
    await w.terminate();
  });

  it("a database's slices run sliceNiceness levels below the leader; the leader keeps its own", async () => {
    const tmp = tempDir('strata-nice-');
    const base = getPriority(0);
    const before = threadNices().filter((n) => n === base + 5).length;
    const db = await Database.open({ dataDir: tmp.dir, slices: 2, sliceNiceness: 5 });
    try {
      const s = db.connect();
      await s.execute('create table t (x int); insert into t values (1), (2), (3)');
      expect((await s.execute('select sum(x) from t')).at(-1)!.rows).toEqual([[6]]);
      expect(threadNices().filter((n) => n === base + 5).length - before).toBe(2);
      expect(getPriority(0)).toBe(base);
    } finally {
      await db.close();
      tmp.remove();
    }
  });
});
