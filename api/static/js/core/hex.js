// Hex strings and bytes, as the API and the chain write them (0x-prefixed, lowercase).

/** @param {string} hex 0x-prefixed or not @returns {Uint8Array<ArrayBuffer>} */
export function hexToBytes(hex) {
  const body = hex.startsWith('0x') ? hex.slice(2) : hex;
  if (body.length % 2 !== 0 || /[^0-9a-fA-F]/.test(body)) throw new Error(`not hex: ${hex}`);
  const out = new Uint8Array(body.length / 2);
  for (let i = 0; i < out.length; i += 1) out[i] = parseInt(body.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** @param {Uint8Array} bytes @returns {string} 0x-prefixed, lower case */
export function bytesToHex(bytes) {
  let out = '0x';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

/** @param {...Uint8Array} parts @returns {Uint8Array<ArrayBuffer>} */
export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** `bytes` left-padded with zeros to a 32-byte ABI word.
 * @param {Uint8Array} bytes @returns {Uint8Array<ArrayBuffer>} */
export function word(bytes) {
  if (bytes.length > 32) throw new Error('more than 32 bytes');
  const out = new Uint8Array(32);
  out.set(bytes, 32 - bytes.length);
  return out;
}

/** Both strings and equal but for case. @param {unknown} a @param {unknown} b @returns {boolean} */
export function sameHex(a, b) {
  return typeof a === 'string' && typeof b === 'string' && a.toLowerCase() === b.toLowerCase();
}

/** A 32-byte hex value (digest, leaf), normalised, or null if `text` is not one.
 * @param {string} text @returns {string | null} */
export function parseHex32(text) {
  const body = text.trim().replace(/^0x/i, '').replace(/^sha256:/i, '');
  return /^[0-9a-fA-F]{64}$/.test(body) ? `0x${body.toLowerCase()}` : null;
}
