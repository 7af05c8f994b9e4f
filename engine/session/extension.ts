// How ML, sharing and the API plug into the engine without the engine importing them. An
// extension declares the hooks it wraps, each as `wrap(next)` over what ran before it; the
// database composes every extension's wraps in one order fixed by their declared dependencies
// (then their names), so the result never depends on the order modules were imported or loaded.
import type { Statement, StatementKind, Pos } from '../sql/ast.ts';
import type { Result } from '../result.ts';
import type { Relation } from '../plan/bind-query.ts';
import type { ModelRef } from '../plan/bound.ts';
import type { SqlType } from '../types/types.ts';
import type { Database } from './database.ts';
import type { StatementContext } from './context.ts';
import type { ExecStats } from '../exec/executor.ts';
import type { CatalogState } from '../catalog/catalog.ts';
import { SqlError } from '../errors.ts';

export type { ModelRef };

export type StatementHandler = (stmt: Statement, ctx: StatementContext) => Promise<Result>;
/** The statement of one kind, e.g. StatementOf<'Grant'>. */
export type StatementOf<K extends StatementKind> = Extract<Statement, { kind: K }>;
/** A handler typed for the statements of one kind. */
export type HandlerOf<K extends StatementKind> = (stmt: StatementOf<K>, ctx: StatementContext) => Promise<Result>;

/** A SQL function backed by a model: the version a call runs and what the binder needs to type-check it. */
export interface ModelFunction {
  ref: ModelRef;
  proba: boolean;
  type: SqlType;
  argTypes: SqlType[];
  /** `fn_explain`: the call returns per-argument contributions as JSON; the argument names */
  explain?: string[];
}

/** Every hook kind besides statements, with the function the engine calls. */
export interface Hooks {
  /** a name in FROM the engine's own catalog does not hold (shared databases, system views); null: not ours */
  relation: (ctx: StatementContext, name: string[], pos: Pos) => Relation | null;
  /** a function call that names a model; null: not a model function */
  modelFunction: (ctx: StatementContext, name: string[], pos: Pos) => ModelFunction | null;
  /** after CREATE TABLE, inside its transaction (sharing's INCLUDENEW) */
  tableCreated: (ctx: StatementContext, database: string, schema: string, name: string) => void;
  /**
   * Inside the transaction that drops an account (no `user`) or a user: remove what belonged to
   * that identity (API tokens), so a later namesake inherits nothing.
   */
  principalDropped: (state: CatalogState, account: string, user?: string) => void;
  /** after each successful statement, with what it scanned (usage logs) */
  afterQuery: (ctx: StatementContext, stats: ExecStats) => void;
}
export type HookKind = keyof Hooks;

/** A hook's new behaviour built from `next`, the behaviour before it (the engine's or an earlier extension's). */
export type Wrap<F> = (next: F) => F;

export interface Extension {
  /** unique among a database's extensions */
  name: string;
  /** extensions whose hooks this one wraps (they are applied before it, when present) */
  after?: readonly string[];
  /** statement handlers by kind: new statements ignore `next`; others run it for what they do not handle */
  statements?: { [K in StatementKind]?: Wrap<HandlerOf<K>> };
  hooks?: { [K in HookKind]?: Wrap<Hooks[K]> };
  /** the system views the relation hook answers, for listings (the CLI's \dS) */
  systemViews?: readonly string[];
  /** called once the extension is part of the database (event listeners, timers) */
  attach?(db: Database): void;
  /** background work a server runs (drift monitor schedules); one-shot processes never call it */
  startBackground?(opts: { statementTimeoutMs?: number }): void;
  close?(): Promise<void>;
}

/** Hooks that answer a lookup (null: not mine) rather than notify. */
type ResolverKind = 'relation' | 'modelFunction';

/** A resolver wrap: this extension answers first, the ones before it when it returns null. */
export function answerFirst<K extends ResolverKind>(_kind: K, f: Hooks[K]): Wrap<Hooks[K]> {
  const mine = f as (...a: unknown[]) => unknown;
  return ((next: (...a: unknown[]) => unknown) => (...a: unknown[]) => mine(...a) ?? next(...a)) as unknown as Wrap<Hooks[K]>;
}

/** A notification wrap: the ones before run, then `f`. */
export function alsoRun<K extends Exclude<HookKind, ResolverKind>>(_kind: K, f: Hooks[K]): Wrap<Hooks[K]> {
  const mine = f as (...a: unknown[]) => void;
  return ((next: (...a: unknown[]) => void) => (...a: unknown[]) => { next(...a); mine(...a); }) as unknown as Wrap<Hooks[K]>;
}

/** A statement this extension introduces (there is nothing before it to call). */
export function introduces<K extends StatementKind>(h: HandlerOf<K>): Wrap<HandlerOf<K>> {
  return () => h;
}

const BASE_HOOKS: Hooks = {
  relation: () => null,
  modelFunction: () => null,
  tableCreated: () => undefined,
  principalDropped: () => undefined,
  afterQuery: () => undefined,
};
const HOOK_KINDS = new Set(Object.keys(BASE_HOOKS));

/** The engine's and every extension's hooks, composed once; what sessions and statements call. */
export class ExtensionSet {
  /** the extensions in the order their wraps were applied */
  readonly ordered: readonly Extension[];
  private readonly handlers = new Map<StatementKind, StatementHandler>();
  readonly hooks: Hooks;
  readonly systemViews: string[];

  /** `extensions` in any order; `base` are the engine's own statement handlers. */
  constructor(extensions: readonly Extension[], private readonly base: Readonly<Partial<Record<StatementKind, StatementHandler>>>) {
    this.ordered = applyOrder(extensions);
    const hooks: Record<string, unknown> = { ...BASE_HOOKS };
    for (const ext of this.ordered) {
      for (const [kind, wrap] of Object.entries(ext.hooks ?? {})) {
        if (!HOOK_KINDS.has(kind)) throw new Error(`extension "${ext.name}" declares unknown hook "${kind}" (hooks: ${[...HOOK_KINDS].join(', ')})`);
        hooks[kind] = (wrap as Wrap<unknown>)(hooks[kind]);
      }
      for (const [kind, wrap] of Object.entries(ext.statements ?? {}) as [StatementKind, Wrap<StatementHandler>][]) {
        this.handlers.set(kind, wrap(this.handler(kind)));
      }
    }
    this.hooks = hooks as unknown as Hooks;
    this.systemViews = this.ordered.flatMap((e) => e.systemViews ?? []);
  }

  /** The handler of a statement kind; one that is nobody's says which extension is missing. */
  handler(kind: StatementKind): StatementHandler {
    return this.handlers.get(kind) ?? this.base[kind] ?? (async (stmt) => {
      throw new SqlError('FEATURE_NOT_SUPPORTED', `${kind} statements are not available in this server (is its extension loaded?)`, stmt.pos);
    });
  }
}

/**
 * The one order wraps are applied in: each extension after those it names in `after`, and
 * otherwise by name. Duplicate names and dependency cycles are errors.
 */
export function applyOrder(extensions: readonly Extension[]): Extension[] {
  const byName = new Map<string, Extension>();
  for (const e of extensions) {
    if (byName.has(e.name)) throw new Error(`two extensions are named "${e.name}"`);
    byName.set(e.name, e);
  }
  const out: Extension[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (e: Extension, path: string[]) => {
    const s = state.get(e.name);
    if (s === 'done') return;
    if (s === 'visiting') throw new Error(`extensions depend on each other in a cycle: ${[...path, e.name].join(' -> ')}`);
    state.set(e.name, 'visiting');
    for (const dep of [...(e.after ?? [])].sort()) {
      const d = byName.get(dep);
      if (d) visit(d, [...path, e.name]);
    }
    state.set(e.name, 'done');
    out.push(e);
  };
  for (const name of [...byName.keys()].sort()) visit(byName.get(name)!, []);
  return out;
}
