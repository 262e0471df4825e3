// A receipt checked on this device, with no help from the service: the steps of
// notary/verify/steps.py, in its order and by its rules (the conformance vectors under
// tests/vectors/conformance/ hold both to them). The document's digest is the receipt's,
// its details hash to the leaf's metadata digest (RFC 8785 + SHA-256), the issuer is the
// leaf's, the leaf follows from its values and the proof leads to its root (proof.js), a
// v2 receipt's issuer signature is its named key's (issuer-signature.js), and the service's
// Ed25519 signature covers it all (Web Crypto, with the keys GET /v1/service
// publishes). Loading it strictly is receipt-format.js's job.
import { bytesToHex, hexToBytes, sameHex } from './hex.js';
import { checkIssuerSignature } from './issuer-signature.js';
import { canonicalBytes } from './jcs.js';
import { proofOf } from './judge.js';
import { checkOnDevice } from './proof.js';
import { RECEIPT_FORMAT, RECEIPT_FORMATS, receiptProblem } from './receipt-format.js';

/** @typedef {import('./receipt-format.js').Receipt} Receipt */

export { RECEIPT_FORMAT, RECEIPT_FORMATS, receiptProblem };

const ZERO = `0x${'0'.repeat(64)}`;

/** @param {Uint8Array<ArrayBuffer>} bytes */
async function sha256Hex(bytes) {
  return bytesToHex(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)));
}

/**
 * The service's keys as Web Crypto keys by key id, each checked against its id (16 hex
 * digits of SHA-256 of the raw key); null when this browser has no Ed25519.
 * @param {{keyId: string, publicKey: string}[]} published as GET /v1/service lists them
 * @returns {Promise<Map<string, CryptoKey> | null>}
 */
export async function importKeys(published) {
  /** @type {Map<string, CryptoKey>} */
  const keys = new Map();
  for (const k of published) {
    try {
      const raw = hexToBytes(k.publicKey);
      if ((await sha256Hex(raw)).slice(2, 18) !== k.keyId) continue;
      keys.set(k.keyId, await crypto.subtle.importKey('raw', raw, { name: 'Ed25519' }, false, ['verify']));
    } catch (err) {
      if (err instanceof Error && err.name === 'NotSupportedError') return null;
    }
  }
  return keys;
}

/** @param {Receipt} receipt @param {Map<string, CryptoKey>} keys */
async function signatureOk(receipt, keys) {
  const service = receipt.service;
  if (typeof service.signature !== 'string' || typeof service.keyId !== 'string') return false;
  const key = keys.get(service.keyId);
  if (!key) return false;
  const { signature, ...unsigned } = service;
  try {
    const payload = canonicalBytes({ ...receipt, service: unsigned });
    return await crypto.subtle.verify({ name: 'Ed25519' }, key, hexToBytes(signature), payload);
  } catch {
    return false;
  }
}

/** The metadata step: true, false, or null when the details were not disclosed.
 * @param {Receipt} receipt @param {unknown} given */
async function metadataOk(receipt, given) {
  const metadata = given === undefined ? receipt.metadata : given;
  if (metadata === undefined) return sameHex(receipt.values[2], ZERO) ? true : null;
  let bytes;
  try {
    bytes = canonicalBytes(metadata);
  } catch {
    return false;
  }
  return sameHex(await sha256Hex(bytes), receipt.values[2]);
}

/**
 * The steps that need no chain, in notary/verify/steps.py's order: [{name, ok}] with ok
 * true, false or null (not checked: no document digest given, the details not disclosed,
 * no proof yet, no keys to check the signature with). `receipt` was loaded strictly
 * (receipt-format.js); `given` may hold the document's `digest` and the `metadata` to
 * hold against the receipt's.
 * @param {Receipt} receipt @param {Map<string, CryptoKey> | null} keys
 * @param {{digest?: string | null, metadata?: unknown}} [given]
 * @returns {Promise<{name: string, ok: boolean | null}[]>}
 */
export async function checkReceipt(receipt, keys, given = {}) {
  const device = checkOnDevice(proofOf({}, receipt), {});
  const steps = [
    { name: 'digest', ok: given.digest ? sameHex(given.digest, receipt.values[0]) : null },
    { name: 'metadata', ok: await metadataOk(receipt, given.metadata) },
    { name: 'issuer', ok: receipt.issuer.address === receipt.values[1] },
    { name: 'leaf', ok: device.leaf === true },
    { name: 'proof', ok: receipt.status === 'anchored' ? device.root === true : null },
  ];
  if (receipt.issuerSignature) steps.push({ name: 'issuerSignature', ok: (await checkIssuerSignature(receipt)).ok });
  steps.push({ name: 'signature', ok: keys ? await signatureOk(receipt, keys) : null });
  return steps;
}
