// node.js's hand-written ABI codec against the bytes in the conformance vectors (the
// calldata notary.chain.check_codec makes, answers as eth_abi encodes them), and a node
// that answers a batch, refusing a signing issuer's document, faked by a local HTTP server.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { test } from 'node:test';

import { askRegistryMany, decodeCheck, decodeCheckSigned, encodeCheck, encodeCheckSigned } from '../../api/static/js/core/node.js';

const vectors = JSON.parse(readFileSync(new URL('../vectors/conformance/cases.json', import.meta.url), 'utf8'));
const codec = vectors.codec;
const signed = vectors.receipts.signed.issuerSignature;

function same(decoded, expected) {
  for (const [name, value] of Object.entries(expected)) {
    const got = decoded[name];
    if (typeof value === 'string') assert.equal(String(got).toLowerCase(), value.toLowerCase(), name);
    else assert.equal(got, value, name);
  }
}

test('check and checkSigned calldata are the Python codec\'s bytes', () => {
  assert.equal(encodeCheck(codec.values, codec.proof), codec.check);
  assert.equal(encodeCheckSigned(codec.values, codec.proof, signed), codec.checkSigned);
});

test('check and checkSigned answers decode to their fields', () => {
  const { signer, inSubmission, signerAddedAt, signerAddedBlock, signerRemovedAt, signerRemovedBlock,
    signingSince, signatureRequired, authorised, ...checked } = codec.decoded;
  same(decodeCheck(codec.checkAnswer), checked);
  same(decodeCheckSigned(codec.checkSignedAnswer), codec.decoded);
  assert.equal(signer.toLowerCase(), decodeCheckSigned(codec.checkSignedAnswer).signer);
  assert.ok(inSubmission && signatureRequired && authorised && signerAddedAt && signerAddedBlock && signingSince);
  assert.equal(signerRemovedAt + signerRemovedBlock, 0);
  assert.throws(() => decodeCheckSigned(codec.checkAnswer), /no Verification and SignatureCheck/);
});

test('one batch: a checkSigned answer, check refused for a signing issuer, a failed call', async () => {
  const server = createServer((request, reply) => {
    let body = '';
    request.on('data', (chunk) => { body += chunk; });
    request.on('end', () => {
      const calls = JSON.parse(body);
      const answers = calls.map(({ id, params }) => {
        if (id === 0) return { jsonrpc: '2.0', id, result: '0x7a69' };
        if (params[0].data === codec.checkSigned) return { jsonrpc: '2.0', id, result: codec.checkSignedAnswer };
        if (params[0].data === codec.check) return { jsonrpc: '2.0', id, error: codec.refusal };
        return { jsonrpc: '2.0', id, error: { code: -32000, message: 'out of gas' } };
      });
      reply.setHeader('content-type', 'application/json');
      reply.end(JSON.stringify(answers.reverse())); // in any order: matched by id
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${server.address().port}`;
    const [both, refused, failed] = await askRegistryMany(url, '0x5FbDB2315678afecb367f032d93F642f64180aa3', [
      { values: codec.values, proof: codec.proof, signed },
      { values: codec.values, proof: codec.proof },
      { values: codec.values, proof: [] },
    ]);
    assert.equal(both.chainId, 31337);
    assert.equal(both.authorised, true);
    assert.deepEqual(refused, { chainId: 31337, refused: 'SignatureRequired' });
    assert.equal(failed.kind, 'malformed');
  } finally {
    server.close();
  }
});
