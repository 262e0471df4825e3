"""The `--help` blocks quoted in the README and docs/ are what the commands print today."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from notary.cli import main

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"```text\n\$ notary ([a-z -]+) --help\n(.*?)\n```", re.S)
WIDTH = "100"
"""argparse wraps help to $COLUMNS; the pages quote it at this width."""


def quoted() -> list[tuple[str, str]]:
    """(command, help text) for every help block in the README and docs/."""
    return [found for page in PAGES for found in BLOCK.findall(page.read_text(encoding="utf-8"))]


def test_the_pages_quote_help_blocks() -> None:
    assert {command for command, _ in quoted()} >= {"stamp", "verify"}


@pytest.mark.parametrize(("command", "text"), quoted())
def test_help_block_matches_the_real_output(
    command: str, text: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", WIDTH)
    assert main([*command.split(), "--help"]) == 0
    real = capsys.readouterr().out.rstrip("\n")
    assert real == text, f"the quoted `notary {command} --help` drifted: paste the real output"
