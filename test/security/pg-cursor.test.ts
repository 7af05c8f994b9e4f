// A cursor over the PostgreSQL wire protocol (a portal suspended by an Execute row limit) stops
// returning rows once SELECT is revoked: each later Execute binds the query again as its user.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serialize } from 'pg-protocol';
import { createToken } from '../../api/tokens.ts';
import type { Session } from '../../engine/database.ts';
import { RawClient, dataRowFields, errorCode, startPg, type PgFixture } from '../api/pgwire/helpers.ts';

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
