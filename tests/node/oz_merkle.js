// Differential oracle: reads jobs from stdin, answers with @openzeppelin/merkle-tree.
// Input:  [{values: [[digest, address, metadataDigest], ...], multi: [[i, ...], ...],
//           ours: {root, proofs: [[...]], multiproofs: [{leaves(values), proof, proofFlags}]}}]
// Output: [{root, proofs, multiproofs, oursVerify: [bool], oursMultiVerify: [bool]}]
// One node process serves many trees, because starting node costs far more than a tree.
'use strict';
const { StandardMerkleTree } = require('@openzeppelin/merkle-tree');

const ENCODING = ['bytes32', 'address', 'bytes32'];
const jobs = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const out = jobs.map(job => {
  const tree = StandardMerkleTree.of(job.values, ENCODING);
  const result = {
    root: tree.root,
    proofs: job.values.map((_, i) => tree.getProof(i)),
    multiproofs: (job.multi || []).map(ix => tree.getMultiProof(ix)),
  };
  if (job.ours) {
    result.oursVerify = job.values.map((v, i) =>
      StandardMerkleTree.verify(job.ours.root, ENCODING, v, job.ours.proofs[i]));
    result.oursMultiVerify = (job.ours.multiproofs || []).map(mp =>
      StandardMerkleTree.verifyMultiProof(job.ours.root, ENCODING, mp));
  }
  return result;
});
process.stdout.write(JSON.stringify(out));
