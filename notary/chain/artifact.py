"""The compiled contracts (ABI and bytecode) shipped inside the package, one per EVM target.

The artifacts are committed, so running the service against an existing deployment
needs no Node and no compiler; `scripts/build_contracts.py` regenerates them as
`notary/artifacts/<Contract>.<evm>.json`. Every target of a contract has the same ABI;
only the bytecode differs (a newer EVM allows cheaper opcodes).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from notary.chain.errors import ChainError

ARTIFACTS_DIR = "notary/artifacts"
REGISTRY_CONTRACT = "NotaryRegistry"
# Ethereum's EVM versions as solc names them, oldest first (each runs the code of those
# before it). Only versions whose opcodes solc uses differently need a build of their own.
EVM_VERSIONS = ("paris", "shanghai", "cancun", "prague", "osaka")


@dataclass(frozen=True)
class RegistryArtifact:
    """ABI, creation bytecode and compiler facts of a contract compiled for one EVM."""

    abi: list[dict[str, Any]]
    bytecode: str
    deployed_bytecode: str
    compiler_version: str
    evm_version: str


def artifact_name(contract: str, evm: str) -> str:
    """The file name of `contract`'s artifact for `evm`, e.g. `NotaryRegistry.cancun.json`."""
    return f"{contract}.{evm}.json"


def artifact_targets(contract: str = REGISTRY_CONTRACT) -> tuple[str, ...]:
    """The EVM versions `contract` is built for, oldest first."""
    names = {
        entry.name
        for entry in resources.files("notary.artifacts").iterdir()
        if entry.name.endswith(".json")
    }
    return tuple(v for v in EVM_VERSIONS if artifact_name(contract, v) in names)


def default_evm(contract: str = REGISTRY_CONTRACT) -> str:
    """The newest EVM `contract` is built for: foundry.toml's, the one forge tests."""
    targets = artifact_targets(contract)
    if not targets:
        raise ChainError(f"no artifact of {contract} in the package: reinstall notary")
    return targets[-1]


def load_artifact(evm: str | None = None, contract: str = REGISTRY_CONTRACT) -> RegistryArtifact:
    """Read the committed artifact of `contract` for `evm` (default: the newest target)."""
    evm = evm or default_evm(contract)
    name = artifact_name(contract, evm)
    try:
        text = resources.files("notary.artifacts").joinpath(name).read_text("utf-8")
    except FileNotFoundError:
        built = ", ".join(artifact_targets(contract)) or "none"
        raise ChainError(f"{contract} is not built for EVM {evm!r} (built: {built})") from None
    data = json.loads(text)
    return RegistryArtifact(
        abi=data["abi"],
        bytecode=data["bytecode"],
        deployed_bytecode=data["deployedBytecode"],
        compiler_version=data["compiler"]["version"],
        evm_version=data["compiler"]["settings"]["evmVersion"],
    )
