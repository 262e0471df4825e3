"""The registry ships one build per EVM target, all with the same ABI."""

from __future__ import annotations

import pytest
from contracts_build import REPO_ROOT, compiler_settings

from notary.chain.artifact import (
    EVM_VERSIONS,
    artifact_targets,
    default_evm,
    load_artifact,
)
from notary.chain.errors import ChainError


def test_shanghai_and_the_default_are_built() -> None:
    targets = artifact_targets()
    assert "shanghai" in targets
    assert default_evm() == compiler_settings(REPO_ROOT)["evmVersion"] == targets[-1]


def test_every_target_has_the_same_abi() -> None:
    abis = {evm: load_artifact(evm).abi for evm in artifact_targets()}
    default = abis[default_evm()]
    assert {evm: abi == default for evm, abi in abis.items()} == dict.fromkeys(abis, True)


def test_each_artifact_is_compiled_for_its_target() -> None:
    for evm in artifact_targets():
        artifact = load_artifact(evm)
        assert artifact.evm_version == evm
    bytecodes = {load_artifact(evm).deployed_bytecode for evm in ("paris", "shanghai")}
    assert len(bytecodes) == 2  # PUSH0 changes the code: the targets really differ


def test_no_push0_in_the_pre_shanghai_build() -> None:
    code = bytes.fromhex(load_artifact("paris").deployed_bytecode.removeprefix("0x"))
    assert 0x5F not in _opcodes(code)
    assert 0x5F in _opcodes(bytes.fromhex(load_artifact("shanghai").deployed_bytecode[2:]))


def test_targets_are_listed_oldest_first() -> None:
    targets = artifact_targets()
    assert list(targets) == sorted(targets, key=EVM_VERSIONS.index)


def test_an_unbuilt_target_is_named() -> None:
    with pytest.raises(ChainError, match=r"not built for EVM 'frontier'.*shanghai"):
        load_artifact("frontier")


def _opcodes(code: bytes) -> set[int]:
    """The opcodes of EVM code, skipping PUSH data (stops at the metadata's INVALID byte)."""
    seen, i = set(), 0
    while i < len(code):
        op = code[i]
        seen.add(op)
        if op == 0xFE:  # solc's designated invalid opcode: CBOR metadata follows
            break
        i += 1 + (op - 0x5F if 0x60 <= op <= 0x7F else 0)
    return seen
