"""`notary chain up/down`: a persistent local Anvil that survives SIGKILL with its state."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from notary.chain import Registry, TxSender, connect
from notary.cli import main
from notary.ops.anvil import free_port, rpc_answers
from notary.ops.localchain import chain_down, chain_up
from notary.settings.config import Settings
from notary.settings.keys import anchor_account

pytestmark = pytest.mark.anvil


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data", rpc_url=f"http://127.0.0.1:{free_port()}", _env_file=None
    )


def test_chain_up_deploys_once_and_survives_sigkill(settings: Settings) -> None:
    first = chain_up(settings)
    try:
        assert first.started and first.pid is not None
        assert chain_up(settings).deployment == first.deployment  # second call reuses it
        assert (settings.keys_dir / "anchor.key").stat().st_mode & 0o777 == 0o600

        registry = Registry(connect(settings.rpc_url), first.deployment.address)
        root = os.urandom(32)
        TxSender(registry, anchor_account(settings)).transact(registry.anchor_call(root, 5))
        time.sleep(2.5)  # --state-interval 1 writes the state file every second
        os.killpg(first.pid, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while rpc_answers(settings.rpc_url) is not None and time.monotonic() < deadline:
            time.sleep(0.05)

        again = chain_up(settings)
        assert again.started and again.deployment == first.deployment
        registry = Registry(connect(settings.rpc_url), again.deployment.address)
        assert registry.anchor_of(root).leaf_count == 5
    finally:
        chain_down(settings)
    assert rpc_answers(settings.rpc_url) is None


def test_chain_up_refuses_a_remote_rpc(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NOTARY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("NOTARY_RPC_URL", "https://rpc.example.org")
    assert main(["chain", "up"]) == 4  # an operation failed (2 is bad usage)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "rpc.example.org" in err
