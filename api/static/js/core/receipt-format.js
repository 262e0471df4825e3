// A receipt (notary-receipt-v1, or -v2 with the issuer's signature) loaded as strictly as
// notary/core/receipts.py loads it, in the same order, so that a receipt refused here is
// refused there naming the same field (the conformance vectors under
// tests/vectors/conformance/ hold both to it).
import { keccak_256 as keccak } from '../../vendor/@noble/hashes/sha3.js';
import { RECEIPT_FORMAT, RECEIPT_FORMAT_V2, RECEIPT_FORMATS } from './formats.js';
import { canonicalJson } from './jcs.js';
import { JsonError, lexemeOf, parseJson } from './strict-json.js';

export { RECEIPT_FORMAT, RECEIPT_FORMATS };

/** A receipt as JSON gives it: loadReceipt and receiptError say whether it holds. @typedef {Record<string, any>} Receipt */
export const MAX_RECEIPT_BYTES = 1 << 20;
export const MAX_PROOF_LENGTH = 64;
const LEAF_ENCODING = ['bytes32', 'address', 'bytes32'];
const TOP = ['format', 'status', 'leafEncoding', 'values', 'leaf', 'issuer', 'service'];
const SIGNED = ['signer', 'signature', 'leavesRoot', 'path', 'domain'];
const DOMAIN = { name: 'NotaryRegistry', version: '2' };
const ANCHOR = ['chain', 'chainId', 'contract', 'txHash', 'blockNumber', 'blockHash', 'timestamp'];
const HEX40 = /^0x[0-9a-fA-F]{40}$/;
const LOWER_HEX = /^0x[0-9a-f]*$/;
const KEY_ID = /^[0-9a-f]{16}$/;
const RFC3339 = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d{1,9})?(Z|[+-](\d\d):(\d\d))$/;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

class FormatError extends Error {
  /** @param {string} field @param {string} message */
  constructor(field, message) {
    super(message);
    this.field = field;
  }
}

/** @param {unknown} v @returns {v is Record<string, any>} */
const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const has = (/** @type {object} */ o, /** @type {string} */ key) => Object.prototype.hasOwnProperty.call(o, key);
const join = (/** @type {string} */ path, /** @type {string} */ key) => (path ? `${path}.${key}` : key);

/** The EIP-55 form of an address (0x and 40 hex digits, any case).
 * @param {string} address @returns {string} */
export function checksumAddress(address) {
  const lower = address.slice(2).toLowerCase();
  const hashed = keccak(new TextEncoder().encode(lower));
  let out = '0x';
  for (let i = 0; i < 40; i += 1) {
    const nibble = (hashed[i >> 1] >> (i % 2 ? 0 : 4)) & 15;
    out += nibble >= 8 ? lower[i].toUpperCase() : lower[i];
  }
  return out;
}

/** `value` as an object with these fields and no others.
 * @param {unknown} value @param {string} path @param {string[]} required @param {string[]} [optional]
 * @returns {Record<string, any>} */
function obj(value, path, required, optional = []) {
  if (!isObject(value)) throw new FormatError(path || '$', 'expected an object');
  for (const key of Object.keys(value)) {
    if (!required.includes(key) && !optional.includes(key)) throw new FormatError(join(path, key), 'unknown field');
  }
  for (const key of required) if (!has(value, key)) throw new FormatError(join(path, key), 'missing');
  return value;
}

/** @param {unknown} value @param {string} path @param {number} [maxLength] @returns {string} */
function string(value, path, maxLength = 256) {
  if (typeof value !== 'string' || !value) throw new FormatError(path, 'expected a non-empty string');
  if ([...value].length > maxLength) throw new FormatError(path, `longer than ${maxLength} characters`);
  return value;
}

/** @param {Record<string, any>} container @param {string} key @param {string} path @param {number} [minimum] @returns {number} */
function integer(container, key, path, minimum = 0) {
  const value = container[key];
  if (typeof value !== 'number' || !Number.isInteger(value) || lexemeOf(container, key) === 'float') {
    throw new FormatError(path, 'expected an integer');
  }
  if (lexemeOf(container, key) === 'unsafe' || value < minimum || value > MAX_SAFE) {
    throw new FormatError(path, `expected an integer between ${minimum} and 2^53-1`);
  }
  return value;
}

/** @param {unknown} value @param {string} path @param {number} length in bytes @returns {string} */
function hexbytes(value, path, length) {
  if (typeof value !== 'string' || !LOWER_HEX.test(value)) throw new FormatError(path, 'expected lower-case 0x-hex');
  if (value.length !== 2 + 2 * length) throw new FormatError(path, `expected ${2 * length} hex digits`);
  return value;
}

/** @param {unknown} value @param {string} path @returns {string} */
function bytes32(value, path) {
  if (typeof value !== 'string' || !value.startsWith('0x') || value.length !== 66 || !/^0x[0-9a-fA-F]{64}$/.test(value)) {
    throw new FormatError(path, 'expected 0x and 64 hex digits');
  }
  if (value !== value.toLowerCase()) throw new FormatError(path, 'hex digits must be lower-case');
  return value;
}

/** @param {unknown} value @param {string} path @returns {string} */
function address(value, path) {
  if (typeof value !== 'string' || !HEX40.test(value)) throw new FormatError(path, 'expected 0x followed by 40 hex digits');
  const checked = checksumAddress(value);
  if (value !== checked) throw new FormatError(path, `expected the EIP-55 checksummed form ${checked}`);
  return value;
}

/** @param {number} year @param {number} month 1 to 12 */
function daysIn(year, month) {
  return [31, year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
}

/** Whether `text` is an RFC 3339 date-time naming a real moment (years 1 to 9999).
 * @param {string} text */
function validTime(text) {
  const m = RFC3339.exec(text);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return false;
  if (hour > 23 || minute > 59 || second > 59) return false;
  return m[8] === 'Z' || (Number(m[9]) <= 23 && Number(m[10]) <= 59);
}

/** Whether the metadata canonicalises as notary/core/metadata.py's canonical_json does.
 * @param {unknown} value */
function canonicalisable(value) {
  const stack = [value];
  while (stack.length) {
    const item = stack.pop();
    if (typeof item === 'string' && !item.isWellFormed()) return false;
    if (item === null || typeof item !== 'object') continue;
    for (const [key, inner] of Object.entries(item)) {
      if (!key.isWellFormed() || lexemeOf(item, Array.isArray(item) ? Number(key) : key) === 'unsafe') return false;
      stack.push(inner);
    }
  }
  try {
    canonicalJson(value);
  } catch {
    return false;
  }
  return true;
}

/** @param {unknown} value */
function checkAnchor(value) {
  const a = obj(value, 'anchor', ANCHOR);
  const chainId = integer(a, 'chainId', 'anchor.chainId', 1);
  if (a.chain !== `eip155:${chainId}`) throw new FormatError('anchor.chain', `expected "eip155:${chainId}"`);
  address(a.contract, 'anchor.contract');
  bytes32(a.txHash, 'anchor.txHash');
  integer(a, 'blockNumber', 'anchor.blockNumber');
  bytes32(a.blockHash, 'anchor.blockHash');
  integer(a, 'timestamp', 'anchor.timestamp');
}

/** @param {unknown} value */
function checkIssuer(value) {
  const i = obj(value, 'issuer', ['address', 'name']);
  address(i.address, 'issuer.address');
  string(i.name, 'issuer.name');
}

/** @param {unknown} value @param {Record<string, any> | null} anchor */
function checkIssuerSignature(value, anchor) {
  const v = obj(value, 'issuerSignature', SIGNED);
  address(v.signer, 'issuerSignature.signer');
  hexbytes(v.signature, 'issuerSignature.signature', 65);
  bytes32(v.leavesRoot, 'issuerSignature.leavesRoot');
  if (!Array.isArray(v.path)) throw new FormatError('issuerSignature.path', 'expected an array');
  if (v.path.length > MAX_PROOF_LENGTH) throw new FormatError('issuerSignature.path', `more than ${MAX_PROOF_LENGTH} elements`);
  v.path.forEach((/** @type {unknown} */ p, /** @type {number} */ i) => hexbytes(p, `issuerSignature.path[${i}]`, 32));
  const field = 'issuerSignature.domain';
  const d = obj(v.domain, field, ['name', 'version', 'chainId', 'verifyingContract']);
  for (const [key, wanted] of Object.entries(DOMAIN)) {
    if (d[key] !== wanted) throw new FormatError(`${field}.${key}`, `expected ${JSON.stringify(wanted)}`);
  }
  const chainId = integer(d, 'chainId', `${field}.chainId`, 1);
  address(d.verifyingContract, `${field}.verifyingContract`);
  if (anchor && chainId !== anchor.chainId) throw new FormatError(`${field}.chainId`, "expected the anchor's chainId");
  if (anchor && d.verifyingContract !== anchor.contract) {
    throw new FormatError(`${field}.verifyingContract`, "expected the anchor's contract");
  }
}

/** @param {unknown} value @param {string} status */
function checkService(value, status) {
  const required = status === 'pending' ? ['id', 'promisedBy'] : ['id'];
  const v = obj(value, 'service', required, ['keyId', 'batch', 'signature']);
  if (has(v, 'keyId') && !(typeof v.keyId === 'string' && KEY_ID.test(v.keyId))) {
    throw new FormatError('service.keyId', 'expected 16 lower-case hex digits');
  }
  if (has(v, 'promisedBy')) {
    string(v.promisedBy, 'service.promisedBy', 40);
    if (!validTime(v.promisedBy)) throw new FormatError('service.promisedBy', 'expected an RFC 3339 date-time');
  }
  if (has(v, 'batch')) string(v.batch, 'service.batch');
  if (has(v, 'signature')) {
    hexbytes(v.signature, 'service.signature', 64);
    if (!has(v, 'keyId')) throw new FormatError('service.keyId', 'required when there is a signature');
  }
  string(v.id, 'service.id');
}

/** @param {unknown} r */
function check(r) {
  if (!isObject(r)) throw new FormatError('$', 'expected a JSON object');
  if (!RECEIPT_FORMATS.includes(r.format)) throw new FormatError('format', `unknown receipt format, expected one of ${RECEIPT_FORMATS}`);
  const top = r.format === RECEIPT_FORMAT_V2 ? [...TOP, 'issuerSignature'] : TOP;
  obj(r, '', top, ['proof', 'root', 'metadata', 'anchor']);
  if (r.status !== 'pending' && r.status !== 'anchored') throw new FormatError('status', 'expected "pending" or "anchored"');
  const encoding = r.leafEncoding;
  if (!Array.isArray(encoding) || encoding.length !== 3 || encoding.some((e, i) => e !== LEAF_ENCODING[i])) {
    throw new FormatError('leafEncoding', `expected ${JSON.stringify(LEAF_ENCODING)}`);
  }
  if (!Array.isArray(r.values) || r.values.length !== 3) throw new FormatError('values', 'expected [digest, issuer, metadataDigest]');
  bytes32(r.values[0], 'values[0]');
  address(r.values[1], 'values[1]');
  bytes32(r.values[2], 'values[2]');
  const present = ['proof', 'root', 'anchor'].filter((k) => has(r, k));
  if (r.status === 'anchored' && present.length !== 3) {
    const missing = /** @type {string} */ (['proof', 'root', 'anchor'].find((k) => !has(r, k)));
    throw new FormatError(missing, 'required when status is anchored');
  }
  if (r.status === 'pending' && present.length) throw new FormatError(present[0], 'not allowed when status is pending');
  if (r.status === 'anchored') {
    if (!Array.isArray(r.proof)) throw new FormatError('proof', 'expected an array');
    if (r.proof.length > MAX_PROOF_LENGTH) throw new FormatError('proof', `more than ${MAX_PROOF_LENGTH} elements`);
    r.proof.forEach((/** @type {unknown} */ p, /** @type {number} */ i) => hexbytes(p, `proof[${i}]`, 32));
    bytes32(r.root, 'root');
    checkAnchor(r.anchor);
  }
  if (has(r, 'metadata')) {
    if (!isObject(r.metadata)) throw new FormatError('metadata', 'expected an object');
    if (!canonicalisable(r.metadata)) throw new FormatError('metadata', 'not canonicalisable JSON');
  }
  bytes32(r.leaf, 'leaf');
  checkIssuer(r.issuer);
  if (has(r, 'issuerSignature')) checkIssuerSignature(r.issuerSignature, r.status === 'anchored' ? r.anchor : null);
  checkService(r.service, r.status);
}

/** The first thing wrong with `r` as a receipt, {field, message}, or null if nothing is.
 * @param {unknown} r @returns {{field: string, message: string} | null} */
export function receiptError(r) {
  try {
    check(r);
  } catch (err) {
    if (err instanceof FormatError) return { field: err.field, message: err.message };
    throw err;
  }
  return null;
}

/** The field of `r` not shaped as a receipt's (its name), or null if none.
 * @param {unknown} r @returns {string | null} */
export function receiptProblem(r) {
  const error = receiptError(r);
  return error ? error.field : null;
}

/** A receipt read from its text: {receipt} or {error: {field, message}}.
 * @param {string} text @returns {{receipt: Receipt} | {error: {field: string, message: string}}} */
export function loadReceipt(text) {
  if (text.length > MAX_RECEIPT_BYTES) return { error: { field: '$', message: `larger than ${MAX_RECEIPT_BYTES} bytes` } };
  let parsed;
  try {
    parsed = parseJson(text);
  } catch (err) {
    if (err instanceof JsonError) return { error: { field: '$', message: `not valid JSON: ${err.message}` } };
    throw err;
  }
  const error = receiptError(parsed);
  return error ? { error } : { receipt: parsed };
}
