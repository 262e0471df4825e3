"""Differential tests against the npm @openzeppelin/merkle-tree, the format's reference."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from notary.core.merkle import MerkleTree, MultiProof, leaf_hash, verify_multiproof
from notary.core.types import Digest, LeafValues, to_checksum_address

REPO = Path(__file__).resolve().parents[3]
ORACLE = REPO / "tests" / "node" / "oz_merkle.js"
pytestmark = pytest.mark.node

SIZES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 32, 33, 100, 255, 256, 257, 1000, 1024, 2000]


def _oracle(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    node = shutil.which("node")
    if node is None or not (REPO / "node_modules" / "@openzeppelin" / "merkle-tree").is_dir():
        pytest.fail("node and node_modules/@openzeppelin/merkle-tree are required (npm ci)")
    done = subprocess.run(
        [node, str(ORACLE)],
        input=json.dumps(jobs).encode(),
        cwd=REPO,
        capture_output=True,
        check=True,
        timeout=240,
    )
    result: list[dict[str, Any]] = json.loads(done.stdout)
    return result


def _values(rng: random.Random, n: int) -> list[LeafValues]:
    issuers = [to_checksum_address("0x" + rng.randbytes(20).hex()) for _ in range(3)]
    return [
        LeafValues(
            Digest(rng.randbytes(32)),
            rng.choice(issuers),
            Digest(rng.randbytes(32) if rng.random() < 0.7 else bytes(32)),
        )
        for _ in range(n)
    ]


def _hex(items: list[bytes]) -> list[str]:
    return ["0x" + x.hex() for x in items]


def test_same_roots_proofs_and_multiproofs_as_openzeppelin() -> None:
    rng = random.Random(20240301)
    sizes = SIZES + [rng.randint(1, 2000) for _ in range(8)]
    cases = []
    for n in sizes:
        values = _values(rng, n)
        if n > 3:  # OpenZeppelin allows repeated values; so do we, identically
            values[rng.randrange(n)] = values[0]
        tree = MerkleTree.from_values(values)
        multis = [sorted(rng.sample(range(n), k)) for k in {0, 1, min(n, 3), n // 2} if k <= n]
        multis = [m for m in multis if len({values[i] for i in m}) == len(m)]
        ours = [tree.multiproof(m) for m in multis]
        cases.append((values, tree, multis, ours))
    by_leaf = {leaf_hash(v): v.to_hex() for values, *_ in cases for v in values}
    jobs = [
        {
            "values": [v.to_hex() for v in values],
            "multi": multis,
            "ours": {
                "root": tree.root.hex,
                "proofs": [_hex(tree.proof(i)) for i in range(len(values))],
                "multiproofs": [
                    {
                        "leaves": [by_leaf[leaf] for leaf in mp.leaves],
                        "proof": _hex(mp.proof),
                        "proofFlags": mp.proof_flags,
                    }
                    for mp in ours
                ],
            },
        }
        for values, tree, multis, ours in cases
    ]
    answers = _oracle(jobs)
    for (values, tree, _multis, ours), answer in zip(cases, answers, strict=True):
        n = len(values)
        assert tree.root.hex == answer["root"], n
        assert [_hex(tree.proof(i)) for i in range(n)] == answer["proofs"], n
        assert all(answer["oursVerify"]) and all(answer["oursMultiVerify"]), n
        for mine, theirs in zip(ours, answer["multiproofs"], strict=True):
            assert _hex(mine.proof) == theirs["proof"]
            assert mine.proof_flags == theirs["proofFlags"]
            their_leaves = [leaf_hash(_parse(v)) for v in theirs["leaves"]]
            assert mine.leaves == their_leaves
            assert verify_multiproof(
                MultiProof(
                    their_leaves,
                    [bytes.fromhex(p[2:]) for p in theirs["proof"]],
                    theirs["proofFlags"],
                ),
                tree.root,
            )


def _parse(value: list[str]) -> LeafValues:
    return LeafValues(Digest.from_hex(value[0]), value[1], Digest.from_hex(value[2]))
