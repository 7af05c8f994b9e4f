// A tiny CSV reader for the ML tests: numbers as DOUBLE PRECISION, 'True'/'False' as BOOLEAN, other text as VARCHAR, empty as NULL.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { T } from '../../engine/types/types.ts';
import { stringVector } from '../../engine/types/vector.ts';
import type { TrainingColumn } from '../../ml/index.ts';

/** The example datasets shipped in the repo (`examples/data`, sources in its README). */
export const DATASETS = fileURLToPath(new URL('../../examples/data', import.meta.url));
/** Whether the datasets are present; the dataset tests skip (saying so) when not. */
export const HAVE_DATASETS = existsSync(`${DATASETS}/README.md`);
if (!HAVE_DATASETS) console.warn(`[ml] skipping dataset quality tests: ${DATASETS} not found`);

/** Reads a CSV file (no quoted fields) into engine columns. */
export function readCsv(path: string): TrainingColumn[] {
  const lines = readFileSync(path, 'utf8').split(/\r?\n/).filter((l) => l.length > 0);
  const header = lines[0].split(',');
  const cells = lines.slice(1).map((l) => l.split(','));
  return header.map((name, j) => {
    const raw = cells.map((row) => (row[j] === undefined || row[j] === '' ? null : row[j]));
    const present = raw.filter((v): v is string => v !== null);
    const valid = raw.some((v) => v === null) ? Uint8Array.from(raw, (v) => (v === null ? 0 : 1)) : null;
    if (present.length && present.every((v) => v === 'True' || v === 'False')) {
      return { name, type: T.bool, vector: { type: T.bool, length: raw.length, values: Uint8Array.from(raw, (v) => (v === 'True' ? 1 : 0)), valid } };
    }
    if (present.every((v) => v.trim() !== '' && Number.isFinite(Number(v)))) {
      return { name, type: T.double, vector: { type: T.double, length: raw.length, values: Float64Array.from(raw, (v) => (v === null ? 0 : Number(v))), valid } };
    }
    return { name, type: T.varchar, vector: stringVector(T.varchar, raw) };
  });
}
