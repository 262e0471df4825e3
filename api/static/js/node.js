// The registry asked from the reader's device: one JSON-RPC batch to the public node
// (eth_chainId + eth_call of NotaryRegistry.check), ABI encoded and decoded by hand as
// notary/chain/check_codec.py does, so no web3 library is loaded.
import { keccak_256 as keccak } from '../vendor/@noble/hashes/sha3.js';
import { bytesToHex, concat, hexToBytes, word } from './hex.js';

const SIGNATURE = 'check(bytes32,address,bytes32,bytes32[])';
/** The fields of the returned `Verification` struct, in order (contracts/NotaryRegistry.sol). */
const FIELDS = [
  ['leaf', 'bytes32'], ['root', 'bytes32'], ['anchoredAt', 'uint'], ['anchoredBlock', 'uint'],
  ['leafCount', 'uint'], ['revokedAt', 'uint'], ['revocationReason', 'uint'],
  ['currentBlock', 'uint'], ['issuerName', 'string'], ['issuerRegisteredAt', 'uint'],
  ['issuerDeactivatedAt', 'uint'],
];
export const TIMEOUT_MS = 8000;

export class NodeError extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind; // 'unreachable' | 'malformed'
  }
}

/** The 32-byte word holding an array's length. */
const lengthWord = (items) => hexToBytes(BigInt(items.length).toString(16).padStart(64, '0'));

/** Calldata of check(digest, issuer, metadataDigest, proof). */
export function encodeCheck([digest, issuer, metadataDigest], proof) {
  const selector = keccak(new TextEncoder().encode(SIGNATURE)).slice(0, 4);
  const head = concat(
    selector, hexToBytes(digest), word(hexToBytes(issuer)), hexToBytes(metadataDigest),
    word(new Uint8Array([4 * 32])),
  );
  return bytesToHex(concat(head, lengthWord(proof), ...proof.map(hexToBytes)));
}

function uint(data, at) {
  const slice = data.slice(at, at + 32);
  if (slice.length !== 32) throw new NodeError('malformed', `the answer ends before byte ${at + 32}`);
  let value = 0n;
  for (const b of slice) value = (value << 8n) | BigInt(b);
  return value;
}

/** The `Verification` tuple from eth_call's answer. */
export function decodeCheck(hex) {
  const data = hexToBytes(hex);
  if (data.length < 32 || uint(data, 0) !== 32n) {
    throw new NodeError('malformed', 'no Verification tuple in the answer');
  }
  const out = {};
  FIELDS.forEach(([name, kind], index) => {
    const at = 32 + 32 * index;
    if (kind === 'bytes32') {
      out[name] = bytesToHex(data.slice(at, at + 32));
    } else if (kind === 'string') {
      const start = 32 + Number(uint(data, at));
      const length = Number(uint(data, start));
      if (start + 32 + length > data.length) throw new NodeError('malformed', 'string out of bounds');
      try {
        out[name] = new TextDecoder('utf-8', { fatal: true }).decode(data.slice(start + 32, start + 32 + length));
      } catch {
        throw new NodeError('malformed', 'the issuer name is not UTF-8');
      }
    } else {
      out[name] = Number(uint(data, at));
    }
  });
  return out;
}

/** Ask `rpcUrl` for the chain id and check(values, proof) on `contract`, at the latest block. */
export async function askRegistry(rpcUrl, contract, values, proof) {
  const [answer] = await askRegistryMany(rpcUrl, contract, [{ values, proof }]);
  if (answer instanceof NodeError) throw answer;
  return answer;
}

/**
 * check(values, proof) of every item in ONE JSON-RPC batch (eth_chainId first), at the
 * latest block: one answer per item, in order, each the decoded tuple with the chain id or,
 * when that call alone failed, a NodeError. Throws NodeError when the batch itself fails.
 */
export async function askRegistryMany(rpcUrl, contract, items) {
  const batch = [
    { jsonrpc: '2.0', id: 0, method: 'eth_chainId', params: [] },
    ...items.map(({ values, proof }, k) => (
      { jsonrpc: '2.0', id: k + 1, method: 'eth_call', params: [{ to: contract, data: encodeCheck(values, proof) }, 'latest'] })),
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
    throw new NodeError('unreachable', String(err && err.message ? err.message : err));
  } finally {
    clearTimeout(timer);
  }
  if (!Array.isArray(answers)) throw new NodeError('malformed', 'not a JSON-RPC batch answer');
  const byId = new Map(answers.map((a) => [a && a.id, a]));
  const chainId = byId.get(0);
  if (!chainId || typeof chainId.result !== 'string') throw new NodeError('malformed', 'no chain id');
  const id = Number(BigInt(chainId.result));
  return items.map((_, k) => {
    const call = byId.get(k + 1);
    if (!call || typeof call.result !== 'string') {
      return new NodeError('malformed', (call && call.error && call.error.message) || 'no result');
    }
    try {
      return { chainId: id, ...decodeCheck(call.result) };
    } catch (err) {
      return err instanceof NodeError ? err : new NodeError('malformed', String(err));
    }
  });
}
