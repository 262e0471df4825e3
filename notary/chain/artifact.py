"""The compiled NotaryRegistry (ABI and bytecode) shipped inside the package.

The artifact is committed, so running the service against an existing deployment
needs no Node and no compiler; `scripts/build_contracts.py` regenerates it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

ARTIFACT_NAME = "NotaryRegistry.json"


@dataclass(frozen=True)
class RegistryArtifact:
    """ABI, creation bytecode and compiler facts of the registry contract."""

    abi: list[dict[str, Any]]
    bytecode: str
    deployed_bytecode: str
    compiler_version: str


def load_artifact() -> RegistryArtifact:
    """Read the committed NotaryRegistry artifact from the package."""
    text = resources.files("notary.artifacts").joinpath(ARTIFACT_NAME).read_text("utf-8")
    data = json.loads(text)
    return RegistryArtifact(
        abi=data["abi"],
        bytecode=data["bytecode"],
        deployed_bytecode=data["deployedBytecode"],
        compiler_version=data["compiler"]["version"],
    )
