// Manual timing: npx tsx test/engine/storage/perf.ts [rows]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSegment, writeSegment } from '../../../engine/storage/segment.ts';
import { lineitem, LINEITEM_TYPES, csvBytes } from './lineitem.ts';

const n = Number(process.argv[2] ?? 1_000_000);
const dir = mkdtempSync(join(tmpdir(), 'strata-perf-'));
const cols = lineitem(n);
const path = join(dir, 'seg.arrow');
const W: number[] = [], R: number[] = [], R7: number[] = [];
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1].toFixed(0);
for (let round = 0; round < 7; round++) {
  let t = performance.now();
  const meta = await writeSegment(path, cols);
  const w = performance.now() - t;
  t = performance.now();
  await readSegment(path, LINEITEM_TYPES);
  const r = performance.now() - t;
  t = performance.now();
  await readSegment(path, LINEITEM_TYPES, [4, 5, 6, 7, 8, 9, 10]);
  const r7 = performance.now() - t;
  W.push(w); R.push(r); R7.push(r7);
  if (round === 6) {
    const csv = csvBytes(cols, 100_000) * (n / 100_000);
    console.log(meta.columns.map((c) => c.encoding).join(' '));
    console.log(`rows ${n}: write ${median(W)} ms, read all ${median(R)} ms, read 7 cols ${median(R7)} ms (medians of 7), file ${(meta.bytes / 1e6).toFixed(1)} MB, csv ~${(csv / 1e6).toFixed(1)} MB`);
  }
}
rmSync(dir, { recursive: true });
