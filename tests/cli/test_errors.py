"""Errors are one line saying what to do, with an exit code ≥ 2; tracebacks only with --debug."""

from __future__ import annotations

from pathlib import Path

import pytest

from notary.cli import main


def test_unreachable_service_has_its_own_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = tmp_path / "permit.pdf"
    doc.write_bytes(b"permit")
    monkeypatch.setenv("NOTARY_API_KEY", "some-key")
    assert main(["stamp", str(doc), "--server", "http://127.0.0.1:9"]) == 4
    err = capsys.readouterr().err
    assert err.startswith("notary: cannot reach the notary service at http://127.0.0.1:9")
    assert "--server URL" in err and err.count("\n") == 1
    assert not doc.with_name("permit.pdf.receipt.json").exists()


def test_debug_adds_the_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = tmp_path / "permit.pdf"
    doc.write_bytes(b"permit")
    monkeypatch.setenv("NOTARY_API_KEY", "some-key")
    assert main(["--debug", "stamp", str(doc), "--server", "http://127.0.0.1:9"]) == 4
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err
    assert err.rstrip().splitlines()[-1].startswith("notary: cannot reach")


def test_bad_usage_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stamp"]) == 2
    assert "usage: notary stamp" in capsys.readouterr().err
    assert main(["revoke", "0x" + "11" * 32, "--reason", "lost"]) == 2
    err = capsys.readouterr().err
    assert "unknown reason 'lost'" in err and "superseded" in err


def test_unexpected_errors_are_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*args: object) -> list[tuple[str, str, str]]:
        raise RuntimeError("boom")

    monkeypatch.setattr("notary.cli.config.settings_rows", broken)
    assert main(["config", "show"]) == 4
    err = capsys.readouterr().err
    assert err == "notary: unexpected RuntimeError: boom (run again with --debug and report it)\n"


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        ("NOTARY_TRUSTED_PROXIES", "proxy.local", "'proxy.local' is not an IP address"),
        ("NOTARY_BATCH_MAX", "0", "greater than or equal to 1"),
    ],
)
def test_a_bad_setting_is_one_line_naming_its_variable(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    variable: str,
    value: str,
    said: str,
) -> None:
    monkeypatch.setenv(variable, value)
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"notary: {variable}: ") and said in err and err.count("\n") == 1
