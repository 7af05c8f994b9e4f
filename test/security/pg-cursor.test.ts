// Over the PostgreSQL wire protocol: a cursor (a portal suspended by an Execute row limit) stops
// returning rows once SELECT is revoked, as each later Execute binds the query again as its
// user; and error messages carry no absolute server paths, as in the GraphQL API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serialize } from 'pg-protocol';
import { createToken } from '../../api/tokens.ts';
import type { Session } from '../../engine/database.ts';
import { tmpdir } from 'node:os';
import { RawClient, dataRowFields, errorCode, startPg, type PgFixture } from '../api/pgwire/helpers.ts';
import { tempDir } from '../api/helpers.ts';
import { openApi } from '../../api/server.ts';
import { listenPg } from '../../api/pgwire/server.ts';

let f: PgFixture;
let admin: Session;
let carolToken: string;

beforeAll(async () => {
  f = await startPg({ auth: 'password' });
  admin = f.api.services.db.connect();
  await admin.execute("CREATE TABLE kv (k INT, v VARCHAR(10)); INSERT INTO kv VALUES (1, 'a'), (2, 'b'), (3, 'c'); CREATE USER carol; GRANT SELECT ON kv TO carol");
  carolToken = (await createToken(f.api.services.db, { account: 'admin', user: 'carol' })).token;
}, 60_000);
afterAll(async () => { await f?.close(); });

const rowsOf = (msgs: { type: string; body: Buffer }[]) => msgs.filter((m) => m.type === 'D').map((m) => dataRowFields(m.body)[0]!.toString());

describe('a suspended portal', () => {
  it('returns no rows after REVOKE', async () => {
    const c = await RawClient.login(f.server.port, carolToken, 'carol@admin');
    c.send(Buffer.concat([
      serialize.parse({ text: 'select k from kv order by k', types: [] }),
      serialize.bind({ portal: 'p' }),
      serialize.execute({ portal: 'p', rows: 1 }),
      serialize.flush(),
    ]));
    expect(rowsOf(await c.until('s'))).toEqual(['1']);
    c.send(Buffer.concat([serialize.execute({ portal: 'p', rows: 1 }), serialize.flush()]));
    expect(rowsOf(await c.until('s'))).toEqual(['2']);
    await admin.execute('REVOKE SELECT ON kv FROM carol');
    c.send(Buffer.concat([serialize.execute({ portal: 'p', rows: 1 }), serialize.sync()]));
    const after = await c.until('Z');
    expect(rowsOf(after)).toEqual([]);
    const err = after.find((m) => m.type === 'E');
    expect(err && errorCode(err.body)).toBe('42501');
    c.close();
  });
});

describe('errors over the wire', () => {
  it('carry no absolute server paths', async () => {
    // a server whose import dir (the temp directory) holds its data directory: refusals echo the path
    const tmp = tempDir('strata-pg-paths-');
    const api = await openApi({ dataDir: tmp.dir, slices: 1, importDirs: [tmpdir()] });
    const pg = await listenPg(api.services, { port: 0, host: '127.0.0.1', auth: 'password' });
    try {
      const c = await RawClient.login(pg.port, api.adminToken!);
      c.send(serialize.query(`CREATE TABLE kv (k INT); COPY kv FROM '${tmp.dir}/CURRENT'`));
      const msgs = await c.until('Z');
      const err = msgs.find((m) => m.type === 'E')!;
      expect(errorCode(err.body)).toBe('42501');
      const text = err.body.toString('utf8');
      expect(text).not.toContain(tmp.dir);
      expect(text).toContain('<data>/CURRENT');
      c.close();
    } finally {
      await pg.close();
      await api.close();
      tmp.remove();
    }
  });
});
