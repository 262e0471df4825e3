"""`notary verify`: an auditor checks a receipt from the API against Anvil, without the service."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from notary.cli import main
from tests.api.conftest import ApiEnv, Issuer

pytestmark = pytest.mark.anvil


def _notarised_file(api: ApiEnv, issuer: Issuer, tmp_path: Path) -> tuple[Path, str]:
    document = tmp_path / "permit.pdf"
    document.write_bytes(os.urandom(4096))
    with document.open("rb") as f:
        r = api.client.post(
            "/v1/documents",
            files={"file": ("permit.pdf", f, "application/pdf")},
            data={"metadata": json.dumps({"number": "QĐ-2026/17"})},
            headers=issuer.headers,
        )
    assert r.status_code == 202, r.text
    return document, r.json()["leaf"]


def _save_receipt(api: ApiEnv, issuer: Issuer, leaf: str, path: Path) -> Path:
    r = api.client.get(f"/v1/documents/{leaf}/receipt", headers=issuer.headers)
    assert r.status_code == 200
    path.write_bytes(r.content)
    return path


def _anchored_receipt(api: ApiEnv, issuer: Issuer, tmp_path: Path) -> tuple[Path, str]:
    """A notarised file's anchored receipt, saved; and the document's leaf."""
    _, leaf = _notarised_file(api, issuer, tmp_path)
    api.drain()
    return _save_receipt(api, issuer, leaf, tmp_path / "receipt.json"), leaf


def _service_key(api: ApiEnv, tmp_path: Path) -> Path:
    pem = api.client.get("/v1/service").json()["keys"][0]["publicKeyPem"]
    path = tmp_path / "service.pem"
    path.write_text(pem)
    return path


def _verify(*args: str | Path) -> int:
    return main(["verify", *map(str, args)])


def test_valid_receipt_and_document(
    api: ApiEnv, issuer: Issuer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document, leaf = _notarised_file(api, issuer, tmp_path)
    pending = _save_receipt(api, issuer, leaf, tmp_path / "pending.json")
    assert _verify(pending, "--file", document) == 3
    assert capsys.readouterr().out.splitlines()[-1].startswith("PENDING: not anchored yet")
    api.drain()
    receipt = _save_receipt(api, issuer, leaf, tmp_path / "receipt.json")
    key = _service_key(api, tmp_path)
    rpc = api.settings.rpc_url
    assert _verify(receipt, "--file", document, "--rpc-url", rpc, "--service-key", key) == 0
    out = capsys.readouterr().out
    assert "VALID: anchored at" in out and "ok   signature signed by key" in out
    assert _verify(receipt, "--rpc-url", rpc, "--json") == 0
    outcome = json.loads(capsys.readouterr().out)
    assert outcome["verdict"] == "VALID" and outcome["anchoredAt"] > 0


def test_other_document_is_invalid_at_the_digest_step(
    api: ApiEnv, issuer: Issuer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    receipt, _ = _anchored_receipt(api, issuer, tmp_path)
    other = tmp_path / "forged.pdf"
    other.write_bytes(b"forged")
    assert _verify(receipt, "--file", other, "--rpc-url", api.settings.rpc_url, "--json") == 1
    outcome = json.loads(capsys.readouterr().out)
    assert outcome["verdict"] == "INVALID" and outcome["failedStep"] == "digest"


def test_revoked_document(
    api: ApiEnv, issuer: Issuer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, leaf = _anchored_receipt(api, issuer, tmp_path)
    revoke = api.client.post(
        f"/v1/documents/{leaf}/revoke", json={"reason": 2}, headers=issuer.headers
    )
    assert revoke.status_code == 202
    api.drain()
    receipt = _save_receipt(api, issuer, leaf, tmp_path / "receipt.json")
    assert _verify(receipt, "--rpc-url", api.settings.rpc_url) == 1
    assert capsys.readouterr().out.splitlines()[-1].startswith("REVOKED: revoked at 20")


def test_unreachable_chain_is_unverifiable_not_invalid(
    api: ApiEnv, issuer: Issuer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    receipt, _ = _anchored_receipt(api, issuer, tmp_path)
    assert _verify(receipt, "--rpc-url", "http://127.0.0.1:9") == 3
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith("UNVERIFIABLE:") and "http://127.0.0.1:9" in last


@pytest.mark.parametrize(
    ("content", "field"),
    [(b'{"format": "notary-receipt-v1"', "$"), (b'{"format": "other"}', "format")],
)
def test_malformed_receipt_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, field: str
) -> None:
    path = tmp_path / "receipt.json"
    path.write_bytes(content)
    assert _verify(path) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"notary: {field}") and err.count("\n") == 1


def test_missing_files_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _verify(tmp_path / "absent.json") == 2
    assert "absent.json" in capsys.readouterr().err


def test_the_cli_and_the_api_say_it_in_one_form(
    api: ApiEnv, issuer: Issuer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`notary verify --json` and POST /v1/verify give the engine's one outcome form, the
    chain's facts included, so that either can be held against the other."""
    receipt, _ = _anchored_receipt(api, issuer, tmp_path)
    key = _service_key(api, tmp_path)
    rpc = api.settings.rpc_url
    assert _verify(receipt, "--rpc-url", rpc, "--service-key", key, "--json") == 0
    cli = json.loads(capsys.readouterr().out)
    answer = api.client.post("/v1/verify", json={"receipt": json.loads(receipt.read_text())})
    assert answer.status_code == 200, answer.text
    web = answer.json()
    shared = set(web) - {"checkedAt", "proof", "metadata", "receipt"}
    assert shared <= set(cli) and {"chain", "steps", "verdict", "issuerName"} <= shared
    for name in shared - {"chain", "chainBlock", "confirmations", "notes"}:
        assert cli[name] == web[name], name
    assert {k: v for k, v in cli["chain"].items() if v is not None and k != "currentBlock"} == {
        k: v for k, v in web["chain"].items() if k != "currentBlock"
    }
