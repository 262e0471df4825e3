"""`notary issuer keygen` and `notary issuer signer add|remove|list` on the API tier's Anvil:
encrypted keystores written 0600, keys authorised and removed by the root keystore's
signature, relayed by the service (the agency pays no gas) or sent with --payer, the
registry's list read back with the changes still pending."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from eth_account import Account

from notary.cli.keystore import create_keystore, read_keystore
from notary.core.types import to_checksum_address
from tests.api.conftest import ApiEnv, Issuer, funded
from tests.cli.conftest import Run, draining

pytestmark = pytest.mark.anvil

PASSWORD = "correct horse battery staple"
FAST_SCRYPT = 2**10
"""Test keystores: scrypt's n lowered from eth-account's 2**18 (256 MiB) to keep tests quick."""


def _keystore(path: Path, secret: bytes) -> Path:
    """A keystore of a known key (the tier's issuer accounts), quick to open."""
    document = Account.encrypt(secret, PASSWORD, kdf="scrypt", iterations=FAST_SCRYPT)
    path.write_text(json.dumps(document))
    return path


@pytest.fixture
def agency(api: ApiEnv, issuer: Issuer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The issuer registered on chain, its root keystore, and a funded payer's keystore."""
    api.drain()
    monkeypatch.setenv("NOTARY_CONTRACT_ADDRESS", api.registry.address)
    monkeypatch.setenv("NOTARY_ROOT_PASSWORD", PASSWORD)
    monkeypatch.setenv("NOTARY_PAYER_PASSWORD", PASSWORD)
    monkeypatch.setenv("NOTARY_SIGNER_PASSWORD", PASSWORD)
    _keystore(tmp_path / "payer.json", funded(api.registry.w3).key)
    return _keystore(tmp_path / "root.json", issuer.account.key)


def test_keygen_writes_an_encrypted_keystore_readable_by_its_owner_only(
    cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NOTARY_SIGNER_PASSWORD", PASSWORD)
    path = tmp_path / "office-hanoi.json"
    issuer = "0x" + "5a" * 20
    assert cli("issuer", "keygen", path, "--issuer", issuer) == 0
    out = capsys.readouterr().out
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    document = json.loads(path.read_text())
    assert document["crypto"]["kdf"] == "scrypt" and PASSWORD not in path.read_text()
    keystore = read_keystore(path)
    assert keystore.address in out and keystore.issuer == to_checksum_address(issuer)
    assert keystore.unlock("NOTARY_SIGNER_PASSWORD").address == keystore.address
    assert cli("issuer", "keygen", path) == 2  # never over a file
    assert "never overwritten" in capsys.readouterr().err


def test_keygen_needs_a_password(
    cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("NOTARY_SIGNER_PASSWORD", raising=False)
    assert cli("issuer", "keygen", tmp_path / "k.json") == 2  # no terminal to ask at
    assert "NOTARY_SIGNER_PASSWORD" in capsys.readouterr().err
    assert not (tmp_path / "k.json").exists()


def test_signer_add_list_and_remove_through_the_root_keystore(
    cli: Run,
    api: ApiEnv,
    issuer: Issuer,
    agency: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    office = create_keystore(tmp_path / "office.json", PASSWORD, issuer.address, FAST_SCRYPT)
    payer = ["--payer", tmp_path / "payer.json"]
    assert cli("issuer", "signer", "add", office.path, "--root", agency, *payer) == 0
    assert f"authorised {office.address}" in capsys.readouterr().out
    (record,) = api.registry.signers_of(issuer.address)
    assert record.key == office.address and record.active
    assert cli("issuer", "signer", "list", issuer.address) == 0
    listed = capsys.readouterr().out
    assert office.address in listed and "active" in listed
    assert cli("issuer", "signer", "add", office.address, "--root", agency, *payer) == 2
    assert "added once" in capsys.readouterr().err
    assert cli("issuer", "signer", "remove", office.address, "--root", agency, *payer) == 0
    assert "no longer count" in capsys.readouterr().out
    assert not api.registry.signers_of(issuer.address)[0].active
    assert cli("issuer", "signer", "list", issuer.address) == 0
    assert "removed" in capsys.readouterr().out


def test_signer_add_refuses_a_root_keystore_that_is_no_issuer(
    cli: Run, agency: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stranger = _keystore(tmp_path / "stranger.json", os.urandom(32))
    key = "0x" + "77" * 20
    payer = ["--payer", tmp_path / "payer.json"]
    assert cli("issuer", "signer", "add", key, "--root", stranger, *payer) == 2
    assert "not an issuer of the registry" in capsys.readouterr().err


def test_a_wrong_root_password_is_one_line(
    cli: Run,
    issuer: Issuer,
    agency: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("NOTARY_ROOT_PASSWORD", "not it")
    key = "0x" + "78" * 20
    assert cli("issuer", "signer", "add", key, "--root", agency, key=issuer.key) == 2
    err = capsys.readouterr().err
    assert "wrong password" in err and "Traceback" not in err


def test_the_service_relays_a_change_the_root_keystore_signs(
    cli: Run,
    api: ApiEnv,
    issuer: Issuer,
    agency: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Without --payer the agency pays nothing: the service relays, `list` shows it pending."""
    office = create_keystore(tmp_path / "office.json", PASSWORD, issuer.address, FAST_SCRYPT)
    assert cli("issuer", "signer", "add", office.path, "--root", agency, key=issuer.key) == 0
    out = capsys.readouterr().out
    assert f"queued authorising {office.address}" in out and "pays the gas" in out
    assert cli("issuer", "signer", "list", issuer.address) == 0
    listed = capsys.readouterr().out
    assert "changes the service relays" in listed and "queued" in listed
    assert office.address in listed and "no signing key" in listed
    api.drain()
    assert cli("issuer", "signer", "list", issuer.address) == 0
    listed = capsys.readouterr().out
    assert "active" in listed and "changes the service relays" not in listed
    with draining(api):
        removed = cli("issuer", "signer", "remove", office.address, "--root", agency, "--wait")
    assert removed == 0
    assert f"removed {office.address} for {issuer.address} in block" in capsys.readouterr().out
    assert not api.registry.signers_of(issuer.address)[0].active
    assert api.registry.w3.eth.get_balance(issuer.address) == 0


def test_a_relayed_change_is_signed_only_as_asked(
    cli: Run,
    api: ApiEnv,
    issuer: Issuer,
    agency: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The root keystore signs nothing for another registry than the one the agency names."""
    elsewhere = "0x" + "42" * 20
    key = "0x" + "79" * 20
    args = ("issuer", "signer", "add", key, "--root", agency, "--registry", elsewhere)
    assert cli(*args, key=issuer.key) == 4
    assert "nothing was signed" in capsys.readouterr().err
    assert api.client.get(f"/v1/issuers/{issuer.address}/signers").json()["pending"] == []
    monkeypatch.delenv("NOTARY_API_KEY")
    assert cli("issuer", "signer", "add", key, "--root", agency) == 2
    assert "NOTARY_API_KEY" in capsys.readouterr().err
