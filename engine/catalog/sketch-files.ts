// Column sketches of table statistics live in immutable files under the data directory's
// segments/ (one file per table and statistics version), not in the manifest: the manifest is
// rewritten on every commit, and a wide table's sketches are ~100 KB. The table's stats name its
// file; a commit that leaves a table's stats alone leaves its file alone. Files are read lazily
// (the optimizer and svv_table_stats ask for distinct values synchronously) and cached by name,
// which is safe because a name is never reused for other contents.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { Sketch } from '../functions/aggregates/approx-count-distinct.ts';

const FORMAT = 'strata-sketches-1';
/** a sketch in a file: its hashes while sparse, else its registers deflated and base64 (full precision) */
type StoredSketch = { hashes: number[] } | { registers: string };
const REGISTERS = 4096;

const toStored = (s: Sketch): StoredSketch =>
  s.registers ? { registers: deflateRawSync(s.registers).toString('base64') } : { hashes: [...s.hashes] };

function fromStored(j: StoredSketch): Sketch {
  if ('hashes' in j) {
    if (!Array.isArray(j.hashes) || !j.hashes.every((h) => Number.isSafeInteger(h))) throw new Error('bad sketch hashes');
    return { hashes: new Set(j.hashes), registers: null };
  }
  const r = new Uint8Array(inflateRawSync(Buffer.from(j.registers, 'base64')));
  // fewer registers: merged with a coarser sketch from a manifest written before sketch files
  if (r.length < 16 || r.length > REGISTERS || (r.length & (r.length - 1)) !== 0) throw new Error(`sketch has ${r.length} registers`);
  return { hashes: null, registers: r };
}

/** Per column name: its sketch, or null when the column held no non-NULL values. */
export type ColumnSketches = Map<string, Sketch | null>;

/** The bytes of a sketch file: only the columns whose sketch is known. */
export function encodeSketches(sketches: ColumnSketches): string {
  const columns: Record<string, StoredSketch | null> = {};
  for (const [name, s] of sketches) columns[name] = s ? toStored(s) : null;
  return JSON.stringify({ format: FORMAT, columns });
}

/** Segment directories of the open databases (file names are random, so they never collide). */
const dirs = new Set<string>();
/** contents by file name, with the directory they came from (dropped when it closes) */
const cache = new Map<string, { dir: string; sketches: ColumnSketches }>();
const CACHE_FILES = 256;

export function attachSegmentsDir(dir: string): void {
  dirs.add(dir);
}

/** Forgets a closed database's directory and what was read from it (the files may change while closed). */
export function detachSegmentsDir(dir: string): void {
  dirs.delete(dir);
  for (const [file, e] of cache) if (e.dir === dir) cache.delete(file);
}

/** Remembers a file this process just wrote in `dir` (no need to read it back). */
export function rememberSketches(dir: string, file: string, sketches: ColumnSketches): void {
  put(dir, file, sketches);
}

/**
 * The sketches a statistics file holds. A file that is missing (a crash lost it, or the directory
 * was copied without it) or corrupt gives null: the caller treats distinct values as unknown,
 * never as a failed query.
 */
export function loadSketches(file: string): ColumnSketches | null {
  const hit = cache.get(file);
  if (hit) {
    cache.delete(file);
    cache.set(file, hit); // most recently used last
    return hit.sketches;
  }
  for (const dir of dirs) {
    const path = join(dir, file);
    if (!existsSync(path)) continue;
    const found = decode(path);
    if (found) put(dir, file, found);
    return found;
  }
  return null; // not cached: a database opened later may hold it
}

function decode(path: string): ColumnSketches | null {
  try {
    const j = JSON.parse(readFileSync(path, 'utf8')) as { format?: string; columns?: Record<string, StoredSketch | null> };
    if (j.format !== FORMAT || !j.columns) return null;
    return new Map(Object.entries(j.columns).map(([name, s]) => [name, s ? fromStored(s) : null]));
  } catch {
    return null;
  }
}

function put(dir: string, file: string, sketches: ColumnSketches): void {
  cache.set(file, { dir, sketches });
  if (cache.size > CACHE_FILES) cache.delete(cache.keys().next().value!);
}
