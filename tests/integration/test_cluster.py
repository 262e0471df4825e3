"""The cluster on one machine (PostgreSQL, API processes, two workers, an interval-mined
chain): the standby takes over from a SIGKILLed leader; supervisors that die take their
chain with them, and a chain nobody here started is refused, not deployed onto."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx2
import pytest
from cluster_faults import kill_leader

from notary.chain.errors import ChainError
from notary.ops.anvil import free_port, rpc_answers, start_anvil
from notary.ops.cluster import Cluster, ClusterConfig, drop_database, ensure_database
from notary.ops.localchain import chain_up
from notary.settings.config import Settings

from ..conftest import postgres_server_url

pytestmark = [pytest.mark.anvil, pytest.mark.postgres, pytest.mark.slow]


def wait_until(condition: Callable[[], bool], what: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    url = ensure_database(f"notary_test_cluster_{secrets.token_hex(4)}", postgres_server_url())
    config = ClusterConfig(
        data_dir=tmp_path / "cluster",
        database_url=url,
        port=free_port(),
        block_time_s=1,
        confirmations=1,
        batch_interval_s=0.5,
    )
    try:
        with Cluster(config) as running:
            yield running
    finally:
        drop_database(url)


def notarise(cluster: Cluster) -> str:
    answer = httpx2.post(
        cluster.base_url + "/v1/documents",
        json={"digest": os.urandom(32).hex()},
        headers={"Authorization": f"Bearer {cluster.api_key}"},
    )
    assert answer.status_code == 202, answer.text
    return str(answer.json()["leaf"])


def anchored(cluster: Cluster, leaf: str) -> bool:
    answer = httpx2.post(cluster.base_url + "/v1/verify", json={"leaf": leaf})
    return answer.status_code == 200 and answer.json()["verdict"] == "VALID"


def test_the_standby_takes_over_when_the_leader_is_killed(cluster: Cluster) -> None:
    before = notarise(cluster)
    wait_until(lambda: anchored(cluster, before), "the first document to be anchored")
    old = cluster.leader()
    killed_at = kill_leader(cluster)
    after = notarise(cluster)
    new = cluster.leader()
    led_s = time.time() - killed_at
    wait_until(lambda: anchored(cluster, after), "the standby to anchor")
    print(f"takeover: leading {led_s:.2f} s, VALID {time.time() - killed_at:.2f} s after the kill")
    assert new != old  # the killed worker's replacement stands by; the other one leads
    registry = cluster.registry()
    logs = registry.w3.eth.get_logs({"address": registry.address, "fromBlock": 0})
    roots = [bytes(log["topics"][0]) for log in logs if len(log["topics"]) == 1]  # Anchored
    assert len(roots) == len(set(roots)) >= 2  # each root anchored once


def test_a_killed_dev_takes_its_chain_with_it(tmp_path: Path) -> None:
    rpc = f"http://127.0.0.1:{free_port()}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOTARY_")}
    env |= {"NOTARY_DATA_DIR": str(tmp_path / "data"), "NOTARY_RPC_URL": rpc}
    env["NOTARY_PORT"] = str(free_port())
    dev = subprocess.Popen(
        [sys.executable, "-m", "notary.cli", "dev"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    pid_file = tmp_path / "data" / "chain" / "anvil.pid"
    try:
        wait_until(lambda: pid_file.exists() and rpc_answers(rpc) is not None, "the chain")
        anvil_pid = int(pid_file.read_text())
        os.kill(dev.pid, signal.SIGKILL)  # the supervisor alone, as the OOM killer would
        dev.wait(10)
        wait_until(lambda: rpc_answers(rpc) is None, "the chain to stop with dev", 20)
    finally:
        if dev.poll() is None:
            os.killpg(dev.pid, signal.SIGKILL)
        if pid_file.exists():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(int(pid_file.read_text()), signal.SIGKILL)
    assert not running(anvil_pid)


def running(pid: int) -> bool:
    """Whether `pid` runs (a zombie waiting for init to reap it does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def test_a_chain_this_data_dir_did_not_start_is_refused(tmp_path: Path) -> None:
    stranger = start_anvil()
    try:
        settings = Settings(_env_file=None, data_dir=tmp_path / "other", rpc_url=stranger.url)
        with pytest.raises(ChainError) as refused:
            chain_up(settings)
        assert "did not start" in str(refused.value) and "\n" not in str(refused.value)
        assert not settings.deployment_file.exists()  # nothing was deployed onto it
    finally:
        stranger.stop()
