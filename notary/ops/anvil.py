"""Starting and stopping a local Anvil node (the real binary, not its Node wrapper).

`node_modules/.bin/anvil` is a Node script that spawns the binary as a child, so
killing the wrapper's PID can leave Anvil running; we start the platform binary
directly, in its own process group, and stop the whole group.

Its own session keeps Ctrl-C in a terminal from reaching it before its supervisor has
stopped what depends on it, but also means nothing stops it when the supervisor is
SIGKILLed. So by default (Linux) the kernel sends it SIGTERM when the thread that started
it dies (PR_SET_PDEATHSIG); `notary chain up`, which leaves the node running on purpose,
starts it with `die_with_parent=False`.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import platform
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests

from notary.chain.errors import ChainError

ANVIL_ENV = "NOTARY_ANVIL_BIN"
_PLATFORMS = {
    ("Linux", "x86_64"): "linux-amd64",
    ("Linux", "aarch64"): "linux-arm64",
    ("Darwin", "arm64"): "darwin-arm64",
    ("Darwin", "x86_64"): "darwin-amd64",
}


def find_anvil(start: Path | None = None) -> Path:
    """The Anvil binary: $NOTARY_ANVIL_BIN, the npm platform package, or `anvil` on PATH."""
    if os.environ.get(ANVIL_ENV):
        return Path(os.environ[ANVIL_ENV])
    suffix = _PLATFORMS.get((platform.system(), platform.machine()))
    here = (start or Path.cwd()).resolve()
    for folder in [here, *here.parents, Path(__file__).resolve().parents[2]]:
        candidate = folder / "node_modules" / "@foundry-rs" / f"anvil-{suffix}" / "bin" / "anvil"
        if suffix and candidate.is_file():
            return candidate
    on_path = shutil.which("anvil")
    if on_path:
        return Path(on_path)
    raise ChainError("Anvil not found: run `npm ci` in the repository (or set NOTARY_ANVIL_BIN)")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rpc_answers(url: str, timeout_s: float = 1.0) -> int | None:
    """The chain id if `url` answers JSON-RPC, else None."""
    try:
        reply = requests.post(
            url,
            json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []},
            timeout=timeout_s,
        )
        return int(reply.json()["result"], 16)
    except (requests.RequestException, ValueError, KeyError):
        return None


@dataclass
class AnvilNode:
    """A running Anvil process."""

    process: subprocess.Popen[bytes]
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self, timeout_s: float = 5.0) -> None:
        """SIGINT, then SIGTERM, then SIGKILL the node's whole process group."""
        stop_process_group(self.process.pid, timeout_s)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=timeout_s)


def start_anvil(
    *,
    port: int | None = None,
    state_file: Path | None = None,
    log_file: Path | None = None,
    chain_id: int = 31337,
    block_time_s: float | None = None,
    extra_args: list[str] | None = None,
    timeout_s: float = 20.0,
    die_with_parent: bool = True,
) -> AnvilNode:
    """Start Anvil on 127.0.0.1 and wait until it answers JSON-RPC.

    `die_with_parent`: the node gets SIGTERM when the calling thread dies (Linux); call
    from a thread that lives as long as the node should (normally the main thread).
    """
    port = port or free_port()
    args = [
        str(find_anvil()),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--chain-id",
        str(chain_id),
        "--silent",
    ]
    if state_file is not None:
        # --state loads the file if present and --state-interval 1 rewrites it every
        # second, so a killed node comes back with its contracts and anchors.
        args += ["--state", str(state_file), "--state-interval", "1"]
    if block_time_s is not None:
        args += ["--block-time", str(block_time_s)]
    args += extra_args or []
    out = open(log_file, "ab") if log_file else subprocess.DEVNULL  # noqa: SIM115
    try:
        process = subprocess.Popen(
            args,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=dies_with_parent() if die_with_parent else None,
        )
    finally:
        if log_file:
            out.close()  # type: ignore[union-attr]
    node = AnvilNode(process, port)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ChainError(f"Anvil exited at start (code {process.returncode}); see {log_file}")
        if rpc_answers(node.url, timeout_s=0.5) is not None:
            return node
        time.sleep(0.05)
    node.stop()
    raise ChainError(f"Anvil did not answer on {node.url} within {timeout_s:.0f}s")


def dies_with_parent(parent: int | None = None) -> Callable[[], None] | None:
    """A `preexec_fn` asking the kernel to SIGTERM the child when its parent (`parent`,
    by default this process) dies (Linux).

    Everything is looked up before the fork: between fork and exec only async-signal-safe
    work is allowed, and `prctl`, `getppid` and `_exit` are.
    """
    if platform.system() != "Linux":
        return None
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    prctl, parent = libc.prctl, os.getpid() if parent is None else parent

    def arm() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before the line above: follow it
            os._exit(1)

    return arm


_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def follow_parent(parent: int) -> None:
    """In a child that is already running (not between fork and exec): SIGTERM from the
    kernel when `parent` dies, or exit now if it already has (Linux; elsewhere nothing)."""
    arm = dies_with_parent(parent)
    if arm is not None:
        arm()


def stop_process_group(pid: int, timeout_s: float = 5.0) -> bool:
    """Stop the process group led by `pid`; True if something was running."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return sig is not signal.SIGINT
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not _alive(pid):
                return True
            time.sleep(0.05)
    return True


def _alive(pid: int) -> bool:
    try:
        waited, _ = os.waitpid(pid, os.WNOHANG)
        if waited == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
