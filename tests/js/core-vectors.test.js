// api/static/js/core/ against the known-answer vectors of tests/vectors/ (node --test, no
// browser): the same files notary/core is held to, each value made by an independent tool
// (sha256sum, cast, @openzeppelin/merkle-tree; see tests/vectors/README.md).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { bytesToHex, hexToBytes } from '../../api/static/js/core/hex.js';
import { checkIssuerSignature, recoverSigner, submissionDigest } from '../../api/static/js/core/issuer-signature.js';
import { canonicalBytes, canonicalJson } from '../../api/static/js/core/jcs.js';
import { checkOnDevice, foldProof, leafHash, treeRoot } from '../../api/static/js/core/proof.js';
import { checkExport, compareInterval, differencesOf } from '../../api/static/js/core/stream-check.js';
import { readFile } from '../../api/static/js/core/stream-export.js';
import { FormatError, exactValue, parseTime, readingLeaves, readingLine, rootOf } from '../../api/static/js/core/stream-format.js';

const vectors = (name) => readFileSync(new URL(`../vectors/${name}`, import.meta.url));
const json = (name) => JSON.parse(vectors(name).toString('utf8'));

test('merkle.json: leaves, proofs and roots as @openzeppelin/merkle-tree makes them', () => {
  const { trees } = json('merkle.json');
  assert.ok(trees.length >= 3);
  for (const tree of trees) {
    const leaves = tree.values.map(leafHash);
    assert.deepEqual(leaves.map(bytesToHex), tree.leaves);
    assert.equal(bytesToHex(treeRoot(leaves)), tree.root);
    tree.values.forEach((values, i) => {
      assert.equal(bytesToHex(foldProof(leaves[i], tree.proofs[i])), tree.root);
      const proof = { values, leaf: tree.leaves[i], proof: tree.proofs[i], root: tree.root };
      const checked = checkOnDevice(proof, { digest: values[0] });
      assert.deepEqual([checked.leaf, checked.root, checked.asked], [true, true, true]);
    });
  }
});

test('merkle.json: a proof that leads elsewhere, or values that are not the leaf, fail on the device', () => {
  const tree = json('merkle.json').trees.find((t) => t.values.length > 1);
  const proof = { values: tree.values[0], leaf: tree.leaves[0], proof: tree.proofs[1], root: tree.root };
  assert.equal(checkOnDevice(proof, {}).root, false);
  const other = { ...proof, proof: tree.proofs[0], leaf: tree.leaves[1] };
  assert.equal(checkOnDevice(other, {}).leaf, false);
  assert.equal(checkOnDevice(proof, { digest: tree.values[1][0] }).asked, false);
});

test('metadata.json: RFC 8785 canonical metadata and its SHA-256', () => {
  const cases = json('metadata.json');
  assert.ok(cases.length >= 3);
  for (const c of cases) {
    assert.equal(canonicalJson(c.metadata), c.canonical);
    assert.equal(`0x${createHash('sha256').update(canonicalBytes(c.metadata)).digest('hex')}`, c.digest);
  }
});

test('issuer-signing.json: Submission digests and the keys that signed them (cast)', async () => {
  const { signatures } = json('issuer-signing.json');
  const submissions = signatures.filter((s) => s.primaryType === 'Submission');
  assert.ok(submissions.length >= 3);
  for (const s of submissions) {
    const domain = { name: 'NotaryRegistry', version: '2', chainId: s.chainId, verifyingContract: s.verifyingContract };
    const digest = submissionDigest(domain, s.message.issuer, s.message.leavesRoot);
    assert.equal(bytesToHex(digest), s.digest);
    assert.equal(await recoverSigner(digest, hexToBytes(s.signature)), s.signer.toLowerCase());
  }
});

test('issuer-signing.json: signatures the registry\'s ECDSA.tryRecover refuses recover no key', async () => {
  const s = json('issuer-signing.json').signatures.find((x) => x.primaryType === 'Submission');
  const digest = hexToBytes(s.digest);
  const signature = hexToBytes(s.signature);
  const withV = (v) => Uint8Array.of(...signature.slice(0, 64), v);
  assert.equal(await recoverSigner(digest, withV(29)), null);
  assert.equal(await recoverSigner(digest, signature.slice(0, 64)), null);
  const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
  const high = hexToBytes((n - BigInt(bytesToHex(signature.slice(32, 64)))).toString(16).padStart(64, '0'));
  const flipped = Uint8Array.of(...signature.slice(0, 32), ...high, signature[64] === 27 ? 28 : 27);
  assert.equal(await recoverSigner(digest, flipped), null); // the malleable twin (s in the upper half)
});

test('receipts/anchored-v2.receipt.json: its issuer signature checks out offline; a forged one does not', async () => {
  const receipt = json('receipts/anchored-v2.receipt.json');
  const signer = receipt.issuerSignature.signer.toLowerCase();
  assert.deepEqual(await checkIssuerSignature(receipt), { ok: true, inSubmission: true, signer });
  const otherKey = { ...receipt, issuerSignature: { ...receipt.issuerSignature, signer: `0x${'11'.repeat(20)}` } };
  assert.equal((await checkIssuerSignature(otherKey)).ok, false);
  const outside = { ...receipt, issuerSignature: { ...receipt.issuerSignature, path: [] } };
  assert.deepEqual(await checkIssuerSignature(outside), { ok: false, inSubmission: false, signer: null });
});

test('stream-interval.json: reading lines, leaves (SHA-256) and interval roots', async () => {
  const { intervals } = json('stream-interval.json');
  assert.ok(intervals.length >= 3);
  for (const v of intervals) {
    const start = parseTime(v.intervalStart, {});
    const readings = v.readings.map((r) => ({ ...r, time: parseTime(r.time, {}) }));
    assert.deepEqual(readings.map((r) => readingLine(v.station, r, start)), v.lines, v.title);
    const leaves = await readingLeaves(v.station, start, readings);
    assert.deepEqual(leaves.map(bytesToHex), v.leaves, v.title);
    assert.equal(rootOf(leaves), v.root, v.title);
  }
});

test('stream-interval.json: a value is taken only as the service writes it, naming its canonical form', () => {
  const plain = /^[+-]?[0-9]+(?:\.[0-9]*)?$/;
  for (const { input, canonical } of json('stream-interval.json').values) {
    assert.equal(exactValue(canonical, {}), canonical);
    if (typeof input !== 'string' || input === canonical) continue;
    assert.throws(() => exactValue(input, {}), (err) => err instanceof FormatError
      && (plain.test(input) ? err.key === 'valueCanonical' && err.params.canonical === canonical : err.key === 'valueForm'));
  }
});

test('stream-export/: the CSV and JSON forms of one export read, and check, alike', async () => {
  for (const version of ['v1', 'v2']) {
    const csv = readFile(vectors(`stream-export/${version}.csv`));
    const fromJson = readFile(vectors(`stream-export/${version}.json`));
    assert.equal(csv.kind, 'export');
    assert.deepEqual(csv.export.station, fromJson.export.station, version);
    assert.deepEqual([csv.export.start, csv.export.end], [fromJson.export.start, fromJson.export.end], version);
    assert.deepEqual(csv.export.endsEarly, fromJson.export.endsEarly, version);
    const readings = (exp) => exp.intervals.map((i) => i.rows.map((r) => [r.reading, r.late]));
    assert.deepEqual(readings(csv.export), readings(fromJson.export), version);
    assert.ok(readings(csv.export).flat().length >= 3, version);
    const [a, b] = [await checkExport(csv.export), await checkExport(fromJson.export)];
    assert.deepEqual(differencesOf(a).map((d) => d.key), differencesOf(b).map((d) => d.key), version);
  }
  assert.equal(readFile(vectors('stream-export/v2.csv')).export.endsEarly.reason, 'not-sealed');
});

test('stream-interval.json: rows as sealed match their root; a changed, added or late-marked row is named', async () => {
  const v = json('stream-interval.json').intervals.find((x) => x.readings.length >= 3);
  const start = parseTime(v.intervalStart, {});
  const interval = (readings) => ({
    start,
    end: start + 3600,
    rows: readings.map((r, i) => ({ number: i + 2, reading: { ...r, time: parseTime(r.time, {}) }, late: r.late === '1' })),
  });
  const claim = { root: v.root, size: v.readings.length };
  const compare = async (readings) => {
    const rows = interval(readings);
    return compareInterval(rows, claim, await readingLeaves(v.station, start, rows.rows.map((r) => r.reading)));
  };
  assert.deepEqual(await compare(v.readings), []);
  const changed = v.readings.map((r, i) => (i === 0 ? { ...r, value: `${r.value}1` } : r));
  assert.deepEqual((await compare(changed)).map((d) => d.key), ['changed']);
  const added = [...v.readings, { ...v.readings[0], parameter: 'CO' }];
  assert.ok((await compare(added)).some((d) => d.key === 'addedRow' && d.params.row === added.length + 1)); // found, by its row
  const marked = v.readings.map((r, i) => (i === 0 ? { ...r, late: r.late === '1' ? '0' : '1' } : r));
  assert.ok((await compare(marked)).some((d) => d.key === 'markedLate' || d.key === 'markedOnTime'));
});
