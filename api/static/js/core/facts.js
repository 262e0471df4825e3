// What the chain reported about a receipt, and when two such answers agree: the facts of
// notary/verify/facts.py and the one rule of notary/verify/agreement.py (the API's answers
// carry the service's facts in this form, as `chain`).

/** The facts two agreeing answers share: all of them but the block each is as of. */
export const AGREED = [
  'anchoredAt', 'anchoredBlock', 'blockHash', 'revokedAt', 'revocationReason', 'issuerName',
  'issuerRegisteredAt', 'issuerDeactivatedAt', 'chainId', 'leaf', 'root', 'leafCount',
  'signer', 'inSubmission', 'signerAddedAt', 'signerAddedBlock', 'signerRemovedAt',
  'signerRemovedBlock', 'signingSince', 'signatureRequired', 'authorised', 'refused',
];
const HEX = new Set(['blockHash', 'leaf', 'root', 'signer']);
const ZERO_ADDRESS = `0x${'0'.repeat(40)}`;
export const SIGNATURE_REQUIRED = 'SignatureRequired';

const nothing = () => Object.fromEntries([...AGREED, 'currentBlock'].map((name) => [name, null]));
/** The signature facts of a check() answer: it answered, so no signature was required. */
const CHECKED = {
  signer: null, inSubmission: null, signerAddedAt: null, signerAddedBlock: null, signerRemovedAt: null,
  signerRemovedBlock: null, signingSince: null, signatureRequired: false, authorised: null,
};

/** The signature facts of a checkSigned answer (node.js's decoded second tuple). */
/** @param {Record<string, any>} answer */
function signatureFacts(answer) {
  const value = (/** @type {string} */ name) => answer[name] || null;
  return {
    signer: answer.signer && answer.signer !== ZERO_ADDRESS ? answer.signer : null,
    inSubmission: Boolean(answer.inSubmission),
    signerAddedAt: value('signerAddedAt'),
    signerAddedBlock: value('signerAddedBlock'),
    signerRemovedAt: value('signerRemovedAt'),
    signerRemovedBlock: value('signerRemovedBlock'),
    signingSince: value('signingSince'),
    signatureRequired: Boolean(answer.signatureRequired),
    authorised: Boolean(answer.authorised),
  };
}

/**
 * Every field of AGREED (null where nothing is recorded) and currentBlock.
 * @typedef {{[name: string]: any, chainId: number | null, currentBlock: number, refused: string | null}} Facts
 */

/**
 * The facts in a node's answer (node.js's decoded check() or checkSigned() with its chainId,
 * or the refusal {chainId, refused}) or in a service's `chain`: every field of AGREED and
 * currentBlock, null where nothing is recorded (the registry's zeros and empty name, or a
 * field left out), as notary/verify/facts.py reads them.
 * @param {Record<string, any>} answer
 * @returns {Facts}
 */
export function factsOf(answer) {
  const value = (/** @type {string} */ name) => (answer[name] === undefined || answer[name] === '' ? null : answer[name]);
  if (value('refused') !== null) {
    const refused = answer.refused;
    return { ...nothing(), chainId: value('chainId'), currentBlock: 0, refused, signatureRequired: refused === SIGNATURE_REQUIRED ? true : null };
  }
  const anchored = Boolean(answer.anchoredAt);
  const revoked = Boolean(answer.revokedAt);
  // check() answered, so the registry did not require a signature; checkSigned says more.
  const signature = typeof answer.authorised === 'boolean' ? signatureFacts(answer) : CHECKED;
  return {
    ...signature,
    refused: null,
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

/** @param {string} name @param {unknown} a @param {unknown} b */
function same(name, a, b) {
  if (HEX.has(name) && typeof a === 'string' && typeof b === 'string') return a.toLowerCase() === b.toLowerCase();
  return a === b;
}

/** The facts `a` and `b` differ on, in AGREED order; no answer (null) agrees only with none.
 * @param {Record<string, any> | null} a @param {Record<string, any> | null} b @returns {string[]} */
export function differences(a, b) {
  if (a === null || b === null) return a === b ? [] : [...AGREED];
  const fa = factsOf(a);
  const fb = factsOf(b);
  return AGREED.filter((name) => !same(name, fa[name], fb[name]));
}

/**
 * Several answers (null: that node did not answer) as one: {facts} with the lowest current
 * block when they agree (null facts when none answered), else {differ: [names]}. A refusal
 * ({chainId, refused}) is an answer like any other: refusals alike agree (their facts are
 * the refusal's), and one differs from another refusal, from an answer and from no answer.
 * @param {(Record<string, any> | null)[]} answers
 * @returns {{facts: Facts | null} | {differ: string[]}}
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
