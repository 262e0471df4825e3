// Several nodes' refusals, as the page's modules read them (node --test, no browser): a
// refusal is an answer, held to the one agreement rule (facts.js's combine), and judged as
// notary/verify/judge.py judges it: SignatureRequired is NOT genuine at issuerSignature,
// any other refusal says nothing about the document.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { combine } from '../../api/static/js/core/facts.js';
import { judgeOnDevice } from '../../api/static/js/core/judge.js';

const vectors = JSON.parse(readFileSync(new URL('../vectors/conformance/cases.json', import.meta.url), 'utf8'));
const stripped = vectors.receipts.stripped;
const genuine = vectors.cases.find((c) => c.name === 'a v1 receipt anchored before its issuer signed (vouched)').chain[0];
const answered = { chainId: genuine.chainId, ...genuine.check };
const refusal = (refused = 'SignatureRequired', chainId = 31337) => ({ chainId, refused });

/** The node state judgeOnDevice reads from several nodes' answers (null: no answer). */
function nodeOf(answers) {
  const { differ, facts } = combine(answers);
  if (differ) return { state: 'disagree', diffs: differ.map((key) => ({ key })) };
  return facts ? { state: 'agree', answer: facts } : { state: 'unreachable' };
}

const judged = (answers) => judgeOnDevice(stripped, [], nodeOf(answers), 1);

test('nodes refusing alike agree on the refusal: NOT genuine, at issuerSignature', () => {
  for (const n of [1, 2, 3]) {
    const outcome = judged(Array.from({ length: n }, () => refusal()));
    assert.equal(outcome.verdict, 'INVALID');
    assert.equal(outcome.failedStep, 'issuerSignature');
    assert.deepEqual(outcome.reasons, [{ key: 'failed.issuerSignatureMissing' }]);
  }
});

test('a refusal differs from another refusal, an answer and no answer', () => {
  for (const other of [refusal('UnknownError'), answered, null, refusal('SignatureRequired', 1)]) {
    for (const answers of [[refusal(), other], [other, refusal()]]) {
      const outcome = judged(answers);
      assert.equal(outcome.verdict, 'UNVERIFIABLE');
      assert.equal(outcome.reasons[0].key, 'why.disagree');
    }
  }
  assert.ok(combine([refusal(), refusal('UnknownError')]).differ.includes('refused'));
});

test('a refusal that names nothing, however many nodes agree on it, cannot be read', () => {
  for (const n of [1, 2]) {
    const outcome = judged(Array.from({ length: n }, () => refusal('UnknownError')));
    assert.equal(outcome.verdict, 'UNVERIFIABLE');
    assert.deepEqual(outcome.reasons, [{ key: 'why.nodeMalformed' }]);
  }
});
