"""Measure NotaryRegistry's gas on a throwaway Anvil: the transaction's gasUsed, 21,000
intrinsic included (what the sending account pays), as DESIGN.md's targets are stated.

    .venv/bin/python scripts/measure_gas.py [--evm TARGET | --artifact PATH] [--repeat N] [--json]

Deploys the committed artifact for TARGET (default: the newest; `all`: each in turn), or
PATH, then anchors, registers/deactivates issuers and revokes keccak-random leaves
(realistic calldata: hashes have few zero bytes); on a registry with signing keys, also
adds and removes keys (directly and relayed), revokes by signature and checks a signed
document. Calls whose gas varies with their random arguments give the median of N runs.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
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
# Anvil's 5th dev account (the public "test test … junk" mnemonic): the signing issuer's root key.
ANVIL_KEY_4 = "47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a"
REPEAT = 5
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


def measure(artifact: dict[str, Any], repeat: int = REPEAT) -> dict[str, int]:
    """Run every measured call on a fresh Anvil and return gasUsed by label; calls whose
    gas varies with their (random) arguments run `repeat` times and give the median."""
    with anvil() as w3:
        admin, anchorer, issuer, other, signing_issuer = w3.eth.accounts[:5]
        factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
        gas: dict[str, int] = {}

        def send(label: str | None, fn: Any, sender: str) -> int:
            receipt = w3.eth.wait_for_transaction_receipt(fn.transact({"from": sender}))
            if receipt["status"] != 1:
                raise RuntimeError(f"{label} reverted")
            if label:
                gas[label] = int(receipt["gasUsed"])
            return int(receipt["gasUsed"])

        def median_of(
            label: str, make: Callable[[], tuple[Any, str]], per: int = 1
        ) -> dict[str, int]:
            used = int(statistics.median(send(None, *make()) for _ in range(repeat)))
            return {label: used, **({f"{label} per leaf": used // per} if per > 1 else {})}

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
            gas |= median_of(
                f"anchor (leafCount={count})",
                lambda c=count: (reg.functions.anchor(fresh_hashes(1)[0], c), anchorer),
            )
        gas |= median_of(
            "revoke (single)", lambda: (reg.functions.revoke(fresh_hashes(1)[0], 1), issuer)
        )
        for n in (1, 10, 100):
            gas |= median_of(
                f"revokeMany x{n}",
                lambda n=n: (reg.functions.revokeMany(fresh_hashes(n), 2), issuer),
                per=n,
            )
        gas |= median_of(
            "revokeFor x100",
            lambda: (reg.functions.revokeFor(issuer, fresh_hashes(100), 3), anchorer),
            per=100,
        )
        digest, meta = fresh_hashes(2)
        proof = fresh_hashes(20)  # a 1M-leaf batch
        call = reg.functions.check(digest, issuer, meta, proof)
        gas["check (eth_estimateGas, 20-step proof)"] = int(call.estimate_gas())
        send("deactivateIssuer", reg.functions.deactivateIssuer(other), admin)
        if any(item.get("name") == "checkSigned" for item in artifact["abi"]):
            gas.update(measure_signing(w3, reg, send, median_of, admin, anchorer, signing_issuer))
        return gas


def measure_signing(
    w3: Web3,
    reg: Any,
    send: Callable[[str | None, Any, str], int],
    median_of: Callable[..., dict[str, int]],
    admin: str,
    anchorer: str,
    root: str,
) -> dict[str, int]:
    """The calls of issuer signing keys (registry v2); `root` is Anvil's 5th dev account."""
    from notary.core.issuer_signing import IssuerKey, RegistryDomain, SubmissionRoot
    from notary.core.types import Leaf

    root_key = IssuerKey(bytes.fromhex(ANVIL_KEY_4))
    if root_key.address != root:
        raise RuntimeError(f"Anvil's 5th dev account is {root}, not {root_key.address}")
    domain = RegistryDomain.of(int(w3.eth.chain_id), reg.address)
    keys = [IssuerKey(keccak(b"gas key" + bytes([i]))) for i in range(4)]
    gas: dict[str, int] = {}
    send(None, reg.functions.registerIssuer(root, "Signing issuer"), admin)
    first = reg.functions.addSigner(keys[0].address)
    gas["addSigner (first key)"] = send(None, first, root)
    gas["addSigner (second key)"] = send(None, reg.functions.addSigner(keys[1].address), root)
    deadline = w3.eth.get_block("latest")["timestamp"] + 3600

    def relayed(make_signature: Callable[..., bytes], fn: Any, key: str) -> Any:
        nonce = reg.functions.nonces(root).call()
        signature = make_signature(domain, root, key, nonce, deadline)
        return fn(root, key, nonce, deadline, signature)

    add = relayed(root_key.sign_add_signer, reg.functions.addSignerBySig, keys[2].address)
    gas["addSignerBySig (relayed)"] = send(None, add, anchorer)
    gas["removeSigner"] = send(None, reg.functions.removeSigner(keys[1].address), root)
    remove = relayed(root_key.sign_remove_signer, reg.functions.removeSignerBySig, keys[2].address)
    gas["removeSignerBySig (relayed)"] = send(None, remove, anchorer)

    def revoke_by_sig(n: int) -> tuple[Any, str]:
        leaves = [Leaf(h) for h in fresh_hashes(n)]
        nonce = reg.functions.nonces(root).call()
        signature = keys[0].sign_revocation(domain, root, leaves, 2, nonce, deadline)
        raw = [leaf.raw for leaf in leaves]
        return reg.functions.revokeBySig(root, raw, 2, nonce, deadline, signature), anchorer

    for n in (1, 10, 100):
        gas |= median_of(f"revokeBySig x{n} (relayed)", lambda n=n: revoke_by_sig(n), per=n)
    digest, meta, leaves_root = fresh_hashes(3)
    signature = keys[0].sign_submission(domain, root, SubmissionRoot(leaves_root))
    call = reg.functions.checkSigned(
        digest, root, meta, fresh_hashes(20), leaves_root, fresh_hashes(14), signature
    )
    gas["checkSigned (eth_estimateGas, 20 + 14-step paths)"] = int(call.estimate_gas())
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
    parser.add_argument(
        "--repeat", type=int, default=REPEAT, help=f"runs of each varying call (default {REPEAT})"
    )
    args = parser.parse_args()
    if args.artifact:
        paths = {str(args.artifact): args.artifact}
    else:
        targets = artifact_targets() if args.evm == "all" else [args.evm or default_evm()]
        paths = {
            evm: REPO_ROOT / ARTIFACTS_DIR / artifact_name(REGISTRY_CONTRACT, evm)
            for evm in targets
        }
    results = {
        label: measure(json.loads(path.read_text("utf-8")), args.repeat)
        for label, path in paths.items()
    }
    if args.json:
        print(json.dumps(results if len(results) > 1 else next(iter(results.values())), indent=2))
        return 0
    for label, gas in results.items():
        if len(results) > 1:
            print(f"== {label}")
        for name, used in gas.items():
            print(f"{name:52} {used:>10,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
