// The monitoring data page's reading of its node's answer about an interval's receipt
// (stream-node.js) against the conformance vectors (node --test, no browser): with one node,
// every case gives the verdict notary.verify gives, a refusal of check included.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { judgeOnDevice } from '../../api/static/js/core/judge.js';
import { NodeError } from '../../api/static/js/core/node.js';
import { receiptError } from '../../api/static/js/core/receipt-format.js';
import { checkReceipt, importKeys } from '../../api/static/js/core/receipt.js';
import { nodeState } from '../../api/static/js/core/stream-node.js';

const vectors = JSON.parse(readFileSync(new URL('../vectors/conformance/cases.json', import.meta.url), 'utf8'));
const keys = await importKeys(vectors.serviceKeys);
/** node.js's NodeError kinds: an answer that is a JSON-RPC error is one it cannot read. */
const KIND = { unreachable: 'unreachable', refused: 'malformed', malformed: 'malformed' };

/** The one node's answer as node.js's askRegistryMany gives it. */
function answerOf(a) {
  if ('failure' in a) return new NodeError(KIND[a.failure], a.detail);
  if ('refused' in a) return { chainId: a.chainId, refused: a.refused };
  return { chainId: a.chainId, ...a.check, ...(a.signature || {}) };
}

const oneNode = vectors.cases.filter((c) => 'receipt' in c && c.chain && c.chain.length === 1 && !('formatError' in c.expect));

test('the vectors have cases of one node refusing check', () => {
  assert.ok(oneNode.some((c) => 'refused' in c.chain[0] && c.expect.verdict === 'INVALID'));
});

for (const c of oneNode) {
  test(`stream page: ${c.name}`, async () => {
    const receipt = typeof c.receipt === 'string' ? vectors.receipts[c.receipt] : c.receipt;
    assert.ok(!receiptError(receipt));
    const steps = await checkReceipt(receipt, c.given.serviceKeys ? keys : null, { digest: c.given.digest || undefined });
    if (!receipt.anchor) return; // the page asks no node about a pending receipt
    const outcome = judgeOnDevice(receipt, steps, nodeState(receipt, answerOf(c.chain[0])), c.requiredConfirmations);
    assert.equal(outcome.verdict, c.expect.verdict, JSON.stringify(outcome.reasons));
    assert.equal(outcome.failedStep ?? null, c.expect.failedStep);
  });
}
