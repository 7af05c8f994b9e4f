// A pair of grace-join partition files whose build side is still too big after MAX_LEVEL splits
// (one key holding most of its rows: no hash splits it), joined as a block nested loop, as
// DuckDB and other grace joins do: build rows are taken while their table fits in half of what
// is left (at least MIN_CHUNK_ROWS rows), and each such chunk, as a hash table, is joined with
// the whole probe file read a block at a time. Each chunk gives its own pairs; a join that keeps
// or drops probe rows by whether any build row matched (LEFT, SEMI, ANTI) flags the probe rows
// each chunk matches (a byte a probe row, counted) and, after the last chunk, reads the probe
// file once more for the rows it pads or keeps; what a chunk's build rows add (an outer join's
// unmatched ones, a marking join's kept ones) comes after that chunk. Used by the leader's grace
// join and a slice's.
import type { BExpr } from '../../plan/bound.ts';
import type { Batch } from '../../types/vector.ts';
import type { SqlType } from '../../types/types.ts';
import { BuildTable, PROBE_PIECE, markMatches, padBuildSide, probeHits, probePieces, rowsMarked, tooManyRows, type JoinKind } from '../hash-join.ts';
import { projectBatch } from '../kernels.ts';
import { batchBytes } from '../memory-budget.ts';
import { concatBatches, rowRange } from '../batches.ts';
import type { SpillWriter } from './spill-file.ts';
import type { SpillHost } from './spill-aggregate.ts';

/** Receives joined rows; returns true when it needs no more (a LIMIT is reached). */
export type JoinedSink = (joined: Batch) => Promise<boolean>;

export interface ChunkedJoin {
  /**
   * How each probe row joins: INNER gives its pairs, LEFT its pairs or itself padded, SEMI / ANTI
   * itself when some / no build row matched; null only marks the build rows it matches (a semi
   * or anti join built on its preserved side: `afterChunk` keeps them).
   */
  kind: JoinKind | null;
  /** a scalar subquery's join (LEFT): a probe row matching two build rows is an error */
  single?: boolean;
  buildTypes: SqlType[];
  buildKeys: BExpr[];
  probeKeys: BExpr[];
  nullEq?: boolean[];
  residual: BExpr | null;
  /** What a chunk's build rows add once every probe row went by (true when the sink wants no more). */
  afterChunk(table: BuildTable, chunk: Batch, sink: JoinedSink): Promise<boolean>;
}

/** Joins a build file with its probe file a chunk of build rows at a time; deletes both; true when the sink wants no more. */
export async function joinInChunks(host: SpillHost, buildFile: SpillWriter, probeFile: SpillWriter, j: ChunkedJoin, sink: JoinedSink): Promise<boolean> {
  const keys = j.buildKeys.length;
  const hit = j.kind === 'LEFT' || j.kind === 'SEMI' || j.kind === 'ANTI' ? new Uint8Array(probeFile.rows) : null;
  const releaseHit = hit ? host.reserve(hit.length, 'probe rows matched in a chunked join') : () => {};
  const r = host.spill.read(buildFile.path);
  try {
    // build rows are taken a row range at a time: a block of one key may alone not fit
    let pending = r.next(), at = 0;
    while (pending) {
      const parts: Batch[] = [];
      let rows = 0, bytes = 0;
      while (pending) {
        const rowBytes = BuildTable.estimateBytes(1, keys) + batchBytes(pending) / pending.length;
        const room = Math.floor((host.available() / 2 - BuildTable.estimateBytes(rows, keys) - bytes) / rowBytes);
        const take = Math.min(pending.length - at, Math.max(rows ? 0 : MIN_CHUNK_ROWS, room));
        if (take <= 0) break;
        parts.push(take === pending.length ? pending : rowRange(pending, at, take));
        rows += take;
        bytes += take * (rowBytes - BuildTable.estimateBytes(1, keys));
        at += take;
        if (at < pending.length) break;
        pending = r.next();
        at = 0;
      }
      if (await joinChunk(host, concatBatches(j.buildTypes, parts), probeFile, j, hit, sink)) return true;
    }
    return hit ? await probeRowsByHits(host, probeFile, j, hit, sink) : false;
  } finally {
    host.spill.done(r);
    host.spill.done(probeFile);
    releaseHit();
  }
}

/** One chunk of build rows as a hash table against the whole probe file; true when the sink wants no more. */
async function joinChunk(host: SpillHost, chunk: Batch, probeFile: SpillWriter, j: ChunkedJoin, hit: Uint8Array | null, sink: JoinedSink): Promise<boolean> {
  const release = host.reserve(BuildTable.estimateBytes(chunk.length, j.buildKeys.length) + batchBytes(chunk), 'hash join build chunk');
  try {
    const table = new BuildTable(chunk.columns, projectBatch(chunk, j.buildKeys, null, chunk.length), j.nullEq, host);
    // the probe file is read once per chunk: closed, not deleted, after each
    const r = host.spill.read(probeFile.path);
    try {
      let base = 0;
      for (let b = r.next(); b; b = r.next()) {
        host.check();
        const keys = projectBatch(b, j.probeKeys, null, b.length);
        if (j.kind === null) markMatches(b, keys, table, j.residual, host);
        else {
          if (j.single) singleHits(b, keys, table, j, hit!, base, host);
          else if (hit) probeHits(b, keys, table, j.residual, hit, base, host);
          // the pairs themselves: an inner join's, and the matched rows of a LEFT join (its unmatched ones come at the end)
          if (j.kind === 'INNER' || j.kind === 'LEFT') {
            for (const joined of probePieces(b, keys, table, 'INNER', j.residual, host, piecesFitting(host, b, chunk))) if (await sink(joined)) return true;
          }
        }
        base += b.length;
        await host.pause();
      }
    } finally {
      r.close();
    }
    return await j.afterChunk(table, chunk, sink);
  } finally {
    release();
  }
}

/** Joined rows of probe rows like `b` and build rows like `chunk` that take at most a quarter of what is left (at least MIN_PIECE_ROWS). */
export function piecesFitting(host: SpillHost, b: Batch, chunk: Batch): number {
  const rowBytes = batchBytes(b) / Math.max(1, b.length) + batchBytes(chunk) / Math.max(1, chunk.length);
  return Math.max(MIN_PIECE_ROWS, Math.min(PROBE_PIECE, Math.floor(host.available() / 4 / rowBytes)));
}

/** Joined rows a piece takes even when less fits. */
const MIN_PIECE_ROWS = 1024;

/** A scalar subquery's join: flags the probe rows this chunk matches, failing on one matched twice (here or by an earlier chunk). */
function singleHits(b: Batch, keys: Parameters<typeof probeHits>[1], table: BuildTable, j: ChunkedJoin, hit: Uint8Array, base: number, host: SpillHost): void {
  const now = new Uint8Array(b.length);
  probeHits(b, keys, table, j.residual, now, 0, host);
  const first = table.firstMatches(keys, b.length);
  for (let i = 0; i < b.length; i++) {
    if (!now[i]) continue;
    // without a residual every build row of the key matches; with one, pairs are counted below
    if (hit[base + i] || (!j.residual && table.next[first[i]] >= 0)) throw tooManyRows();
    hit[base + i] = 1;
  }
  if (j.residual) {
    let pairs = 0;
    for (const joined of probePieces(b, keys, table, 'INNER', j.residual, host)) pairs += joined.length;
    let rows = 0;
    for (let i = 0; i < b.length; i++) rows += now[i];
    if (pairs > rows) throw tooManyRows();
  }
}

/** Build rows a chunk takes even when less fits: the join must go on (the budget fails it if it must). */
const MIN_CHUNK_ROWS = 1024;

/** After every chunk: the probe rows a LEFT join pads (none matched), a SEMI join keeps (some did) or an ANTI join keeps (none did). */
async function probeRowsByHits(host: SpillHost, probeFile: SpillWriter, j: ChunkedJoin, hit: Uint8Array, sink: JoinedSink): Promise<boolean> {
  const want = j.kind === 'SEMI' ? 1 : 0;
  const r = host.spill.read(probeFile.path);
  try {
    let base = 0;
    for (let b = r.next(); b; b = r.next()) {
      host.check();
      const marks = hit.subarray(base, base + b.length);
      base += b.length;
      for (const k of rowsMarked(b.columns, marks, b.length, want)) {
        if (await sink(j.kind === 'LEFT' ? padBuildSide(k.columns, j.buildTypes, k.length) : k)) return true;
      }
    }
    return false;
  } finally {
    r.close();
  }
}
