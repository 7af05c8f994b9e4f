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

  it('reads types with parameters, commas inside their parentheses included', () => {
    const p = parsePreparedSql('PREPARE q (decimal(12,2), varchar(10), numeric(38, 4), int) AS SELECT $1, $2, $3, $4');
    expect(p).toMatchObject({ kind: 'prepare', name: 'q', oids: [1700, 1043, 1700, 23], statement: 'SELECT $1, $2, $3, $4' });
    const one = parsePreparedSql('prepare "Q x" ( numeric( 38 , 4 ) )\nas select $1');
    expect(one).toMatchObject({ name: 'Q x', oids: [1700], statement: 'select $1' });
    expect(parsePreparedSql('PREPARE q AS SELECT 1')).toMatchObject({ oids: [], statement: 'SELECT 1' });
  });

  it('names an unclosed type list and a bad type parameter', () => {
    expect(() => parsePreparedSql('PREPARE q (decimal(12,2) AS SELECT $1')).toThrow(/parameter type list has no closing parenthesis at line 1, column 11/);
    expect(() => parsePreparedSql('PREPARE q (decimal(12,x)) AS SELECT $1')).toThrow(/type "decimal\(12,x\)" does not exist/);
  });
});

