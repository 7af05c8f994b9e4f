// The catalog-query layer: what PostgreSQL clients send that Strata's SQL does not speak —
// psql's \dt, \dv, \d and \d name queries against pg_catalog, session settings drivers set
// (client_encoding, extra_float_digits, application_name ...) and zero-argument system
// functions (version(), current_schema() ...). Each recognized query is answered from Strata's
// own catalog statements (SHOW TABLES, SHOW COLUMNS) run as the connected user, so a client
// sees exactly the relations and columns the user may see. Anything not recognized goes to the
// engine unchanged.
import { RE2JS } from 're2js';
import type { ColumnInfo, Result, Session } from '../../engine/database.ts';
import { formatType, wireTypeOf } from './types.ts';
import { relationOid } from './oids.ts';

/**
 * Settings clients set and read that Strata does not use: kept per connection, echoed back,
 * with no effect. Settings the engine has (search_path, statement_timeout, datestyle, timezone,
 * ...) are not here: they go to the engine, which enforces them.
 */
const CLIENT_SETTINGS: Record<string, string> = {
  client_encoding: 'UTF8', intervalstyle: 'postgres',
  extra_float_digits: '1', application_name: '', client_min_messages: 'notice', bytea_output: 'hex',
  lock_timeout: '0', idle_in_transaction_session_timeout: '0',
  standard_conforming_strings: 'on', lc_messages: 'C', lc_monetary: 'C', lc_numeric: 'C', lc_time: 'C',
  default_transaction_isolation: 'serializable', default_transaction_read_only: 'off', jit: 'off',
  synchronous_commit: 'on', row_security: 'on', escape_string_warning: 'on',
};
/** Read-only server settings SHOW answers. */
const SERVER_SETTINGS: Record<string, string> = {
  server_version: '15.0', server_version_num: '150000', server_encoding: 'UTF8', integer_datetimes: 'on',
  max_identifier_length: '127', transaction_isolation: 'serializable', transaction_read_only: 'off',
  is_superuser: 'off', max_connections: '100',
};

const VERSION = 'PostgreSQL 15.0 on Strata 0.1.0 (columnar warehouse, Redshift dialect), 64-bit';

/** A relation as the catalog answers show it. */
interface Relation { oid: number; schema: string; name: string; kind: 'r' | 'v'; owner: string }

const text = (name: string): ColumnInfo => ({ name, type: 'VARCHAR' });
const rowsResult = (columns: ColumnInfo[], rows: unknown[][]): Result => ({ command: 'SELECT', rowCount: rows.length, columns, rows });

/** Collapses whitespace so patterns match across psql versions' formatting. */
const normalize = (sql: string) => sql.replace(/\s+/g, ' ').trim().replace(/;\s*$/, '');

/** Splits on top-level commas (outside parentheses and quotes). */
function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0, start = 0, quote: string | null = null;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (quote) { if (ch === quote) quote = null; continue; }
    if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === ',' && depth === 0) { out.push(s.slice(start, i).trim()); start = i + 1; }
  }
  out.push(s.slice(start).trim());
  return out.filter((x) => x.length);
}

/** The output column names of a SELECT (alias, else the last identifier, else ?column?). */
export function selectColumnNames(sql: string): string[] {
  const at = sql.search(/\bselect\b/i);
  if (at < 0) return [];
  // the select list ends at the first FROM outside parentheses and quotes
  const list = sql.slice(at + 6);
  let depth = 0, end = list.length;
  for (let i = 0, quote: string | null = null; i < list.length; i++) {
    const ch = list[i];
    if (quote) { if (ch === quote) quote = null; continue; }
    if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (depth === 0 && /^\sfrom\s/i.test(list.slice(i, i + 6))) { end = i; break; }
  }
  return splitTopLevel(list.slice(0, end)).map((item) => {
    const alias = /\bas\s+("(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_]*)\s*$/i.exec(item);
    if (alias) return alias[1].startsWith('"') ? alias[1].slice(1, -1).replace(/""/g, '"') : alias[1].toLowerCase();
    const fn = /([A-Za-z_][A-Za-z0-9_]*)\s*\([\s\S]*\)\s*$/.exec(item);
    if (fn && !item.trim().startsWith('(')) return fn[1].toLowerCase();
    const id = /(?:^|\.)([A-Za-z_][A-Za-z0-9_]*)\s*$/.exec(item);
    return id ? id[1].toLowerCase() : '?column?';
  });
}

/** A regular expression psql built from a pattern (`OPERATOR(pg_catalog.~) '^(t.*)$'`), run by RE2. */
function patternFilter(sql: string, column: string): ((s: string) => boolean) | null {
  const re = new RegExp(`${column.replace('.', '\\.')} OPERATOR\\(pg_catalog\\.~\\) '((?:[^']|'')*)'`, 'i');
  const m = re.exec(sql);
  if (!m) return null;
  const compiled = RE2JS.compile(m[1].replace(/''/g, "'"));
  return (s: string) => compiled.matcher(s).find();
}

/** `c.oid = '16384'` in a psql query. */
const oidIn = (sql: string, column: string) => {
  const m = new RegExp(`${column.replace('.', '\\.')} = '?(\\d+)'?`, 'i').exec(sql);
  return m ? Number(m[1]) : null;
};

export class CatalogQueries {
  constructor(
    private readonly session: Session,
    private readonly run: (sql: string) => Promise<Result[]>,
    private readonly params: Map<string, string>,
  ) {}

  /** Whether `answer` handles this text (used when a client prepares it). */
  recognizes(sql: string): boolean {
    return this.handler(normalize(sql)) !== null;
  }

  /** The results for a recognized query, or null to let the engine run it. */
  async answer(sql: string): Promise<Result[] | null> {
    const h = this.handler(normalize(sql));
    return h ? [await h()] : null;
  }

  private handler(q: string): (() => Promise<Result>) | null {
    // one statement only: a script ("SET x = 1; SELECT ...") goes to the engine whole
    if (q.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"/g, '').includes(';')) return null;
    let m: RegExpExecArray | null;
    if ((m = /^set (?:session |local )?([a-z_]+) *(?:=|to) *(.+)$/i.exec(q)) && m[1].toLowerCase() in CLIENT_SETTINGS) {
      const [, name, value] = m;
      return async () => { this.params.set(name.toLowerCase(), value.replace(/^'(.*)'$/, '$1')); return { command: 'SET', rowCount: 0, columns: [], rows: [] }; };
    }
    if (/^show transaction isolation level$/i.test(q)) return async () => rowsResult([text('transaction_isolation')], [[SERVER_SETTINGS.transaction_isolation]]);
    if (/^set session characteristics as transaction /i.test(q)) return async () => ({ command: 'SET', rowCount: 0, columns: [], rows: [] });
    if ((m = /^reset ([a-z_]+)$/i.exec(q)) && m[1].toLowerCase() in CLIENT_SETTINGS) {
      const name = m[1].toLowerCase();
      return async () => { this.params.set(name, CLIENT_SETTINGS[name]); return { command: 'RESET', rowCount: 0, columns: [], rows: [] }; };
    }
    if ((m = /^show ([a-z_]+)$/i.exec(q)) && (m[1].toLowerCase() in CLIENT_SETTINGS || m[1].toLowerCase() in SERVER_SETTINGS)) {
      const name = m[1].toLowerCase();
      return async () => rowsResult([text(name)], [[this.params.get(name) ?? CLIENT_SETTINGS[name] ?? SERVER_SETTINGS[name]]]);
    }
    if (/^select [^;]*$/i.test(q) && !/\bfrom\b/i.test(q)) {
      const fns = this.systemFunctions(q);
      if (fns) return fns;
    }
    if (!/\bpg_catalog\./i.test(q)) return null;
    if (/^select n\.nspname as "Schema", c\.relname as "Name",/i.test(q) && /from pg_catalog\.pg_class c/i.test(q)) return () => this.listRelations(q);
    if (/^select c\.oid, n\.nspname, c\.relname from pg_catalog\.pg_class c/i.test(q)) return () => this.lookupRelations(q);
    if (/^select c\.relchecks, c\.relkind,/i.test(q)) return () => this.relationInfo(q);
    if (/^select a\.attname, pg_catalog\.format_type\(a\.atttypid, a\.atttypmod\)/i.test(q) && /from pg_catalog\.pg_attribute a/i.test(q)) return () => this.attributes(q);
    if (/^select pg_catalog\.pg_get_viewdef\(/i.test(q)) return () => this.viewDefinition(q);
    if (/^select d\.datname as "Name",/i.test(q) && /from pg_catalog\.pg_database d/i.test(q)) return () => this.listDatabases(q);
    if (/^select n\.nspname as "Name",/i.test(q) && /from pg_catalog\.pg_namespace n/i.test(q)) return () => this.listSchemas(q);
    if (FEATURES_STRATA_LACKS.test(q)) return async () => rowsResult(selectColumnNames(q).map(text), []);
    return null;
  }

  /** `SELECT version(), current_schema() AS s, ...` with no FROM. */
  private systemFunctions(q: string): (() => Promise<Result>) | null {
    const items = splitTopLevel(q.slice(7));
    const names = selectColumnNames(q);
    const fns: ((() => unknown))[] = [];
    for (const item of items) {
      const m = /^(?:pg_catalog\.)?([a-z_]+)(\(\))?(?: as (?:"[^"]*"|[a-z_][a-z0-9_]*))?$/i.exec(item);
      const f = m && SYSTEM_FUNCTIONS[m[1].toLowerCase()];
      if (!f || (!m![2] && !BARE_FUNCTIONS.has(m![1].toLowerCase()))) return null;
      fns.push(() => f(this.session));
    }
    return async () => rowsResult(names.map(text), [fns.map((f) => f())]);
  }

  private oidOf(schema: string, name: string): number {
    return relationOid(schema, name);
  }

  /** Relations of the current database the user may see (SHOW TABLES as the user). */
  private async relations(): Promise<Relation[]> {
    const [shown] = await this.run('SHOW TABLES');
    const info = this.session.info;
    const dbState = this.session.db.catalog.accounts[info.account]?.databases[info.database];
    return shown.rows.map((r) => {
      const [schema, name, type] = r as [string, string, string];
      const s = dbState?.schemas[schema];
      const owner = s?.tables[name]?.owner ?? s?.views[name]?.owner ?? '';
      return { oid: this.oidOf(schema, name), schema, name, kind: type === 'VIEW' ? 'v' : 'r', owner } satisfies Relation;
    });
  }

  private visible(schema: string): boolean {
    return this.session.info.searchPath.includes(schema);
  }

  /** Filters by psql's relkind list, name/schema patterns and pg_table_is_visible. */
  private async matching(q: string): Promise<Relation[]> {
    const kinds = /c\.relkind IN \(([^)]*)\)/i.exec(q)?.[1].match(/'([a-zA-Z]?)'/g)?.map((k) => k.slice(1, -1));
    const byName = patternFilter(q, 'c.relname');
    const bySchema = patternFilter(q, 'n.nspname');
    const onlyVisible = /pg_catalog\.pg_table_is_visible\(c\.oid\)/i.test(q);
    return (await this.relations()).filter((r) =>
      (!kinds || kinds.includes(r.kind)) && (!byName || byName(r.name)) && (!bySchema || bySchema(r.schema)) && (!onlyVisible || this.visible(r.schema)));
  }

  /** \dt, \dv, \d: Schema, Name, Type, Owner (and NULL for verbose columns Strata lacks). */
  private async listRelations(q: string): Promise<Result> {
    const names = selectColumnNames(q);
    const rels = (await this.matching(q)).sort((a, b) => a.schema.localeCompare(b.schema) || a.name.localeCompare(b.name));
    const value = (r: Relation, n: string) => {
      switch (n) {
        case 'Schema': return r.schema;
        case 'Name': return r.name;
        case 'Type': return r.kind === 'v' ? 'view' : 'table';
        case 'Owner': return r.owner;
        case 'Persistence': return 'permanent';
        case 'Access method': return r.kind === 'r' ? 'strata' : null;
        default: return null;
      }
    };
    return rowsResult(names.map(text), rels.map((r) => names.map((n) => value(r, n))));
  }

  /** \d name, first step: the oid, schema and name of each match. */
  private async lookupRelations(q: string): Promise<Result> {
    const rels = (await this.matching(q)).sort((a, b) => a.schema.localeCompare(b.schema) || a.name.localeCompare(b.name));
    return rowsResult([{ name: 'oid', type: 'INTEGER' }, text('nspname'), text('relname')], rels.map((r) => [r.oid, r.schema, r.name]));
  }

  private async relationByOid(oid: number | null): Promise<Relation | undefined> {
    return oid === null ? undefined : (await this.relations()).find((r) => r.oid === oid);
  }

  /** \d name, second step: one row of pg_class flags (no checks, indexes, rules, triggers). */
  private async relationInfo(q: string): Promise<Result> {
    const rel = await this.relationByOid(oidIn(q, 'c.oid'));
    const names = selectColumnNames(q);
    const value = (n: string): unknown => {
      switch (n) {
        case 'relchecks': return 0;
        case 'relkind': return rel!.kind;
        case 'relhasindex': case 'relhasrules': case 'relhastriggers': case 'relrowsecurity': case 'relforcerowsecurity': case 'relhasoids': case 'relispartition': return false;
        case 'reltablespace': return 0;
        case 'relpersistence': return 'p';
        case 'relreplident': return 'd';
        case 'amname': return rel!.kind === 'r' ? 'strata' : null;
        // reloptions, the row type and the like: empty text, as for a plain PostgreSQL table
        default: return '';
      }
    };
    const columns = names.map((n) => (/^rel(checks|tablespace)$/.test(n) ? { name: n, type: 'INTEGER' } : /^rel(has|rowsec|forcerow|ispartition)/.test(n) ? { name: n, type: 'BOOLEAN' } : text(n)));
    return rowsResult(columns, rel ? [names.map(value)] : []);
  }

  /** \d name, columns: name, format_type, default, not null, collation, identity, generated. */
  private async attributes(q: string): Promise<Result> {
    const rel = await this.relationByOid(oidIn(q, 'a.attrelid'));
    const names = selectColumnNames(q);
    const cols = rel ? (await this.run(`SHOW COLUMNS FROM ${quoteIdent(rel.schema)}.${quoteIdent(rel.name)}`))[0].rows : [];
    const value = (c: unknown[], n: string): unknown => {
      const [name, type, nullable] = c as [string, string, boolean];
      const wire = wireTypeOf(type);
      switch (n) {
        case 'attname': return name;
        case 'format_type': return formatType(wire.type.oid, wire.modifier);
        case 'attnotnull': return nullable === false;
        case 'attidentity': case 'attgenerated': return '';
        case 'attstorage': return wire.type.size < 0 ? 'x' : 'p';
        case 'attstattarget': return -1;
        default: return null;
      }
    };
    const columns = names.map((n) => (n === 'attnotnull' ? { name: n, type: 'BOOLEAN' } : n === 'attstattarget' ? { name: n, type: 'INTEGER' } : text(n)));
    return rowsResult(columns, cols.map((c) => names.map((n) => value(c, n))));
  }

  /** \l: the account's databases the user may see (SHOW DATABASES). */
  private async listDatabases(q: string): Promise<Result> {
    const names = selectColumnNames(q);
    const byName = patternFilter(q, 'd.datname');
    const [shown] = await this.run('SHOW DATABASES');
    const value = (r: unknown[], n: string): unknown => {
      switch (n) {
        case 'Name': return r[0];
        case 'Owner': return r[1];
        case 'Encoding': return 'UTF8';
        case 'Collate': case 'Ctype': return 'C';
        case 'Locale Provider': return 'libc';
        default: return null;
      }
    };
    const rows = shown.rows.filter((r) => !byName || byName(String(r[0]))).sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    return rowsResult(names.map(text), rows.map((r) => names.map((n) => value(r, n))));
  }

  /** \dn: schemas of the current database (SHOW SCHEMAS). */
  private async listSchemas(q: string): Promise<Result> {
    const names = selectColumnNames(q);
    const byName = patternFilter(q, 'n.nspname');
    const [shown] = await this.run('SHOW SCHEMAS');
    const rows = shown.rows
      .filter((r) => r[0] === this.session.info.database && (!byName || byName(String(r[1]))))
      .sort((a, b) => String(a[1]).localeCompare(String(b[1])));
    return rowsResult(names.map(text), rows.map((r) => names.map((n) => (n === 'Name' ? r[1] : n === 'Owner' ? r[2] : null))));
  }

  /** \d view: the view's SQL as stored. */
  private async viewDefinition(q: string): Promise<Result> {
    const m = /pg_get_viewdef\('?(\d+)'?/i.exec(q);
    const rel = await this.relationByOid(m ? Number(m[1]) : null);
    const info = this.session.info;
    const view = rel && this.session.db.catalog.accounts[info.account]?.databases[info.database]?.schemas[rel.schema]?.views[rel.name];
    return rowsResult([text('pg_get_viewdef')], view ? [[` ${view.sql.trim()};`]] : []);
  }
}

const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;

/**
 * Catalogs of features Strata does not have (indexes, constraints, policies, triggers, rules,
 * inheritance, publications, extended statistics, collations, comments): psql asks for them
 * when describing a table, and the truthful answer is no rows.
 */
const FEATURES_STRATA_LACKS = /^select [\s\S]* pg_catalog\.pg_(index|constraint|policy|trigger|rewrite|inherits|publication|publication_rel|publication_namespace|statistic_ext|partitioned_table|foreign_table|sequence|collation|description|attrdef|event_trigger|extension)\b/i;

/** Zero-argument functions clients call on connect. */
const SYSTEM_FUNCTIONS: Record<string, (s: Session) => unknown> = {
  version: () => VERSION,
  current_schema: (s) => s.info.searchPath[0] ?? null,
  current_database: (s) => s.info.database,
  current_catalog: (s) => s.info.database,
  current_user: (s) => s.info.user,
  session_user: (s) => s.info.user,
  user: (s) => s.info.user,
};
/** Those written without parentheses in SQL. */
const BARE_FUNCTIONS = new Set(['current_user', 'session_user', 'user', 'current_catalog', 'current_schema']);
