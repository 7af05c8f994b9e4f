// What one area of the GraphQL API contributes: SDL and resolvers. Modules extend the root
// types (`extend type Query { ... }`); index.ts merges them into one schema.
import type { Database, Result } from '../../engine/database.ts';
import type { Principal } from '../tokens.ts';
import type { WorkloadManager } from '../wlm.ts';
import type { EventBus } from '../events.ts';
import type { CursorStore } from '../cursors.ts';
import type { ApiLimits } from '../limits.ts';
import type { RevocationWatch } from '../revocation.ts';

/** Long-lived parts of a running API server, shared by every request. */
export interface ApiServices {
  db: Database;
  wlm: WorkloadManager;
  bus: EventBus;
  cursors: CursorStore;
  limits: ApiLimits;
  /** aborted when the server shuts down (ends subscriptions) */
  shutdown: AbortSignal;
  /** ends subscriptions whose token is revoked or whose user is dropped */
  revocations: RevocationWatch;
  /** removes the server's absolute paths from messages sent to clients */
  scrub: (message: string) => string;
}

/** Options for running SQL through the workload manager as the caller. */
export interface SqlOptions {
  readOnly?: boolean;
  timeoutMs?: number;
  /** queries' rows as Result.stream, read a page at a time (the caller closes each) */
  stream?: boolean;
}

/** The per-request context every resolver receives. */
export interface ApiContext extends ApiServices {
  principal: Principal;
  request: Request;
  /** Runs SQL as the caller (queued by WLM, size-limited, cancellable); one result per statement. */
  sql(text: string, opts?: SqlOptions): Promise<Result[]>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyResolver = any;

/** A part of the schema: its SDL and its resolver map. */
export interface GraphQLModule {
  name: string;
  typeDefs: string;
  resolvers: Record<string, Record<string, AnyResolver> | AnyResolver>;
}
