// Grace hash join inside a slice. A join step whose hash table would not fit in what is left of
// the statement's budget writes its build rows to FANOUT spill files by the hash of their keys;
// the probe batches streaming through the slice's pipeline go to FANOUT files by the same hash
// instead of being probed. Once the slice's input is done, each pair of files is joined alone
// (the build file as a hash table, the probe file read back a block at a time) and the joined
// rows go on through the rest of the pipeline. A build file whose table still does not fit is
// split again, with the probe file, by another hash (a block at a time), up to MAX_LEVEL times;
// past that (one key holding most rows) it is joined as a block nested loop: a chunk of build
// rows that fits at a time, as a hash table, against the whole probe file (a join keeping or
// dropping probe rows by whether any chunk matched them flags each probe row and reads the
// probe file once more at the end).
// A semi or anti join built on its preserved side spills the same way: each pair of files marks
// the build rows its probe rows match, and the marked (or unmarked) build rows go on. An outer
// join keeping its build side (FULL, LEFT built on its left) adds, after each pair of files,
// that build file's rows no probe row matched, with NULL probe columns.
import type { BExpr } from '../../plan/bound.ts';
import type { Batch } from '../../types/vector.ts';
import { gather } from '../../types/vector.ts';
import type { SqlType } from '../../types/types.ts';
import type { JoinStep } from '../fragment.ts';
import { BuildTable, markMatches, padBuildSide, padProbeSide, probe, probeHits, unmatchedBuildRows } from '../hash-join.ts';
import { projectBatch } from '../kernels.ts';
import { batchBytes } from '../memory-budget.ts';
import { FANOUT, MAX_LEVEL, PartitionWriter, readPartition } from './hash-partition.ts';
import { concatBatches, selectRows } from '../batches.ts';
import type { SpillWriter } from './spill-file.ts';
import type { SpillHost } from './spill-aggregate.ts';

/** Build sides this small always join in memory (a file per 16 rows would cost more than it saves). */
export const MIN_SPILL_ROWS = 1024;

/** Receives joined rows; returns true when it needs no more (a LIMIT is reached). */
export type JoinedSink = (joined: Batch) => Promise<boolean>;

export class SliceGraceJoin {
  private readonly buildKeyExprs: BExpr[];
  private readonly buildTypes: SqlType[];
  private readonly build: SpillWriter[];
  private probe: PartitionWriter | null = null;
  private probeTypes: SqlType[] = [];

  /**
   * Writes the step's build rows to partition files; the caller then lets go of them. With
   * `files`, the build rows are in those files too (or only: step.build then only gives their
   * types): they are split a block at a time and deleted, unless `shared` (a broadcast's files,
   * which every slice reads and the leader removes).
   */
  constructor(private readonly host: SpillHost, private readonly step: JoinStep, files: string[] = [], shared = false) {
    this.buildTypes = step.build.map((v) => v.type);
    this.buildKeyExprs = step.buildKeys.map((index) => ({ k: 'col', index, type: step.build[index].type }) as BExpr);
    const rows = step.build[0]?.length ?? 0;
    const w = new PartitionWriter(host, this.buildKeyExprs, step.nullEq, 0, 'slice hash join build partition');
    if (rows) w.add({ length: rows, columns: step.build });
    for (const path of files) {
      const r = host.spill.read(path);
      for (let b = r.next(); b; b = r.next()) { host.check(); w.add(b); }
      if (shared) host.spill.letGo(r); else host.spill.done(r);
    }
    this.build = w.close();
  }

  /** A probe batch (its rows all selected): split into the probe files, to be joined at `drain`. */
  add(batch: Batch): void {
    if (batch.length === 0) return;
    if (!this.probe) {
      this.probeTypes = batch.columns.map((v) => v.type);
      this.probe = new PartitionWriter(this.host, this.step.probeKeys, this.step.nullEq, 0, 'slice hash join probe partition');
    }
    this.probe.add(batch);
  }

  /** Joins the files pair by pair, handing the joined rows to `sink`; deletes each file once read. */
  drain(sink: JoinedSink): Promise<void> {
    return this.drainAll(sink, null);
  }

  /**
   * A semi or anti join built on its preserved side: the build rows of each file that some row
   * of its probe file matches (`keep` 1) or that none does (`keep` 0), handed to `sink`.
   */
  drainMarked(keep: 0 | 1, sink: JoinedSink): Promise<void> {
    return this.drainAll(sink, keep);
  }

  private async drainAll(sink: JoinedSink, keep: 0 | 1 | null): Promise<void> {
    const probe = this.probe?.close() ?? null;
    this.probe = null;
    for (let p = 0; p < FANOUT; p++) {
      if (!probe) {
        // no probe rows: an anti join built on its preserved side keeps every build row, an outer join pads them
        if (keep === 0) { if (await this.keepBuildRows(this.build[p], sink)) return; continue; }
        if (keep === null && this.step.keepsBuild) {
          const types = this.paddingTypes;
          if (await this.keepBuildRows(this.build[p], (b) => sink(padProbeSide(types, b.columns, b.length)))) return;
          continue;
        }
        this.host.spill.done(this.build[p]);
        continue;
      }
      if (await this.joinFiles(this.build[p], probe[p], 0, sink, keep)) return;
    }
  }

  /** The probe rows' column types (as planned when none came), for NULL padding. */
  private get paddingTypes(): SqlType[] {
    return this.probeTypes.length ? this.probeTypes : this.step.keepsBuild!.probeTypes;
  }

  /** Hands every row of a build file to `sink`, a block at a time. */
  private async keepBuildRows(buildFile: SpillWriter, sink: JoinedSink): Promise<boolean> {
    const r = this.host.spill.read(buildFile.path);
    try {
      for (let b = r.next(); b; b = r.next()) if (await sink(b)) return true;
      return false;
    } finally {
      this.host.spill.done(r);
    }
  }

  /**
   * Joins one build file with its probe file (`keep` null), or marks the build rows its probe
   * rows match and keeps the marked (1) or unmarked (0) ones; true when the sink wants no more.
   */
  private async joinFiles(buildFile: SpillWriter, probeFile: SpillWriter, level: number, sink: JoinedSink, keep: 0 | 1 | null): Promise<boolean> {
    const { host, step } = this;
    host.check();
    const kind = step.joinType;
    // too big for what is left (judged from the file, before reading it): split again, or past
    // the last level join it a chunk at a time
    if (buildFile.rows > MIN_SPILL_ROWS && BuildTable.estimateBytes(buildFile.rows, step.buildKeys.length) + buildFile.bytes > host.available()) {
      if (level < MAX_LEVEL) return this.splitAgain(buildFile, probeFile, level, sink, keep);
      return this.joinInChunks(buildFile, probeFile, sink, keep);
    }
    const build = readPartition(host, buildFile, this.buildTypes);
    // without build rows, an inner or semi join keeps nothing of the probe file (nor a marking join anything)
    if (build.length === 0 && (kind === 'INNER' || kind === 'SEMI' || keep !== null)) { host.spill.done(probeFile); return false; }
    const need = BuildTable.estimateBytes(build.length, step.buildKeys.length) + batchBytes(build);
    if (level < MAX_LEVEL && build.length > MIN_SPILL_ROWS && need > host.available()) return this.splitAgain(build, probeFile, level, sink, keep);
    const release = host.reserve(need, 'hash join build partition in a slice');
    try {
      const table = new BuildTable(build.columns, step.buildKeys.map((c) => build.columns[c]), step.nullEq, host);
      const r = host.spill.read(probeFile.path);
      try {
        for (let b = r.next(); b; b = r.next()) {
          host.check();
          const keys = projectBatch(b, step.probeKeys, null, b.length);
          if (keep !== null) { markMatches(b, keys, table, step.residual ?? null, host); continue; }
          const joined = probe(b, keys, table, kind, step.residual ?? null, host);
          if (joined.length && await sink(joined)) return true;
        }
      } finally {
        host.spill.done(r);
      }
      return this.buildRowsAfter(table, build, keep, sink);
    } finally {
      release();
    }
  }

  /**
   * What a build table gives after its probe rows went by: an outer join's unmatched build rows
   * padded (keep null), or the build rows a marking join keeps (matched === keep).
   */
  private async buildRowsAfter(table: BuildTable, build: Batch, keep: 0 | 1 | null, sink: JoinedSink): Promise<boolean> {
    if (keep === null) {
      if (!this.step.keepsBuild) return false;
      for (const padded of unmatchedBuildRows(table, this.paddingTypes)) if (await sink(padded)) return true;
      return false;
    }
    const rows: number[] = [];
    for (let i = 0; i < build.length; i++) if (table.matched[i] === keep) rows.push(i);
    const sel = Uint32Array.from(rows);
    return sel.length > 0 && await sink(selectRows(build, sel, sel.length));
  }

  /** Splits a build partition (in memory, or its file read a block at a time) and its probe file again with the next level's hash, and joins the pairs. */
  private async splitAgain(build: Batch | SpillWriter, probeFile: SpillWriter, level: number, sink: JoinedSink, keep: 0 | 1 | null): Promise<boolean> {
    const { host, step } = this;
    const subBuild = new PartitionWriter(host, this.buildKeyExprs, step.nullEq, level + 1, 'slice hash join build partition');
    if ('columns' in build) subBuild.add(build);
    else {
      const r = host.spill.read(build.path);
      for (let b = r.next(); b; b = r.next()) { subBuild.add(b); await host.pause(); }
      host.spill.done(r);
    }
    const builds = subBuild.close();
    const subProbe = new PartitionWriter(host, step.probeKeys, step.nullEq, level + 1, 'slice hash join probe partition');
    const r = host.spill.read(probeFile.path);
    for (let b = r.next(); b; b = r.next()) { subProbe.add(b); await host.pause(); }
    host.spill.done(r);
    const probes = subProbe.close();
    for (let p = 0; p < FANOUT; p++) if (await this.joinFiles(builds[p], probes[p], level + 1, sink, keep)) return true;
    return false;
  }

  /**
   * A build file still too big after MAX_LEVEL splits (one key holding most of its rows), joined
   * as a block nested loop: build blocks are taken while their table fits in half of what is
   * left (at least one block), and each such chunk is joined with the whole probe file. A join
   * that keeps or drops probe rows by whether any build row matched (LEFT, SEMI, ANTI) flags the
   * probe rows each chunk matches and, after the last chunk, reads the probe file once more.
   */
  private async joinInChunks(buildFile: SpillWriter, probeFile: SpillWriter, sink: JoinedSink, keep: 0 | 1 | null): Promise<boolean> {
    const { host, step } = this;
    const kind = step.joinType;
    const keys = step.buildKeys.length;
    const hit = keep === null && (kind === 'LEFT' || kind === 'SEMI' || kind === 'ANTI') ? new Uint8Array(probeFile.rows) : null;
    const releaseHit = hit ? host.reserve(hit.length, 'probe rows matched in a slice join') : () => {};
    const r = host.spill.read(buildFile.path);
    try {
      let pending = r.next();
      while (pending) {
        const blocks = [pending];
        let rows = pending.length, bytes = batchBytes(pending);
        for (pending = r.next(); pending; pending = r.next()) {
          const more = batchBytes(pending);
          if (BuildTable.estimateBytes(rows + pending.length, keys) + bytes + more > host.available() / 2) break;
          blocks.push(pending);
          rows += pending.length;
          bytes += more;
        }
        if (await this.joinChunk(concatBatches(this.buildTypes, blocks), probeFile, sink, keep, hit)) return true;
      }
      return hit ? await this.probeRowsByHits(probeFile, hit, sink) : false;
    } finally {
      host.spill.done(r);
      host.spill.done(probeFile);
      releaseHit();
    }
  }

  /** One chunk of a build file as a hash table against the whole probe file (joinInChunks); true when the sink wants no more. */
  private async joinChunk(chunk: Batch, probeFile: SpillWriter, sink: JoinedSink, keep: 0 | 1 | null, hit: Uint8Array | null): Promise<boolean> {
    const { host, step } = this;
    const kind = step.joinType;
    const residual = step.residual ?? null;
    const release = host.reserve(BuildTable.estimateBytes(chunk.length, step.buildKeys.length) + batchBytes(chunk), 'hash join build chunk in a slice');
    try {
      const table = new BuildTable(chunk.columns, step.buildKeys.map((c) => chunk.columns[c]), step.nullEq, host);
      // the probe file is read once per chunk: closed, not deleted, after each
      const r = host.spill.read(probeFile.path);
      try {
        let base = 0;
        for (let b = r.next(); b; b = r.next()) {
          host.check();
          const keys = projectBatch(b, step.probeKeys, null, b.length);
          if (keep !== null) markMatches(b, keys, table, residual, host);
          else {
            if (hit) probeHits(b, keys, table, residual, hit, base, host);
            // the pairs themselves: an inner join's, and the matched rows of a LEFT join (its unmatched ones come at the end)
            if (kind === 'INNER' || kind === 'LEFT') {
              const joined = probe(b, keys, table, 'INNER', residual, host);
              if (joined.length && await sink(joined)) return true;
            }
          }
          base += b.length;
        }
      } finally {
        r.close();
      }
      return this.buildRowsAfter(table, chunk, keep, sink);
    } finally {
      release();
    }
  }

  /** After every chunk: the probe rows a LEFT join pads (none matched), a SEMI join keeps (some did) or an ANTI join keeps (none did). */
  private async probeRowsByHits(probeFile: SpillWriter, hit: Uint8Array, sink: JoinedSink): Promise<boolean> {
    const { host, step } = this;
    const want = step.joinType === 'SEMI' ? 1 : 0;
    const r = host.spill.read(probeFile.path);
    try {
      let base = 0;
      for (let b = r.next(); b; b = r.next()) {
        host.check();
        const rows: number[] = [];
        for (let i = 0; i < b.length; i++) if (hit[base + i] === want) rows.push(i);
        base += b.length;
        if (!rows.length) continue;
        const sel = Uint32Array.from(rows);
        const columns = b.columns.map((c) => gather(c, sel, sel.length));
        if (await sink(step.joinType === 'LEFT' ? padBuildSide(columns, this.buildTypes, sel.length) : { length: sel.length, columns })) return true;
      }
      return false;
    } finally {
      r.close();
    }
  }
}
