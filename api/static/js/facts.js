// What the chain reported about a receipt, and when two such answers agree: the facts of
// notary/verify/facts.py and the one rule of notary/verify/agreement.py (the API's answers
// carry the service's facts in this form, as `chain`).

/** The facts two agreeing answers share: all of them but the block each is as of. */
export const AGREED = [
  'anchoredAt', 'anchoredBlock', 'blockHash', 'revokedAt', 'revocationReason', 'issuerName',
  'issuerRegisteredAt', 'issuerDeactivatedAt', 'chainId', 'leaf', 'root', 'leafCount',
];
const HEX = new Set(['blockHash', 'leaf', 'root']);

/**
 * The facts in a node's answer to check() (node.js's decoded tuple with its chainId) or in
 * a service's `chain`: every field of AGREED and currentBlock, null where nothing is
 * recorded (the registry's zeros and empty name, or a field left out).
 */
export function factsOf(answer) {
  const value = (name) => (answer[name] === undefined || answer[name] === '' ? null : answer[name]);
  const anchored = Boolean(answer.anchoredAt);
  const revoked = Boolean(answer.revokedAt);
  return {
    chainId: value('chainId'),
    leaf: value('leaf') && value('leaf').toLowerCase(),
    root: value('root') && value('root').toLowerCase(),
    anchoredAt: anchored ? answer.anchoredAt : null,
    anchoredBlock: anchored ? value('anchoredBlock') : null,
    blockHash: value('blockHash'),
    leafCount: anchored ? value('leafCount') : null,
    revokedAt: revoked ? answer.revokedAt : null,
    revocationReason: revoked ? value('revocationReason') : null,
    currentBlock: answer.currentBlock || 0,
    issuerName: value('issuerName'),
    issuerRegisteredAt: value('issuerRegisteredAt') || null,
    issuerDeactivatedAt: value('issuerDeactivatedAt') || null,
  };
}

function same(name, a, b) {
  if (HEX.has(name) && typeof a === 'string' && typeof b === 'string') return a.toLowerCase() === b.toLowerCase();
  return a === b;
}

/** The facts `a` and `b` differ on, in AGREED order; no answer (null) agrees only with none. */
export function differences(a, b) {
  if (a === null || b === null) return a === b ? [] : [...AGREED];
  const fa = factsOf(a);
  const fb = factsOf(b);
  return AGREED.filter((name) => !same(name, fa[name], fb[name]));
}

/**
 * Several answers (null: that node did not answer) as one: {facts} with the lowest current
 * block when they agree (null facts when none answered), else {differ: [names]}.
 */
export function combine(answers) {
  const differ = new Set();
  for (const other of answers.slice(1)) for (const name of differences(answers[0], other)) differ.add(name);
  if (differ.size) return { differ: AGREED.filter((name) => differ.has(name)) };
  const known = answers.filter((a) => a !== null).map(factsOf);
  if (!known.length) return { facts: null };
  const currentBlock = Math.min(...known.map((f) => f.currentBlock));
  return { facts: { ...known[0], currentBlock } };
}
