"""What every local development node offers, and starting one by kind."""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from web3 import Web3
from web3.types import RPCEndpoint

from notary.chain.errors import ChainError
from notary.ops.anvil import free_port, rpc_answers, stop_process_group

NODE_KINDS = ("anvil", "ganache", "hardhat")
REPO_ROOT = Path(__file__).resolve().parents[3]


class NodeError(ChainError):
    """A local node could not be started or controlled."""


class DevNode(Protocol):
    """A running local node: its endpoint, its dev account's money and its miner."""

    @property
    def kind(self) -> str:
        """ "anvil", "ganache" or "hardhat"."""

    @property
    def url(self) -> str:
        """Its JSON-RPC endpoint on 127.0.0.1."""

    @property
    def pid(self) -> int:
        """The process (group leader) it runs as."""

    def request(self, method: str, params: list[Any]) -> Any:
        """The result of one JSON-RPC call to it (NodeError if it answers with an error)."""

    def stop(self) -> None:
        """Stop the node and every process it started."""

    def fund(self, addresses: list[str], wei: int) -> None:
        """Send `wei` to each address from the node's unlocked dev account, and wait."""

    def mine(self, blocks: int = 1) -> None:
        """Mine `blocks` blocks now."""

    def hold_blocks(self) -> contextlib.AbstractContextManager[None]:
        """No block is mined inside the block (sent transactions wait in the pool); on
        leaving it a block takes what waited and mining goes on as before."""


class ProcessNode:
    """Shared machinery: a node process in its own group, reached over JSON-RPC."""

    KIND = "node"

    def __init__(self, process: subprocess.Popen[bytes], port: int, log_file: Path | None):
        self.process = process
        self.port = port
        self.log_file = log_file
        self.w3 = Web3(Web3.HTTPProvider(self.url, request_kwargs={"timeout": 30}))

    @property
    def kind(self) -> str:
        return self.KIND

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        stop_process_group(self.process.pid)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)

    def request(self, method: str, params: list[Any]) -> Any:
        """The result of one JSON-RPC call; NodeError with the node's answer if it failed."""
        answer = self.w3.provider.make_request(RPCEndpoint(method), params)
        if "error" in answer:
            raise NodeError(f"{self.kind} refused {method}: {answer['error']}")
        return answer.get("result")

    def fund(self, addresses: list[str], wei: int) -> None:
        dev = self.request("eth_accounts", [])[0]
        hashes = [
            self.request("eth_sendTransaction", [{"from": dev, "to": a, "value": hex(wei)}])
            for a in addresses
        ]
        for tx_hash in hashes:
            self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60, poll_latency=0.05)

    def mine(self, blocks: int = 1) -> None:
        for _ in range(blocks):
            self.request("evm_mine", [])

    @contextlib.contextmanager
    def hold_blocks(self) -> Iterator[None]:
        self._set_mining(False)
        try:
            yield
        finally:
            self._set_mining(True)
            self.mine(1)  # turning automine back on does not mine what is already waiting

    def _set_mining(self, on: bool) -> None:
        raise NotImplementedError

    def wait_until_answering(self, timeout_s: float) -> None:
        """Return once the node answers JSON-RPC; NodeError if it exits or never does."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise NodeError(
                    f"{self.kind} exited at start (code {self.process.returncode})"
                    + (f"; see {self.log_file}" if self.log_file else "")
                )
            if rpc_answers(self.url, timeout_s=0.5) is not None:
                return
            time.sleep(0.1)
        self.stop()
        raise NodeError(f"{self.kind} did not answer on {self.url} within {timeout_s:.0f}s")


def find_package_file(relative: str, start: Path | None = None) -> Path:
    """A file inside `node_modules`, looked for from `start` upwards, then in this checkout."""
    here = (start or Path.cwd()).resolve()
    for folder in [here, *here.parents, REPO_ROOT]:
        candidate = folder / "node_modules" / relative
        if candidate.is_file():
            return candidate
    raise NodeError(f"node_modules/{relative} not found: run `npm ci` in the repository")


def start_node(
    kind: str,
    *,
    block_time_s: float | None = None,
    hardfork: str | None = None,
    log_file: Path | None = None,
    port: int | None = None,
) -> DevNode:
    """Start a node of `kind` on 127.0.0.1 (a free port unless given) and wait for it.

    `block_time_s`: mine a block every so many seconds instead of one per transaction.
    `hardfork`: the EVM to run, as the node names it (default: the node's newest).
    """
    from notary.ops.devnodes import anvil, ganache, hardhat

    starters = {"anvil": anvil.start, "ganache": ganache.start, "hardhat": hardhat.start}
    if kind not in starters:
        raise NodeError(f"unknown node kind {kind!r}: one of {', '.join(NODE_KINDS)}")
    node: DevNode = starters[kind](
        port=port or free_port(), block_time_s=block_time_s, hardfork=hardfork, log_file=log_file
    )
    return node
