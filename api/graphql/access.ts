// Accounts, users, grants and API tokens. Accounts and users are made with SQL (CREATE
// ACCOUNT, CREATE USER, GRANT); tokens are made and revoked here or with `strata token create`.
import type { ApiContext, GraphQLModule } from './module.ts';
import type { AccountState, UserState } from '../../engine/catalog/catalog.ts';
import { DEFAULT_ACCOUNT } from '../../engine/catalog/catalog.ts';
import { describeGrantKey } from '../../engine/catalog/object-grants.ts';
import { createToken, revokeToken, tokenArea, type TokenRecord } from '../tokens.ts';
import { SqlError } from '../../engine/database.ts';

/** The deployment's administrators: superusers of the admin account. */
export const isDeploymentAdmin = (ctx: ApiContext) => ctx.principal.account === DEFAULT_ACCOUNT && ctx.principal.superuser;

/** Whether the caller may manage tokens of `user` in `account`. */
function mayManage(ctx: ApiContext, account: string, user: string): boolean {
  if (isDeploymentAdmin(ctx)) return true;
  return account === ctx.principal.account && (ctx.principal.superuser || user === ctx.principal.user);
}

const tokenInfo = (r: TokenRecord) => ({ id: r.id, account: r.account, user: r.user, label: r.label ?? null, createdAt: r.createdAt, createdBy: r.createdBy ?? null });

export const access: GraphQLModule = {
  name: 'access',
  typeDefs: /* GraphQL */ `
    "A tenant: its own users and databases. Nothing crosses accounts except through datashares."
    type Account {
      name: String!
      createdAt: String!
      users: [User!]!
      databases: [String!]!
    }

    type User {
      name: String!
      superuser: Boolean!
      "privileges granted on objects, e.g. SELECT on dev.public.t"
      grants: [Grant!]!
      "account-level privileges such as CREATE MODEL"
      systemPrivileges: [String!]!
    }

    type Grant {
      "the object, e.g. table dev.public.t, view dev.public.v or schema dev.public"
      object: String!
      privileges: [String!]!
    }

    "A column-level grant (GRANT SELECT (a, b) ON t TO u): one column, privilege and grantee."
    type ColumnPrivilege {
      schema: String!
      table: String!
      column: String!
      "SELECT or UPDATE"
      privilege: String!
      "a user's name, or PUBLIC"
      grantee: String!
      "user or public"
      granteeType: String!
    }

    "A table- or view-level grant (GRANT SELECT ON t TO u): one relation, privilege and grantee."
    type RelationPrivilege {
      schema: String!
      "the table's or view's name"
      relation: String!
      "table or view"
      relationType: String!
      "SELECT, INSERT, UPDATE, DELETE, REFERENCES or ALL"
      privilege: String!
      "a user's name, or PUBLIC"
      grantee: String!
      "user or public"
      granteeType: String!
      "held WITH GRANT OPTION"
      grantOption: Boolean!
    }

    "A token's public facts; the secret is never stored or shown again."
    type TokenInfo {
      id: ID!
      account: String!
      user: String!
      label: String
      createdAt: String!
      createdBy: String
    }

    "A new token: 'token' is shown this once; only its hash is kept."
    type NewToken {
      id: ID!
      token: String!
      account: String!
      user: String!
    }

    extend type Query {
      "The caller's account (deployment admins: every account)."
      accounts: [Account!]!
      "Tokens the caller may manage (their own; superusers: their account's; deployment admins: all)."
      tokens: [TokenInfo!]!
      "Column-level grants in the session's database (svv_column_privileges): the caller's own and PUBLIC's, and every grant on tables it owns (superusers: all)."
      columnPrivileges(schema: String, table: String): [ColumnPrivilege!]!
      "Table- and view-level grants in the session's database (svv_relation_privileges): the caller's own and PUBLIC's, and every grant on relations it owns (superusers: all)."
      relationPrivileges(schema: String, relation: String): [RelationPrivilege!]!
    }

    extend type Mutation {
      "Creates a token for a user (default: the caller). Superusers may create tokens for users of their account."
      createToken(account: String, user: String, label: String): NewToken!
      "Revokes a token by id; requests with it fail with 401 from now on."
      revokeToken(id: ID!): Boolean!
    }
  `,
  resolvers: {
    Query: {
      accounts: (_: unknown, __: unknown, ctx: ApiContext) => {
        const all = Object.values(ctx.db.catalog.accounts);
        return (isDeploymentAdmin(ctx) ? all : all.filter((a) => a.name === ctx.principal.account)).sort((a, b) => a.name.localeCompare(b.name));
      },
      tokens: (_: unknown, __: unknown, ctx: ApiContext) =>
        Object.values(tokenArea(ctx.db.catalog).tokens).filter((r) => mayManage(ctx, r.account, r.user)).sort((a, b) => a.createdAt.localeCompare(b.createdAt)).map(tokenInfo),
      columnPrivileges: async (_: unknown, args: { schema?: string | null; table?: string | null }, ctx: ApiContext) => {
        const where = [args.schema != null ? `namespace_name = ${literal(args.schema)}` : null, args.table != null ? `relation_name = ${literal(args.table)}` : null].filter(Boolean);
        const rs = await ctx.sql(`SELECT namespace_name, relation_name, column_name, privilege_type, identity_name, identity_type FROM svv_column_privileges${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`, { readOnly: true });
        return rs[rs.length - 1].rows.map(([schema, table, column, privilege, grantee, granteeType]) => ({ schema, table, column, privilege, grantee, granteeType }));
      },
      relationPrivileges: async (_: unknown, args: { schema?: string | null; relation?: string | null }, ctx: ApiContext) => {
        const where = [args.schema != null ? `namespace_name = ${literal(args.schema)}` : null, args.relation != null ? `relation_name = ${literal(args.relation)}` : null].filter(Boolean);
        const rs = await ctx.sql(`SELECT namespace_name, relation_name, relation_type, privilege_type, identity_name, identity_type, admin_option FROM svv_relation_privileges${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`, { readOnly: true });
        return rs[rs.length - 1].rows.map(([schema, relation, relationType, privilege, grantee, granteeType, grantOption]) => ({ schema, relation, relationType, privilege, grantee, granteeType, grantOption }));
      },
    },
    Mutation: {
      createToken: async (_: unknown, args: { account?: string; user?: string; label?: string }, ctx: ApiContext) => {
        const account = args.account ?? ctx.principal.account;
        const user = args.user ?? (account === ctx.principal.account ? ctx.principal.user : 'admin');
        if (!mayManage(ctx, account, user)) throw new SqlError('PERMISSION_DENIED', `permission denied: cannot create tokens for user "${user}" of account "${account}"`);
        const { token, record } = await createToken(ctx.db, { account, user, label: args.label, createdBy: `${ctx.principal.account}/${ctx.principal.user}` });
        return { id: record.id, token, account, user };
      },
      revokeToken: async (_: unknown, args: { id: string }, ctx: ApiContext) => {
        const rec = tokenArea(ctx.db.catalog).tokens[args.id];
        if (!rec || !mayManage(ctx, rec.account, rec.user)) return false;
        return revokeToken(ctx.db, args.id);
      },
    },
    Account: {
      users: (a: AccountState) => Object.values(a.users).sort((x, y) => x.name.localeCompare(y.name)).map((u) => ({ ...u, account: a.name })),
      databases: (a: AccountState) => Object.keys(a.databases).sort(),
    },
    User: {
      systemPrivileges: (u: UserState) => u.system,
      grants: (u: UserState & { account: string }, _: unknown, ctx: ApiContext) =>
        Object.entries(u.grants).map(([key, privileges]) => ({ object: objectName(ctx, u.account, key), privileges })),
    },
  },
};

/** A SQL string literal. */
const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** A grant key ("table:t12", "schema:<id>") as a readable object name ("table dev.public.t"). */
function objectName(ctx: ApiContext, account: string, key: string): string {
  const acct = ctx.db.catalog.accounts[account];
  return acct ? describeGrantKey(acct, key) : key;
}
