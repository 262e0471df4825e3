// The page's verification modules against the conformance vectors (node --test, no browser):
// every case of tests/vectors/conformance/cases.json gives the outcome notary.verify gives.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { AGREED, combine, differences as factDifferences } from '../../api/static/js/core/facts.js';
import { differences, judge, judgeOnDevice } from '../../api/static/js/core/judge.js';
import { loadReceipt, receiptError } from '../../api/static/js/core/receipt-format.js';
import { checkReceipt, importKeys } from '../../api/static/js/core/receipt.js';

const vectors = JSON.parse(readFileSync(new URL('../vectors/conformance/cases.json', import.meta.url), 'utf8'));
const keys = await importKeys(vectors.serviceKeys);
/** node.js's NodeError kinds: an answer that is a JSON-RPC error is one it cannot read. */
const KIND = { unreachable: 'unreachable', refused: 'malformed', malformed: 'malformed' };

function load(c) {
  if ('receiptText' in c) return loadReceipt(c.receiptText);
  const receipt = typeof c.receipt === 'string' ? vectors.receipts[c.receipt] : c.receipt;
  const error = receiptError(receipt);
  return error ? { error } : { receipt };
}

/** The node's state as judgeOnDevice reads it, from every node's answer (notary verify's rule). */
function nodeOf(chain) {
  if (chain === null) return { state: 'none' };
  const answers = chain.map((a) => {
    if ('failure' in a) return null;
    if ('refused' in a) return { chainId: a.chainId, refused: a.refused };
    return { chainId: a.chainId, ...a.check, ...(a.signature || {}) }; // node.js decodes them so
  });
  const { differ, facts } = combine(answers);
  if (differ) return { state: 'disagree', diffs: differ.map((key) => ({ key })) };
  if (!facts) return { state: KIND[chain[0].failure] };
  return { state: 'agree', answer: facts };
}

const state = (step) => (step.ok === null ? 'skipped' : step.ok ? 'ok' : 'fail');

test('the agreed facts are notary.verify.agreement\'s', () => {
  assert.deepEqual(AGREED, vectors.agreed);
});

test('Ed25519 is there to check the service signature', () => {
  assert.ok(keys && keys.size === vectors.serviceKeys.length);
});

for (const c of vectors.cases) {
  test(c.name, async () => {
    const loaded = load(c);
    if ('formatError' in c.expect) {
      assert.ok(loaded.error, `loaded, expected a refusal naming ${c.expect.formatError}`);
      assert.equal(loaded.error.field, c.expect.formatError, loaded.error.message);
      return;
    }
    assert.equal(loaded.error, undefined, loaded.error && `${loaded.error.field}: ${loaded.error.message}`);
    const { receipt } = loaded;
    const steps = await checkReceipt(receipt, c.given.serviceKeys ? keys : null, { digest: c.given.digest || undefined });
    assert.deepEqual(Object.fromEntries(steps.map((s) => [s.name, state(s)])), c.expect.steps);
    const node = nodeOf(c.chain);
    const outcome = judgeOnDevice(receipt, steps, node, c.requiredConfirmations);
    assert.equal(outcome.verdict, c.expect.verdict, JSON.stringify(outcome.reasons));
    assert.equal(outcome.failedStep ?? null, c.expect.failedStep);
    if ('confirmations' in c.expect) assert.equal(outcome.confirmations, c.expect.confirmations);
    assert.equal(outcome.assurance ?? null, c.expect.assurance ?? null);

    // The service gave this verdict, with these facts: a node that says the same agrees with
    // it by the same rule, and the page shows the service's verdict.
    if (node.state === 'agree') {
      const result = {
        verdict: c.expect.verdict,
        failedStep: c.expect.failedStep,
        steps: steps.map((s) => ({ name: s.name, ok: s.ok !== false, skipped: s.ok === null })),
        chain: node.answer,
        proof: { issuerSignature: receipt.issuerSignature },
      };
      assert.deepEqual(differences(result, null, node.answer), []);
      const shown = judge(result, { ok: true }, node, {});
      assert.equal(shown.verdict, c.expect.verdict);
    }
  });
}

test('a node answer that differs in any agreed fact disagrees', () => {
  const base = vectors.cases.find((c) => c.name === 'genuine, final').chain[0];
  const answer = { chainId: base.chainId, ...base.check };
  assert.deepEqual(factDifferences(answer, { ...answer, currentBlock: answer.currentBlock + 9 }), []);
  const changed = [
    [{ anchoredAt: 1 }, ['anchoredAt']],
    [{ revokedAt: 1, revocationReason: 2 }, ['revokedAt', 'revocationReason']],
    [{ issuerName: 'x' }, ['issuerName']],
    [{ chainId: 1 }, ['chainId']],
    [{ leafCount: 9 }, ['leafCount']],
    [{ root: answer.root.toUpperCase().replace('0X', '0x') }, []],
  ];
  for (const [change, names] of changed) assert.deepEqual(factDifferences(answer, { ...answer, ...change }), names);
  assert.deepEqual(factDifferences(answer, null), AGREED);
  assert.deepEqual(factDifferences(null, null), []);
});
