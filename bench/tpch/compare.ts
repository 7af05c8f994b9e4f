// Compares Strata's answer to a query with DuckDB's, value by value and in order.
// Exact decimals must match digit for digit; a value either engine returns as a double (AVG,
// decimal division) must agree within 1e-9 relative, or within one unit of the last digit that
// Strata printed when Strata returns a rounded DECIMAL.

export type Value = string | number | boolean | null;
export type Row = Value[];

const DECIMAL = /^-?\d+(\.\d+)?$/;

/** Canonical text of an exact decimal: no trailing fractional zeros, no "-0". */
function canonical(s: string): string {
  let t = s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
  if (t === '-0') t = '0';
  return t;
}

function sameValue(strata: Value, duck: Value): boolean {
  if (strata === null || duck === null) return strata === duck;
  if (typeof strata === 'string' && typeof duck === 'string') {
    if (DECIMAL.test(strata) && DECIMAL.test(duck)) return canonical(strata) === canonical(duck);
    return strata === duck;
  }
  const a = Number(strata), b = Number(duck);
  if (typeof strata === 'boolean' || typeof duck === 'boolean' || Number.isNaN(a) || Number.isNaN(b)) return strata === duck;
  let tol = 1e-9 * Math.max(Math.abs(a), Math.abs(b));
  if (typeof strata === 'string' && strata.includes('.')) tol = Math.max(tol, 10 ** -strata.split('.')[1].length);
  return Math.abs(a - b) <= tol;
}

/** The differences between two answers, as readable lines (empty when they agree). */
export function compareRows(name: string, strata: Row[], duck: Row[]): string[] {
  if (strata.length !== duck.length) return [`${name}: ${strata.length} rows from Strata, ${duck.length} from DuckDB`];
  const out: string[] = [];
  for (let i = 0; i < duck.length; i++) {
    if (strata[i].length !== duck[i].length) { out.push(`${name} row ${i + 1}: ${strata[i].length} columns from Strata, ${duck[i].length} from DuckDB`); continue; }
    for (let j = 0; j < duck[i].length; j++) {
      if (!sameValue(strata[i][j], duck[i][j])) {
        out.push(`${name} row ${i + 1} column ${j + 1}: Strata ${JSON.stringify(strata[i][j])}, DuckDB ${JSON.stringify(duck[i][j])}`);
      }
    }
  }
  return out;
}

/** A DuckDB value in the shape Strata returns: BIGINT as number, DECIMAL/DATE as text. */
export function fromDuckDB(v: unknown): Value {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  return String(v);
}
