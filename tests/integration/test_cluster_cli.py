"""`notary cluster` (`make run-cluster`) on a chain port of one's choosing, saying which
registry it uses, as `notary dev` (`make run`) does."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from notary.ops.anvil import free_port, rpc_answers
from notary.ops.cluster import drop_database, ensure_database

from ..conftest import postgres_server_url

pytestmark = [pytest.mark.anvil, pytest.mark.postgres, pytest.mark.slow]


def test_the_cluster_runs_its_chain_on_the_port_given_and_names_its_registry(
    tmp_path: Path,
) -> None:
    url = ensure_database(f"notary_test_cluster_{secrets.token_hex(4)}", postgres_server_url())
    chain_port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOTARY_")}
    env |= {
        "NOTARY_DATA_DIR": str(tmp_path / "data"),
        "NOTARY_DATABASE_URL": url,
        "NOTARY_PORT": str(free_port()),
        "PYTHONUNBUFFERED": "1",
    }
    command = ["cluster", "--api-processes", "1", "--chain-port", str(chain_port)]
    cluster = subprocess.Popen(
        [sys.executable, "-m", "notary.cli", *command],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        lines: dict[str, str] = {}
        deadline = time.monotonic() + 120
        assert cluster.stdout is not None
        while "logs" not in lines and time.monotonic() < deadline:
            line = cluster.stdout.readline()
            if not line:
                break
            name, _, rest = line.partition(" ")
            lines[name] = rest.strip()
        assert "logs" in lines, f"the cluster did not start: {lines}"
        assert lines["chain"].startswith(f"http://127.0.0.1:{chain_port} ")
        assert rpc_answers(f"http://127.0.0.1:{chain_port}") == 31337
        deployment = json.loads((tmp_path / "data" / "cluster" / "deployment.json").read_text())
        assert lines["registry"] == f"{deployment['address']}  (chain id 31337)"
    finally:
        os.killpg(cluster.pid, signal.SIGTERM)
        cluster.wait(60)
        drop_database(url)
