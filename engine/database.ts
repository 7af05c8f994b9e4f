// The engine's public entry point.
export { Database, type OpenOptions, type CommitEvent } from './session/database.ts';
export { Session, type SessionOptions, READ_ONLY_KINDS } from './session/session.ts';
export type { Result, ColumnInfo } from './result.ts';
export { SqlError, type ErrorCode } from './errors.ts';
export { findOwner, describeOwner, DataDirLockedError, type OwnerRecord } from './storage/dir-lock.ts';
export type { Extension } from './session/extension.ts';
