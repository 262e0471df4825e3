// The proof checked on the reader's device: OpenZeppelin StandardMerkleTree rules, with
// leaf encoding ["bytes32","address","bytes32"], exactly as notary/core/merkle.py does.
import { keccak_256 as keccak } from '../../vendor/@noble/hashes/sha3.js';
import { bytesToHex, concat, hexToBytes, sameHex, word } from './hex.js';

/**
 * @typedef {{leaf: boolean | null, root: boolean | null, asked: boolean | null,
 *   computedLeaf: string | null, computedRoot: string | null}} DeviceChecks
 */

/** keccak256(keccak256(abi.encode(digest, issuer, metadataDigest))).
 * @param {string[]} values the leaf's [digest, issuer, metadataDigest] as hex
 * @returns {Uint8Array} */
export function leafHash([digest, issuer, metadataDigest]) {
  const encoded = concat(hexToBytes(digest), word(hexToBytes(issuer)), hexToBytes(metadataDigest));
  return keccak(keccak(encoded));
}

/** @param {Uint8Array} a @param {Uint8Array} b */
function compare(a, b) {
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

/** The root that `proof` leads to from `leaf` (sorted pairs, as MerkleProof.sol).
 * @param {Uint8Array} leaf @param {string[]} proof sibling hashes as hex @returns {Uint8Array} */
export function foldProof(leaf, proof) {
  return proof.reduce((/** @type {Uint8Array} */ node, hex) => {
    const sibling = hexToBytes(hex);
    return compare(node, sibling) <= 0 ? keccak(concat(node, sibling)) : keccak(concat(sibling, node));
  }, leaf);
}

/**
 * What this device can check of one answer: the leaf follows from the values, the proof
 * leads to the root, and the record is the one asked for (the leaf in the link, the
 * digest of the file). Each is true, false, or null when there was nothing to check.
 * @param {any} proof {values, leaf, proof, root} as an answer or a receipt holds them
 * @param {{leaf?: string | null, digest?: string | null, issuer?: string | null}} asked
 * @returns {DeviceChecks}
 */
export function checkOnDevice(proof, asked) {
  /** @type {DeviceChecks} */
  const out = { leaf: null, root: null, asked: null, computedLeaf: null, computedRoot: null };
  if (!proof || !Array.isArray(proof.values) || proof.values.length !== 3) return out;
  try {
    const leaf = leafHash(proof.values);
    out.computedLeaf = bytesToHex(leaf);
    out.leaf = sameHex(out.computedLeaf, proof.leaf);
    if (Array.isArray(proof.proof) && proof.root) {
      out.computedRoot = bytesToHex(foldProof(leaf, proof.proof));
      out.root = sameHex(out.computedRoot, proof.root);
    }
  } catch {
    out.leaf = false;
  }
  const wanted = [];
  if (asked.leaf) wanted.push(sameHex(asked.leaf, out.computedLeaf));
  if (asked.digest) wanted.push(sameHex(asked.digest, proof.values[0]));
  if (asked.issuer) wanted.push(sameHex(asked.issuer, proof.values[1]));
  if (wanted.length) out.asked = wanted.every(Boolean);
  return out;
}

/** False if any check failed, true if one passed and none failed, null if none ran.
 * @param {DeviceChecks} checks @returns {boolean | null} */
export function deviceVerdict(checks) {
  const ran = [checks.leaf, checks.root, checks.asked].filter((v) => v !== null);
  if (!ran.length) return null;
  return ran.every(Boolean);
}

/**
 * The root of OpenZeppelin's tree over these 32-byte leaves (`SimpleMerkleTree.of(leaves)`,
 * notary/core/merkle.py): leaves sorted, laid out in reverse at the end of a 2n-1 array,
 * each inner node the sorted-pair keccak of its children. One leaf is its own root.
 * @param {Uint8Array[]} leaves @returns {Uint8Array}
 */
export function treeRoot(leaves) {
  if (!leaves.length) throw new Error('a Merkle tree needs at least one leaf');
  const sorted = [...leaves].sort(compare);
  const n = sorted.length;
  const tree = new Array(2 * n - 1);
  sorted.forEach((leaf, i) => { tree[tree.length - 1 - i] = leaf; });
  const pair = new Uint8Array(64); // one buffer for every node: a station-day hashes ~29,000
  for (let i = tree.length - 1 - n; i >= 0; i -= 1) {
    const a = tree[2 * i + 1];
    const b = tree[2 * i + 2];
    const [low, high] = compare(a, b) <= 0 ? [a, b] : [b, a];
    pair.set(low, 0);
    pair.set(high, 32);
    tree[i] = keccak(pair);
  }
  return tree[0];
}
