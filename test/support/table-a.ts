// Table a: 300,000 rows of (k, s), k = 0..299,999 and s one of 5,000 strings ('row N of a few'),
// built from a ten-row digits table so each engine makes it itself; for tests of results and
// exchanges larger than a small query_memory_limit (about 2.4 MB of values and codes per column
// pair in the slices, far more formatted; a segment's dictionary stays small).
export const TABLE_A_ROWS = 300_000;

export const TABLE_A_SETUP = [
  'CREATE TABLE d (n INTEGER)',
  'INSERT INTO d VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)',
  'CREATE TABLE a (k INTEGER, s VARCHAR(30))',
  `INSERT INTO a SELECT x, 'row ' || (x % 5000) || ' of a few' FROM (SELECT d1.n * 100000 + d2.n * 10000 + d3.n * 1000 + d4.n * 100 + d5.n * 10 + d6.n AS x FROM d d1, d d2, d d3, d d4, d d5, d d6) y WHERE x < ${TABLE_A_ROWS}`,
];
