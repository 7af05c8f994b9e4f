// The engine's own statement handlers, by statement kind. Frozen: extensions (ML, sharing) wrap
// them through engine/session/extension.ts, never by changing this table.
import type { StatementKind } from '../../sql/ast.ts';
import type { StatementHandler } from '../extension.ts';
import { runQuery, runExplain } from './query.ts';
import * as ddl from './ddl.ts';
import * as dml from './dml.ts';
import { copy, unload } from './copy.ts';
import * as show from './show.ts';
import * as access from './access.ts';
import { analyze } from './analyze.ts';

const h = <T>(f: (s: T, ctx: Parameters<StatementHandler>[1]) => ReturnType<StatementHandler>) => f as unknown as StatementHandler;

export const HANDLERS: Readonly<Partial<Record<StatementKind, StatementHandler>>> = Object.freeze({
  Query: h(runQuery),
  Explain: h(runExplain),
  CreateTable: h(ddl.createTable),
  CreateTableAs: h(ddl.createTableAs),
  DropTable: h(ddl.dropTable),
  DropView: h(ddl.dropTable),
  AlterTable: h(ddl.alterTable),
  Truncate: h(ddl.truncate),
  CreateView: h(ddl.createView),
  CreateSchema: h(ddl.createSchema),
  DropSchema: h(ddl.dropSchema),
  CreateDatabase: h(ddl.createDatabase),
  DropDatabase: h(ddl.dropDatabase),
  Insert: h(dml.insert),
  Update: h(dml.update),
  Delete: h(dml.del),
  Copy: h(copy),
  Unload: h(unload),
  ShowTables: h(show.showTables),
  ShowSchemas: h(show.showSchemas),
  ShowDatabases: h(show.showDatabases),
  ShowColumns: h(show.describe),
  Describe: h(show.describe),
  Show: h(show.show),
  SetVariable: h(show.setVariable),
  Reset: h(show.reset),
  Vacuum: h(show.vacuum),
  Analyze: h(analyze),
  CreateAccount: h(access.createAccount),
  DropAccount: h(access.dropAccount),
  CreateUser: h(access.createUser),
  DropUser: h(access.dropUser),
  Grant: h(access.grant),
  Revoke: h(access.revoke),
});
