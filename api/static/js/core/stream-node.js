// What the monitoring data page makes of its node's answer about one interval's receipt,
// by facts.js's reading of an answer: the state judge.js's judgeOnDevice takes.
import { factsOf } from './facts.js';
import { sameHex } from './hex.js';
import { NodeError } from './node.js';

/** The node's answer about `receipt` (node.js's askRegistryMany item) as judgeOnDevice
 * reads it: {state, answer} or {state, diffs} or {state, chainId, recordChainId}.
 * @param {import('./receipt-format.js').Receipt} receipt @param {any} answer */
export function nodeState(receipt, answer) {
  if (answer instanceof NodeError) return { state: answer.kind };
  const facts = factsOf(answer);
  if (facts.chainId !== receipt.anchor.chainId) return { state: 'chain', chainId: facts.chainId, recordChainId: receipt.anchor.chainId };
  // check refusing a signing issuer's v1 receipt is the chain's answer about this very
  // receipt (it names no leaf or root): judgeOnDevice reads it as INVALID at issuerSignature.
  if (facts.refused !== null) return { state: 'agree', answer };
  const diffs = ['leaf', 'root'].filter((key) => !sameHex(facts[key], receipt[key])).map((key) => ({ key }));
  return diffs.length ? { state: 'disagree', diffs } : { state: 'agree', answer };
}
