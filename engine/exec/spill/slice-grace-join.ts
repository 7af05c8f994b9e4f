// Grace hash join inside a slice. A join step whose hash table would not fit in what is left of
// the statement's budget writes its build rows to FANOUT spill files by the hash of their keys;
// the probe batches streaming through the slice's pipeline go to FANOUT files by the same hash
// instead of being probed. Once the slice's input is done, each pair of files is joined alone
// (the build file as a hash table, the probe file read back a block at a time) and the joined
// rows go on through the rest of the pipeline. A build file whose table still does not fit is
// split again, with the probe file, by another hash (a block at a time), up to MAX_LEVEL times;
// past that, or at once when no split would part its rows (one key holding them or nearly all of
// them: hash-partition.ts mayPart), it is joined as a block nested loop (chunked-join.ts).
// A probe block's joined rows go on at most PROBE_PIECE at a time, fewer when a quarter of what is
// left holds fewer (at least 1,024: `piecesFitting`), since a key may match many build rows.
// A semi or anti join built on its preserved side spills the same way: each pair of files marks
// the build rows its probe rows match, and the marked (or unmarked) build rows go on. An outer
// join keeping its build side (FULL, LEFT built on its left) adds, after each pair of files,
// that build file's rows no probe row matched, with NULL probe columns.
import type { BExpr } from '../../plan/bound.ts';
import type { Batch } from '../../types/vector.ts';
import type { SqlType } from '../../types/types.ts';
import type { JoinStep } from '../fragment.ts';
import { BuildTable, markMatches, padProbeSide, probePieces, rowsMarked, unmatchedBuildRows } from '../hash-join.ts';
import { projectBatch } from '../kernels.ts';
import { batchBytes } from '../memory-budget.ts';
import { FANOUT, MAX_LEVEL, PartitionWriter, mayPart, readPartition, splitFile, writePartitions } from './hash-partition.ts';
import { joinInChunks, piecesFitting, type JoinedSink } from './chunked-join.ts';
import type { SpillWriter } from './spill-file.ts';
import type { SpillHost } from './spill-aggregate.ts';

/** Build sides this small always join in memory (a file per 16 rows would cost more than it saves). */
export const MIN_SPILL_ROWS = 1024;

export type { JoinedSink };

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
      const done = probe ? await this.joinFiles(this.build[p], probe[p], 0, Infinity, sink, keep) : await this.withoutProbeRows(this.build[p], sink, keep);
      if (done) return;
    }
  }

  /**
   * A build file no probe row meets: an anti join built on its preserved side keeps every build
   * row, an outer join keeping its build side pads them; any other join has nothing to give, and
   * the file is not read.
   */
  private async withoutProbeRows(buildFile: SpillWriter, sink: JoinedSink, keep: 0 | 1 | null): Promise<boolean> {
    if (keep === 0) return this.keepBuildRows(buildFile, sink);
    if (keep === null && this.step.keepsBuild) {
      const types = this.paddingTypes;
      return this.keepBuildRows(buildFile, (b) => sink(padProbeSide(types, b.columns, b.length)));
    }
    this.host.spill.done(buildFile);
    return false;
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
   * `parentRows`: the build rows of the file this one was split from.
   */
  private async joinFiles(buildFile: SpillWriter, probeFile: SpillWriter, level: number, parentRows: number, sink: JoinedSink, keep: 0 | 1 | null): Promise<boolean> {
    const { host, step } = this;
    host.check();
    if (probeFile.rows === 0) { host.spill.done(probeFile); return this.withoutProbeRows(buildFile, sink, keep); }
    const kind = step.joinType;
    // too big for what is left (judged from the file, before reading it): split again while a
    // split may part its rows, else join it a chunk at a time
    if (buildFile.rows > MIN_SPILL_ROWS && BuildTable.estimateBytes(buildFile.rows, step.buildKeys.length) + buildFile.bytes > host.available()) {
      if (level < MAX_LEVEL && mayPart([buildFile], parentRows, true)) return this.splitAgain(buildFile, probeFile, level, sink, keep);
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
          for (const joined of probePieces(b, keys, table, kind, step.residual ?? null, host, piecesFitting(host, b, build))) if (await sink(joined)) return true;
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
    for (const kept of rowsMarked(build.columns, table.matched, build.length, keep)) if (await sink(kept)) return true;
    return false;
  }

  /** Splits a build partition (in memory, or its file read a block at a time) and its probe file again with the next level's hash, and joins the pairs. */
  private async splitAgain(build: Batch | SpillWriter, probeFile: SpillWriter, level: number, sink: JoinedSink, keep: 0 | 1 | null): Promise<boolean> {
    const { host, step } = this;
    const builds = 'columns' in build
      ? writePartitions(host, build, this.buildKeyExprs, step.nullEq, level + 1, 'slice hash join build partition')
      : await splitFile(host, build, this.buildKeyExprs, step.nullEq, level + 1, 'slice hash join build partition');
    const probes = await splitFile(host, probeFile, step.probeKeys, step.nullEq, level + 1, 'slice hash join probe partition');
    const rows = 'columns' in build ? build.length : build.rows;
    for (let p = 0; p < FANOUT; p++) if (await this.joinFiles(builds[p], probes[p], level + 1, rows, sink, keep)) return true;
    return false;
  }

  /** A build file still too big after MAX_LEVEL splits (one key holding most of its rows): joined a chunk of build rows at a time (chunked-join.ts). */
  private joinInChunks(buildFile: SpillWriter, probeFile: SpillWriter, sink: JoinedSink, keep: 0 | 1 | null): Promise<boolean> {
    const { host, step } = this;
    return joinInChunks(host, buildFile, probeFile, {
      kind: keep === null ? step.joinType : null,
      buildTypes: this.buildTypes, buildKeys: this.buildKeyExprs, probeKeys: step.probeKeys, nullEq: step.nullEq, residual: step.residual ?? null,
      afterChunk: (table, chunk, to) => this.buildRowsAfter(table, chunk, keep, to),
    }, sink);
  }
}
