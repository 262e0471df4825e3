"""Compile contracts/NotaryRegistry.sol into the committed artifact, reproducibly.

Development-time only (needs Node and the npm packages); the service reads the committed
`notary/artifacts/NotaryRegistry.json` through `notary.chain.artifact` and needs neither.

Compiler settings come from `foundry.toml`, so the artifact and `forge test` compile the
same bytecode. The CBOR metadata hash is switched off (`bytecode_hash = "none"`): solc's
metadata hashes the source paths, every imported file and all settings, so any
difference in a checkout path or an unrelated comment would change the bytecode and the
committed artifact could not be checked for freshness byte for byte. What the hash would
have given (a link to the exact sources) the artifact records explicitly instead: the
compiler version, its settings and the SHA-256 of every source file.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
SOURCE = "contracts/NotaryRegistry.sol"
CONTRACT = "NotaryRegistry"
ARTIFACT = "notary/artifacts/NotaryRegistry.json"
SOLC_WRAPPER = "scripts/solc"
BUILD_COMMAND = ".venv/bin/python scripts/build_contracts.py"


class ContractBuildError(Exception):
    """The contract could not be compiled; the message says what to do."""


def compiler_settings(root: Path = REPO_ROOT) -> dict[str, Any]:
    """The solc standard-JSON settings forge uses, read from `foundry.toml`."""
    profile = tomllib.loads((root / "foundry.toml").read_text("utf-8"))["profile"]["default"]
    return {
        "evmVersion": profile["evm_version"],
        "metadata": {"bytecodeHash": profile.get("bytecode_hash", "ipfs")},
        "optimizer": {
            "enabled": bool(profile["optimizer"]),
            "runs": int(profile["optimizer_runs"]),
        },
        "remappings": sorted(profile.get("remappings", [])),
    }


def _solc_version(solc: Path) -> str:
    """`0.8.37+commit.f401782d`: without the platform suffix, which differs between the
    native compiler and solcjs although their output is identical."""
    import solcx.exceptions
    import solcx.wrapper

    try:
        return solcx.wrapper.get_version_str_from_solc_binary(solc)
    except (OSError, subprocess.CalledProcessError, solcx.exceptions.SolcError) as exc:
        raise ContractBuildError(
            f"{solc} --version failed ({exc}); is node installed and `npm ci` run?"
        ) from exc


def _require_toolchain(root: Path) -> Path:
    """The solc wrapper, after checking what it needs (it is a Node script over solcjs)."""
    if shutil.which("node") is None:
        raise ContractBuildError("node is not on PATH: install Node.js, then run `npm ci`")
    if not (root / "node_modules" / "solc" / "package.json").is_file():
        raise ContractBuildError(f"node_modules/solc is missing under {root}: run `npm ci`")
    return root / SOLC_WRAPPER


def build_artifact(root: Path = REPO_ROOT) -> dict[str, Any]:
    """Compile the registry and return the artifact as a dict."""
    import solcx

    solc = _require_toolchain(root)
    settings = compiler_settings(root)
    source_text = (root / SOURCE).read_text("utf-8")
    input_json = {
        "language": "Solidity",
        "sources": {SOURCE: {"content": source_text}},
        "settings": {
            **settings,
            "outputSelection": {
                "*": {"": []},
                SOURCE: {CONTRACT: ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"]},
            },
        },
    }
    try:
        output = solcx.compile_standard(
            input_json, base_path=root, allow_paths=[root], solc_binary=solc
        )
    except solcx.exceptions.SolcError as exc:
        raise ContractBuildError(f"compiling {SOURCE} failed:\n{exc}") from exc
    contract = output["contracts"][SOURCE][CONTRACT]
    sources = {name: _sha256(root / name) for name in sorted(output["sources"])}
    return {
        "contractName": CONTRACT,
        "abi": contract["abi"],
        "bytecode": "0x" + contract["evm"]["bytecode"]["object"],
        "deployedBytecode": "0x" + contract["evm"]["deployedBytecode"]["object"],
        "compiler": {"version": _solc_version(solc), "settings": settings},
        "sourceSha256": _sha256(root / SOURCE),
        "sources": sources,
    }


def render(artifact: dict[str, Any]) -> str:
    """The artifact's canonical text: sorted keys, two-space indent, final newline."""
    return json.dumps(artifact, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
