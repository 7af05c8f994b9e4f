// Prints statements back to SQL that re-parses to an equal tree (positions aside). Used by
// tests (parse -> print -> parse) and by anything that must show or store a statement's text.

import type {
  AlterDatashare, AlterTable, ColumnDef, CopyOptions, Grant, GrantObject, Grantee, IamRole, ModelOption, Revoke, Statement, TableAttributes,
  TableConstraint, UnloadOptions,
} from './ast.ts';
import { printExpr, printName, printQuery, printTableRef, printType, quoteIdent, quoteString } from './print-expr.ts';

export { printExpr, printQuery, printTableRef, printType, quoteIdent, quoteString } from './print-expr.ts';

const ifExists = (b: boolean) => (b ? 'IF EXISTS ' : '');
const ifNotExists = (b: boolean) => (b ? 'IF NOT EXISTS ' : '');
const idents = (xs: string[]) => xs.map(quoteIdent).join(', ');
const cascade = (b: boolean) => (b ? ' CASCADE' : '');
const bool = (b: boolean) => (b ? 'TRUE' : 'FALSE');

/** Prints one statement (no trailing semicolon). */
export function printStatement(s: Statement): string {
  switch (s.kind) {
    case 'Query': return printQuery(s.query);
    case 'CreateTable': {
      const head = `CREATE ${s.temporary ? 'TEMP ' : ''}TABLE ${ifNotExists(s.ifNotExists)}${printName(s.name)}`;
      if (s.like) {
        return `${head} (LIKE ${printName(s.like.table)}${s.like.includingDefaults ? ' INCLUDING DEFAULTS' : ''})${attributes(s)}`;
      }
      const items = [...s.columns.map(columnDef), ...s.constraints.map(constraint)];
      return `${head} (${items.join(', ')})${attributes(s)}`;
    }
    case 'CreateTableAs': {
      const cols = s.columns ? ` (${idents(s.columns)})` : '';
      return `CREATE ${s.temporary ? 'TEMP ' : ''}TABLE ${ifNotExists(s.ifNotExists)}${printName(s.name)}${cols}${attributes(s)} AS ${printQuery(s.query)}`;
    }
    case 'DropTable': return `DROP TABLE ${ifExists(s.ifExists)}${s.names.map(printName).join(', ')}${cascade(s.cascade)}`;
    case 'AlterTable': return alterTable(s);
    case 'Truncate': return `TRUNCATE TABLE ${printName(s.name)}`;
    case 'CreateSchema': return `CREATE SCHEMA ${ifNotExists(s.ifNotExists)}${quoteIdent(s.name)}`;
    case 'DropSchema': return `DROP SCHEMA ${ifExists(s.ifExists)}${idents(s.names)}${cascade(s.cascade)}`;
    case 'CreateDatabase': {
      let out = `CREATE DATABASE ${quoteIdent(s.name)}`;
      const f = s.fromDatashare;
      if (f) {
        out += ` FROM DATASHARE ${quoteIdent(f.datashare)} OF`;
        if (f.account !== undefined) out += ` ACCOUNT ${quoteString(f.account)}`;
        if (f.namespace !== undefined) out += ` NAMESPACE ${quoteString(f.namespace)}`;
      }
      return out;
    }
    case 'DropDatabase': return `DROP DATABASE ${ifExists(s.ifExists)}${quoteIdent(s.name)}`;
    case 'CreateView': {
      const cols = s.columns ? ` (${idents(s.columns)})` : '';
      return `CREATE ${s.orReplace ? 'OR REPLACE ' : ''}VIEW ${printName(s.name)}${cols} AS ${printQuery(s.query)}${s.noSchemaBinding ? ' WITH NO SCHEMA BINDING' : ''}`;
    }
    case 'DropView': return `DROP VIEW ${ifExists(s.ifExists)}${s.names.map(printName).join(', ')}${cascade(s.cascade)}`;
    case 'Insert': {
      const cols = s.columns ? ` (${idents(s.columns)})` : '';
      const src = s.source;
      const body = src.kind === 'DefaultValues' ? 'DEFAULT VALUES'
        : src.kind === 'Values' ? `VALUES ${src.rows.map(r => `(${r.map(printExpr).join(', ')})`).join(', ')}`
        : printQuery(src);
      return `INSERT INTO ${printName(s.table)}${cols} ${body}`;
    }
    case 'Update': {
      let out = `UPDATE ${printName(s.table)}${s.alias !== undefined ? ` AS ${quoteIdent(s.alias)}` : ''} SET `;
      out += s.assignments.map(a => `${quoteIdent(a.column)} = ${printExpr(a.value)}`).join(', ');
      if (s.from.length) out += ` FROM ${s.from.map(printTableRef).join(', ')}`;
      if (s.where) out += ` WHERE ${printExpr(s.where)}`;
      return out;
    }
    case 'Delete': {
      let out = `DELETE FROM ${printName(s.table)}${s.alias !== undefined ? ` AS ${quoteIdent(s.alias)}` : ''}`;
      if (s.using.length) out += ` USING ${s.using.map(printTableRef).join(', ')}`;
      if (s.where) out += ` WHERE ${printExpr(s.where)}`;
      return out;
    }
    case 'Copy': {
      const cols = s.columns ? ` (${idents(s.columns)})` : '';
      return `COPY ${printName(s.table)}${cols} FROM ${quoteString(s.from)}${copyOptions(s.options)}`;
    }
    case 'Unload': return `UNLOAD (${quoteString(s.queryText)}) TO ${quoteString(s.to)}${unloadOptions(s.options)}`;
    case 'Begin': return 'BEGIN';
    case 'Commit': return 'COMMIT';
    case 'Rollback': return 'ROLLBACK';
    case 'ShowTables':
      if (s.schema !== undefined && s.database !== undefined) return `SHOW TABLES FROM SCHEMA ${quoteIdent(s.database)}.${quoteIdent(s.schema)}`;
      if (s.schema !== undefined) return `SHOW TABLES FROM SCHEMA ${quoteIdent(s.schema)}`;
      if (s.database !== undefined) return `SHOW TABLES FROM DATABASE ${quoteIdent(s.database)}`;
      return 'SHOW TABLES';
    case 'ShowSchemas': return `SHOW SCHEMAS${s.database !== undefined ? ` FROM DATABASE ${quoteIdent(s.database)}` : ''}`;
    case 'ShowDatabases': return 'SHOW DATABASES';
    case 'ShowColumns': return `SHOW COLUMNS FROM TABLE ${printName(s.table)}`;
    case 'Show': return `SHOW ${s.name === 'all' ? 'ALL' : settingName(s.name)}`;
    case 'SetVariable': {
      const v = s.toDefault ? 'DEFAULT' : s.values.map(x => (typeof x === 'number' ? String(x) : quoteString(x))).join(', ');
      return `SET ${settingName(s.name)} = ${v}`;
    }
    case 'Reset': return `RESET ${s.name === 'all' ? 'ALL' : settingName(s.name)}`;
    case 'Describe': return `DESCRIBE ${printName(s.name)}`;
    case 'Explain': return `EXPLAIN ${s.analyze ? 'ANALYZE ' : ''}${s.verbose ? 'VERBOSE ' : ''}${printStatement(s.statement)}`;
    case 'Vacuum': {
      let out = 'VACUUM';
      if (s.mode) out += ` ${s.mode}`;
      if (s.table) out += ` ${printName(s.table)}`;
      if (s.toPercent !== undefined) out += ` TO ${s.toPercent} PERCENT`;
      return out;
    }
    case 'Analyze': {
      let out = 'ANALYZE';
      if (s.table) out += ` ${printName(s.table)}`;
      if (s.columns) out += ` (${idents(s.columns)})`;
      return out;
    }
    case 'CreateModel': {
      const parts = [`CREATE ${s.orReplace ? 'OR REPLACE ' : ''}MODEL ${printName(s.name)}`];
      parts.push(`FROM ${s.from.kind === 'TableName' ? printName(s.from.name) : `(${printQuery(s.from.query)})`}`);
      if (s.target !== undefined) parts.push(`TARGET ${quoteIdent(s.target)}`);
      parts.push(`FUNCTION ${printName(s.function)}`);
      if (s.iamRole) parts.push(`IAM_ROLE ${iamRole(s.iamRole)}`);
      if (s.auto !== undefined) parts.push(`AUTO ${s.auto ? 'ON' : 'OFF'}`);
      if (s.modelType) parts.push(`MODEL_TYPE ${s.modelType}`);
      if (s.problemType) parts.push(`PROBLEM_TYPE ${s.problemType}`);
      if (s.objective !== undefined) parts.push(`OBJECTIVE ${quoteString(s.objective)}`);
      if (s.preprocessors !== undefined) parts.push(`PREPROCESSORS ${quoteString(s.preprocessors)}`);
      if (s.hyperparameters) parts.push(`HYPERPARAMETERS DEFAULT${s.hyperparameters.length ? ` EXCEPT ${options(s.hyperparameters)}` : ''}`);
      if (s.settings.length) parts.push(`SETTINGS ${options(s.settings)}`);
      return parts.join(' ');
    }
    case 'CreateModelExternal': {
      const parts = [`CREATE ${s.orReplace ? 'OR REPLACE ' : ''}MODEL ${printName(s.name)}`];
      parts.push(`FUNCTION ${printName(s.function)}(${s.argTypes.map(printType).join(', ')})`);
      parts.push(`RETURNS ${printType(s.returns)}`);
      if (s.sagemaker) parts.push(`SAGEMAKER ${quoteString(s.sagemaker.endpoint)}${s.sagemaker.model !== undefined ? `:${quoteString(s.sagemaker.model)}` : ''}`);
      else parts.push(`FROM ${quoteString(s.path!)}`);
      if (s.iamRole) parts.push(`IAM_ROLE ${iamRole(s.iamRole)}`);
      if (s.settings.length) parts.push(`SETTINGS ${options(s.settings)}`);
      return parts.join(' ');
    }
    case 'ShowModel': return `SHOW MODEL ${s.name ? printName(s.name) : 'ALL'}${s.versions ? ' VERSIONS' : ''}`;
    case 'DropModel': return `DROP MODEL ${ifExists(s.ifExists)}${printName(s.name)}${s.version !== undefined ? ` VERSION ${s.version}` : ''}`;
    case 'ExportModel': return `EXPORT MODEL ${printName(s.name)}${s.version !== undefined ? ` VERSION ${s.version}` : ''} TO ${quoteString(s.to)}`;
    case 'ImportModel': return `IMPORT MODEL ${printName(s.name)} FROM ${quoteString(s.from)}${s.function ? ` FUNCTION ${printName(s.function)}` : ''}`;
    case 'AlterModel': {
      const a = s.action;
      const what = a.kind === 'SetVersion' ? `SET VERSION ${a.version}` : a.kind === 'SetAlias' ? `SET ALIAS ${quoteIdent(a.alias)} TO VERSION ${a.version}`
        : a.kind === 'SetAutoRetrain' ? `SET AUTO RETRAIN ${a.on ? 'ON DRIFT' : 'OFF'}`
        : a.kind === 'SetExplainBackground' ? `SET EXPLAIN_BACKGROUND ${quoteString(a.query)}${a.seed !== undefined ? ` SEED ${a.seed}` : ''}`
        : `DROP ALIAS ${quoteIdent(a.alias)}`;
      return `ALTER MODEL ${printName(s.name)} ${what}`;
    }
    case 'CreateMonitor': {
      let out = `CREATE MONITOR ${printName(s.name)} ON MODEL ${printName(s.model)} USING (${printQuery(s.query)})`;
      if (s.scheduleSeconds !== undefined) out += ` SCHEDULE EVERY ${s.scheduleSeconds} SECONDS`;
      if (s.thresholds.length) out += ` THRESHOLD ${options(s.thresholds)}`;
      return out;
    }
    case 'ShowMonitor': return s.name ? `SHOW MONITOR ${printName(s.name)}` : 'SHOW MONITORS';
    case 'RunMonitor': return `RUN MONITOR ${printName(s.name)}`;
    case 'AlterMonitor': {
      const a = s.action;
      const what = a.kind === 'SetThreshold' ? `SET THRESHOLD ${options(a.thresholds)}` : `SET SCHEDULE ${a.seconds === null ? 'OFF' : `EVERY ${a.seconds} SECONDS`}`;
      return `ALTER MONITOR ${printName(s.name)} ${what}`;
    }
    case 'DropMonitor': return `DROP MONITOR ${ifExists(s.ifExists)}${printName(s.name)}`;
    case 'CreateDatashare': {
      let out = `CREATE DATASHARE ${quoteIdent(s.name)}`;
      if (s.publicAccessible !== undefined) out += ` PUBLICACCESSIBLE = ${bool(s.publicAccessible)}`;
      if (s.managedByExchange) out += ' MANAGEDBY EXCHANGE';
      return out;
    }
    case 'AlterDatashare': return alterDatashare(s);
    case 'DropDatashare': return `DROP DATASHARE ${ifExists(s.ifExists)}${quoteIdent(s.name)}`;
    case 'ShowDatashares': return `SHOW DATASHARES${s.like !== undefined ? ` LIKE ${quoteString(s.like)}` : ''}`;
    case 'DescribeDatashare': {
      let out = `DESC DATASHARE ${quoteIdent(s.name)}`;
      if (s.account !== undefined || s.namespace !== undefined) out += ' OF';
      if (s.account !== undefined) out += ` ACCOUNT ${quoteString(s.account)}`;
      if (s.namespace !== undefined) out += ` NAMESPACE ${quoteString(s.namespace)}`;
      return out;
    }
    case 'CreateProduct': {
      let out = `CREATE PRODUCT ${quoteIdent(s.name)} FROM DATASHARE ${quoteIdent(s.datashare)} TITLE ${quoteString(s.title)}`;
      if (s.description !== undefined) out += ` DESCRIPTION ${quoteString(s.description)}`;
      out += ` TERM ${s.termMonths} MONTHS`;
      if (s.price !== undefined) out += ` PRICE ${quoteString(s.price)}`;
      return out;
    }
    case 'DropProduct': return `DROP PRODUCT ${ifExists(s.ifExists)}${quoteIdent(s.name)}`;
    case 'ShowProducts': return 'SHOW PRODUCTS';
    case 'Subscribe': return `SUBSCRIBE TO PRODUCT ${quoteIdent(s.product)} OF ACCOUNT ${quoteString(s.account)}`;
    case 'CancelSubscription': return `CANCEL SUBSCRIPTION TO PRODUCT ${quoteIdent(s.product)} OF ACCOUNT ${quoteString(s.account)}`;
    case 'ShowSubscriptions': return 'SHOW SUBSCRIPTIONS';
    case 'ShowSubscribers': return `SHOW SUBSCRIBERS${s.product !== undefined ? ` FOR PRODUCT ${quoteIdent(s.product)}` : ''}`;
    case 'CreateAccount': return `CREATE ACCOUNT ${quoteIdent(s.name)}`;
    case 'DropAccount': return `DROP ACCOUNT ${ifExists(s.ifExists)}${quoteIdent(s.name)}`;
    case 'CreateUser': {
      let out = `CREATE USER ${quoteIdent(s.name)}`;
      if (s.passwordDisabled) out += ' PASSWORD DISABLE';
      else if (s.password !== undefined) out += ` PASSWORD ${quoteString(s.password)}`;
      return out;
    }
    case 'DropUser': return `DROP USER ${ifExists(s.ifExists)}${idents(s.names)}`;
    case 'CreateGroup': return `CREATE GROUP ${quoteIdent(s.name)}${s.users.length ? ` WITH USER ${idents(s.users)}` : ''}`;
    case 'DropGroup': return `DROP GROUP ${ifExists(s.ifExists)}${quoteIdent(s.name)}`;
    case 'Grant': return `GRANT ${privileges(s)} TO ${grantees(s.grantees)}${s.withGrantOption ? ' WITH GRANT OPTION' : ''}`;
    case 'Revoke': return `REVOKE ${privileges(s)} FROM ${grantees(s.grantees)}${cascade(s.cascade)}`;
  }
  const never: never = s;
  return never;
}

function alterTable(s: AlterTable): string {
  const head = `ALTER TABLE ${printName(s.name)}`;
  const a = s.action;
  switch (a.kind) {
    case 'RenameTable': return `${head} RENAME TO ${quoteIdent(a.newName)}`;
    case 'RenameColumn': return `${head} RENAME COLUMN ${quoteIdent(a.from)} TO ${quoteIdent(a.to)}`;
    case 'AddColumn': return `${head} ADD COLUMN ${columnDef(a.column)}`;
    case 'DropColumn': return `${head} DROP COLUMN ${ifExists(a.ifExists)}${quoteIdent(a.column)}${cascade(a.cascade)}`;
  }
}

function alterDatashare(s: AlterDatashare): string {
  const head = `ALTER DATASHARE ${quoteIdent(s.name)}`;
  const a = s.action;
  switch (a.kind) {
    case 'DatashareObjects': return `${head} ${a.op} ${a.objectType} ${a.names.map((n, i) => printName(n) + (a.versions?.[i] != null ? `@${versionRef(a.versions[i]!)}` : '')).join(', ')}`;
    case 'DatashareSetIncludeNew': return `${head} SET INCLUDENEW = ${bool(a.value)} FOR SCHEMA ${quoteIdent(a.schema)}`;
    case 'DatashareSetPublicAccessible': return `${head} SET PUBLICACCESSIBLE = ${bool(a.value)}`;
  }
}

/** A model version after `@`: a number as is, an alias as an identifier. */
function versionRef(v: string): string {
  return /^\d+$/.test(v) ? v : quoteIdent(v);
}

function settingName(name: string): string {
  return name.split('.').map(quoteIdent).join('.');
}

function columnDef(c: ColumnDef): string {
  let s = `${quoteIdent(c.name)} ${printType(c.type)}`;
  if (c.identity) s += ` IDENTITY(${c.identity.seed}, ${c.identity.step})`;
  if (c.notNull) s += ' NOT NULL';
  if (c.default) s += ` DEFAULT ${printExpr(c.default)}`;
  if (c.encode !== undefined) s += ` ENCODE ${quoteIdent(c.encode)}`;
  if (c.distKey) s += ' DISTKEY';
  if (c.sortKey) s += ' SORTKEY';
  if (c.primaryKey) s += ' PRIMARY KEY';
  if (c.unique) s += ' UNIQUE';
  if (c.references) s += ` REFERENCES ${references(c.references)}`;
  return s;
}

function references(r: { table: string[]; columns?: string[] }): string {
  return `${printName(r.table)}${r.columns ? ` (${idents(r.columns)})` : ''}`;
}

function constraint(t: TableConstraint): string {
  const s = `${t.type} (${idents(t.columns)})`;
  return t.references ? `${s} REFERENCES ${references(t.references)}` : s;
}

function attributes(a: TableAttributes): string {
  let s = '';
  if (a.backup !== undefined) s += ` BACKUP ${a.backup ? 'YES' : 'NO'}`;
  if (a.distStyle) s += ` DISTSTYLE ${a.distStyle}`;
  if (a.distKey !== undefined) s += ` DISTKEY (${quoteIdent(a.distKey)})`;
  if (a.sortKey) {
    const style = a.sortKey.style ? `${a.sortKey.style} ` : '';
    s += a.sortKey.columns.length ? ` ${style}SORTKEY (${idents(a.sortKey.columns)})` : ' SORTKEY AUTO';
  }
  return s;
}

function iamRole(r: IamRole): string {
  return 'default' in r ? 'default' : quoteString(r.arn);
}

function options(opts: ModelOption[]): string {
  return `(${opts.map(o => `${o.key} ${typeof o.value === 'number' ? String(o.value) : quoteString(o.value)}`).join(', ')})`;
}

function copyOptions(o: CopyOptions): string {
  const out: string[] = [];
  if (o.iamRole) out.push(`IAM_ROLE ${iamRole(o.iamRole)}`);
  if (o.credentials !== undefined) out.push(`CREDENTIALS ${quoteString(o.credentials)}`);
  if (o.format) out.push(`FORMAT AS ${o.format}${o.jsonPaths !== undefined ? ` ${quoteString(o.jsonPaths)}` : ''}`);
  if (o.ignoreHeader !== undefined) out.push(`IGNOREHEADER ${o.ignoreHeader}`);
  if (o.delimiter !== undefined) out.push(`DELIMITER ${quoteString(o.delimiter)}`);
  if (o.nullAs !== undefined) out.push(`NULL AS ${quoteString(o.nullAs)}`);
  if (o.quote !== undefined) out.push(`QUOTE ${quoteString(o.quote)}`);
  if (o.region !== undefined) out.push(`REGION ${quoteString(o.region)}`);
  if (o.dateFormat !== undefined) out.push(`DATEFORMAT ${quoteString(o.dateFormat)}`);
  if (o.timeFormat !== undefined) out.push(`TIMEFORMAT ${quoteString(o.timeFormat)}`);
  if (o.maxError !== undefined) out.push(`MAXERROR ${o.maxError}`);
  if (o.acceptInvChars !== undefined) out.push(`ACCEPTINVCHARS ${quoteString(o.acceptInvChars)}`);
  if (o.emptyAsNull) out.push('EMPTYASNULL');
  if (o.blanksAsNull) out.push('BLANKSASNULL');
  if (o.manifest) out.push('MANIFEST');
  if (o.removeQuotes) out.push('REMOVEQUOTES');
  if (o.escape) out.push('ESCAPE');
  if (o.fillRecord) out.push('FILLRECORD');
  if (o.trimBlanks) out.push('TRIMBLANKS');
  if (o.truncateColumns) out.push('TRUNCATECOLUMNS');
  if (o.compression) out.push(o.compression);
  return out.length ? ` ${out.join(' ')}` : '';
}

function unloadOptions(o: UnloadOptions): string {
  const out: string[] = [];
  if (o.iamRole) out.push(`IAM_ROLE ${iamRole(o.iamRole)}`);
  if (o.credentials !== undefined) out.push(`CREDENTIALS ${quoteString(o.credentials)}`);
  if (o.format) out.push(`FORMAT AS ${o.format}`);
  if (o.header) out.push('HEADER');
  if (o.delimiter !== undefined) out.push(`DELIMITER ${quoteString(o.delimiter)}`);
  if (o.nullAs !== undefined) out.push(`NULL AS ${quoteString(o.nullAs)}`);
  if (o.parallel !== undefined) out.push(`PARALLEL ${o.parallel ? 'ON' : 'OFF'}`);
  if (o.allowOverwrite) out.push('ALLOWOVERWRITE');
  if (o.manifest) out.push('MANIFEST');
  if (o.addQuotes) out.push('ADDQUOTES');
  if (o.escape) out.push('ESCAPE');
  if (o.region !== undefined) out.push(`REGION ${quoteString(o.region)}`);
  if (o.maxFileSize !== undefined) out.push(`MAXFILESIZE ${o.maxFileSize}`);
  if (o.partitionBy) out.push(`PARTITION BY (${idents(o.partitionBy)})`);
  if (o.compression) out.push(o.compression);
  return out.length ? ` ${out.join(' ')}` : '';
}

function privileges(s: Grant | Revoke): string {
  const cols = (i: number) => (s.columns?.[i] ? ` (${s.columns[i]!.map(quoteIdent).join(', ')})` : '');
  return `${s.privileges.map((p, i) => p + cols(i)).join(', ')}${s.on ? ` ON ${grantObject(s.on)}` : ''}`;
}

function grantObject(o: GrantObject): string {
  const args = (i: number) => (o.argTypes?.[i] ? `(${o.argTypes[i]!.map(printType).join(', ')})` : '');
  return `${o.type} ${o.names.map((n, i) => printName(n) + args(i)).join(', ')}`;
}

function grantees(gs: Grantee[]): string {
  return gs.map(g => {
    switch (g.type) {
      case 'PUBLIC': return 'PUBLIC';
      case 'GROUP': return `GROUP ${quoteIdent(g.name ?? '')}`;
      case 'ACCOUNT': return `ACCOUNT ${quoteString(g.name ?? '')}`;
      case 'ROLE': return `ROLE ${quoteIdent(g.name ?? '')}`;
      default: return quoteIdent(g.name ?? '');
    }
  }).join(', ');
}
