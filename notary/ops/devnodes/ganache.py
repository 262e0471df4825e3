"""Ganache 7 (EthereumJS) as a development node: Node.js ≥ 16, newest EVM shanghai.

Its quirks are why it is here: a transaction sent twice is "transaction underpriced",
a revert from `eth_estimateGas` carries its data in an object, and MCOPY is missing.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from notary.ops.anvil import dies_with_parent
from notary.ops.devnodes.base import NodeError, ProcessNode, find_package_file

CLI = "ganache/dist/node/cli.js"
CHAIN_ID = 1337
START_TIMEOUT_S = 60.0


class GanacheNode(ProcessNode):
    """Ganache, instamining or mining every `block_time_s` seconds."""

    KIND = "ganache"

    def _set_mining(self, on: bool) -> None:
        self.request("miner_start" if on else "miner_stop", [])


def start(
    *, port: int, block_time_s: float | None, hardfork: str | None, log_file: Path | None
) -> GanacheNode:
    """Start Ganache with the system's Node.js and wait until it answers."""
    node_bin = shutil.which("node")
    if node_bin is None:
        raise NodeError("node is not on PATH: Ganache needs Node.js (and `npm ci`)")
    args = [
        node_bin,
        str(find_package_file(CLI)),
        "--server.host=127.0.0.1",
        f"--server.port={port}",
        f"--chain.chainId={CHAIN_ID}",
        "--logging.quiet",
        "--wallet.totalAccounts=1",
        "--wallet.defaultBalance=1000000",
    ]
    if hardfork:
        args.append(f"--chain.hardfork={hardfork}")
    if block_time_s:
        args.append(f"--miner.blockTime={block_time_s}")
    out = open(log_file, "ab") if log_file else subprocess.DEVNULL  # noqa: SIM115
    try:
        process = subprocess.Popen(
            args,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=dies_with_parent(),
        )
    finally:
        if log_file:
            out.close()  # type: ignore[union-attr]
    node = GanacheNode(process, port, log_file)
    node.wait_until_answering(START_TIMEOUT_S)
    return node
