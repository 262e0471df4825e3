"""Compile the contracts into the committed artifacts, one per contract and EVM target.

Development-time only (needs Node and the npm packages); the service reads the committed
`notary/artifacts/<Contract>.<evm>.json` through `notary.chain.artifact` and needs neither.

Compiler settings come from `foundry.toml`, so the artifacts and `forge test` compile the
same bytecode; `forge test` runs the default target (`evm_version` there) and the builder
compiles the same sources again for each older target in `EVM_TARGETS`, which chains
still running an older EVM can execute (no PUSH0 before shanghai, no MCOPY or transient
storage before cancun). Every target must give the same ABI: receipts and clients do not
depend on the target a registry was deployed from.

The CBOR metadata hash is switched off (`bytecode_hash = "none"`): solc's metadata hashes
the source paths, every imported file and all settings, so any difference in a checkout
path or an unrelated comment would change the bytecode and the committed artifacts could
not be checked for freshness byte for byte. What the hash would have given (a link to
the exact sources) each artifact records explicitly instead: the compiler version, its
settings and the SHA-256 of every source file.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from notary.chain.artifact import ARTIFACTS_DIR, EVM_VERSIONS, artifact_name

REPO_ROOT = Path(__file__).resolve().parents[1]
SOLC_WRAPPER = "scripts/solc"
BUILD_COMMAND = ".venv/bin/python scripts/build_contracts.py"


@dataclass(frozen=True)
class ContractSource:
    """One contract to build: the file it is in and its name there."""

    path: str
    name: str


CONTRACTS = (
    ContractSource("contracts/NotaryRegistry.sol", "NotaryRegistry"),
    # Frozen: the registry before issuer signing keys, for tests that deploy both.
    ContractSource("contracts/legacy/NotaryRegistryV1.sol", "NotaryRegistryV1"),
)
# Older EVMs an agency's chain may run; foundry.toml's evm_version is always built too.
# paris is the last EVM before PUSH0; shanghai the last before MCOPY and transient storage.
EVM_TARGETS = ("paris", "shanghai", "cancun")


class ContractBuildError(Exception):
    """The contracts could not be compiled; the message says what to do."""


def compiler_settings(root: Path = REPO_ROOT, evm: str | None = None) -> dict[str, Any]:
    """The solc standard-JSON settings forge uses, read from `foundry.toml`
    (for `evm`, the same settings with that EVM version)."""
    profile = tomllib.loads((root / "foundry.toml").read_text("utf-8"))["profile"]["default"]
    return {
        "evmVersion": evm or profile["evm_version"],
        "metadata": {"bytecodeHash": profile.get("bytecode_hash", "ipfs")},
        "optimizer": {
            "enabled": bool(profile["optimizer"]),
            "runs": int(profile["optimizer_runs"]),
        },
        "remappings": sorted(profile.get("remappings", [])),
    }


def evm_targets(root: Path = REPO_ROOT) -> tuple[str, ...]:
    """Every EVM version to build, oldest first: `EVM_TARGETS` and foundry.toml's default."""
    default = compiler_settings(root)["evmVersion"]
    wanted = {*EVM_TARGETS, default}
    unknown = wanted - set(EVM_VERSIONS)
    if unknown:
        raise ContractBuildError(
            f"unknown EVM version(s) {sorted(unknown)}: add them to EVM_VERSIONS in "
            "notary/chain/artifact.py, in order"
        )
    if EVM_VERSIONS.index(default) < max(EVM_VERSIONS.index(t) for t in wanted):
        raise ContractBuildError(
            f"foundry.toml's evm_version {default} must be the newest target: forge tests it "
            "and deployments default to it"
        )
    return tuple(v for v in EVM_VERSIONS if v in wanted)


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


def build_artifacts(root: Path = REPO_ROOT) -> dict[str, dict[str, Any]]:
    """Compile every contract for every target: artifact path (from `root`) → artifact."""
    solc = _require_toolchain(root)
    version = _solc_version(solc)
    targets = evm_targets(root)
    # One solcjs process per target, side by side: each is single-threaded.
    with ThreadPoolExecutor(max_workers=min(len(targets), os.cpu_count() or 1)) as pool:
        compiled = list(pool.map(lambda evm: _compile(root, solc, version, evm), targets))
    built: dict[str, dict[str, Any]] = {}
    for evm, artifacts in zip(targets, compiled, strict=True):
        for artifact in artifacts:
            built[f"{ARTIFACTS_DIR}/{artifact_name(artifact['contractName'], evm)}"] = artifact
    for contract in CONTRACTS:
        abis = {
            json.dumps(a["abi"], sort_keys=True)
            for a in built.values()
            if a["contractName"] == contract.name
        }
        if len(abis) != 1:
            raise ContractBuildError(
                f"{contract.name} has a different ABI on some EVM targets: every target "
                "must offer the same functions, events and errors"
            )
    return built


def _compile(root: Path, solc: Path, version: str, evm: str) -> list[dict[str, Any]]:
    """The artifacts of every contract in `CONTRACTS` compiled for `evm`."""
    import solcx

    settings = compiler_settings(root, evm)
    paths = sorted({c.path for c in CONTRACTS})
    input_json = {
        "language": "Solidity",
        "sources": {path: {"content": (root / path).read_text("utf-8")} for path in paths},
        "settings": {
            **settings,
            "outputSelection": {
                "*": {"": []},
                **{
                    path: {
                        c.name: [
                            "abi",
                            "metadata",
                            "evm.bytecode.object",
                            "evm.deployedBytecode.object",
                        ]
                        for c in CONTRACTS
                        if c.path == path
                    }
                    for path in paths
                },
            },
        },
    }
    try:
        output = solcx.compile_standard(
            input_json, base_path=root, allow_paths=[root], solc_binary=solc
        )
    except solcx.exceptions.SolcError as exc:
        raise ContractBuildError(f"compiling {', '.join(paths)} for {evm} failed:\n{exc}") from exc
    artifacts = []
    for contract in CONTRACTS:
        compiled = output["contracts"][contract.path][contract.name]
        # The contract's own sources (its metadata's), not every file of this compilation.
        used = json.loads(compiled["metadata"])["sources"]
        sources = {name: _sha256(root / name) for name in sorted(used)}
        artifacts.append(
            {
                "contractName": contract.name,
                "abi": compiled["abi"],
                "bytecode": "0x" + compiled["evm"]["bytecode"]["object"],
                "deployedBytecode": "0x" + compiled["evm"]["deployedBytecode"]["object"],
                "compiler": {"version": version, "settings": settings},
                "sourceSha256": _sha256(root / contract.path),
                "sources": sources,
            }
        )
    return artifacts


def render(artifact: dict[str, Any]) -> str:
    """An artifact's canonical text: sorted keys, two-space indent, final newline."""
    return json.dumps(artifact, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def stale_artifacts(root: Path, built: dict[str, dict[str, Any]]) -> list[str]:
    """Committed artifact files (from `root`) that a fresh build would not write."""
    return sorted(
        str(p.relative_to(root))
        for p in (root / ARTIFACTS_DIR).glob("*.json")
        if str(p.relative_to(root)) not in built
    )


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
