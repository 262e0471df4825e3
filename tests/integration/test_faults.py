"""Fault tests on a real Anvil. Each ends with: every accepted document is anchored
exactly once, no root is anchored twice, and every proof verifies on chain."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3

from notary.chain.connection import connect
from notary.ops.anvil import free_port, start_anvil
from notary.pipeline.operations import WorkerConfig
from notary.pipeline.proofs import proof_for
from notary.worker.daemon import build_worker

from .crashing_worker import POINTS
from .worker_env import WorkerEnv, drain, make_env

pytestmark = [pytest.mark.anvil, pytest.mark.slow]
HERE = Path(__file__).parent
OUTAGE_S = float(os.environ.get("NOTARY_TEST_OUTAGE_S", "30"))


def wait_until(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")
        time.sleep(0.1)


def all_anchored(env: WorkerEnv, leaves: list) -> bool:  # type: ignore[type-arg]
    try:
        return all(proof_for(env.store, x).document.status == "anchored" for x in leaves)
    except Exception:
        return False


@pytest.mark.parametrize("point", POINTS)
def test_worker_killed_then_restarted(env: WorkerEnv, point: str) -> None:
    leaves = env.accept(15)  # two batches: 10 and 5
    crashed = subprocess.run(
        [sys.executable, str(HERE / "crashing_worker.py"), point],
        env={**os.environ, **env.env()},
        capture_output=True,
        timeout=60,
    )
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr.decode()[-2000:]
    leaves += env.accept(3)  # the API keeps accepting while no worker runs
    drain(build_worker(env.settings, env.store))
    env.assert_all_anchored_once(leaves)


def test_two_workers_race_and_a_standby_takes_over(env: WorkerEnv, tmp_path: Path) -> None:
    """Two workers on one database (flock on SQLite, advisory lock on PostgreSQL)."""
    logs = [tmp_path / "worker-a.log", tmp_path / "worker-b.log"]
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "notary.cli", "worker"],
            env={**os.environ, **env.env()},
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        for log in logs
    ]
    try:
        leaves = env.accept(25)
        wait_until(lambda: all_anchored(env, leaves), 60, "the first documents to be anchored")
        led = [w for w, log in zip(workers, logs, strict=True) if "is leader" in log.read_text()]
        assert len(led) == 1, "exactly one worker may lead"
        os.killpg(led[0].pid, signal.SIGKILL)
        led[0].wait(10)
        leaves += env.accept(12)
        wait_until(lambda: all_anchored(env, leaves), 60, "the standby to anchor the rest")
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                worker.wait(20)
    env.assert_all_anchored_once(leaves)
    assert all("is leader" in log.read_text() for log in logs)  # one after the other


def test_chain_outage_while_documents_keep_arriving(
    fund: Callable[[], LocalAccount], tmp_path: Path
) -> None:
    port, state = free_port(), tmp_path / "anvil-state.json"
    node = start_anvil(port=port, state_file=state)
    try:
        w3 = connect(node.url)
        env = next(make_env(w3, lambda: _funded(w3), tmp_path))
        worker = build_worker(env.settings, env.store, config=WorkerConfig(backoff_max_s=1.0))
        stop = threading.Event()
        thread = threading.Thread(target=worker.run, args=(stop.is_set,), daemon=True)
        thread.start()
        leaves = env.accept(10)
        wait_until(lambda: all_anchored(env, leaves), 30, "anchoring before the outage")
        time.sleep(1.5)  # let --state-interval 1 write the anchors
        node.stop()
        outage_ends = time.monotonic() + OUTAGE_S
        while time.monotonic() < outage_ends:  # the API keeps accepting during the outage
            leaves += env.accept(2)
            time.sleep(1.0)
        assert worker.health.status == "degraded", worker.health
        node = start_anvil(port=port, state_file=state)
        wait_until(lambda: all_anchored(env, leaves), 60, "anchoring after the outage")
        assert worker.health.status == "ok"
        stop.set()
        thread.join(10)
        env.assert_all_anchored_once(leaves)
    finally:
        node.stop()


def _funded(w3: Web3) -> LocalAccount:
    from eth_account import Account

    account: LocalAccount = Account.create()
    w3.provider.make_request("anvil_setBalance", [account.address, hex(10**21)])
    return account
