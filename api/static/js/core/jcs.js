// RFC 8785 (JCS) canonical JSON, as notary/core/metadata.py writes it: object members
// sorted by their names' UTF-16 code units, no whitespace, numbers as ECMAScript writes
// them and strings escaped as JSON.stringify escapes them (which is what RFC 8785 defines).

/** The canonical JSON text of a JSON value (what JSON.parse gave).
 * @param {unknown} value @returns {string} */
export function canonicalJson(value) {
  if (value === null || typeof value === 'boolean') return String(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('NaN and infinities are not JSON');
    return JSON.stringify(value);
  }
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const names = Object.keys(value).sort(); // default sort: UTF-16 code units, as RFC 8785
    const members = /** @type {Record<string, unknown>} */ (value);
    return `{${names.map((name) => `${JSON.stringify(name)}:${canonicalJson(members[name])}`).join(',')}}`;
  }
  throw new TypeError(`not a JSON value: ${typeof value}`);
}

/** The canonical JSON as UTF-8 bytes. @param {unknown} value @returns {Uint8Array<ArrayBuffer>} */
export function canonicalBytes(value) {
  return new TextEncoder().encode(canonicalJson(value));
}
