// EXPLAIN ANALYZE's per-operator figures from the slices' metric slots (operatorMetrics): slot 0
// is a program's scan, slot 1 the filter fused into it, where the scan's join filters also run.
import { expect, it } from 'vitest';
import { operatorMetrics } from '../../../engine/exec/operators/pipeline.ts';
import type { PhysicalOperator } from '../../../engine/exec/operators/operator.ts';
import type { SliceMetrics } from '../../../engine/exec/fragment.ts';

const op = (name: string) => ({ name }) as unknown as PhysicalOperator;
/** One slice's metrics of one program: slot i holds rows[i] and ms[i]. */
const slice = (rows: number[], ms: number[]): SliceMetrics => ({ rows, ms, scanned: rows[0] });

it('counts a scan\'s join filters in its time when no Filter is fused into the scan', () => {
  const scan = op('scan'), probe = op('probe');
  // slot 1 took 30 and 20 ms (the join filters), with no operator of its own
  const m = operatorMetrics(new Map([[scan, [0, 0]], [probe, [0, 2]]]), [[slice([100, 10, 5], [1, 30, 4])], [slice([90, 9, 4], [2, 20, 3])]]);
  expect(m.get(scan)).toEqual([{ rows: 100, ms: 31 }, { rows: 90, ms: 22 }]);
  expect(m.get(probe)).toEqual([{ rows: 5, ms: 4 }, { rows: 4, ms: 3 }]);
});

it('leaves slot 1 to the Filter fused into the scan, and counts a shared slot once', () => {
  const scan = op('scan'), filter = op('filter'), project = op('project');
  const m = operatorMetrics(new Map([[scan, [0, 0]], [filter, [0, 1]], [project, [0, 1]]]), [[slice([100, 10], [1, 30])]]);
  expect(m.get(scan)).toEqual([{ rows: 100, ms: 1 }]);
  expect(m.get(filter)).toEqual([{ rows: 10, ms: 30 }]);
  // a Project with no step of its own shares the Filter's slot: its rows, none of its time
  expect(m.get(project)).toEqual([{ rows: 10, ms: 0 }]);
});

it('keeps each program\'s slots apart (a co-located build side is program 1)', () => {
  const scan0 = op('scan0'), scan1 = op('scan1'), filter1 = op('filter1');
  const m = operatorMetrics(new Map([[scan0, [0, 0]], [scan1, [1, 0]], [filter1, [1, 1]]]), [[slice([50, 50], [2, 8]), slice([20, 5], [1, 6])]]);
  expect(m.get(scan0)).toEqual([{ rows: 50, ms: 10 }]);
  expect(m.get(scan1)).toEqual([{ rows: 20, ms: 1 }]);
  expect(m.get(filter1)).toEqual([{ rows: 5, ms: 6 }]);
});
