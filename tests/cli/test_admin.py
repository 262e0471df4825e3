"""`notary issuer`, `key`, `revoke` and `config show` through the admin API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth_account import Account

from tests.api.conftest import ApiEnv, Issuer
from tests.cli.conftest import Run, make_tree

pytestmark = pytest.mark.anvil


def test_issuer_add_list_deactivate(cli: Run, capsys: pytest.CaptureFixture[str]) -> None:
    address = Account.create().address
    name = "Sở Tài nguyên và Môi trường tỉnh Lâm Đồng"
    assert cli("issuer", "add", address, "--name", name, "--jurisdiction", "VN-35") == 0
    assert f"registered {name} ({address})" in capsys.readouterr().out
    assert cli("issuer", "list") == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if address in line)
    assert "active" in row and "VN-35" in row and name in row
    assert cli("issuer", "deactivate", address) == 0
    assert cli("issuer", "list") == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if address in line)
    assert "deactivated" in row
    assert cli("issuer", "add", address, "--name", name) == 4  # 409: registered before
    assert "409" in capsys.readouterr().err


def test_key_create_to_file_list_and_revoke(
    cli: Run, api: ApiEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    issuer = api.new_issuer()
    key_file = tmp_path / "issuer.key"
    assert cli("key", "create", issuer.address, "--out", key_file) == 0
    secret = key_file.read_text().strip()
    assert (key_file.stat().st_mode & 0o777) == 0o600
    assert secret not in capsys.readouterr().out  # the secret went to the file only
    (doc,) = make_tree(tmp_path / "docs", 1)
    assert cli("stamp", doc, "--api-key-file", key_file) == 0
    assert cli("key", "list", issuer.address) == 0
    listed = capsys.readouterr().out.splitlines()
    key_id = listed[-1].split()[0]
    assert cli("key", "revoke", issuer.address, key_id) == 0
    assert f"key {key_id}" in capsys.readouterr().out
    (other,) = make_tree(tmp_path / "more", 1)
    assert cli("stamp", other, "--api-key-file", key_file) == 4
    assert "refused the API key" in capsys.readouterr().err


def test_admin_commands_refuse_an_issuer_key(
    cli: Run, issuer: Issuer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key_file = tmp_path / "issuer.key"
    key_file.write_text(issuer.key)
    assert cli("key", "list", issuer.address, "--api-key-file", key_file) == 4
    assert "give the admin key" in capsys.readouterr().err


@pytest.mark.parametrize("reason", ["superseded", "2"])
def test_revoke_by_reason_name_or_code(
    cli: Run, api: ApiEnv, issuer: Issuer, reason: str, capsys: pytest.CaptureFixture[str]
) -> None:
    leaf = api.notarise(issuer)["leaf"]
    assert cli("revoke", leaf, "--reason", reason, "--note", "replaced", key=issuer.key) == 0
    assert f"revocation of {leaf} (superseded): requested" in capsys.readouterr().out
    assert cli("revoke", leaf, "--reason", reason, key=issuer.key) == 0
    assert "(requested before)" in capsys.readouterr().out
    api.drain()
    status = api.client.get(f"/v1/documents/{leaf}", headers=issuer.headers).json()
    assert status["revocation"]["state"] == "revoked"
    assert status["revocation"]["reasonName"] == "superseded"


def test_revoke_someone_elses_document_is_not_found(
    cli: Run, api: ApiEnv, issuer: Issuer, capsys: pytest.CaptureFixture[str]
) -> None:
    leaf = api.notarise(api.new_issuer())["leaf"]
    assert cli("revoke", leaf, "--reason", "fraud", key=issuer.key) == 4
    assert "404" in capsys.readouterr().err


def test_config_show_names_sources_and_redacts_secrets(
    cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("NOTARY_BATCH_MAX=500\n")
    monkeypatch.setenv("NOTARY_DATABASE_URL", "postgresql+psycopg://notary:hunter22@db/notary")
    monkeypatch.setenv("NOTARY_API_KEY", "issuer-secret-value")
    assert cli("config", "show") == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert "hunter22" not in out and "issuer-secret-value" not in out
    assert "test-admin-key" not in out  # NOTARY_ADMIN_KEY, set by the fixture
    assert (
        rows["NOTARY_ADMIN_KEY"].endswith("environment") and "redacted" in rows["NOTARY_ADMIN_KEY"]
    )
    assert "500" in rows["NOTARY_BATCH_MAX"] and rows["NOTARY_BATCH_MAX"].endswith(".env")
    assert rows["NOTARY_BATCH_INTERVAL"].endswith("default")
    assert "postgresql+psycopg://notary:***@db/notary" in rows["NOTARY_DATABASE_URL"]
    assert "NOTARY_PUBLIC_RPC_URL" in rows


def test_api_accepts_reason_names_and_refuses_empty_uploads(api: ApiEnv, issuer: Issuer) -> None:
    leaf = api.notarise(issuer)["leaf"]
    bad = api.client.post(
        f"/v1/documents/{leaf}/revoke", json={"reason": "lost"}, headers=issuer.headers
    )
    assert bad.status_code == 422 and "superseded" in bad.text
    out_of_range = api.client.post(
        f"/v1/documents/{leaf}/revoke", json={"reason": 256}, headers=issuer.headers
    )
    assert out_of_range.status_code == 422
    ok = api.client.post(
        f"/v1/documents/{leaf}/revoke", json={"reason": "withdrawn"}, headers=issuer.headers
    )
    assert ok.status_code == 202 and ok.json()["reason"] == 3
    assert ok.json()["reasonName"] == "withdrawn"
    empty = api.client.post(
        "/v1/documents",
        files={"file": ("empty.pdf", b"", "application/pdf")},
        headers=issuer.headers,
    )
    assert empty.status_code == 422
    problem = json.loads(empty.text)
    assert problem["field"] == "file" and "empty" in problem["detail"]
