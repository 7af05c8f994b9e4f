// How ML, sharing and the API plug into the engine without the engine importing them.
import type { Statement, StatementKind, Pos } from '../sql/ast.ts';
import type { Result } from '../result.ts';
import type { Relation } from '../plan/bind-query.ts';
import type { SqlType } from '../types/types.ts';
import type { Database } from './database.ts';
import type { StatementContext } from './context.ts';
import type { ExecStats } from '../exec/executor.ts';
import type { CatalogState } from '../catalog/catalog.ts';

export type StatementHandler = (stmt: Statement, ctx: StatementContext) => Promise<Result>;

/** A SQL function backed by a model: what the binder needs to type-check and plan a call. */
export interface ModelFunction {
  model: string;
  onnx?: string;
  proba: boolean;
  type: SqlType;
  argTypes: SqlType[];
}

export interface Extension {
  name: string;
  attach?(db: Database): void;
  /** statements this extension executes (CREATE MODEL, CREATE DATASHARE, ...) */
  statements?: Partial<Record<StatementKind, StatementHandler>>;
  /** names the engine's own catalog does not resolve: shared databases, system views */
  resolveRelation?(ctx: StatementContext, name: string[], pos: Pos): Relation | null;
  /** the system views resolveRelation answers, for listings (the CLI's \dS) */
  systemViews?: string[];
  resolveModelFunction?(ctx: StatementContext, name: string[], pos: Pos): ModelFunction | null;
  /**
   * Inside the transaction that drops an account (no `user`) or a user: remove what belonged to
   * that identity (API tokens), so a later namesake inherits nothing.
   */
  principalDropped?(state: CatalogState, account: string, user?: string): void;
  /** called after each successful query with what it scanned (usage logs) */
  afterQuery?(ctx: StatementContext, stats: ExecStats): void;
  close?(): Promise<void>;
}
