// Object identifiers for Strata objects as PostgreSQL clients see them: stable across
// connections and restarts (a hash of the name), above PostgreSQL's reserved range (16384),
// so an oid read from one query finds the same relation in the next.
export const FIRST_USER_OID = 16384;
export const NAMESPACE_OID_PG_CATALOG = 11;
const NAMESPACE_OID_PUBLIC = 2200;

/** FNV-1a over the UTF-16 code units, folded into [FIRST_USER_OID, 2^31). */
function stableOid(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193) >>> 0;
  return FIRST_USER_OID + (h % (2 ** 31 - FIRST_USER_OID));
}

export const relationOid = (schema: string, name: string) => stableOid(`rel\u0000${schema}\u0000${name}`);
export const namespaceOid = (schema: string) => (schema === 'public' ? NAMESPACE_OID_PUBLIC : stableOid(`nsp\u0000${schema}`));
