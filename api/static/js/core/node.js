// The registry asked from the reader's device: one JSON-RPC batch to the public node
// (eth_chainId + eth_call of NotaryRegistry.check, or checkSigned for a receipt that
// carries its issuer's signature), ABI encoded and decoded by hand as
// notary/chain/check_codec.py does, so no web3 library is loaded. check's refusal of a
// signing issuer's document (SignatureRequired) is an answer, not an error.
import { keccak_256 as keccak } from '../../vendor/@noble/hashes/sha3.js';
import { bytesToHex, concat, hexToBytes, word } from './hex.js';

/**
 * @typedef {{leavesRoot: string, path: string[], signature: string}} SignedPart a receipt v2's issuerSignature (what checkSigned takes)
 * @typedef {{values: string[], proof: string[], signed?: SignedPart | null}} Question one record to ask about
 * @typedef {{chainId: number, [field: string]: any}} NodeAnswer decoded tuple(s), or {chainId, refused}
 */

const CHECK = 'check(bytes32,address,bytes32,bytes32[])';
const CHECK_SIGNED = 'checkSigned(bytes32,address,bytes32,bytes32[],bytes32,bytes32[],bytes)';
/** The fields of the returned `Verification` struct, in order (contracts/NotaryRegistry.sol).
 * @type {[string, string][]} */
const FIELDS = [
  ['leaf', 'bytes32'], ['root', 'bytes32'], ['anchoredAt', 'uint'], ['anchoredBlock', 'uint'],
  ['leafCount', 'uint'], ['revokedAt', 'uint'], ['revocationReason', 'uint'],
  ['currentBlock', 'uint'], ['issuerName', 'string'], ['issuerRegisteredAt', 'uint'],
  ['issuerDeactivatedAt', 'uint'],
];
/** The fields of `SignatureCheck`, checkSigned's second (all fixed-size) answer.
 * @type {[string, string][]} */
const SIGNATURE_FIELDS = [
  ['signer', 'address'], ['inSubmission', 'bool'], ['signerAddedAt', 'uint'],
  ['signerAddedBlock', 'uint'], ['signerRemovedAt', 'uint'], ['signerRemovedBlock', 'uint'],
  ['signingSince', 'uint'], ['signatureRequired', 'bool'], ['authorised', 'bool'],
];
const selector = (/** @type {string} */ signature) => keccak(new TextEncoder().encode(signature)).slice(0, 4);
const SIGNATURE_REQUIRED = bytesToHex(selector('SignatureRequired(address)'));
export const TIMEOUT_MS = 8000;

export class NodeError extends Error {
  /** @param {'unreachable' | 'malformed'} kind @param {string} message */
  constructor(kind, message) {
    super(message);
    this.kind = kind; // 'unreachable' | 'malformed'
  }
}

/** The 32-byte word holding an array's length. */
const lengthWord = (/** @type {unknown[]} */ items) => hexToBytes(BigInt(items.length).toString(16).padStart(64, '0'));

/** A uint as one 32-byte word. */
const uintWord = (/** @type {number} */ value) => hexToBytes(BigInt(value).toString(16).padStart(64, '0'));

/** A bytes32[] in the tail: its length, then its elements. */
const words = (/** @type {string[]} */ items) => concat(lengthWord(items), ...items.map(hexToBytes));

/** Calldata of check(digest, issuer, metadataDigest, proof).
 * @param {string[]} values @param {string[]} proof @returns {string} */
export function encodeCheck([digest, issuer, metadataDigest], proof) {
  const head = concat(
    selector(CHECK), hexToBytes(digest), word(hexToBytes(issuer)), hexToBytes(metadataDigest),
    uintWord(4 * 32),
  );
  return bytesToHex(concat(head, words(proof)));
}

/** Calldata of checkSigned: check's four, then leavesRoot, the submission path, the signature.
 * @param {string[]} values @param {string[]} proof @param {SignedPart} signed @returns {string} */
export function encodeCheckSigned([digest, issuer, metadataDigest], proof, { leavesRoot, path, signature }) {
  const proofPart = words(proof);
  const pathPart = words(path);
  const raw = hexToBytes(signature);
  const signaturePart = concat(uintWord(raw.length), raw, new Uint8Array((32 - (raw.length % 32)) % 32));
  const head = concat(
    selector(CHECK_SIGNED), hexToBytes(digest), word(hexToBytes(issuer)), hexToBytes(metadataDigest),
    uintWord(7 * 32), hexToBytes(leavesRoot), uintWord(7 * 32 + proofPart.length),
    uintWord(7 * 32 + proofPart.length + pathPart.length),
  );
  return bytesToHex(concat(head, proofPart, pathPart, signaturePart));
}

/** @param {Uint8Array} data @param {number} at */
function uint(data, at) {
  const slice = data.slice(at, at + 32);
  if (slice.length !== 32) throw new NodeError('malformed', `the answer ends before byte ${at + 32}`);
  let value = 0n;
  for (const b of slice) value = (value << 8n) | BigInt(b);
  return value;
}

/** The fields of one tuple whose head starts at `base` (its string offsets count from there).
 * @param {Uint8Array} data @param {number} base @param {[string, string][]} fields */
function decodeFields(data, base, fields) {
  /** @type {Record<string, string | number | boolean>} */
  const out = {};
  fields.forEach(([name, kind], index) => {
    const at = base + 32 * index;
    if (kind === 'bytes32') {
      if (at + 32 > data.length) throw new NodeError('malformed', `the answer ends before byte ${at + 32}`);
      out[name] = bytesToHex(data.slice(at, at + 32));
    } else if (kind === 'string') {
      const start = base + Number(uint(data, at));
      const length = Number(uint(data, start));
      if (start + 32 + length > data.length) throw new NodeError('malformed', 'string out of bounds');
      try {
        out[name] = new TextDecoder('utf-8', { fatal: true }).decode(data.slice(start + 32, start + 32 + length));
      } catch {
        throw new NodeError('malformed', 'the issuer name is not UTF-8');
      }
    } else if (kind === 'address') {
      const value = uint(data, at);
      if (value >> 160n) throw new NodeError('malformed', `an address at byte ${at} does not fit`);
      out[name] = `0x${value.toString(16).padStart(40, '0')}`;
    } else if (kind === 'bool') {
      const value = uint(data, at);
      if (value > 1n) throw new NodeError('malformed', `a bool at byte ${at} is not 0 or 1`);
      out[name] = value === 1n;
    } else {
      out[name] = Number(uint(data, at));
    }
  });
  return out;
}

/** The `Verification` tuple from eth_call's answer to check().
 * @param {string} hex */
export function decodeCheck(hex) {
  const data = hexToBytes(hex);
  if (data.length < 32 || uint(data, 0) !== 32n) {
    throw new NodeError('malformed', 'no Verification tuple in the answer');
  }
  return decodeFields(data, 32, FIELDS);
}

/** checkSigned's two tuples, as one object: the SignatureCheck sits in the head, the
 * Verification after it.
 * @param {string} hex */
export function decodeCheckSigned(hex) {
  const data = hexToBytes(hex);
  const base = 32 * (1 + SIGNATURE_FIELDS.length);
  if (data.length < 32 || uint(data, 0) !== BigInt(base)) {
    throw new NodeError('malformed', 'no Verification and SignatureCheck in the answer');
  }
  return { ...decodeFields(data, base, FIELDS), ...decodeFields(data, 32, SIGNATURE_FIELDS) };
}

/** The revert data in a JSON-RPC error, as nodes put it (geth and Anvil: `data`; some: an
 * object's `data`, or "Reverted 0x…" in the message), or ''.
 * @param {any} error */
function revertData(error) {
  if (!error || typeof error !== 'object') return '';
  const hex = (/** @type {unknown} */ v) => (typeof v === 'string' && /^0x[0-9a-fA-F]*$/.test(v) ? v : '');
  const inText = (/** @type {unknown} */ v) => (typeof v === 'string' && (/Reverted (0x[0-9a-fA-F]+)/.exec(v) || [])[1]) || '';
  return hex(error.data) || (error.data && hex(error.data.data)) || inText(error.data) || inText(error.message);
}

/** The refusal that is itself an answer (check for a signing issuer's document), or null.
 * @param {unknown} error */
function refusal(error) {
  return revertData(error).toLowerCase().startsWith(SIGNATURE_REQUIRED) ? 'SignatureRequired' : null;
}

/** Ask `rpcUrl` for the chain id and check(values, proof) on `contract` (checkSigned when
 * `signed`, a receipt v2's issuerSignature, is given), at the latest block.
 * @param {string} rpcUrl @param {string} contract @param {string[]} values @param {string[]} proof
 * @param {SignedPart | null} [signed]
 * @returns {Promise<NodeAnswer>} */
export async function askRegistry(rpcUrl, contract, values, proof, signed = null) {
  const [answer] = await askRegistryMany(rpcUrl, contract, [{ values, proof, signed }]);
  if (answer instanceof NodeError) throw answer;
  return answer;
}

/**
 * check(values, proof) of every item (checkSigned for an item with `signed`) in ONE JSON-RPC
 * batch (eth_chainId first), at the latest block: one answer per item, in order, each the
 * decoded tuple(s) with the chain id, {chainId, refused} when check refused a signing
 * issuer's document, or, when that call alone failed, a NodeError. Throws NodeError when
 * the batch itself fails.
 * @param {string} rpcUrl @param {string} contract @param {Question[]} items
 * @returns {Promise<(NodeAnswer | NodeError)[]>}
 */
export async function askRegistryMany(rpcUrl, contract, items) {
  const data = (/** @type {Question} */ { values, proof, signed }) => (signed ? encodeCheckSigned(values, proof, signed) : encodeCheck(values, proof));
  const batch = [
    { jsonrpc: '2.0', id: 0, method: 'eth_chainId', params: [] },
    ...items.map((item, k) => (
      { jsonrpc: '2.0', id: k + 1, method: 'eth_call', params: [{ to: contract, data: data(item) }, 'latest'] })),
  ];
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), TIMEOUT_MS);
  let answers;
  try {
    const reply = await fetch(rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(batch),
      signal: abort.signal,
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
    });
    if (!reply.ok) throw new NodeError('unreachable', `HTTP ${reply.status}`);
    answers = await reply.json();
  } catch (err) {
    if (err instanceof NodeError) throw err;
    throw new NodeError('unreachable', String(err instanceof Error ? err.message : err));
  } finally {
    clearTimeout(timer);
  }
  if (!Array.isArray(answers)) throw new NodeError('malformed', 'not a JSON-RPC batch answer');
  /** @type {Map<unknown, any>} */
  const byId = new Map(answers.map((a) => [a && a.id, a]));
  const chainId = byId.get(0);
  if (!chainId || typeof chainId.result !== 'string') throw new NodeError('malformed', 'no chain id');
  const id = Number(BigInt(chainId.result));
  return items.map((item, k) => {
    const call = byId.get(k + 1);
    if (!call || typeof call.result !== 'string') {
      const refused = call && !item.signed ? refusal(call.error) : null;
      if (refused) return { chainId: id, refused };
      return new NodeError('malformed', (call && call.error && call.error.message) || 'no result');
    }
    try {
      return { chainId: id, ...(item.signed ? decodeCheckSigned(call.result) : decodeCheck(call.result)) };
    } catch (err) {
      return err instanceof NodeError ? err : new NodeError('malformed', String(err));
    }
  });
}
