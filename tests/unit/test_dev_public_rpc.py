"""`notary dev` (`make run`) lets the page ask the local chain itself: the settings it
serves with name the local Anvil as the public RPC URL, unless the operator chose one."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest

import api.app
from notary.cli import dev
from notary.ops.localchain import LocalChain
from notary.settings.config import Settings


def served_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **env: str) -> Settings:
    """Run `notary dev` with the chain, database, worker and server stubbed; the settings
    the app was built with."""
    monkeypatch.setenv("NOTARY_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("NOTARY_PUBLIC_RPC_URL", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    deployment = argparse.Namespace(chain_id=31337, address="0x" + "11" * 20)

    def chain_up(settings: Settings, **_: Any) -> LocalChain:
        return LocalChain(settings.rpc_url, None, deployment, False)  # type: ignore[arg-type]

    built: list[Settings] = []
    monkeypatch.setattr(dev, "chain_up", chain_up)
    monkeypatch.setattr(dev, "upgrade", lambda url: None)
    monkeypatch.setattr(dev, "open_store", lambda url: argparse.Namespace(dispose=lambda: None))
    monkeypatch.setattr(dev, "run_worker", lambda *a: None)
    monkeypatch.setattr(dev, "prompt_if_terminal", lambda: None)
    monkeypatch.setattr("signal.signal", lambda *a: None)
    monkeypatch.setattr("uvicorn.run", lambda app, **kw: None)
    monkeypatch.setattr(api.app, "create_app", lambda settings: built.append(settings))
    assert dev._dev(argparse.Namespace(keep_chain=True)) == 0
    (settings,) = built
    return settings


def test_dev_names_the_local_chain_for_the_page(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = served_settings(monkeypatch, tmp_path, NOTARY_RPC_URL="http://127.0.0.1:18545")
    assert settings.public_rpc_url == "http://127.0.0.1:18545"


def test_dev_keeps_the_operators_public_rpc_url(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = served_settings(
        monkeypatch, tmp_path, NOTARY_PUBLIC_RPC_URL="https://rpc.example.org"
    )
    assert settings.public_rpc_url == "https://rpc.example.org"
