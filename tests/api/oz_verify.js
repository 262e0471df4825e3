// Reads receipts (JSON array) on stdin; prints whether OpenZeppelin's own
// StandardMerkleTree.verify accepts each receipt's values and proof for its root.
'use strict';
const { StandardMerkleTree } = require('@openzeppelin/merkle-tree');

const receipts = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const out = receipts.map(r => StandardMerkleTree.verify(r.root, r.leafEncoding, r.values, r.proof));
process.stdout.write(JSON.stringify(out));
