// The verdict shown: the service's, unless this device or the node it asked disagrees, in
// which case the reader is told "cannot verify right now" and why (never "not genuine").
import { sameHex } from './hex.js';

const PURE_STEPS = new Set(['digest', 'metadata', 'issuer', 'leaf', 'proof', 'signature']);

/** The proof facts of an answer: its `proof` object, else those of its receipt. */
export function proofOf(result, receipt) {
  if (result.proof) return result.proof;
  const r = result.receipt || receipt;
  if (!r || !Array.isArray(r.values)) return null;
  return {
    leafEncoding: r.leafEncoding, values: r.values, leaf: r.leaf,
    proof: r.proof ?? null, root: r.root ?? null, anchor: r.anchor ?? null,
  };
}

/** Whether the node should be asked about this answer: anchored, with a proof. */
export function askable(proof) {
  return Boolean(proof && proof.anchor && proof.anchor.contract && Array.isArray(proof.proof) && proof.values);
}

/**
 * Where the node's answer and the service's differ: a list of {key, service, node} with
 * raw values (formatted by the renderer). Timing is compared exactly: the chain's record
 * of an anchor or a revocation never changes once written.
 */
export function differences(result, proof, answer) {
  const diffs = [];
  const anchoredAt = answer.anchoredAt || null;
  if ((result.anchoredAt ?? null) !== anchoredAt) {
    diffs.push({ key: 'anchoredAt', service: result.anchoredAt ?? null, node: anchoredAt, time: true });
  }
  const revokedAt = answer.revokedAt || null;
  if ((result.revokedAt ?? null) !== revokedAt) {
    diffs.push({ key: 'revokedAt', service: result.revokedAt ?? null, node: revokedAt, time: true });
  } else if (revokedAt !== null && Number(result.revocationReason) !== answer.revocationReason) {
    diffs.push({ key: 'reason', service: result.revocationReason, node: answer.revocationReason });
  }
  if (!sameHex(answer.leaf, proof.leaf)) diffs.push({ key: 'leaf' });
  if (!sameHex(answer.root, proof.root)) diffs.push({ key: 'root' });
  if (result.issuerNameSource === 'chain' && result.issuerName && result.issuerName !== answer.issuerName) {
    diffs.push({ key: 'issuerName', service: result.issuerName, node: answer.issuerName });
  }
  if (anchoredAt !== null && unregisteredOnChain(result) !== !registeredWhenAnchored(answer)) {
    diffs.push({ key: 'issuerRegistered' });
  }
  return diffs;
}

/** Whether the registry knew the issuer when it anchored the root (notary/core/verify.py's rule). */
function registeredWhenAnchored(answer) {
  return Boolean(answer.issuerRegisteredAt) && answer.issuerRegisteredAt <= answer.anchoredAt;
}

/** Whether the service found the issuer unregistered on chain (its failed step, judged on chain). */
function unregisteredOnChain(result) {
  return chainFailure(result) === 'issuer';
}

/** The step the service's INVALID verdict failed on the chain's facts (anchor, issuer), else null. */
export function chainFailure(result) {
  const step = result.failedStep;
  if (result.verdict !== 'INVALID' || !step || result.notFound || failedBeforeTheChain(result)) return null;
  return step;
}

/**
 * Whether the service's verdict failed at a check this device makes too (the record's own
 * steps), not at one judged from the chain: the issuer step is both, the record naming the
 * issuer it was made for, and the registry knowing that issuer.
 */
function failedBeforeTheChain(result) {
  if (!PURE_STEPS.has(result.failedStep)) return false;
  const own = (result.steps || []).find((step) => step.name === result.failedStep);
  return !own || own.ok === false;
}

/**
 * The verdict to show and why: {verdict, reasons: [{key, params}]}. `device` is the
 * outcome of checkOnDevice (ok: true/false/null); `node` is {state, …} with state one of
 * none, skipped, agree, disagree, unreachable, malformed, chain.
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

function failure(result, asked) {
  if (result.notFound === 'leaf') return { key: 'failed.leafNotFound' };
  if (result.notFound === 'digest') return { key: 'failed.notFound' };
  const step = result.failedStep;
  if (step === 'digest' && asked.link) return { key: 'failed.digestLeaf' };
  if (unregisteredOnChain(result)) return { key: 'failed.issuerUnregistered' };
  if (step) return { key: `failed.${step}`, fallback: 'failed.other', params: { step } };
  return { key: 'failed.notFound' };
}

/**
 * A receipt's verdict from this device's own checks and the registry's answer alone (no
 * service), as notary/core/verify.py's judge gives it: {verdict, reasons, confirmations}.
 * `steps` come from receipt.js's checkReceipt; `node` is {state, answer, diffs} (state
 * none when no node is named, agree when it answered for this leaf and root).
 */
export function judgeOnDevice(receipt, steps, node, required) {
  const failed = steps.find((step) => step.ok === false);
  if (failed) return { verdict: 'INVALID', reasons: [{ key: `failed.${failed.name}`, fallback: 'failed.other', params: { step: failed.name } }] };
  if (!receipt.anchor) return { verdict: 'PENDING', reasons: [] };
  if (node.state === 'none') return { verdict: 'UNVERIFIABLE', reasons: [{ key: 'why.noNode' }] };
  const why = nodeObjection(node);
  if (why) return { verdict: 'UNVERIFIABLE', reasons: [why] };
  const a = node.answer;
  if (!a.anchoredAt) return { verdict: 'INVALID', reasons: [{ key: 'failed.anchor' }] };
  if (!registeredWhenAnchored(a)) return { verdict: 'INVALID', reasons: [{ key: 'failed.issuerUnregistered' }] };
  if (a.revokedAt) return { verdict: 'REVOKED', reasons: [], revokedAt: a.revokedAt, revocationReason: a.revocationReason };
  if (a.issuerDeactivatedAt && a.anchoredAt >= a.issuerDeactivatedAt) {
    return { verdict: 'INVALID', reasons: [{ key: 'failed.deactivated' }] };
  }
  const confirmations = Math.max(0, a.currentBlock - a.anchoredBlock + 1);
  const verdict = confirmations < required ? 'VALID_PENDING_CONFIRMATIONS' : 'VALID';
  return { verdict, reasons: [], confirmations, required, anchoredAt: a.anchoredAt, issuerName: a.issuerName };
}
