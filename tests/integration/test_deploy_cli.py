"""`notary deploy`, `notary chain grant` and `notary chain status` against each kind of
node, from a fresh data dir, then the service's whole path on what was deployed:
register an issuer, notarise, anchor, verify the receipt with no help from the store,
revoke. Errors are one line with the CLI's exit codes."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from notary.chain.artifact import default_evm
from notary.chain.connection import connect
from notary.chain.registry import Registry
from notary.cli import main
from notary.cli.deploy import PASSWORD_ENV
from notary.core.receipts import Receipt
from notary.core.signing import ServiceKey
from notary.core.types import Digest
from notary.ops.devnodes import DevNode, start_node
from notary.pipeline.accept import DocumentInput, accept_many
from notary.pipeline.issuers import register_issuer
from notary.pipeline.receipts import ReceiptContext, receipt_for
from notary.pipeline.revocations import request_revocation
from notary.settings.config import Settings
from notary.settings.keys import read_key_file, write_keystore
from notary.store.engine import open_store
from notary.store.migrate import upgrade
from notary.verify import Verdict
from notary.verify.onchain import verify_on_chain
from notary.worker.daemon import build_worker

from .worker_env import drain

pytestmark = [pytest.mark.anvil, pytest.mark.slow]
PASSWORD = "correct horse battery staple"
ISSUER_NAME = "Sở Tài nguyên và Môi trường tỉnh Lâm Đồng"
# (node, hardfork it runs) → the build `notary deploy` must choose there.
NODES = {
    ("anvil", None): default_evm(),
    ("hardhat", None): default_evm(),
    ("ganache", None): "shanghai",
    ("ganache", "london"): "paris",  # before PUSH0
}


@pytest.fixture
def operator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh data dir, and the keystore password where `notary` reads it."""
    monkeypatch.setenv("NOTARY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    for name in ("NOTARY_RPC_URL", "NOTARY_RPC_URLS", "NOTARY_CONTRACT_ADDRESS"):
        monkeypatch.delenv(name, raising=False)
    for name in ("NOTARY_ANCHOR_KEY", "NOTARY_ANCHOR_KEYSTORE"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def admin_keystore(node: DevNode, folder: Path, wei: int = 10**19) -> tuple[Path, LocalAccount]:
    account: LocalAccount = Account.create()
    if wei:
        node.fund([account.address], wei)
    path = folder / f"admin-{account.address[2:8]}.json"
    write_keystore(path, account, PASSWORD)
    return path, account


@pytest.fixture(params=sorted(NODES, key=str), ids=lambda p: "-".join(filter(None, p)))
def any_node(request: pytest.FixtureRequest) -> Iterator[tuple[DevNode, str]]:
    kind, hardfork = request.param
    node = start_node(kind, hardfork=hardfork)
    try:
        yield node, NODES[request.param]
    finally:
        node.stop()


@pytest.fixture(scope="module")
def ganache() -> Iterator[DevNode]:
    node = start_node("ganache")
    try:
        yield node
    finally:
        node.stop()


def test_deploy_from_a_fresh_data_dir_then_the_whole_path(
    any_node: tuple[DevNode, str], operator: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    node, build = any_node
    keystore, admin = admin_keystore(node, operator)
    assert main(["deploy", "--rpc", node.url, "--admin-keystore", str(keystore)]) == 0
    out = capsys.readouterr().out
    record = json.loads((operator / "data" / "deployment.json").read_text())
    assert record["evm"] == build and record["admin"] == admin.address
    hot = read_key_file(operator / "data" / "keys" / "anchor.key")
    assert record["service"] == hot.address
    assert "back up" in out and str(keystore) in out and "anchor.key" in out
    assert PASSWORD not in out and admin.key.hex()[2:] not in out and hot.key.hex()[2:] not in out

    node.fund([hot.address], 10**19)
    assert main(["chain", "status", "--rpc", node.url, "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert (
        status["registry"]["address"] == record["address"] and build in status["registry"]["builds"]
    )
    assert status["service"]["roles"] == ["anchorer", "registrar"]
    assert status["service"]["anchorsPaidFor"] > 1_000

    assert main(["deploy", "--rpc", node.url, "--admin-keystore", str(keystore)]) == 0
    again = capsys.readouterr().out
    assert f"registry   {record['address']}" in again and "deploying" not in again

    _the_service_path(node, operator / "data")


def _the_service_path(node: DevNode, data_dir: Path) -> None:
    """What `notary serve` + `notary worker` do with the data dir `notary deploy` wrote."""
    settings = Settings(_env_file=None, data_dir=data_dir, rpc_url=node.url, batch_interval=0.001)
    upgrade(settings.resolved_database_url)
    store = open_store(settings.resolved_database_url)
    try:
        issuer = Account.create()
        register_issuer(store, issuer.address, ISSUER_NAME, None, "admin")  # through the service
        worker = build_worker(settings, store)
        drain(worker)
        leaves = [
            r.record.leaf
            for r in accept_many(store, issuer.address, [DocumentInput(Digest(os.urandom(32)))])
        ]
        drain(worker)
        registry = Registry(
            connect(node.url), json.loads(settings.deployment_file.read_text())["address"]
        )
        assert registry.issuer_of(issuer.address).name == ISSUER_NAME
        chain_id = int(registry.w3.eth.chain_id)
        ctx = ReceiptContext(
            "notary-test", ServiceKey.generate(), registry.address, lambda: chain_id,
            dt.timedelta(minutes=5),
        )  # fmt: skip

        def verdict() -> Verdict:
            receipt = Receipt.from_json(receipt_for(store, leaves[0], ctx).to_json())
            return verify_on_chain(receipt, registry, required_confirmations=0).judgement.verdict

        assert verdict() == Verdict.VALID
        request_revocation(store, issuer.address, leaves[0], 3, "withdrawn", "issuer")
        drain(worker)
        assert verdict() == Verdict.REVOKED
    finally:
        store.dispose()


def test_grant_gives_roles_once(
    ganache: DevNode,
    operator: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    keystore, _ = admin_keystore(ganache, operator)
    service = Account.create().address
    deploy = ["deploy", "--rpc", ganache.url, "--admin-keystore", str(keystore)]
    assert main([*deploy, "--service", service]) == 0
    other = Account.create().address
    grant = ["chain", "grant", other, "--rpc", ganache.url, "--admin-keystore", str(keystore)]
    assert main([*grant, "--role", "registrar"]) == 0
    asked: list[str] = []
    monkeypatch.delenv(PASSWORD_ENV)  # at a terminal, the password is asked for instead
    monkeypatch.setattr(
        "notary.cli.deploy.prompt_if_terminal", lambda: lambda q: asked.append(q) or PASSWORD
    )
    assert main([*grant, "--role", "registrar", "--role", "anchorer"]) == 0
    assert asked == [f"password of the admin keystore {keystore}: "]
    out = capsys.readouterr().out.splitlines()
    assert out[-2].endswith("granted registrar")
    assert out[-1].endswith("granted anchorer; already held registrar")
    assert main(["chain", "status", "--rpc", ganache.url, "--service", other, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["service"]["roles"] == ["anchorer", "registrar"]


def test_refusals_are_one_line_with_exit_codes(
    ganache: DevNode,
    operator: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    keystore, _ = admin_keystore(ganache, operator)
    poor, _ = admin_keystore(ganache, operator, wei=0)
    deploy = ["deploy", "--rpc", ganache.url, "--admin-keystore"]
    not_json = operator / "notes.txt"
    not_json.write_text("hello")
    cases = [
        ([*deploy, str(keystore), "--evm", "osaka"], 4, "cannot run the osaka build"),
        ([*deploy, str(poor)], 4, "fund it first"),
        ([*deploy, str(not_json)], 2, "not a keystore file"),
        ([*deploy, str(operator / "missing.json")], 2, "cannot read the admin keystore"),
        (
            ["deploy", "--rpc", "http://127.0.0.1:9", "--admin-keystore", str(keystore)],
            4,
            "127.0.0.1:9",
        ),
        (
            ["chain", "grant", "0x123", "--admin-keystore", str(keystore)],
            2,
            "not an Ethereum address",
        ),
    ]
    for argv, code, words in cases:
        assert main(argv) == code, argv
        err = capsys.readouterr().err
        last = err.strip().splitlines()[-1]  # argparse prints its usage lines before
        assert words in last and "Traceback" not in err, (argv, err)
    monkeypatch.setenv(PASSWORD_ENV, "wrong")
    assert main([*deploy, str(keystore)]) == 2
    assert "wrong password" in capsys.readouterr().err
    monkeypatch.delenv(PASSWORD_ENV)
    assert main([*deploy, str(keystore)]) == 2  # no terminal to ask at
    assert PASSWORD_ENV in capsys.readouterr().err
    assert not (operator / "data" / "deployment.json").exists()


def test_a_data_dir_of_another_chain_is_refused(
    ganache: DevNode, operator: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keystore, _ = admin_keystore(ganache, operator)
    record = {
        "chainId": 5,
        "address": "0x" + "11" * 20,
        "blockNumber": 1,
        "txHash": "0x" + "22" * 32,
    }
    (operator / "data").mkdir()
    (operator / "data" / "deployment.json").write_text(json.dumps(record))
    assert main(["deploy", "--rpc", ganache.url, "--admin-keystore", str(keystore)]) == 4
    assert "records a registry on chain 5" in capsys.readouterr().err
