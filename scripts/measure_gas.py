"""Measure NotaryRegistry's gas on a throwaway Anvil: the transaction's gasUsed, 21,000
intrinsic included (what the sending account pays), as DESIGN.md's targets are stated.

    .venv/bin/python scripts/measure_gas.py [--evm TARGET | --artifact PATH] [--json]

Deploys the committed artifact for TARGET (default: the newest; `all`: each in turn), or
PATH, then anchors, registers/deactivates issuers and
revokes keccak-random leaves (realistic calldata: hashes have few zero bytes).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from eth_utils import keccak
from web3 import Web3

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from notary.chain.artifact import (  # noqa: E402
    ARTIFACTS_DIR,
    REGISTRY_CONTRACT,
    artifact_name,
    artifact_targets,
    default_evm,
)

ANVIL = REPO_ROOT / "node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"


ANCHORER_ROLE = keccak(text="ANCHORER_ROLE")
_counter = 0


def fresh_hashes(n: int) -> list[bytes]:
    """n distinct pseudo-random 32-byte values."""
    global _counter
    out = [keccak(b"gas" + (_counter + i).to_bytes(8, "big")) for i in range(n)]
    _counter += n
    return out


@contextmanager
def anvil(*extra_args: str) -> Iterator[Web3]:
    """The platform binary (not the npm wrapper) on a free port, in its own process group."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [str(ANVIL), "--port", str(port), "--silent", *extra_args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        w3 = Web3(Web3.HTTPProvider(f"http://127.0.0.1:{port}"))
        deadline = time.monotonic() + 20
        while not w3.is_connected():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Anvil did not start on port {port}")
            time.sleep(0.05)
        yield w3
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)


def measure(artifact: dict[str, Any]) -> dict[str, int]:
    """Run every measured call once on a fresh Anvil and return gasUsed by label."""
    with anvil() as w3:
        admin, anchorer, issuer, other = w3.eth.accounts[:4]
        factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
        gas: dict[str, int] = {}

        def send(label: str | None, fn: Any, sender: str) -> int:
            receipt = w3.eth.wait_for_transaction_receipt(fn.transact({"from": sender}))
            if receipt["status"] != 1:
                raise RuntimeError(f"{label} reverted")
            if label:
                gas[label] = int(receipt["gasUsed"])
            return int(receipt["gasUsed"])

        tx = factory.constructor(admin).transact({"from": admin})
        receipt = w3.eth.wait_for_transaction_receipt(tx)
        gas["deploy"] = int(receipt["gasUsed"])
        reg = w3.eth.contract(address=receipt["contractAddress"], abi=artifact["abi"])
        send(None, reg.functions.grantRole(ANCHORER_ROLE, anchorer), admin)
        send(
            "registerIssuer",
            reg.functions.registerIssuer(issuer, "Sở Tài nguyên và Môi trường"),
            admin,
        )
        send("registerIssuer (other)", reg.functions.registerIssuer(other, "Other"), admin)
        for count in (1, 1000):
            root = fresh_hashes(1)[0]
            send(f"anchor (leafCount={count})", reg.functions.anchor(root, count), anchorer)
        send("revoke (single)", reg.functions.revoke(fresh_hashes(1)[0], 1), issuer)
        for n in (1, 10, 100):
            used = send(None, reg.functions.revokeMany(fresh_hashes(n), 2), issuer)
            gas[f"revokeMany x{n}"] = used
            gas[f"revokeMany x{n} per leaf"] = used // n
        used = send(None, reg.functions.revokeFor(issuer, fresh_hashes(100), 3), anchorer)
        gas["revokeFor x100"] = used
        gas["revokeFor x100 per leaf"] = used // 100
        digest, meta = fresh_hashes(2)
        proof = fresh_hashes(20)  # a 1M-leaf batch
        call = reg.functions.check(digest, issuer, meta, proof)
        gas["check (eth_estimateGas, 20-step proof)"] = int(call.estimate_gas())
        send("deactivateIssuer", reg.functions.deactivateIssuer(other), admin)
        return gas


def main() -> int:
    """Print the measured gas of each call."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--artifact", type=Path, help="an artifact file to deploy")
    source.add_argument(
        "--evm",
        choices=[*artifact_targets(), "all"],
        help="the committed artifact built for this EVM target (default: the newest)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()
    if args.artifact:
        paths = {str(args.artifact): args.artifact}
    else:
        targets = artifact_targets() if args.evm == "all" else [args.evm or default_evm()]
        paths = {
            evm: REPO_ROOT / ARTIFACTS_DIR / artifact_name(REGISTRY_CONTRACT, evm)
            for evm in targets
        }
    results = {label: measure(json.loads(path.read_text("utf-8"))) for label, path in paths.items()}
    if args.json:
        print(json.dumps(results if len(results) > 1 else next(iter(results.values())), indent=2))
        return 0
    for label, gas in results.items():
        if len(results) > 1:
            print(f"== {label}")
        for name, used in gas.items():
            print(f"{name:42} {used:>10,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
