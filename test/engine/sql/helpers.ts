// Test helpers for the SQL front end: strip positions so trees compare by content.

/** A deep copy of `node` without any `pos` fields. */
export function stripPos<T>(node: T): T {
  return JSON.parse(JSON.stringify(node, (k, v) => (k === 'pos' ? undefined : v))) as T;
}
