"""The `--help` blocks quoted in the README are what the commands print today."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from notary.cli import main

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCK = re.compile(r"```text\n\$ notary ([a-z -]+) --help\n(.*?)\n```", re.S)
WIDTH = "100"
"""argparse wraps help to $COLUMNS; the README quotes it at this width."""


def quoted() -> list[tuple[str, str]]:
    """(command, help text) for every help block in the README."""
    return BLOCK.findall(README.read_text(encoding="utf-8"))


def test_the_readme_quotes_help_blocks() -> None:
    assert {command for command, _ in quoted()} >= {"stamp", "verify"}


@pytest.mark.parametrize(("command", "text"), quoted())
def test_help_block_matches_the_real_output(
    command: str, text: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", WIDTH)
    assert main([*command.split(), "--help"]) == 0
    real = capsys.readouterr().out.rstrip("\n")
    assert real == text, f"README's `notary {command} --help` drifted: paste the real output"
