"""Which EVM a node runs, asked of the node itself, and which build of a contract fits it.

Each probe is an `eth_call` without a `to`, which every node runs as contract creation
code and so needs no deployed contract, no state override and no node-specific method:
a few bytes that use the one opcode an EVM version introduced and return nothing. A node
that lacks the opcode answers the call with an error ("invalid opcode", "not activated").
A control call with no new opcode must succeed first, so a node that refuses calls for
another reason (a rate limit, a disabled method) is reported, not taken for an old EVM.
"""

from __future__ import annotations

from typing import Any

from web3 import Web3
from web3.types import RPCEndpoint

from notary.chain.artifact import EVM_VERSIONS, artifact_targets
from notary.chain.connection import endpoint_of, rpc_guard
from notary.chain.errors import ChainError

AUTO = "auto"
# PUSH1 0, PUSH1 0, RETURN: valid on every EVM.
CONTROL_CODE = "0x60006000f3"
# The opcode each version added that solc uses, in creation code that ends in RETURN(0, 0).
PROBES = {
    "shanghai": "0x5f5ff3",  # PUSH0 PUSH0 RETURN
    "cancun": "0x6000600060005e60006000f3",  # MCOPY(0, 0, 0)
    "osaka": "0x60001e5060006000f3",  # CLZ(0), POP
}


class EvmUnknown(ChainError):
    """The node would not run the control probe, so its EVM version cannot be told."""


def node_evm(w3: Web3) -> str:
    """The newest EVM version whose opcodes the node at `w3` runs (as far as probes tell)."""
    control = _creation_call(w3, CONTROL_CODE)
    if "error" in control or control.get("result") not in ("0x", ""):
        raise EvmUnknown(
            f"{endpoint_of(w3)} did not run a plain test call (eth_call answered "
            f"{_answer(control)}), so its EVM version cannot be asked: choose it with --evm"
        )
    supported = EVM_VERSIONS[0]
    for version in EVM_VERSIONS[1:]:
        probe = PROBES.get(version)
        if probe is not None and "error" in _creation_call(w3, probe):
            break
        if probe is not None:
            supported = version
    return supported


def choose_target(w3: Web3, requested: str | None = AUTO, contract: str | None = None) -> str:
    """The build of `contract` to deploy on the node at `w3`.

    `requested` names a target (checked against the node: deploying code it cannot run
    would leave a registry whose calls fail), or is `auto`/None: the newest build the node runs.
    """
    targets = artifact_targets(contract) if contract else artifact_targets()
    explicit = requested not in (None, AUTO)
    if explicit and requested not in targets:
        raise ChainError(
            f"no build for EVM {requested!r}: choose one of {', '.join(targets)} or {AUTO}"
        )
    try:
        supported = node_evm(w3)
    except EvmUnknown:
        if explicit:  # the operator knows the chain; the node just will not say
            return str(requested)
        raise
    runs = [t for t in targets if EVM_VERSIONS.index(t) <= EVM_VERSIONS.index(supported)]
    if not explicit:
        if not runs:
            raise ChainError(
                f"{endpoint_of(w3)} runs EVM {supported} or older; the oldest build is {targets[0]}"
            )
        return runs[-1]
    if requested not in runs:
        raise ChainError(
            f"{endpoint_of(w3)} cannot run the {requested} build (its EVM is {supported}): "
            f"choose {runs[-1] if runs else 'an older EVM'} or {AUTO}"
        )
    return str(requested)


def _creation_call(w3: Web3, code: str) -> dict[str, Any]:
    """The node's raw answer to running `code` as creation code."""
    with rpc_guard(w3):
        answer = w3.provider.make_request(RPCEndpoint("eth_call"), [{"data": code}, "latest"])
    return dict(answer)


def _answer(answer: dict[str, Any]) -> str:
    error = answer.get("error")
    if isinstance(error, dict):
        return str(error.get("message", error))[:200]
    return repr(answer.get("result"))[:80]
