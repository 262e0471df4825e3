"""The committed contract artifact is exactly what the current sources compile to."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from notary.contracts_build import (
    ARTIFACT,
    BUILD_COMMAND,
    REPO_ROOT,
    ContractBuildError,
    build_artifact,
    render,
)

pytestmark = pytest.mark.node


def test_committed_artifact_matches_fresh_build(tmp_path: Path) -> None:
    committed = REPO_ROOT / ARTIFACT
    assert committed.is_file(), f"{ARTIFACT} is missing: run `{BUILD_COMMAND}` and commit it"
    try:
        fresh = render(build_artifact(REPO_ROOT))
    except ContractBuildError as exc:  # CI has node and solcjs: never skip, say what is missing
        pytest.fail(f"cannot rebuild {ARTIFACT}: {exc}")
    rebuilt = tmp_path / "NotaryRegistry.json"
    rebuilt.write_text(fresh, "utf-8")
    if rebuilt.read_bytes() != committed.read_bytes():
        old, new = json.loads(committed.read_text("utf-8")), json.loads(fresh)
        changed = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
        pytest.fail(
            f"{ARTIFACT} is stale (differs in {', '.join(changed) or 'formatting'}): "
            f"run `{BUILD_COMMAND}` and commit it"
        )


def test_artifact_settings_match_foundry_toml() -> None:
    from notary.contracts_build import compiler_settings

    artifact = json.loads((REPO_ROOT / ARTIFACT).read_text("utf-8"))
    assert artifact["compiler"]["settings"] == compiler_settings(REPO_ROOT)
    assert artifact["compiler"]["settings"]["metadata"] == {"bytecodeHash": "none"}
