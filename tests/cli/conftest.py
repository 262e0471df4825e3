"""The CLI tier: commands run in-process (`main(argv, http=...)`) against the API tier's app.

The app is reached through its TestClient (an httpx2 client), so no socket is needed;
`draining` runs the anchoring worker beside a command that waits for anchors.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from notary.cli import main
from tests.api.conftest import ApiEnv, Issuer, api, api_chain, issuer  # noqa: F401 (fixtures)

Run = Callable[..., int]


@pytest.fixture
def cli(api: ApiEnv, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Run:  # noqa: F811
    """Run `notary ARGS…` in-process against the app, as its issuer unless told otherwise."""
    monkeypatch.setenv("NOTARY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("NOTARY_SERVER", "http://testserver")
    monkeypatch.setenv("NOTARY_RPC_URL", api.settings.rpc_url)
    monkeypatch.setenv("NOTARY_ADMIN_KEY", api.admin["Authorization"].removeprefix("Bearer "))
    monkeypatch.delenv("NOTARY_API_KEY", raising=False)

    def run(*args: object, key: str | None = None) -> int:
        if key is not None:
            monkeypatch.setenv("NOTARY_API_KEY", key)
        return main([str(a) for a in args], http=api.client)

    return run


@contextmanager
def draining(api: ApiEnv) -> Iterator[None]:  # noqa: F811
    """The anchoring worker running in a thread for the length of the block."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            api.drain()
            stop.wait(0.02)

    thread = threading.Thread(target=loop, name="draining", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)


def make_tree(root: Path, count: int = 3) -> list[Path]:
    """A folder of small distinct files, one in a subfolder."""
    paths = []
    for i in range(count):
        path = root / ("sub" if i == 0 else "") / f"permit-{i}.pdf"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"%PDF-1.4 sample " + root.name.encode() + bytes([i]) * 100)
        paths.append(path)
    return paths
