"""The service through a node that fails in every way hosted and misbehaving nodes do
(`faultproxy` between it and a real Anvil): HTTP 429 and JSON-RPC rate limits, a quota, a
hang, a connection dropped mid-answer, an error shape nobody planned for ("invalid
opcode"), a wrong chain id, broken batch answers, a node lagging blocks behind. Faults come
and go while documents are submitted; during each, verifications are UNVERIFIABLE naming
what the node said, and the worker process meets it too. Then: the worker never exited,
nothing is lost (every document anchored, VALID), nothing was sent twice (the hot
wallet's nonce is the number of operations done)."""

from __future__ import annotations

import itertools
import json
import os
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from web3 import Web3

from notary.cli import main
from notary.core.types import Leaf
from notary.pipeline.proofs import proof_for
from notary.store.errors import DocumentPending
from notary.store.models import ChainOp

from .fault_fixtures import CONFIRMATIONS, FaultyService, faulty_service, wait_until
from .faultproxy import Drop, Fault, Hang, Lag, MangledBatch, RpcError, Status, WrongChain

pytestmark = [pytest.mark.anvil]
BASELINE = 40
"""Documents anchored before the faults: one is verified during each fault, and the
batch faults verify six others each (a cached answer would not reach the node)."""


@dataclass(frozen=True)
class Case:
    """A fault, what a verification during it must say, and what the worker must log
    (None: it waits for a lagging node without an error)."""

    name: str
    make: Callable[[FaultyService], Fault]
    verdict_says: str
    worker_says: str | None


ONE_AT_A_TIME = [
    Case(
        "HTTP 429",
        lambda s: Status(429, b"Too Many Requests"),
        "rate limited (HTTP 429 Too Many Requests)",
        "rate limited (HTTP 429 Too Many Requests)",
    ),
    Case(
        "-32005",
        lambda s: RpcError(-32005, "limit exceeded"),
        "rate limited (-32005 limit exceeded)",
        "rate limited (-32005 limit exceeded)",
    ),
    Case(
        "-32029",
        lambda s: RpcError(-32029, "request rate exceeded"),
        "rate limited (-32029 request rate exceeded)",
        "rate limited (-32029 request rate exceeded)",
    ),
    Case(
        "quota",
        lambda s: RpcError(-32000, "daily request quota exceeded"),
        "rate limited (-32000 daily request quota exceeded)",
        "rate limited (-32000 daily request quota exceeded)",
    ),
    Case("hang", lambda s: Hang(), "did not answer: no answer", "did not answer: timed out"),
    Case(
        "dropped mid-answer",
        lambda s: Drop(),
        "did not answer: RemoteProtocolError",
        "did not answer: the connection closed in the middle of the answer",
    ),
    Case(
        "invalid opcode",
        lambda s: RpcError(-32000, "invalid opcode"),
        "invalid opcode (-32000)",
        "invalid opcode (-32000)",
    ),
    Case("lagging", lambda s: Lag(blocks=_behind_baseline(s)), "before block", None),
]
BATCH_FAULTS = ("reordered", "short", "no-ids", "empty", "object")


def test_the_worker_and_the_api_ride_out_every_fault_of_the_node(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NOTARY_RPC_TIMEOUT", "1")  # for `notary verify`, in process
    monkeypatch.chdir(tmp_path)  # no .env of the repository
    with faulty_service(tmp_path) as svc:
        issuer = _issuer(svc)
        baseline = [_notarise(svc, issuer) for _ in range(BASELINE)]
        wait_until(lambda: _all_anchored(svc, baseline), "the first documents anchored")
        assert _verify(svc, baseline[0])["verdict"] == "VALID"  # the API now knows the chain
        leaves = list(baseline)
        for case in ONE_AT_A_TIME:
            leaves += _meet(svc, issuer, case, baseline[0])
        leaves += _meet_a_wrong_chain(svc, issuer, baseline[0], capsys)
        spare = iter(baseline[1:])
        for how in BATCH_FAULTS:
            _verify_through_broken_batches(svc, how, [next(spare) for _ in range(6)])

        # The faults are gone: everything ends anchored once, VALID, the worker still up.
        wait_until(lambda: _all_anchored(svc, leaves), "every document anchored", 90)
        wait_until(lambda: _unfinished_ops(svc) == 0, "every chain operation final")
        assert svc.worker.poll() is None, svc.log_text()[-3000:]
        for leaf in leaves:
            answer = _verify(svc, leaf)
            assert answer["verdict"] == "VALID", (leaf, answer)
        assert _held_up(svc) == ""  # nothing holds the worker up any more
        _assert_sent_once(svc)
        _assert_logged_once_per_change(svc.log_text())


def _meet(svc: FaultyService, issuer: dict[str, str], case: Case, anchored: str) -> list[str]:
    """Documents submitted while `case`'s fault is on; a verification during it is
    UNVERIFIABLE in its words, and the worker meets it (and logs it)."""
    with svc.fault(lambda: case.make(svc)):
        submitted = [_notarise(svc, issuer) for _ in range(2)]
        answer = _verify(svc, anchored)
        assert answer["verdict"] == "UNVERIFIABLE", (case.name, answer)
        assert case.verdict_says in answer["detail"], (case.name, answer)
        if case.name == "-32005":  # what holds the worker up is in /readyz, in its words
            wait_until(lambda: case.verdict_says in _held_up(svc), "/readyz naming the limit")
        fault = case.make(svc).name
        wait_until(lambda: svc.worker_proxy.injected[fault] >= 1, f"the worker at '{case.name}'")
        if case.worker_says is not None:
            said = case.worker_says
            wait_until(lambda: said in svc.log_text(), f"the worker to log '{said}'")
    return submitted


def _meet_a_wrong_chain(
    svc: FaultyService, issuer: dict[str, str], anchored: str, capsys: pytest.CaptureFixture[str]
) -> list[str]:
    """The API knows its chain already; `notary verify` asks, and says what it heard; the
    worker asks before it signs, and waits."""
    receipt = svc.settings.data_dir / "anchored.receipt.json"
    receipt.write_text(_receipt(svc, issuer, anchored))
    with svc.fault(lambda: WrongChain(1)):
        submitted = [_notarise(svc, issuer) for _ in range(2)]
        assert _verify(svc, anchored)["verdict"] == "VALID"
        cli = _cli_verify(svc, receipt, capsys)
        assert cli["verdict"] == "UNVERIFIABLE" and "asked chain 1" in cli["detail"], cli
        wait_until(lambda: "is on chain 1, not on chain" in svc.log_text(), "WrongChain")
    with svc.fault(lambda: RpcError(-32000, "invalid opcode")):
        cli = _cli_verify(svc, receipt, capsys)
        assert cli["verdict"] == "UNVERIFIABLE", cli
        assert "answered a call: invalid opcode (-32000)" in cli["detail"], cli
    return submitted


def _verify_through_broken_batches(svc: FaultyService, how: str, leaves: list[str]) -> None:
    """Concurrent verifications share JSON-RPC batches; a broken batch answer makes a
    verification UNVERIFIABLE (never INVALID, never another's answer), a reordered one
    changes nothing."""
    with svc.fault(lambda: MangledBatch(how)), ThreadPoolExecutor(len(leaves)) as pool:
        answers = list(pool.map(lambda leaf: _verify(svc, leaf), leaves))
    assert svc.api_proxy.injected[f"batch-{how}"] >= 1, "no batch was sent"
    verdicts = [a["verdict"] for a in answers]
    assert set(verdicts) <= {"VALID", "UNVERIFIABLE"}, (how, answers)
    for answer in answers:
        if answer["verdict"] == "UNVERIFIABLE":
            assert "gave no usable answer to eth_call" in answer["detail"], answer
    if how == "reordered":
        assert verdicts == ["VALID"] * len(leaves), answers
    else:
        assert "UNVERIFIABLE" in verdicts, (how, answers)


def _behind_baseline(svc: FaultyService) -> int:
    """A lag that puts the node before the block of the first anchor (the baseline's)."""
    with svc.store.read() as conn:
        first = conn.execute(
            select(func.min(ChainOp.block_number)).where(ChainOp.kind == "anchor")
        ).scalar_one()
    return int(svc.w3.eth.block_number) - int(first) + 2


def _issuer(svc: FaultyService) -> dict[str, str]:
    address = Web3.to_checksum_address(os.urandom(20))
    r = svc.client.post(
        "/v1/issuers",
        json={"address": address, "name": "Chi cục Kiểm dịch thực vật vùng II"},
        headers=svc.admin,
    )
    assert r.status_code == 201, r.text
    k = svc.client.post(f"/v1/issuers/{address}/keys", headers=svc.admin)
    assert k.status_code == 201, k.text
    return {"Authorization": f"Bearer {k.json()['key']}"}


def _notarise(svc: FaultyService, issuer: dict[str, str]) -> str:
    r = svc.client.post(
        "/v1/documents", json={"digest": "0x" + os.urandom(32).hex()}, headers=issuer
    )
    assert r.status_code == 202, r.text  # the chain plays no part in accepting
    return str(r.json()["leaf"])


def _verify(svc: FaultyService, leaf: str) -> dict[str, Any]:
    r = svc.client.post("/v1/verify", json={"leaf": leaf})
    assert r.status_code == 200, r.text
    answer: dict[str, Any] = r.json()
    return answer


def _receipt(svc: FaultyService, issuer: dict[str, str], leaf: str) -> str:
    r = svc.client.get(f"/v1/documents/{leaf}/receipt", headers=issuer)
    assert r.status_code == 200, r.text
    return r.text


def _cli_verify(
    svc: FaultyService, receipt: Path, capsys: pytest.CaptureFixture[str]
) -> dict[str, Any]:
    """`notary verify RECEIPT --rpc-url PROXY --json`, in process (3: UNVERIFIABLE)."""
    capsys.readouterr()
    rpc = ["--rpc-url", svc.api_proxy.url, "--confirmations", str(CONFIRMATIONS)]
    code = main(["verify", str(receipt), *rpc, "--json"])
    out = capsys.readouterr()
    assert code == 3, out
    answer: dict[str, Any] = json.loads(out.out)
    return answer


def _held_up(svc: FaultyService) -> str:
    ready = svc.client.get("/readyz").json()
    return str(ready["worker"].get("heldUpBy", {}).get("reason", ""))


def _all_anchored(svc: FaultyService, leaves: list[str]) -> bool:
    for leaf in leaves:
        try:
            if proof_for(svc.store, Leaf(bytes.fromhex(leaf[2:]))).document.status != "anchored":
                return False
        except DocumentPending:
            return False
    return True


def _unfinished_ops(svc: FaultyService) -> int:
    with svc.store.read() as conn:
        unfinished = ChainOp.state.in_(("queued", "signed", "broadcast", "mined"))
        return int(
            conn.execute(select(func.count()).select_from(ChainOp).where(unfinished)).scalar_one()
        )


def _assert_sent_once(svc: FaultyService) -> None:
    """One mined transaction per operation, none failed, no root anchored twice."""
    with svc.store.read() as conn:
        states = dict(
            conn.execute(select(ChainOp.state, func.count()).group_by(ChainOp.state)).all()
        )
        roots = [
            p["root"]
            for (p,) in conn.execute(select(ChainOp.payload).where(ChainOp.kind == "anchor"))
        ]
    assert set(states) == {"final"}, states
    nonce = svc.w3.eth.get_transaction_count(svc.anchorer.address)
    assert nonce == states["final"], f"{nonce} transactions for {states['final']} operations"
    for root in roots:
        logs = svc.w3.eth.get_logs(
            {"address": svc.registry.address, "fromBlock": 0, "topics": [root]}
        )
        assert len(logs) == 1, f"root {root} anchored {len(logs)} times"


def _assert_logged_once_per_change(log: str) -> None:
    """The worker logged each trouble when it began or changed, never a traceback, and
    never took the lagging node's missing blocks for a reorg."""
    assert "Traceback" not in log and "step failed" not in log, log[-3000:]
    assert "reorg" not in log, log[-3000:]
    said = re.findall(r"chain error, backing off \(tries again in [\d.]+ s\): (.*)", log)
    assert said, "the worker never met a fault"
    repeats = [a for a, b in itertools.pairwise(said) if a == b]
    assert not repeats, repeats
