"""Benchmark issuer signatures (notary.core.issuer_signing): recovering and making one, and
the submission tree an issuer signs, beside the pure-Python secp256k1 that eth-keys falls
back to without coincurve. Medians of several runs.

Usage: .venv/bin/python scripts/bench_issuer_signing.py [--runs 5] [--leaves 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable

from eth_keys import keys
from eth_keys.backends import NativeECCBackend

from notary.core.issuer_signing import (
    IssuerKey,
    RegistryDomain,
    recover_signer,
    submission_root,
    submission_tree,
)
from notary.core.types import Leaf


def per_call_us(fn: Callable[[], object], number: int, runs: int) -> float:
    """Median over `runs` of the mean time of one call, in microseconds."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t0) / number * 1e6)
    return statistics.median(times)


def main() -> None:
    """Print a table, then one JSON object with every figure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--leaves", type=int, default=10_000)
    args = parser.parse_args()
    key = IssuerKey(os.urandom(32))
    domain = RegistryDomain.of(31337, "0x" + "11" * 20)
    digest = os.urandom(32)
    signature = key.sign_digest(digest)
    native = keys.PrivateKey(os.urandom(32), backend=NativeECCBackend())
    native_sig = native.sign_msg_hash(digest)
    leaves = [Leaf(os.urandom(32)) for _ in range(args.leaves)]
    tree = submission_tree(leaves)
    root = submission_root(tree)
    figures = {
        "recover_us": per_call_us(lambda: recover_signer(digest, signature), 2000, args.runs),
        "sign_us": per_call_us(lambda: key.sign_digest(digest), 2000, args.runs),
        "sign_submission_us": per_call_us(
            lambda: key.sign_submission(domain, key.address, root), 2000, args.runs
        ),
        "recover_pure_python_us": per_call_us(
            lambda: native_sig.recover_public_key_from_msg_hash(digest), 20, args.runs
        ),
        f"submission_tree_{args.leaves}_ms": per_call_us(
            lambda: submission_tree(leaves), 1, args.runs
        )
        / 1000,
        f"paths_{args.leaves}_ms": per_call_us(
            lambda: [tree.proof(i) for i in range(args.leaves)], 1, args.runs
        )
        / 1000,
    }
    for name, value in figures.items():
        print(f"{name:32} {value:12,.1f}")
    print(json.dumps({k: round(v, 2) for k, v in figures.items()}))


if __name__ == "__main__":
    main()
