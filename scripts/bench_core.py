"""Benchmark the pure core: keccak/SHA-256 floor, tree build, proofs, verification, memory.

Each tree size runs in its own subprocess so peak-memory figures do not mix. Prints a
table, then (as the very last line) one JSON object with every figure.
Usage: .venv/bin/python scripts/bench_core.py [--sizes 10000,100000,1000000] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
import timeit
from hashlib import sha256

from notary.core._keccak import keccak256
from notary.core.merkle import MerkleTree, leaf_hash, verify_proof
from notary.core.types import Digest, LeafValues, to_checksum_address

LABELS = {10_000: "10k", 100_000: "100k", 1_000_000: "1m"}


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def floor(runs: int) -> dict[str, float]:
    """Bare hash call rates on 64-byte inputs, in millions per second."""
    data, n = os.urandom(64), 300_000
    k = statistics.median(n / timeit.timeit(lambda: keccak256(data), number=n) for _ in range(runs))
    s = statistics.median(
        n / timeit.timeit(lambda: sha256(data).digest(), number=n) for _ in range(runs)
    )
    return {"keccak_mps": round(k / 1e6, 3), "sha256_mps": round(s / 1e6, 3)}


def one_size(n: int, runs: int) -> dict[str, float]:
    """Figures for one tree size (run in a fresh process)."""
    rng = random.Random(n)
    issuers = [to_checksum_address("0x" + rng.randbytes(20).hex()) for _ in range(50)]
    values = [
        LeafValues(Digest(rng.randbytes(32)), issuers[i % 50], Digest(rng.randbytes(32)))
        for i in range(n)
    ]
    t0 = time.perf_counter()
    leaves = [leaf_hash(v) for v in values]
    hash_s = time.perf_counter() - t0
    del values
    base = _rss_mb()
    builds = []
    for _ in range(runs):
        t0 = time.perf_counter()
        tree = MerkleTree.from_leaves(leaves)
        builds.append(time.perf_counter() - t0)
    peak = _rss_mb() - base
    picks = [rng.randrange(n) for _ in range(2000)]
    proof_us = statistics.median(
        timeit.timeit(lambda: [tree.proof(i) for i in picks], number=5) / 5 / len(picks) * 1e6
        for _ in range(runs)
    )
    proofs = [(leaves[i], tree.proof(i)) for i in picks]
    root = tree.root
    verify_us = statistics.median(
        timeit.timeit(lambda: [verify_proof(lf, p, root) for lf, p in proofs], number=5)
        / 5
        / len(picks)
        * 1e6
        for _ in range(runs)
    )
    assert all(verify_proof(lf, p, root) for lf, p in proofs)
    return {
        "leafhash_s": hash_s,
        "build_s": statistics.median(builds),
        "proof_us": proof_us,
        "verify_us": verify_us,
        "peak_mb": peak,
        "proof_len": len(proofs[0][1]),
        "node_array_mb": 64 * n / 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one_size(args.child, args.runs)))
        return
    figures: dict[str, float] = floor(args.runs)
    print(
        f"floor: keccak256 {figures['keccak_mps']} M/s, sha256 {figures['sha256_mps']} M/s "
        "(64-byte inputs, one call each)"
    )
    print(
        f"{'leaves':>8} {'leaf hash s':>11} {'build s':>8} {'proof us':>9} {'verify us':>10} "
        f"{'peak MB':>8} {'nodes MB':>8}"
    )
    for n in (int(x) for x in args.sizes.split(",")):
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(n), "--runs", str(args.runs)],
            check=True,
            capture_output=True,
            text=True,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        label = LABELS.get(n, str(n))
        print(
            f"{n:>8} {r['leafhash_s']:>11.3f} {r['build_s']:>8.3f} {r['proof_us']:>9.2f} "
            f"{r['verify_us']:>10.2f} {r['peak_mb']:>8.0f} {r['node_array_mb']:>8.0f}"
        )
        figures.update(
            {
                f"leafhash_{label}_s": round(r["leafhash_s"], 3),
                f"build_{label}_s": round(r["build_s"], 3),
                f"proof_{label}_us": round(r["proof_us"], 2),
                f"verify_{label}_us": round(r["verify_us"], 2),
                f"peak_{label}_mb": round(r["peak_mb"], 1),
            }
        )
    print(
        "build = MerkleTree.from_leaves (sort + nodes); leaf hash = values -> leaves; "
        "peak = RSS growth during builds"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
