"""`notary stamp --signer KEYSTORE`: an agency that signs stamps a folder; each request is one
submission signed on this machine, and the service stores exactly the leaves signed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth_account import Account
from sqlalchemy import select

from notary.chain import TxSender
from notary.cli.keystore import create_keystore
from notary.core.digests import sha256_file
from notary.core.issuer_signing import IssuerKey, SubmissionRoot, in_submission
from notary.core.receipts import Receipt
from notary.pipeline.submissions import path_in
from notary.store.models import Document, Submission
from tests.agency import Agency
from tests.api.conftest import ApiEnv, Issuer, funded
from tests.cli.conftest import Run, draining, make_tree

pytestmark = pytest.mark.anvil

PASSWORD = "mật khẩu của văn phòng"
FAST_SCRYPT = 2**10


@pytest.fixture
def office(api: ApiEnv, issuer: Issuer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A signing keystore of the issuer's, its key authorised on chain."""
    api.drain()  # the issuer registered on chain
    keystore = create_keystore(tmp_path / "office.json", PASSWORD, issuer.address, FAST_SCRYPT)
    agency = Agency(api.registry, TxSender(api.registry, funded(api.registry.w3)))
    agency.root = IssuerKey(bytes(issuer.account.key))
    monkeypatch.setenv("NOTARY_SIGNER_PASSWORD", PASSWORD)
    agency.add_key(_key_of(keystore.path))
    return keystore.path


def _key_of(path: Path) -> IssuerKey:
    return IssuerKey(bytes(Account.decrypt(json.loads(path.read_text()), PASSWORD)))


def _receipt(path: Path) -> Receipt:
    return Receipt.from_json(path.with_name(path.name + ".receipt.json").read_bytes())


def test_a_signing_agency_stamps_a_folder_in_signed_submissions(
    cli: Run,
    api: ApiEnv,
    issuer: Issuer,
    office: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    files = make_tree(tmp_path / "docs", 7)
    args = ("--metadata", '{"documentType": "permit"}', "--public", "documentType")
    with draining(api):
        code = cli(
            "stamp",
            tmp_path / "docs",
            *args,
            "--chunk",
            3,
            "--signer",
            office,
            "--wait",
            key=issuer.key,
        )
    assert code == 0, capsys.readouterr().err
    assert "7 submitted (7 new" in capsys.readouterr().out
    with api.store.read() as conn:
        rows = {
            row.leaf: row
            for row in conn.execute(
                select(Document.leaf, Submission.__table__).join(
                    Submission, Document.submission_id == Submission.id
                )
            )
        }
    key = _key_of(office)
    for path in files:
        receipt = _receipt(path)
        assert receipt.status == "anchored" and receipt.values.digest == sha256_file(path)
        metadata = dict(receipt.metadata or {})
        assert metadata["publicFields"] == ["documentType"] and len(metadata["salt"]) == 32
        row = rows[receipt.leaf.raw]  # stored with the submission signed here
        assert row.signer == key.address
        root = SubmissionRoot(row.leaves_root)
        assert in_submission(receipt.leaf, path_in(row.nodes, receipt.leaf), root)
    assert len({row.leaves_root for row in rows.values()}) == 3  # 7 files, --chunk 3


def test_stamping_unsigned_for_a_signing_agency_is_refused_in_one_line(
    cli: Run, issuer: Issuer, office: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_tree(tmp_path / "docs", 2)
    assert cli("stamp", tmp_path / "docs", key=issuer.key) == 2
    err = capsys.readouterr().err
    assert "field `signature`" in err and "--signer" in err and err.count("\n") == 1


def test_a_keystore_that_names_no_issuer_needs_one(
    cli: Run, issuer: Issuer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_tree(tmp_path / "docs", 1)
    bare = create_keystore(tmp_path / "bare.json", PASSWORD, None, FAST_SCRYPT)
    assert cli("stamp", tmp_path / "docs", "--signer", bare.path, key=issuer.key) == 2
    assert "give --issuer" in capsys.readouterr().err


def test_a_signing_agency_revokes_with_its_key_and_only_so(
    cli: Run,
    api: ApiEnv,
    issuer: Issuer,
    office: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (path,) = make_tree(tmp_path / "docs", 1)
    with draining(api):
        assert cli("stamp", path, "--signer", office, "--wait", key=issuer.key) == 0
    leaf = _receipt(path).leaf
    assert cli("revoke", leaf.hex, "--reason", "superseded", key=issuer.key) == 2
    assert "field `signature`" in capsys.readouterr().err
    code = cli("revoke", leaf.hex, "--reason", "superseded", "--signer", office, key=issuer.key)
    assert code == 0, capsys.readouterr().err
    assert "superseded" in capsys.readouterr().out
    api.drain()
    assert api.registry.revocation_of(issuer.address, leaf.raw).revoked
