"""End to end: notarise over HTTP, anchor on Anvil, check receipts with the core library,
the contract, and OpenZeppelin's own `StandardMerkleTree.verify` in node."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from notary.core.receipts import Receipt
from notary.core.signing import public_key_from_hex
from notary.verify import judge, verify_receipt
from notary.verify.onchain import ask_chain
from tests.api.conftest import ApiEnv, Issuer

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("oz_verify.js")


@pytest.mark.anvil
@pytest.mark.node
def test_http_to_chain_to_independent_verifiers(api: ApiEnv, issuer: Issuer) -> None:
    docs = [
        {"digest": os.urandom(32).hex(), "metadata": {"documentNumber": f"E-{i}"}}
        for i in range(25)
    ]
    r = api.client.post("/v1/documents:bulk", json={"documents": docs}, headers=issuer.headers)
    assert r.status_code == 202
    single = api.notarise(issuer, {"holder": "Hợp tác xã Tân Phú"})
    leaves = [d["leaf"] for d in r.json()["documents"]] + [single["leaf"]]
    api.drain()
    receipts: list[dict[str, Any]] = [
        api.client.get(f"/v1/documents/{leaf}/receipt", headers=issuer.headers).json()
        for leaf in leaves
    ]
    keys = {
        k["keyId"]: public_key_from_hex(k["publicKey"])
        for k in api.client.get("/v1/service").json()["keys"]
    }
    for data in receipts:
        receipt = Receipt.from_dict(data)
        assert receipt.status == "anchored" and receipt.proof
        inclusion = verify_receipt(receipt, public_keys=keys)
        facts = ask_chain(api.registry, receipt)
        verdict = judge(inclusion, facts, required_confirmations=api.settings.confirmations)
        assert verdict.verdict == "VALID", verdict
    node = shutil.which("node")
    assert node, "node is needed for the OpenZeppelin cross-check"
    result = subprocess.run(
        [node, str(SCRIPT)],
        input=json.dumps(receipts),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=True,
    )
    assert json.loads(result.stdout) == [True] * len(receipts)
