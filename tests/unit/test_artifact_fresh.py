"""The committed contract artifacts are exactly what the current sources compile to."""

from __future__ import annotations

import json

import pytest
from contracts_build import (
    BUILD_COMMAND,
    REPO_ROOT,
    ContractBuildError,
    build_artifacts,
    compiler_settings,
    evm_targets,
    render,
    stale_artifacts,
)

pytestmark = pytest.mark.node


def test_committed_artifacts_match_fresh_build() -> None:
    try:
        fresh = build_artifacts(REPO_ROOT)
    except ContractBuildError as exc:  # CI has node and solcjs: never skip, say what is missing
        pytest.fail(f"cannot rebuild the artifacts: {exc}")
    problems = []
    for path, artifact in fresh.items():
        committed = REPO_ROOT / path
        if not committed.is_file():
            problems.append(f"{path} is missing")
        elif committed.read_bytes() != render(artifact).encode("utf-8"):
            old = json.loads(committed.read_text("utf-8"))
            changed = sorted(
                k for k in old.keys() | artifact.keys() if old.get(k) != artifact.get(k)
            )
            problems.append(f"{path} is stale (differs in {', '.join(changed) or 'formatting'})")
    problems += [f"{path} is no longer built" for path in stale_artifacts(REPO_ROOT, fresh)]
    assert not problems, f"{'; '.join(problems)}: run `{BUILD_COMMAND}` and commit them"


def test_artifact_settings_match_foundry_toml() -> None:
    for evm in evm_targets(REPO_ROOT):
        artifact = json.loads(
            (REPO_ROOT / "notary/artifacts" / f"NotaryRegistry.{evm}.json").read_text("utf-8")
        )
        assert artifact["compiler"]["settings"] == compiler_settings(REPO_ROOT, evm)
        assert artifact["compiler"]["settings"]["metadata"] == {"bytecodeHash": "none"}
