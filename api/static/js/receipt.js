// A receipt (notary-receipt-v1) checked on this device, with no help from the service:
// the steps of notary/core/verify.py that need no chain. Its details hash to the leaf's
// metadata digest (RFC 8785 + SHA-256), the issuer is the leaf's, the leaf follows from
// its values and the proof leads to its root (proof.js), and the service's Ed25519
// signature covers it all (Web Crypto, with the keys GET /v1/service publishes).
import { bytesToHex, hexToBytes, sameHex } from './hex.js';
import { canonicalBytes } from './jcs.js';
import { proofOf } from './judge.js';
import { checkOnDevice } from './proof.js';

export const RECEIPT_FORMAT = 'notary-receipt-v1';
const HEX32 = /^0x[0-9a-f]{64}$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The first field of `r` not shaped as a receipt's (its name), or null if none. */
export function receiptProblem(r) {
  if (!isObject(r)) return '$';
  if (r.format !== RECEIPT_FORMAT) return 'format';
  if (r.status !== 'pending' && r.status !== 'anchored') return 'status';
  const v = r.values;
  if (!Array.isArray(v) || v.length !== 3 || !HEX32.test(v[0]) || !ADDRESS.test(v[1]) || !HEX32.test(v[2])) return 'values';
  if (!HEX32.test(r.leaf)) return 'leaf';
  if (r.status === 'anchored') {
    if (!Array.isArray(r.proof) || !r.proof.every((p) => HEX32.test(p)) || r.proof.length > 64) return 'proof';
    if (!HEX32.test(r.root)) return 'root';
    const a = r.anchor;
    if (!isObject(a) || !ADDRESS.test(a.contract) || !Number.isSafeInteger(a.chainId)) return 'anchor';
  }
  if ('metadata' in r && !isObject(r.metadata)) return 'metadata';
  if (!isObject(r.issuer) || typeof r.issuer.address !== 'string') return 'issuer';
  if (!isObject(r.service)) return 'service';
  return null;
}

async function sha256Hex(bytes) {
  return bytesToHex(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)));
}

/**
 * The service's keys as Web Crypto keys by key id, each checked against its id (16 hex
 * digits of SHA-256 of the raw key); null when this browser has no Ed25519.
 */
export async function importKeys(published) {
  const keys = new Map();
  for (const k of published) {
    try {
      const raw = hexToBytes(k.publicKey);
      if ((await sha256Hex(raw)).slice(2, 18) !== k.keyId) continue;
      keys.set(k.keyId, await crypto.subtle.importKey('raw', raw, { name: 'Ed25519' }, false, ['verify']));
    } catch (err) {
      if (err && err.name === 'NotSupportedError') return null;
    }
  }
  return keys;
}

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

/**
 * The pure steps, in notary/core/verify.py's order: [{name, ok}] with ok true, false or
 * null (not checked: no keys to check the signature with). `receipt` passed receiptProblem.
 */
export async function checkReceipt(receipt, keys) {
  const metadata = receipt.metadata;
  const digest = metadata === undefined ? `0x${'0'.repeat(64)}` : await sha256Hex(canonicalBytes(metadata));
  const device = checkOnDevice(proofOf({}, receipt), {});
  const steps = [
    { name: 'metadata', ok: sameHex(digest, receipt.values[2]) },
    { name: 'issuer', ok: receipt.issuer.address === receipt.values[1] },
    { name: 'leaf', ok: device.leaf === true },
  ];
  if (receipt.status === 'anchored') steps.push({ name: 'proof', ok: device.root === true });
  steps.push({ name: 'signature', ok: keys ? await signatureOk(receipt, keys) : null });
  return steps;
}
