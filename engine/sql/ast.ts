// The SQL syntax tree: plain data, discriminated by `kind`, produced by parser.ts and printed by
// printer.ts. Every node carries `pos` (its first token) so the binder can report line:column.
// Conventions: unquoted identifiers are lower-cased, quoted ones keep their case; a name is its
// dot-separated parts (`['db', 'public', 't']`). Keep this file stable: only add kinds or fields.

import type { SourcePosition } from '../errors.ts';

export type Pos = SourcePosition;
/** A multi-part name, e.g. `['db', 'public', 't']`. */
export type Name = string[];

// ---------------------------------------------------------------- types

/** A type as written. `name` is canonical upper case (INT -> 'INTEGER', TEXT -> 'VARCHAR' when
 * resolveTypeName knows it, otherwise the written words upper-cased); `params` as written. */
export interface TypeRef { kind: 'TypeRef'; pos: Pos; name: string; params: number[] }

// ---------------------------------------------------------------- expressions

export type Expr =
  | Literal | TypedLiteral | Interval | ColumnRef | Star | Parameter | Default
  | Unary | Binary | FunctionCall | Cast | Case
  | InList | InSubquery | Quantified | Exists | Subquery | Between | Like | IsNull | IsBool | Extract;

export type LiteralType = 'integer' | 'decimal' | 'float' | 'string' | 'boolean' | 'null';

/** A constant. `text` keeps the digits as written ('12.30') so decimals stay exact. */
export interface Literal {
  kind: 'Literal'; pos: Pos;
  value: number | string | boolean | null;
  literalType: LiteralType;
  text: string;
}
/** `DATE '1998-12-01'`, `TIMESTAMP '...'`: a string converted by the named type. */
export interface TypedLiteral { kind: 'TypedLiteral'; pos: Pos; typeName: TypeRef; value: string }
/** `INTERVAL '90' DAY` (unit 'day') or `INTERVAL '3 months'` (no unit). Units are lower case,
 * ranges as 'day to second'. */
export interface Interval { kind: 'Interval'; pos: Pos; value: string; unit?: string }
export interface ColumnRef { kind: 'ColumnRef'; pos: Pos; name: Name }
/** `*` or `t.*` in a select list. */
export interface Star { kind: 'Star'; pos: Pos; table?: Name }
/** `$1`: a positional parameter (1-based). */
export interface Parameter { kind: 'Parameter'; pos: Pos; index: number }
/** `DEFAULT` as a value inside INSERT ... VALUES or UPDATE ... SET. */
export interface Default { kind: 'Default'; pos: Pos }

export type UnaryOp = '-' | '+' | 'NOT';
export interface Unary { kind: 'Unary'; pos: Pos; op: UnaryOp; operand: Expr }

export type BinaryOp =
  | '+' | '-' | '*' | '/' | '%' | '||'
  | '=' | '<>' | '<' | '<=' | '>' | '>='
  | 'AND' | 'OR';
/** `!=` is normalized to `<>`. */
export interface Binary { kind: 'Binary'; pos: Pos; op: BinaryOp; left: Expr; right: Expr }

/** Any function or aggregate call. Special syntaxes map here too: POSITION(a IN b) ->
 * position(a, b); SUBSTRING(x FROM a FOR b) -> substring(x, a, b); TRIM(...) -> btrim/ltrim/rtrim
 * (string first, then chars); CURRENT_DATE and friends -> name ['current_date'] with noParens. */
export interface FunctionCall {
  kind: 'FunctionCall'; pos: Pos;
  name: Name;
  args: Expr[];
  distinct: boolean;
  /** count(*) */
  star: boolean;
  over?: WindowSpec;
  /** LISTAGG(...) WITHIN GROUP (ORDER BY ...) */
  withinGroup?: OrderItem[];
  /** FIRST_VALUE(x IGNORE NULLS) */
  ignoreNulls?: boolean;
  /** APPROXIMATE COUNT(DISTINCT x) */
  approximate?: boolean;
  /** written without parentheses: CURRENT_DATE, SYSDATE, CURRENT_USER ... */
  noParens?: boolean;
  /** a model function pinned to a version or alias: `fn@3(...)`, `fn@challenger(...)` */
  version?: string;
}

/** `CAST(x AS t)` (syntax 'cast') or `x::t` (syntax 'colon'). */
export interface Cast { kind: 'Cast'; pos: Pos; expr: Expr; type: TypeRef; syntax: 'cast' | 'colon' }

export interface CaseWhen { when: Expr; then: Expr }
/** Searched CASE (no operand) or simple CASE x WHEN v THEN ... */
export interface Case { kind: 'Case'; pos: Pos; operand?: Expr; whens: CaseWhen[]; else?: Expr }

export interface InList { kind: 'InList'; pos: Pos; expr: Expr; list: Expr[]; negated: boolean }
export interface InSubquery { kind: 'InSubquery'; pos: Pos; expr: Expr; query: Query; negated: boolean }
/** `expr op ANY|SOME|ALL (subquery)`. */
export interface Quantified { kind: 'Quantified'; pos: Pos; op: BinaryOp; quantifier: 'ANY' | 'ALL'; expr: Expr; query: Query }
export interface Exists { kind: 'Exists'; pos: Pos; query: Query; negated: boolean }
/** A scalar subquery. */
export interface Subquery { kind: 'Subquery'; pos: Pos; query: Query }
export interface Between { kind: 'Between'; pos: Pos; expr: Expr; low: Expr; high: Expr; negated: boolean }
/** LIKE (caseInsensitive false) or ILIKE. */
export interface Like {
  kind: 'Like'; pos: Pos; expr: Expr; pattern: Expr; escape?: Expr;
  negated: boolean; caseInsensitive: boolean;
}
export interface IsNull { kind: 'IsNull'; pos: Pos; expr: Expr; negated: boolean }
/** `x IS [NOT] TRUE|FALSE`. */
export interface IsBool { kind: 'IsBool'; pos: Pos; expr: Expr; value: boolean; negated: boolean }
/** `EXTRACT(field FROM x)`; field lower case: year, month, day, hour, minute, second, quarter,
 * week, dow, doy, epoch, ... */
export interface Extract { kind: 'Extract'; pos: Pos; field: string; expr: Expr }

// ---------------------------------------------------------------- windows and ordering

export interface OrderItem { kind: 'OrderItem'; pos: Pos; expr: Expr; desc: boolean; nullsFirst?: boolean }

export type FrameBoundType = 'UNBOUNDED PRECEDING' | 'PRECEDING' | 'CURRENT ROW' | 'FOLLOWING' | 'UNBOUNDED FOLLOWING';
/** One end of a window frame; `offset` is set for `n PRECEDING` / `n FOLLOWING`. */
export interface FrameBound { kind: 'FrameBound'; pos: Pos; type: FrameBoundType; offset?: Expr }
/** `ROWS|RANGE BETWEEN start AND end`, or `ROWS start` (end absent = CURRENT ROW). */
export interface WindowFrame { kind: 'WindowFrame'; pos: Pos; units: 'ROWS' | 'RANGE'; start: FrameBound; end?: FrameBound }
export interface WindowSpec { kind: 'WindowSpec'; pos: Pos; partitionBy: Expr[]; orderBy: OrderItem[]; frame?: WindowFrame }

// ---------------------------------------------------------------- queries

export type Query = Select | SetOp;

/** A common table expression: `name [(columns)] AS (query)`. */
/** A WITH query; `recursive` when written in WITH RECURSIVE (it may then refer to itself). */
export interface Cte { kind: 'Cte'; pos: Pos; name: string; columns?: string[]; query: Query; recursive?: boolean }
export interface SelectItem { kind: 'SelectItem'; pos: Pos; expr: Expr; alias?: string }

/** One SELECT block. `SELECT TOP n` becomes `limit`. `from` is the comma list. */
export interface Select {
  kind: 'Select'; pos: Pos;
  with?: Cte[];
  distinct: boolean;
  columns: SelectItem[];
  from: TableRef[];
  where?: Expr;
  groupBy: Expr[];
  having?: Expr;
  orderBy: OrderItem[];
  limit?: Expr;
  offset?: Expr;
}

export type SetOpKind = 'UNION' | 'INTERSECT' | 'EXCEPT';
/** `left op [ALL] right`, with the ORDER BY / LIMIT / OFFSET that apply to the whole result. A
 * leading WITH on a set operation is stored here. */
export interface SetOp {
  kind: 'SetOp'; pos: Pos;
  with?: Cte[];
  op: SetOpKind;
  all: boolean;
  left: Query;
  right: Query;
  orderBy: OrderItem[];
  limit?: Expr;
  offset?: Expr;
}

export type TableRef = TableName | SubqueryRef | Join;
export interface TableName { kind: 'TableName'; pos: Pos; name: Name; alias?: string; columnAliases?: string[] }
/** `[LATERAL] (query) alias`: a LATERAL subquery may refer to the FROM items before it. */
export interface SubqueryRef { kind: 'SubqueryRef'; pos: Pos; query: Query; alias: string; columnAliases?: string[]; lateral?: boolean }
export type JoinType = 'INNER' | 'LEFT' | 'RIGHT' | 'FULL' | 'CROSS';
export interface Join {
  kind: 'Join'; pos: Pos; joinType: JoinType; left: TableRef; right: TableRef;
  on?: Expr; using?: string[];
}

/** `VALUES (..), (..)` rows for INSERT. */
export interface Values { kind: 'Values'; pos: Pos; rows: Expr[][] }
/** `INSERT ... DEFAULT VALUES`. */
export interface DefaultValues { kind: 'DefaultValues'; pos: Pos }

// ---------------------------------------------------------------- shared statement pieces

/** `IAM_ROLE default` or `IAM_ROLE 'arn:...'`. */
export type IamRole = { default: true } | { arn: string };

export interface ColumnDef {
  kind: 'ColumnDef'; pos: Pos;
  name: string;
  type: TypeRef;
  notNull: boolean;
  default?: Expr;
  /** ENCODE az64|zstd|raw|... (lower case) */
  encode?: string;
  distKey: boolean;
  sortKey: boolean;
  primaryKey: boolean;
  unique: boolean;
  /** REFERENCES t [(c)]: kept for printing, not enforced. */
  references?: { table: Name; columns?: string[] };
  /** IDENTITY(seed, step) */
  identity?: { seed: number; step: number };
}

export interface TableConstraint {
  kind: 'TableConstraint'; pos: Pos;
  type: 'PRIMARY KEY' | 'UNIQUE' | 'FOREIGN KEY';
  columns: string[];
  references?: { table: Name; columns?: string[] };
}

export type DistStyle = 'EVEN' | 'KEY' | 'ALL' | 'AUTO';
export interface SortKey { style?: 'COMPOUND' | 'INTERLEAVED'; columns: string[] }
/** The table-level physical attributes shared by CREATE TABLE and CREATE TABLE AS. */
export interface TableAttributes {
  backup?: boolean;
  distStyle?: DistStyle;
  distKey?: string;
  sortKey?: SortKey;
}

/** A key/value option of CREATE MODEL (SETTINGS, HYPERPARAMETERS EXCEPT); key upper case. */
export interface ModelOption { key: string; value: string | number }

export type GranteeType = 'USER' | 'GROUP' | 'PUBLIC' | 'ACCOUNT' | 'ROLE';
/** `u`, `GROUP g`, `PUBLIC`, `ACCOUNT 'a'`, `ROLE r`. name is absent for PUBLIC. */
export interface Grantee { type: GranteeType; name?: string }
export type GrantObjectType =
  | 'TABLE' | 'SCHEMA' | 'DATABASE' | 'MODEL' | 'DATASHARE' | 'FUNCTION'
  | 'ALL TABLES IN SCHEMA' | 'ALL FUNCTIONS IN SCHEMA';
/** What a privilege is on; for ALL TABLES IN SCHEMA the names are the schemas. */
export interface GrantObject {
  type: GrantObjectType;
  names: Name[];
  /** ON FUNCTION f(type, ...): each name's argument types as written (null: none written) */
  argTypes?: (TypeRef[] | null)[];
}

// ---------------------------------------------------------------- statements

export type Statement =
  | QueryStatement
  | CreateTable | CreateTableAs | DropTable | AlterTable | Truncate
  | CreateSchema | DropSchema | CreateDatabase | DropDatabase | CreateView | DropView
  | Insert | Update | Delete | Copy | Unload
  | Begin | Commit | Rollback
  | ShowTables | ShowSchemas | ShowDatabases | ShowColumns | Show | SetVariable | Reset
  | Describe | Explain | Vacuum | Analyze
  | CreateModel | CreateModelExternal | ShowModel | DropModel | AlterModel | ExportModel | ImportModel
  | CreateMonitor | ShowMonitor | RunMonitor | AlterMonitor | DropMonitor
  | CreateDatashare | AlterDatashare | DropDatashare | ShowDatashares | DescribeDatashare
  | CreateProduct | DropProduct | ShowProducts | Subscribe | CancelSubscription
  | ShowSubscriptions | ShowSubscribers
  | CreateAccount | DropAccount | CreateUser | DropUser | CreateGroup | DropGroup
  | Grant | Revoke;

export type StatementKind = Statement['kind'];

export interface QueryStatement { kind: 'Query'; pos: Pos; query: Query }

/** CREATE [TEMP] TABLE [IF NOT EXISTS] t (cols..., constraints...) [attributes], or
 * CREATE TABLE t (LIKE other [INCLUDING|EXCLUDING DEFAULTS]) with `like` set and no columns. */
export interface CreateTable extends TableAttributes {
  kind: 'CreateTable'; pos: Pos;
  name: Name;
  ifNotExists: boolean;
  temporary: boolean;
  columns: ColumnDef[];
  constraints: TableConstraint[];
  like?: { table: Name; includingDefaults: boolean };
}
/** CREATE [TEMP] TABLE t [(col names)] [attributes] AS query. */
export interface CreateTableAs extends TableAttributes {
  kind: 'CreateTableAs'; pos: Pos;
  name: Name;
  ifNotExists: boolean;
  temporary: boolean;
  columns?: string[];
  query: Query;
}
export interface DropTable { kind: 'DropTable'; pos: Pos; names: Name[]; ifExists: boolean; cascade: boolean }

export type AlterTableAction =
  | { kind: 'RenameTable'; newName: string }
  | { kind: 'AddColumn'; column: ColumnDef }
  | { kind: 'DropColumn'; column: string; ifExists: boolean; cascade: boolean }
  | { kind: 'RenameColumn'; from: string; to: string };
export interface AlterTable { kind: 'AlterTable'; pos: Pos; name: Name; action: AlterTableAction }
export interface Truncate { kind: 'Truncate'; pos: Pos; name: Name }

export interface CreateSchema { kind: 'CreateSchema'; pos: Pos; name: string; ifNotExists: boolean }
export interface DropSchema { kind: 'DropSchema'; pos: Pos; names: string[]; ifExists: boolean; cascade: boolean }
/** CREATE DATABASE d [FROM DATASHARE s OF [ACCOUNT 'a'] [NAMESPACE 'n']]. */
export interface CreateDatabase {
  kind: 'CreateDatabase'; pos: Pos;
  name: string;
  fromDatashare?: { datashare: string; account?: string; namespace?: string };
}
export interface DropDatabase { kind: 'DropDatabase'; pos: Pos; name: string; ifExists: boolean }
export interface CreateView {
  kind: 'CreateView'; pos: Pos;
  name: Name; orReplace: boolean; columns?: string[]; query: Query;
  /** WITH NO SCHEMA BINDING (late-binding view) */
  noSchemaBinding: boolean;
}
export interface DropView { kind: 'DropView'; pos: Pos; names: Name[]; ifExists: boolean; cascade: boolean }

export interface Insert {
  kind: 'Insert'; pos: Pos;
  table: Name;
  columns?: string[];
  source: Values | DefaultValues | Query;
}
export interface Assignment { kind: 'Assignment'; pos: Pos; column: string; value: Expr }
export interface Update {
  kind: 'Update'; pos: Pos;
  table: Name; alias?: string;
  assignments: Assignment[];
  from: TableRef[];
  where?: Expr;
}
export interface Delete {
  kind: 'Delete'; pos: Pos;
  table: Name; alias?: string;
  using: TableRef[];
  where?: Expr;
}

export type Compression = 'GZIP' | 'BZIP2' | 'ZSTD' | 'LZOP';
/** COPY options; absent means "not given" (the executor applies defaults). */
export interface CopyOptions {
  iamRole?: IamRole;
  credentials?: string;
  format?: 'CSV' | 'PARQUET' | 'JSON' | 'ORC' | 'AVRO';
  /** FORMAT JSON 'auto' | 'jsonpaths-file' */
  jsonPaths?: string;
  ignoreHeader?: number;
  delimiter?: string;
  nullAs?: string;
  quote?: string;
  region?: string;
  dateFormat?: string;
  timeFormat?: string;
  maxError?: number;
  emptyAsNull?: boolean;
  blanksAsNull?: boolean;
  compression?: Compression;
  manifest?: boolean;
  removeQuotes?: boolean;
  escape?: boolean;
  fillRecord?: boolean;
  trimBlanks?: boolean;
  truncateColumns?: boolean;
  acceptInvChars?: string;
}
export interface Copy { kind: 'Copy'; pos: Pos; table: Name; columns?: string[]; from: string; options: CopyOptions }

export interface UnloadOptions {
  iamRole?: IamRole;
  credentials?: string;
  format?: 'CSV' | 'PARQUET' | 'JSON';
  header?: boolean;
  delimiter?: string;
  nullAs?: string;
  parallel?: boolean;
  allowOverwrite?: boolean;
  manifest?: boolean;
  compression?: Compression;
  region?: string;
  maxFileSize?: string;
  partitionBy?: string[];
  addQuotes?: boolean;
  escape?: boolean;
}
/** UNLOAD ('query text') TO 'path'. `query` is the text parsed, with positions in the whole
 * statement's source; `queryText` is the string as given. */
export interface Unload { kind: 'Unload'; pos: Pos; query: Query; queryText: string; to: string; options: UnloadOptions }

/** BEGIN / START TRANSACTION */
export interface Begin { kind: 'Begin'; pos: Pos }
/** COMMIT / END */
export interface Commit { kind: 'Commit'; pos: Pos }
/** ROLLBACK / ABORT */
export interface Rollback { kind: 'Rollback'; pos: Pos }

export interface ShowTables { kind: 'ShowTables'; pos: Pos; schema?: string; database?: string }
export interface ShowSchemas { kind: 'ShowSchemas'; pos: Pos; database?: string }
export interface ShowDatabases { kind: 'ShowDatabases'; pos: Pos }
/** SHOW COLUMNS FROM TABLE t */
export interface ShowColumns { kind: 'ShowColumns'; pos: Pos; table: Name }
/** SHOW <setting> (lower case; 'all' for SHOW ALL). */
export interface Show { kind: 'Show'; pos: Pos; name: string }
/** SET name = v [, v] | TO v | TO DEFAULT (toDefault true, values empty). */
export interface SetVariable { kind: 'SetVariable'; pos: Pos; name: string; values: (string | number)[]; toDefault: boolean }
/** RESET name ('all' for RESET ALL). */
export interface Reset { kind: 'Reset'; pos: Pos; name: string }
/** DESCRIBE [TABLE] t / DESC t */
export interface Describe { kind: 'Describe'; pos: Pos; name: Name }
export interface Explain { kind: 'Explain'; pos: Pos; analyze: boolean; verbose: boolean; statement: Statement }
export interface Vacuum {
  kind: 'Vacuum'; pos: Pos;
  mode?: 'FULL' | 'DELETE ONLY' | 'SORT ONLY' | 'REINDEX';
  table?: Name;
  toPercent?: number;
}
export interface Analyze { kind: 'Analyze'; pos: Pos; table?: Name; columns?: string[] }

/** CREATE MODEL trained in the warehouse. `from` is a table or a (query). */
export interface CreateModel {
  kind: 'CreateModel'; pos: Pos;
  name: Name;
  /** CREATE OR REPLACE MODEL: like CREATE MODEL on an existing name, it adds a version */
  orReplace?: boolean;
  from: TableName | Subquery;
  target?: string;
  function: Name;
  iamRole?: IamRole;
  auto?: boolean;
  modelType?: 'XGBOOST' | 'MLP' | 'LINEAR_LEARNER' | 'KMEANS';
  problemType?: 'REGRESSION' | 'BINARY_CLASSIFICATION' | 'MULTICLASS_CLASSIFICATION';
  objective?: string;
  preprocessors?: string;
  /** HYPERPARAMETERS DEFAULT [EXCEPT (...)]: the overrides (empty for plain DEFAULT). */
  hyperparameters?: ModelOption[];
  settings: ModelOption[];
}
/** Bring your own model: CREATE MODEL m FUNCTION fn(types) RETURNS type FROM 'path' [...]. */
export interface CreateModelExternal {
  kind: 'CreateModelExternal'; pos: Pos;
  name: Name;
  orReplace?: boolean;
  function: Name;
  argTypes: TypeRef[];
  returns: TypeRef;
  /** FROM 'model.onnx': a local ONNX file (exactly one of path and sagemaker) */
  path?: string;
  /** SAGEMAKER 'endpoint'[:'target model']: remote inference through InvokeEndpoint */
  sagemaker?: { endpoint: string; model?: string };
  iamRole?: IamRole;
  settings: ModelOption[];
}
/** SHOW MODEL m [VERSIONS] | SHOW MODEL ALL (name absent). */
export interface ShowModel { kind: 'ShowModel'; pos: Pos; name?: Name; versions?: boolean }
/** DROP MODEL [IF EXISTS] m [VERSION k]: the whole model, or one of its versions. */
export interface DropModel { kind: 'DropModel'; pos: Pos; name: Name; ifExists: boolean; version?: number }
/** EXPORT MODEL m [VERSION k] TO 'file.onnx' | 's3://bucket/key.onnx': the graph plus metadata JSON beside it. */
export interface ExportModel { kind: 'ExportModel'; pos: Pos; name: Name; version?: number; to: string }
/** IMPORT MODEL m FROM 'file.onnx' [FUNCTION f]: a new model, or the next version of m. */
export interface ImportModel { kind: 'ImportModel'; pos: Pos; name: Name; from: string; function?: Name }
/**
 * ALTER MODEL m SET VERSION k | SET ALIAS a TO VERSION k | DROP ALIAS a | SET AUTO RETRAIN ON DRIFT | OFF
 * | SET EXPLAIN_BACKGROUND 'query' [SEED n].
 */
export interface AlterModel {
  kind: 'AlterModel'; pos: Pos;
  name: Name;
  action: { kind: 'SetVersion'; version: number } | { kind: 'SetAlias'; alias: string; version: number } | { kind: 'DropAlias'; alias: string }
    | { kind: 'SetAutoRetrain'; on: boolean } | { kind: 'SetExplainBackground'; query: string; seed?: number };
}

/**
 * CREATE MONITOR mon ON MODEL m USING (query) [SCHEDULE EVERY n unit] [THRESHOLD (PSI x, ...)]:
 * a drift monitor comparing the query's rows with the model's training profile.
 */
export interface CreateMonitor {
  kind: 'CreateMonitor'; pos: Pos;
  name: Name;
  model: Name;
  query: Query;
  /** seconds between scheduled runs; absent: runs only on RUN MONITOR */
  scheduleSeconds?: number;
  thresholds: ModelOption[];
}
/** SHOW MONITOR mon (latest run), or SHOW MONITORS (no name). */
export interface ShowMonitor { kind: 'ShowMonitor'; pos: Pos; name?: Name }
export interface RunMonitor { kind: 'RunMonitor'; pos: Pos; name: Name }
/** ALTER MONITOR mon SET SCHEDULE EVERY n unit | SET SCHEDULE OFF | SET THRESHOLD (...). */
export interface AlterMonitor {
  kind: 'AlterMonitor'; pos: Pos;
  name: Name;
  action: { kind: 'SetSchedule'; seconds: number | null } | { kind: 'SetThreshold'; thresholds: ModelOption[] };
}
export interface DropMonitor { kind: 'DropMonitor'; pos: Pos; name: Name; ifExists: boolean }

export interface CreateDatashare {
  kind: 'CreateDatashare'; pos: Pos;
  name: string;
  publicAccessible?: boolean;
  managedByExchange: boolean;
}
export type DatashareObjectType = 'SCHEMA' | 'TABLE' | 'VIEW' | 'FUNCTION' | 'MODEL' | 'ALL TABLES IN SCHEMA' | 'ALL FUNCTIONS IN SCHEMA';
export type AlterDatashareAction =
  /**
   * ADD|REMOVE objects; for ALL ... IN SCHEMA the names are schemas. For MODEL, `versions` has
   * one entry per name: the version number or alias after `m@` (a pinned version the share
   * exposes), or null for the model itself (its current version).
   */
  | { kind: 'DatashareObjects'; op: 'ADD' | 'REMOVE'; objectType: DatashareObjectType; names: Name[]; versions?: (string | null)[] }
  | { kind: 'DatashareSetIncludeNew'; value: boolean; schema: string }
  | { kind: 'DatashareSetPublicAccessible'; value: boolean };
export interface AlterDatashare { kind: 'AlterDatashare'; pos: Pos; name: string; action: AlterDatashareAction }
export interface DropDatashare { kind: 'DropDatashare'; pos: Pos; name: string; ifExists: boolean }
export interface ShowDatashares { kind: 'ShowDatashares'; pos: Pos; like?: string }
export interface DescribeDatashare { kind: 'DescribeDatashare'; pos: Pos; name: string; account?: string; namespace?: string }

export interface CreateProduct {
  kind: 'CreateProduct'; pos: Pos;
  name: string; datashare: string; title: string; description?: string; termMonths: number; price?: string;
}
export interface DropProduct { kind: 'DropProduct'; pos: Pos; name: string; ifExists: boolean }
export interface ShowProducts { kind: 'ShowProducts'; pos: Pos }
export interface Subscribe { kind: 'Subscribe'; pos: Pos; product: string; account: string }
export interface CancelSubscription { kind: 'CancelSubscription'; pos: Pos; product: string; account: string }
export interface ShowSubscriptions { kind: 'ShowSubscriptions'; pos: Pos }
export interface ShowSubscribers { kind: 'ShowSubscribers'; pos: Pos; product?: string }

export interface CreateAccount { kind: 'CreateAccount'; pos: Pos; name: string }
export interface DropAccount { kind: 'DropAccount'; pos: Pos; name: string; ifExists: boolean }
/** CREATE USER u [WITH] [PASSWORD 'x' | PASSWORD DISABLE]. */
export interface CreateUser { kind: 'CreateUser'; pos: Pos; name: string; password?: string; passwordDisabled: boolean }
export interface DropUser { kind: 'DropUser'; pos: Pos; names: string[]; ifExists: boolean }
export interface CreateGroup { kind: 'CreateGroup'; pos: Pos; name: string; users: string[] }
export interface DropGroup { kind: 'DropGroup'; pos: Pos; name: string; ifExists: boolean }

/** GRANT privileges [ON object] TO grantees. Privileges are upper case: SELECT, INSERT, UPDATE,
 * DELETE, REFERENCES, ALL (also for ALL PRIVILEGES), USAGE, CREATE, TEMP, EXECUTE, 'CREATE MODEL'.
 * `on` is absent for GRANT CREATE MODEL TO u. */
export interface Grant {
  kind: 'Grant'; pos: Pos;
  privileges: string[];
  /** column-level privileges (`SELECT (a, b)`): the columns of each privilege, null for a table-level one */
  columns?: (string[] | null)[];
  on?: GrantObject;
  grantees: Grantee[];
  withGrantOption: boolean;
}
export interface Revoke {
  kind: 'Revoke'; pos: Pos;
  privileges: string[];
  columns?: (string[] | null)[];
  on?: GrantObject;
  grantees: Grantee[];
  cascade: boolean;
}

/** Any node with a kind (for generic walks such as stripping positions). */
export type Node = Statement | Expr | TableRef | Query | TypeRef | OrderItem | WindowSpec | WindowFrame
  | FrameBound | SelectItem | Cte | ColumnDef | TableConstraint | Assignment | Values | DefaultValues;
