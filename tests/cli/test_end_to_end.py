"""End to end on a real Anvil and a real service: `notary demo` on a fresh data dir, then
`notary verify` of every demo file with the service stopped; and `notary serve` on a port,
as one process or several.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2
import pytest

from notary.cli import main
from notary.cli.samples import REVOKED, SAMPLES
from notary.ops.anvil import AnvilNode, free_port, start_anvil
from notary.ops.localchain import chain_down
from notary.settings.config import Settings

pytestmark = [pytest.mark.anvil, pytest.mark.slow]


@pytest.fixture
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """A fresh data dir, free ports; the chain the demo starts is stopped afterwards."""
    for name in list(os.environ):
        if name.startswith("NOTARY_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NOTARY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("NOTARY_RPC_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("NOTARY_PORT", str(free_port()))
    settings = Settings()
    try:
        yield settings
    finally:
        chain_down(settings)


@pytest.fixture
def empty_anvil() -> Iterator[AnvilNode]:
    """Another chain with the same chain id and no registry."""
    node = start_anvil()
    try:
        yield node
    finally:
        node.stop()


def test_demo_then_verify_without_the_service(
    fresh: Settings, tmp_path: Path, empty_anvil: AnvilNode, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--no-qr"]) == 0
    printed = capsys.readouterr().out
    assert printed.count("  verify: http://127.0.0.1:") == len(SAMPLES)
    assert "/v/0x" in printed and "REVOKED" in printed
    with pytest.raises(httpx2.ConnectError):  # the demo's service has stopped
        httpx2.get(fresh.base_url + "/healthz")
    rpc = fresh.rpc_url
    assert main(["verify", str(out), "--rpc-url", rpc, "--json"]) == 1  # one is revoked
    verdicts = {
        Path(d["file"]).name: d["verdict"] for d in json.loads(capsys.readouterr().out)["documents"]
    }
    assert verdicts == {s.name: "REVOKED" if s.name == REVOKED else "VALID" for s in SAMPLES}
    permit = next(out.rglob("quyet-dinh-giao-dat-0458.pdf"))
    assert permit.read_bytes().startswith(b"%PDF-1.4")
    tampered = tmp_path / "tampered.pdf"
    data = bytearray(permit.read_bytes())
    data[200] ^= 0x01
    tampered.write_bytes(bytes(data))
    receipt = permit.with_name(permit.name + ".receipt.json")
    args = ["verify", str(tampered), "--receipt", str(receipt), "--rpc-url", rpc]
    assert main(args) == 1
    assert capsys.readouterr().out.splitlines()[-1].startswith("INVALID: digest:")
    assert main(["verify", str(permit), "--rpc-url", rpc, "--rpc-url", empty_anvil.url]) == 3
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith("UNVERIFIABLE: the nodes disagree") and "says VALID" in last
    public = json.loads(receipt.read_text())["metadata"]["publicFields"]
    assert "holder" not in public and "documentType" in public


@contextmanager
def serving(fresh: Settings, *args: str) -> Iterator[subprocess.Popen[bytes]]:
    """`notary serve ARGS` on a chain and a migrated database, answering /healthz."""
    assert main(["chain", "up"]) == 0  # the API needs a registry to serve
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    subprocess.run(
        [sys.executable, "-m", "notary.cli", "db", "upgrade"],
        env=env,
        check=True,
        capture_output=True,
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "notary.cli", "serve", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_healthy(fresh, process)
        yield process
    finally:
        process.terminate()
        process.wait(20)


def _wait_healthy(fresh: Settings, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            assert httpx2.get(fresh.base_url + "/healthz", timeout=1).status_code == 200
            return
        except httpx2.HTTPError:
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.2)


def test_serve_answers_on_its_port(fresh: Settings) -> None:
    with serving(fresh):
        assert httpx2.get(fresh.base_url + "/healthz").status_code == 200


def _api_processes(supervisor: int) -> list[int]:
    """The supervisor's children that serve (not multiprocessing's resource tracker)."""
    out = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            ppid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, IndexError):
            continue
        if ppid == supervisor and b"spawn_main" in cmdline:
            out.append(int(pid))
    return sorted(out)


def _sockets(pid: int) -> int:
    fds = Path(f"/proc/{pid}/fd")
    return sum(1 for fd in fds.iterdir() if os.readlink(fd).startswith("socket:"))


def _connect_and_ask(port: int, count: int) -> list[socket.socket]:
    """`count` keep-alive connections opened in one burst, each answered once."""
    connections = [socket.create_connection(("127.0.0.1", port)) for _ in range(count)]
    for conn in connections:
        conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
    for conn in connections:
        assert conn.recv(4096).startswith(b"HTTP/1.1 200")
    return connections


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc and SO_REUSEPORT")
def test_serve_workers_spreads_connections_and_replaces_a_dead_process(fresh: Settings) -> None:
    with serving(fresh, "--workers", "2", "--no-access-log") as supervisor:
        processes = _api_processes(supervisor.pid)
        assert len(processes) == 2
        before = {pid: _sockets(pid) for pid in processes}
        connections = _connect_and_ask(fresh.port, 32)  # a burst, as a load balancer opens
        gained = {pid: _sockets(pid) - before[pid] for pid in processes}
        assert all(n > 0 for n in gained.values()), gained  # both took some
        assert sum(gained.values()) >= 32
        for conn in connections:
            conn.close()
        second = subprocess.run(
            [sys.executable, "-m", "notary.cli", "serve", "--workers", "2"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 2  # the port is taken: said, not shared
        assert "cannot listen on" in second.stderr and "Traceback" not in second.stderr
        os.kill(processes[0], signal.SIGKILL)
        deadline = time.monotonic() + 30
        while len(now := _api_processes(supervisor.pid)) < 2:
            assert time.monotonic() < deadline, now
            time.sleep(0.2)
        assert processes[0] not in now and processes[1] in now
        for conn in _connect_and_ask(fresh.port, 16):  # the replacement serves its share
            conn.close()
    assert supervisor.returncode == 0
    assert all(not Path(f"/proc/{pid}").exists() for pid in now)
