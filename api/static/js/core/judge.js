// The verdict shown: the service's, unless this device or the node it asked disagrees, in
// which case the reader is told "cannot verify right now" and why (never "not genuine").
import { differences as agreementDifferences, factsOf, SIGNATURE_REQUIRED } from './facts.js';
import { sameHex } from './hex.js';

/**
 * @typedef {import('./facts.js').Facts} Facts
 * @typedef {import('./receipt-format.js').Receipt} Receipt
 * @typedef {Record<string, any>} Answer the service's answer (POST /v1/verify) about one record
 * @typedef {{key: string, params?: object, fallback?: string, diffs?: object[]}} Reason
 * @typedef {{verdict: string, reasons: Reason[], [more: string]: any}} Outcome
 * @typedef {{state: string, [more: string]: any}} NodeState a node's state, as judge and judgeOnDevice take it
 */

const PURE_STEPS = new Set(['digest', 'metadata', 'issuer', 'leaf', 'proof', 'issuerSignature', 'signature']);

/** The proof facts of an answer: its `proof` object, else those of its receipt.
 * @param {Answer} result @param {Receipt | null} [receipt] @returns {Record<string, any> | null} */
export function proofOf(result, receipt) {
  if (result.proof) return result.proof;
  const r = result.receipt || receipt;
  if (!r || !Array.isArray(r.values)) return null;
  return {
    leafEncoding: r.leafEncoding, values: r.values, leaf: r.leaf,
    proof: r.proof ?? null, root: r.root ?? null, anchor: r.anchor ?? null,
  };
}

/** Whether the node should be asked about this answer: anchored, with a proof.
 * @param {Record<string, any> | null} proof @returns {boolean} */
export function askable(proof) {
  return Boolean(proof && proof.anchor && proof.anchor.contract && Array.isArray(proof.proof) && proof.values);
}

const TIMES = new Set(['anchoredAt', 'revokedAt', 'issuerRegisteredAt', 'issuerDeactivatedAt']);
const TIMES_TOO = new Set(['signerAddedAt', 'signerRemovedAt']);
const WITHOUT_VALUES = new Set(['leaf', 'root', 'blockHash', 'inSubmission', 'refused']);

/**
 * Where the node's answer and the service's differ, by the one agreement rule (facts.js):
 * a list of {key, service, node, time} with raw values (formatted by the renderer), key
 * one of the facts' names. The service's facts are its answer's `chain`; the chain's
 * record of an anchor or a revocation never changes once written, so they are compared
 * exactly (only the block each answer is as of may differ).
 * @param {Answer} result @param {unknown} proof @param {Record<string, any>} answer
 * @returns {{key: string, service?: unknown, node?: unknown, time?: boolean}[]}
 */
export function differences(result, proof, answer) {
  const service = result.chain ? factsOf(result.chain) : null;
  const node = factsOf(answer);
  return agreementDifferences(service, node).map((key) => {
    if (WITHOUT_VALUES.has(key)) return { key };
    return { key, service: service ? service[key] : null, node: node[key], time: TIMES.has(key) || TIMES_TOO.has(key) };
  });
}

/** Whether the registry knew the issuer when it anchored the root (notary/verify/judge.py's rule).
 * @param {Facts} facts */
function registeredWhenAnchored(facts) {
  return Boolean(facts.issuerRegisteredAt) && facts.issuerRegisteredAt <= facts.anchoredAt;
}

/** Whether the issuer was deactivated before the root was anchored (facts of an anchored root).
 * @param {Facts} facts @returns {boolean} */
export function deactivatedWhenAnchored(facts) {
  return Boolean(facts.issuerDeactivatedAt) && facts.anchoredAt >= facts.issuerDeactivatedAt;
}

/** The reason key of a failed issuer step judged on the chain's facts.
 * @param {Facts | null} facts */
function issuerFailure(facts) {
  return facts && registeredWhenAnchored(facts) && deactivatedWhenAnchored(facts) ? 'failed.deactivated' : 'failed.issuerUnregistered';
}

/** The step the service's INVALID verdict failed on the chain's facts (anchor, issuer), else null.
 * @param {Answer} result @returns {string | null} */
export function chainFailure(result) {
  const step = result.failedStep;
  if (result.verdict !== 'INVALID' || !step || result.notFound || failedBeforeTheChain(result)) return null;
  return step;
}

/** Whether the service's answer is about a receipt v2 (one with the issuer's signature).
 * @param {Answer} result */
function signedReceipt(result) {
  return Boolean((result.proof && result.proof.issuerSignature) || (result.receipt && result.receipt.issuerSignature));
}

/** The i18n key of the sentence for a step the chain's facts failed ('anchor', 'issuer',
 * 'issuerSignature'), or null for the step's own sentence.
 * @param {Answer} result @param {string} step @returns {string | null} */
export function chainFailureSentence(result, step) {
  if (step === 'issuerSignature') return signedReceipt(result) ? 'step.issuerSignature.unauthorised' : 'step.issuerSignature.missing';
  if (step !== 'issuer') return null;
  return issuerFailure(result.chain ? factsOf(result.chain) : null) === 'failed.deactivated'
    ? 'step.issuer.deactivated' : 'step.issuer.unregistered';
}

/**
 * Whether the service's verdict failed at a check this device makes too (the record's own
 * steps), not at one judged from the chain: the issuer step is both, the record naming the
 * issuer it was made for, and the registry knowing that issuer; so is the issuer's
 * signature, the key's signature checked offline, and the key counting on the chain.
 * @param {Answer} result
 */
function failedBeforeTheChain(result) {
  if (!PURE_STEPS.has(result.failedStep)) return false;
  /** @type {{name: string, ok: boolean | null}[]} */
  const steps = result.steps || [];
  const own = steps.find((step) => step.name === result.failedStep);
  // A v1 receipt has no issuer-signature step of its own: only the chain fails it.
  if (!own) return result.failedStep !== 'issuerSignature';
  return own.ok === false;
}

/**
 * The verdict to show and why: {verdict, reasons: [{key, params}]}. `device` is the
 * outcome of checkOnDevice (ok: true/false/null); `node` is {state, …} with state one of
 * none, skipped, agree, disagree, unreachable, malformed, chain.
 * @param {Answer} result @param {{ok: boolean | null}} device @param {NodeState} node
 * @param {{link?: boolean}} asked
 * @returns {Outcome}
 */
export function judge(result, device, node, asked) {
  const service = result.verdict;
  if (service === 'UNVERIFIABLE') return { verdict: service, reasons: [{ key: 'why.chain' }] };
  if (service === 'INVALID' && failedBeforeTheChain(result)) {
    return { verdict: service, reasons: [failure(result, asked)] };
  }
  if (service === 'INVALID' && !result.failedStep) return { verdict: service, reasons: [failure(result, asked)] };
  if (device.ok === false) return { verdict: 'UNVERIFIABLE', reasons: [{ key: 'why.deviceProof' }] };
  const why = nodeObjection(node);
  if (why) return { verdict: 'UNVERIFIABLE', reasons: [why] };
  if (service === 'INVALID') return { verdict: service, reasons: [failure(result, asked)] };
  return { verdict: service, reasons: [] };
}

/** @param {NodeState} node @returns {Reason | null} */
function nodeObjection(node) {
  switch (node.state) {
    case 'disagree':
      return { key: 'why.disagree', diffs: node.diffs };
    case 'unreachable':
      return { key: 'why.nodeUnreachable' };
    case 'malformed':
      return { key: 'why.nodeMalformed' };
    case 'chain':
      return { key: 'why.nodeChain', params: { node: node.chainId, record: node.recordChainId } };
    default:
      return null;
  }
}

/** @param {Answer} result @param {{link?: boolean}} asked @returns {Reason} */
function failure(result, asked) {
  if (result.notFound === 'leaf') return { key: 'failed.leafNotFound' };
  if (result.notFound === 'digest') return { key: 'failed.notFound' };
  const step = result.failedStep;
  if (step === 'digest' && asked.link) return { key: 'failed.digestLeaf' };
  if (chainFailure(result) === 'issuer') return { key: issuerFailure(result.chain ? factsOf(result.chain) : null) };
  if (chainFailure(result) === 'issuerSignature') {
    return { key: signedReceipt(result) ? 'failed.issuerSignature' : 'failed.issuerSignatureMissing' };
  }
  if (step) return { key: `failed.${step}`, fallback: 'failed.other', params: { step } };
  return { key: 'failed.notFound' };
}

/**
 * A receipt's verdict from this device's own checks and the registry's answer alone (no
 * service), by notary/verify/judge.py's rules in its order: {verdict, reasons, failedStep,
 * confirmations, …}. `steps` come from receipt.js's checkReceipt; `node` is {state, answer,
 * diffs} (state none when no node is named, agree when it answered: `answer` is node.js's
 * decoded tuple with its chainId, or facts.js's facts).
 * @param {Receipt} receipt @param {{name: string, ok: boolean | null}[]} steps
 * @param {NodeState} node @param {number} required confirmations
 * @returns {Outcome}
 */
export function judgeOnDevice(receipt, steps, node, required) {
  const failed = steps.find((step) => step.ok === false);
  if (failed) return invalid(failed.name, { key: `failed.${failed.name}`, fallback: 'failed.other', params: { step: failed.name } });
  if (!receipt.anchor) return { verdict: 'PENDING', reasons: [] };
  if (node.state === 'none') return unverifiable({ key: 'why.noNode' });
  const why = nodeObjection(node);
  if (why) return unverifiable(why);
  const a = factsOf(node.answer);
  if (a.chainId !== null && a.chainId !== receipt.anchor.chainId) {
    return unverifiable({ key: 'why.nodeChain', params: { node: a.chainId, record: receipt.anchor.chainId } });
  }
  if (a.refused === SIGNATURE_REQUIRED) return invalid('issuerSignature', { key: 'failed.issuerSignatureMissing' });
  // Any other refusal names no fact about the document: the registry there is not one that
  // answers for it (notary/verify/judge.py's rule), however many nodes refuse alike.
  if (a.refused !== null) return unverifiable({ key: 'why.nodeMalformed' });
  const elsewhere = notAboutThisReceipt(receipt, a);
  if (elsewhere) return unverifiable(elsewhere);
  if (!a.anchoredAt) return invalid('anchor', { key: 'failed.anchor' });
  if (!registeredWhenAnchored(a)) return invalid('issuer', { key: 'failed.issuerUnregistered' });
  const confirmations = Math.max(0, a.currentBlock - a.anchoredBlock + 1);
  const seen = { reasons: [], confirmations, required, anchoredAt: a.anchoredAt, issuerName: a.issuerName };
  if (a.revokedAt) return { ...seen, verdict: 'REVOKED', revokedAt: a.revokedAt, revocationReason: a.revocationReason };
  if (a.signatureRequired && !a.authorised) {
    const key = receipt.issuerSignature ? 'failed.issuerSignature' : 'failed.issuerSignatureMissing';
    return { ...seen, ...invalid('issuerSignature', { key }) };
  }
  if (deactivatedWhenAnchored(a)) return { ...seen, ...invalid('issuer', { key: 'failed.deactivated' }) };
  const assurance = a.signatureRequired ? { assurance: 'signed', signer: a.signer } : { assurance: 'vouched' };
  return { ...seen, ...assurance, verdict: confirmations < required ? 'VALID_PENDING_CONFIRMATIONS' : 'VALID' };
}

/** @param {string} step @param {Reason} reason */
function invalid(step, reason) {
  return { verdict: 'INVALID', failedStep: step, reasons: [reason] };
}

/** @param {Reason} reason */
function unverifiable(reason) {
  return { verdict: 'UNVERIFIABLE', reasons: [reason] };
}

/** Why the chain's facts cannot be held against this receipt (notary/verify/judge.py), or null.
 * @param {Receipt} receipt @param {Facts} facts @returns {Reason | null} */
function notAboutThisReceipt(receipt, facts) {
  const anchor = receipt.anchor;
  if (!facts.anchoredAt && facts.currentBlock < anchor.blockNumber) {
    return { key: 'why.nodeBehind', params: { node: facts.currentBlock, record: anchor.blockNumber } };
  }
  if (facts.leaf !== null && !sameHex(facts.leaf, receipt.leaf)) return { key: 'why.nodeOther' };
  if (facts.root !== null && receipt.root && !sameHex(facts.root, receipt.root)) return { key: 'why.nodeOther' };
  const signed = receipt.issuerSignature;
  if (signed && facts.inSubmission !== null && (!facts.inSubmission || !sameHex(facts.signer, signed.signer))) {
    return { key: 'why.nodeOther' };
  }
  return null;
}
