// PREPARE's parameter types: any type name Strata knows, with its parameters, to the OID its
// values travel as (PostgreSQL's pg_type OIDs); an unknown name is an error naming it.
import { describe, expect, it } from 'vitest';
import { parsePreparedSql } from '../../../api/pgwire/prepare-sql.ts';

describe('PREPARE parameter types', () => {
  it('maps each written type, aliases included, to its OID', () => {
    const p = parsePreparedSql('PREPARE q (smallint, int4, BIGINT, numeric, real, float8, bool, char, varchar, text, date, timestamp) AS SELECT 1');
    expect(p).toMatchObject({ kind: 'prepare', name: 'q', oids: [21, 23, 20, 1700, 700, 701, 16, 1042, 1043, 1043, 1082, 1114] });
  });

  it('names a type it does not know', () => {
    expect(() => parsePreparedSql('PREPARE q (int, money) AS SELECT $1')).toThrow(/type "money" does not exist/);
  });
});
