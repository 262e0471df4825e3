"""End to end on a real Anvil and a real service: `notary demo` on a fresh data dir, then
`notary verify` of every demo file with the service stopped; and `notary serve` on a port."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from notary.chain.anvil import AnvilNode, free_port, start_anvil
from notary.cli import main
from notary.cli.samples import REVOKED, SAMPLES
from notary.config import Settings
from notary.localchain import chain_down

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


def test_serve_answers_on_its_port(fresh: Settings, tmp_path: Path) -> None:
    assert main(["chain", "up"]) == 0  # the API needs a registry to serve
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    subprocess.run(
        [sys.executable, "-m", "notary.cli", "db", "upgrade"],
        env=env,
        check=True,
        capture_output=True,
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "notary.cli", "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                answer = httpx2.get(fresh.base_url + "/healthz", timeout=1)
                break
            except httpx2.HTTPError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
        assert answer.status_code == 200
    finally:
        process.terminate()
        process.wait(20)
