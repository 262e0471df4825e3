"""Anvil (Foundry) as a development node: the project's default local chain."""

from __future__ import annotations

from pathlib import Path

from notary.ops.anvil import AnvilNode, start_anvil
from notary.ops.devnodes.base import ProcessNode


class AnvilDevNode(ProcessNode):
    """Anvil, mining one block per transaction or every `block_time_s` seconds."""

    KIND = "anvil"

    def __init__(self, node: AnvilNode, block_time_s: int | None) -> None:
        super().__init__(node.process, node.port, None)
        self.block_time_s = block_time_s

    def mine(self, blocks: int = 1) -> None:
        self.request("anvil_mine", [blocks])

    def _set_mining(self, on: bool) -> None:
        if not on:
            self.request("evm_setAutomine", [False])
            self.request("evm_setIntervalMining", [0])
        elif self.block_time_s:
            self.request("evm_setIntervalMining", [self.block_time_s])
        else:
            self.request("evm_setAutomine", [True])


def start(
    *, port: int, block_time_s: float | None, hardfork: str | None, log_file: Path | None
) -> AnvilDevNode:
    """Start Anvil (the platform binary) and wait until it answers."""
    seconds = int(block_time_s) if block_time_s else None
    node = start_anvil(
        port=port,
        log_file=log_file,
        block_time_s=seconds,
        extra_args=["--hardfork", hardfork] if hardfork else [],
    )
    return AnvilDevNode(node, seconds)
