"""A machine without a database server of its own: the tests and `notary cluster` start a
throwaway PostgreSQL from Debian's binaries when nothing answers where they look, say so,
and stop it afterwards."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from notary.ops.anvil import free_port
from notary.ops.devdb import find_server_binaries, server_answers, start_throwaway
from notary.store.migrate import upgrade

pytestmark = [pytest.mark.postgres]
NOTHING_ANSWERS = "postgresql+psycopg://postgres@127.0.0.1:1/test"
ROOT = Path(__file__).resolve().parents[2]
THROWAWAY_LINE = re.compile(r"a throwaway PostgreSQL \S+ \(Debian's (\S+)\) on ([\d.]+):(\d+), "
                            r"data in (\S+)")  # fmt: skip


@pytest.fixture(autouse=True)
def _binaries() -> None:
    find_server_binaries()  # a DevDatabaseError naming the apt package when they are missing


def test_a_throwaway_server_serves_a_migrated_database_and_leaves_nothing(tmp_path: Path) -> None:
    server = start_throwaway()
    try:
        assert server_answers(server.url)
        upgrade(server.url)
        with psycopg.connect(host=str(server.socket_dir), port=server.port, user="postgres") as db:
            assert db.execute("SELECT count(*) FROM issuers").fetchone() == (0,)
        uid = _uid(server.process.pid)
        assert uid != 0  # initdb and postgres refuse root: it runs as an unprivileged user
    finally:
        server.stop()
    assert not server_answers(server.url)
    assert not server.root.exists()
    assert server.process.poll() is not None


@pytest.mark.slow
def test_the_test_session_uses_a_throwaway_server_when_none_answers_and_stops_it() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
         "tests/store/test_constraints.py::test_document_constraints"],
        cwd=ROOT,
        env={**os.environ, "NOTARY_TEST_POSTGRES_URL": NOTHING_ANSWERS},
        capture_output=True,
        text=True,
        timeout=240,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:]
    assert "2 passed" in done.stdout  # SQLite and PostgreSQL
    line = next(x for x in done.stdout.splitlines() if x.startswith("postgresql: the tests used"))
    assert line.endswith("; stopped"), line
    _gone(line)


@pytest.mark.slow
@pytest.mark.anvil
def test_the_cluster_uses_a_throwaway_server_when_none_answers_and_stops_it(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOTARY_")}
    env |= {
        "NOTARY_DATA_DIR": str(tmp_path / "data"),
        "NOTARY_POSTGRES_SERVER": NOTHING_ANSWERS,
        "NOTARY_PORT": str(free_port()),
        "PYTHONUNBUFFERED": "1",
    }
    cluster = subprocess.Popen(
        [sys.executable, "-m", "notary.cli", "cluster", "--api-processes", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: dict[str, str] = {}
    try:
        assert cluster.stdout is not None
        deadline = time.monotonic() + 120
        while "logs" not in lines and time.monotonic() < deadline:
            line = cluster.stdout.readline()
            if not line:
                break
            name, _, rest = line.partition(" ")
            lines[name] = rest.strip()
        assert "logs" in lines, f"the cluster did not start: {lines}"
    finally:
        os.killpg(cluster.pid, signal.SIGTERM)
        cluster.wait(60)
    assert cluster.returncode == 0
    assert lines["database"].endswith("; stopped on exit)"), lines["database"]
    _gone(lines["database"])


def _gone(said: str) -> None:
    """The throwaway server `said` names answers no more and left no files."""
    match = THROWAWAY_LINE.search(said)
    assert match is not None, said
    _, host, port, data = match.groups()
    assert not server_answers(f"postgresql+psycopg://postgres@{host}:{port}/postgres")
    assert not Path(data).exists()


def _uid(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^Uid:\s+(\d+)", status, re.M).group(1))  # type: ignore[union-attr]
