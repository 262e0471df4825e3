"""Local development nodes of three implementations, started and controlled alike.

Anvil (Foundry, Rust), Ganache 7 (EthereumJS, pre-Cancun) and Hardhat 3 (EDR), each
installed from npm and started on a free port of 127.0.0.1. Tests run the chain tier
against every kind, so nothing in the service may rely on what only one of them does.
"""

from notary.ops.devnodes.base import NODE_KINDS, DevNode, NodeError, start_node

__all__ = ["NODE_KINDS", "DevNode", "NodeError", "start_node"]
