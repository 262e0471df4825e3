"""The frozen first registry (contracts/legacy/NotaryRegistryV1.sol) still builds exactly the
code deployed before issuer signing keys, so tests that deploy it beside the current
registry test what agencies really have on chain."""

from __future__ import annotations

import hashlib

import pytest

from notary.chain.artifact import artifact_targets, load_artifact

LEGACY = "NotaryRegistryV1"
# SHA-256 of the runtime code of each build as committed before signing keys, e.g.
#   git show 136f571:notary/artifacts/NotaryRegistry.osaka.json \
#     | jq -r .deployedBytecode | cut -c3- | xxd -r -p | sha256sum
DEPLOYED_CODE_SHA256 = {
    "paris": "22ba2f1ba626b8f1499c6fe18d6c152f5313d7d611d422e9d648f4a8b7f1cdb7",
    "shanghai": "843111f41fc397ea2820afe9d0abb377be053029d33e775fbb0563d06dc0e580",
    "cancun": "e96e1732dd060c61789c9aa07fc38ad2d02a190f8f7c68ee7d4bd3dbec20ebd3",
    "osaka": "e96e1732dd060c61789c9aa07fc38ad2d02a190f8f7c68ee7d4bd3dbec20ebd3",
}


def test_the_legacy_registry_is_built_for_every_target() -> None:
    assert artifact_targets(LEGACY) == artifact_targets()


@pytest.mark.parametrize("evm", sorted(DEPLOYED_CODE_SHA256))
def test_the_legacy_build_is_the_code_deployed_before_signing_keys(evm: str) -> None:
    code = bytes.fromhex(load_artifact(evm, LEGACY).deployed_bytecode.removeprefix("0x"))
    assert hashlib.sha256(code).hexdigest() == DEPLOYED_CODE_SHA256[evm]


def _without_internal_types(entry: object) -> object:
    """An ABI entry as callers see it: solc's `internalType` names the contract's structs."""
    if isinstance(entry, dict):
        return {k: _without_internal_types(v) for k, v in entry.items() if k != "internalType"}
    if isinstance(entry, list):
        return [_without_internal_types(v) for v in entry]
    return entry


def test_the_current_registry_keeps_every_function_event_and_error_of_the_first() -> None:
    current = [_without_internal_types(e) for e in load_artifact().abi]
    for entry in load_artifact(contract=LEGACY).abi:
        if entry["type"] == "constructor":
            continue
        assert _without_internal_types(entry) in current, entry.get("name", entry["type"])
