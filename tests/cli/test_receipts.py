"""`notary upgrade`, `info` and `verify` of documents and folders, on one or two nodes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from notary.ops.anvil import AnvilNode, start_anvil
from tests.api.conftest import ApiEnv, Issuer
from tests.cli.conftest import Run, make_tree

pytestmark = pytest.mark.anvil


@pytest.fixture(scope="module")
def empty_anvil() -> Iterator[AnvilNode]:
    """A second chain with the same chain id and no registry."""
    node = start_anvil()
    try:
        yield node
    finally:
        node.stop()


def _stamped(cli: Run, issuer: Issuer, folder: Path, count: int = 3) -> list[Path]:
    files = make_tree(folder, count)
    assert cli("stamp", folder, key=issuer.key) == 0
    return files


def test_upgrade_replaces_pending_receipts_once_anchored(
    cli: Run, api: ApiEnv, issuer: Issuer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = _stamped(cli, issuer, tmp_path / "docs")
    capsys.readouterr()
    assert cli("upgrade", tmp_path / "docs", key=issuer.key) == 3
    assert "0 upgraded to anchored, 3 still pending" in capsys.readouterr().out
    api.drain()
    assert cli("upgrade", tmp_path / "docs", key=issuer.key) == 0
    assert "3 upgraded to anchored" in capsys.readouterr().out
    for path in files:
        receipt = json.loads(path.with_name(path.name + ".receipt.json").read_text())
        assert receipt["status"] == "anchored"
    assert cli("upgrade", tmp_path / "docs") == 0  # nothing pending: no key needed
    assert "3 anchored before" in capsys.readouterr().out


def test_info_summarises_a_receipt(
    cli: Run, api: ApiEnv, issuer: Issuer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (doc,) = make_tree(tmp_path / "docs", 1)
    meta = {"documentType": "land-use-decision", "holder": "Ông Nguyễn Văn An"}
    assert cli("stamp", doc, "--metadata", json.dumps(meta), key=issuer.key) == 0
    api.drain()
    assert cli("upgrade", tmp_path / "docs", key=issuer.key) == 0
    capsys.readouterr()
    assert cli("info", doc) == 0  # the document's receipt is found beside it
    rows = dict(line.split(None, 1) for line in capsys.readouterr().out.splitlines())
    assert rows["status"].strip() == "anchored" and rows["chain"].strip() == "eip155:31337"
    assert issuer.address in rows["issuer"] and rows["documentType"].strip() == "land-use-decision"
    assert "salt" not in rows


def test_folder_verification_with_a_summary(
    cli: Run, api: ApiEnv, issuer: Issuer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = _stamped(cli, issuer, tmp_path / "docs")
    api.drain()
    assert cli("upgrade", tmp_path / "docs", key=issuer.key) == 0
    (tmp_path / "docs" / "unstamped.pdf").write_bytes(b"never notarised")
    capsys.readouterr()
    assert cli("verify", tmp_path / "docs") == 2  # a file without a receipt is bad input
    out = capsys.readouterr().out
    assert out.count(" VALID ") == 3 and "NO RECEIPT" in out and "3 VALID" in out
    files[0].write_bytes(files[0].read_bytes() + b"!")
    assert cli("verify", tmp_path / "docs", "--json") == 1  # INVALID outranks the rest
    documents = json.loads(capsys.readouterr().out)["documents"]
    verdicts = {Path(d["file"]).name: d["verdict"] for d in documents}
    assert verdicts["permit-0.pdf"] == "INVALID" and verdicts["permit-1.pdf"] == "VALID"


def test_document_with_service_keys_and_without(
    cli: Run, api: ApiEnv, issuer: Issuer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (doc,) = _stamped(cli, issuer, tmp_path / "docs", 1)
    api.drain()
    assert cli("upgrade", doc.with_name(doc.name + ".receipt.json"), key=issuer.key) == 0
    capsys.readouterr()
    assert cli("verify", doc) == 0
    out = capsys.readouterr().out
    assert "signature was NOT checked" in out
    assert f"is eip155:31337, registry {api.registry.address}" in out
    assert cli("verify", doc, "--service", "http://testserver", "--json") == 0
    outcome = json.loads(capsys.readouterr().out)
    assert outcome["signatureChecked"] is True and outcome["nodes"][0]["chain"] == "eip155:31337"
    signature = next(s for s in outcome["steps"] if s["name"] == "signature")
    assert signature["ok"] and not signature["skipped"]


def test_two_nodes_that_disagree_are_unverifiable(
    cli: Run,
    api: ApiEnv,
    issuer: Issuer,
    tmp_path: Path,
    empty_anvil: AnvilNode,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (doc,) = _stamped(cli, issuer, tmp_path / "docs", 1)
    api.drain()
    assert cli("upgrade", tmp_path / "docs", key=issuer.key) == 0
    capsys.readouterr()
    rpc = api.settings.rpc_url
    assert cli("verify", doc, "--rpc-url", rpc, "--rpc-url", rpc) == 0  # agreeing nodes
    capsys.readouterr()
    assert cli("verify", doc, "--rpc-url", rpc, "--rpc-url", empty_anvil.url) == 3
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith("UNVERIFIABLE: the nodes disagree")
    assert f"{rpc} says VALID" in last and "no NotaryRegistry answered" in last


def test_a_receipt_for_another_chain_is_refused(
    cli: Run, api: ApiEnv, issuer: Issuer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = start_anvil(chain_id=4242)
    try:
        (doc,) = _stamped(cli, issuer, tmp_path / "docs", 1)
        api.drain()
        assert cli("upgrade", tmp_path / "docs", key=issuer.key) == 0
        capsys.readouterr()
        assert cli("verify", doc, "--rpc-url", other.url) == 3
        out = capsys.readouterr().out
        assert f"chain     {other.url} is eip155:4242" in out
        last = out.splitlines()[-1]
        assert last == "UNVERIFIABLE: asked chain 4242 but the receipt is anchored on eip155:31337"
    finally:
        other.stop()
