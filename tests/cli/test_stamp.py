"""`notary stamp`: folders hashed here, receipts beside the files or under --out, resumable."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

from notary.core.digests import sha256_file
from notary.core.receipts import Receipt
from tests.api.conftest import ApiEnv, Issuer
from tests.cli.conftest import Run, draining, make_tree

pytestmark = pytest.mark.anvil


def _receipt(path: Path) -> Receipt:
    return Receipt.from_json(path.with_name(path.name + ".receipt.json").read_bytes())


def test_folder_is_stamped_with_pending_receipts_beside_each_file(
    cli: Run, api: ApiEnv, issuer: Issuer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = make_tree(tmp_path / "docs")
    assert cli("stamp", tmp_path / "docs", key=issuer.key) == 0
    for path in files:
        receipt = _receipt(path)
        assert receipt.status == "pending"
        assert receipt.values.digest == sha256_file(path)
        assert receipt.values.issuer == issuer.address
        one = api.client.get(f"/v1/documents/{receipt.leaf.hex}/receipt", headers=issuer.headers)
        written = path.with_name(path.name + ".receipt.json").read_text(encoding="utf-8")
        assert written == one.text  # byte for byte what the single download gives
    out = capsys.readouterr().out
    assert "3 submitted (3 new" in out and "3 pending receipts written" in out


def test_a_second_run_skips_files_with_receipts(
    cli: Run, issuer: Issuer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = make_tree(tmp_path / "docs")
    assert cli("stamp", files[1], key=issuer.key) == 0
    capsys.readouterr()
    assert cli("stamp", tmp_path / "docs", "--json", key=issuer.key) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["skipped"] == 1 and report["submitted"] == 2 and report["created"] == 2


def test_glob_metadata_sidecar_and_public_fields(
    cli: Run, api: ApiEnv, issuer: Issuer, tmp_path: Path
) -> None:
    folder = tmp_path / "docs"
    pdf, other = folder / "a.pdf", folder / "b.txt"
    folder.mkdir()
    pdf.write_bytes(os.urandom(64))
    other.write_bytes(os.urandom(64))
    (folder / "a.pdf.meta.json").write_text(
        json.dumps({"documentNumber": "127/GPMT", "holder": "Công ty A"}), encoding="utf-8"
    )
    args = ("--glob", "*.pdf", "--metadata", '{"documentType": "permit"}')
    assert (
        cli("stamp", folder, *args, "--public", "documentType,documentNumber", key=issuer.key) == 0
    )
    assert not other.with_name("b.txt.receipt.json").exists()
    metadata = dict(_receipt(pdf).metadata or {})
    assert metadata["documentType"] == "permit" and metadata["holder"] == "Công ty A"
    assert metadata["publicFields"] == ["documentType", "documentNumber"]


def test_public_field_missing_from_the_metadata_names_the_file(
    cli: Run, issuer: Issuer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (path,) = make_tree(tmp_path / "docs", 1)
    assert cli("stamp", path, "--public", "holder", key=issuer.key) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "holder" in err and err.count("\n") == 1


def test_out_mirrors_the_tree(cli: Run, issuer: Issuer, tmp_path: Path) -> None:
    files = make_tree(tmp_path / "docs")
    assert cli("stamp", tmp_path / "docs", "--out", tmp_path / "receipts", key=issuer.key) == 0
    assert (tmp_path / "receipts" / "sub" / "permit-0.pdf.receipt.json").is_file()
    assert (tmp_path / "receipts" / "permit-1.pdf.receipt.json").is_file()
    assert not any(p.with_name(p.name + ".receipt.json").exists() for p in files)


def test_wait_writes_anchored_receipts(
    cli: Run, api: ApiEnv, issuer: Issuer, tmp_path: Path
) -> None:
    files = make_tree(tmp_path / "docs", 5)
    with draining(api):
        code = cli(
            "stamp", tmp_path / "docs", "--wait", "--chunk", "2", "--timeout", "60", key=issuer.key
        )
    assert code == 0
    for path in files:
        receipt = _receipt(path)
        assert receipt.status == "anchored" and receipt.anchor is not None


def test_empty_file_is_refused(
    cli: Run, issuer: Issuer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    assert cli("stamp", empty, key=issuer.key) == 2
    assert "empty (0 bytes)" in capsys.readouterr().err


def test_full_disk_has_its_own_line(
    cli: Run,
    issuer: Issuer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (path,) = make_tree(tmp_path / "docs", 1)

    def full(*args: object, **kwargs: object) -> tuple[int, str]:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("notary.cli.files.tempfile.mkstemp", full)
    assert cli("stamp", path, key=issuer.key) == 4
    err = capsys.readouterr().err
    assert err.startswith("notary: no space left on the device") and err.count("\n") == 1
    assert "run the same command again" in err


def test_wrong_key_has_its_own_line(
    cli: Run, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (path,) = make_tree(tmp_path / "docs", 1)
    assert cli("stamp", path, key="not-a-key") == 4
    err = capsys.readouterr().err
    assert "refused the API key (401" in err and "NOTARY_API_KEY" in err and err.count("\n") == 1


def test_missing_key_and_missing_path_are_usage_errors(
    cli: Run, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (path,) = make_tree(tmp_path / "docs", 1)
    assert cli("stamp", path) == 2
    assert "no API key" in capsys.readouterr().err
    assert cli("stamp", tmp_path / "absent", key="k") == 2
    assert "no such file or folder" in capsys.readouterr().err
