// The issuer's own signature of a receipt v2, checked on this device as
// notary/core/issuer_signing.py checks it and as the registry's checkSigned does: the
// document's leaf is in the signed submission (its path leads to leavesRoot), and the
// EIP-712 signature of Submission(issuer, leavesRoot) in the registry's domain recovers
// the key the receipt names. Whether that key counted when the document was anchored is
// the registry's to say. secp256k1 comes from @noble/curves, loaded when first needed.
import { keccak_256 as keccak } from '../../vendor/@noble/hashes/sha3.js';
import { bytesToHex, concat, hexToBytes, sameHex, word } from './hex.js';
import { foldProof } from './proof.js';

const text = (/** @type {string} */ s) => new TextEncoder().encode(s);
const DOMAIN_TYPEHASH = keccak(text('EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)'));
const SUBMISSION_TYPEHASH = keccak(text('Submission(address issuer,bytes32 leavesRoot)'));
const ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const HALF_ORDER = ORDER / 2n;
/** @type {Promise<typeof import('../../vendor/@noble/curves/secp256k1.js').secp256k1> | null} */
let curve = null;

/** secp256k1 from the vendored @noble/curves (a module of its own, fetched once). */
function secp256k1() {
  if (!curve) curve = import('../../vendor/@noble/curves/secp256k1.js').then((m) => m.secp256k1);
  return curve;
}

/** Start fetching secp256k1 now, while the page has other things to wait for (a receipt v2
 * is coming): the check itself then only computes. */
export function preloadCurve() {
  secp256k1().catch(() => { curve = null; }); // a failed fetch is tried again when needed
}

/** @param {number | string | bigint} value */
function uint256(value) {
  return hexToBytes(BigInt(value).toString(16).padStart(64, '0'));
}

/**
 * The 32 bytes an issuer's key signs for Submission(issuer, leavesRoot) in `domain`.
 * @param {{name: string, version: string, chainId: number | string, verifyingContract: string}} domain
 * @param {string} issuer @param {string} leavesRoot
 * @returns {Uint8Array}
 */
export function submissionDigest(domain, issuer, leavesRoot) {
  const separator = keccak(concat(
    DOMAIN_TYPEHASH, keccak(text(domain.name)), keccak(text(domain.version)),
    uint256(domain.chainId), word(hexToBytes(domain.verifyingContract)),
  ));
  const struct = keccak(concat(SUBMISSION_TYPEHASH, word(hexToBytes(issuer)), hexToBytes(leavesRoot)));
  return keccak(concat(new Uint8Array([0x19, 0x01]), separator, struct));
}

/**
 * The address whose key signed `digest` with `signature` (65 bytes r ‖ s ‖ v), or null
 * where the registry's OpenZeppelin ECDSA.tryRecover recovers none: v not 27 or 28, r or s
 * out of range, s in the upper half (malleable), no point for r.
 * @param {Uint8Array} digest @param {Uint8Array} signature
 * @returns {Promise<string | null>}
 */
export async function recoverSigner(digest, signature) {
  if (signature.length !== 65) return null;
  const r = BigInt(bytesToHex(signature.slice(0, 32)));
  const s = BigInt(bytesToHex(signature.slice(32, 64)));
  const v = signature[64];
  if ((v !== 27 && v !== 28) || r === 0n || r >= ORDER || s === 0n || s > HALF_ORDER) return null;
  const { Signature } = await secp256k1();
  let point;
  try {
    point = new Signature(r, s, v - 27).recoverPublicKey(digest).toBytes(false);
  } catch {
    return null; // r is not the x of a curve point
  }
  return bytesToHex(keccak(point.slice(1)).slice(12));
}

/**
 * A receipt v2's issuer signature checked offline: {ok, inSubmission, signer} with `signer`
 * the recovered key (lower-case hex, or null) and `ok` true when the leaf is in the signed
 * submission and the signature is the named signer's.
 * @param {import('./receipt-format.js').Receipt} receipt a receipt v2
 * @returns {Promise<{ok: boolean, inSubmission: boolean, signer: string | null}>}
 */
export async function checkIssuerSignature(receipt) {
  const signed = receipt.issuerSignature;
  const inSubmission = sameHex(bytesToHex(foldProof(hexToBytes(receipt.leaf), signed.path)), signed.leavesRoot);
  if (!inSubmission) return { ok: false, inSubmission, signer: null };
  const digest = submissionDigest(signed.domain, receipt.values[1], signed.leavesRoot);
  const signer = await recoverSigner(digest, hexToBytes(signed.signature));
  return { ok: sameHex(signer, signed.signer), inSubmission, signer };
}
