// Scan: reads a table's segments inside every slice, only the columns the operators above read.
// Zone maps of the fused filter (see filter.ts) skip whole segments before the slices start and
// blocks inside them while they run.
import type { Field, TableRef } from '../../plan/logical.ts';
import type { TableState } from '../../catalog/catalog.ts';
import { SliceOperator, plural } from './operator.ts';
import type { Layout, PipelineBuilder } from './pipeline.ts';
import type { Partitioning } from '../partitioning.ts';

export class ScanOp extends SliceOperator {
  /** the join filters pushed into this scan (runtime-filter-plan.ts), as EXPLAIN shows them */
  readonly runtimeFilters: string[] = [];

  constructor(readonly table: TableState, readonly ref: TableRef, fields: Field[], estRows: number) {
    super(fields, [], estRows);
  }

  explain(): string {
    const t = this.table;
    const dist = `${t.distStyle}${t.distKey !== null ? ` KEY(${t.columns[t.distKey].name})` : ''}`;
    return `Scan ${this.ref.schema}.${this.ref.name} (${dist}, ${plural(t.segments.length, 'segment')})`;
  }

  details(): string[] {
    return this.runtimeFilters.map((t) => `Runtime filter: ${t}`);
  }

  /** The table's full name, as the usage log counts scanned rows. */
  get qualifiedName(): string {
    const r = this.ref;
    return `${r.account}.${r.database}.${r.schema}.${r.name}`;
  }

  /** A KEY table's rows sit by its distribution column, when every segment was placed over this many slices. */
  partitioning(slices: number): Partitioning | null {
    const t = this.table;
    if (t.distStyle !== 'KEY' || t.distKey === null) return null;
    return t.segments.every((s) => s.slices === slices) ? { scheme: 'table', keys: [[t.distKey]] } : null;
  }

  needs(): Set<number>[] {
    return [];
  }

  pipe(b: PipelineBuilder): Layout {
    const columns = [...b.wantedOf(this)].sort((x, y) => x - y);
    if (columns.length === 0) columns.push(0); // count(*) still needs the row count
    b.scan = this;
    b.spec.tableTypes = this.table.columns.map((c) => c.type);
    b.spec.columns = columns;
    b.width = columns.length;
    const layout: Layout = this.fields.map(() => null);
    columns.forEach((col, pos) => { layout[col] = { k: 'col', index: pos, type: this.fields[col].type }; });
    return layout;
  }
}
