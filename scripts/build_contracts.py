"""Compile the contracts into notary/artifacts/<Contract>.<evm>.json, one per EVM target.

    .venv/bin/python scripts/build_contracts.py          # (re)write the artifacts
    .venv/bin/python scripts/build_contracts.py --check  # exit 1 if a committed one is stale

Compiler settings come from foundry.toml, the contracts and older EVM targets from
scripts/contracts_build.py, which also says why the output is byte-for-byte reproducible.
Artifacts a build no longer writes (a contract or target dropped) are deleted.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from contracts_build import (  # noqa: E402
    BUILD_COMMAND,
    ContractBuildError,
    build_artifacts,
    render,
    stale_artifacts,
)


def main(argv: list[str] | None = None) -> int:
    """Build (or with --check, verify) the committed contract artifacts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="do not write; exit 1 if a committed artifact differs from a fresh build",
    )
    args = parser.parse_args(argv)
    try:
        built = build_artifacts(REPO_ROOT)
    except ContractBuildError as exc:
        print(f"build_contracts: {exc}", file=sys.stderr)
        return 2
    outdated = []
    for path, artifact in built.items():
        target, text = REPO_ROOT / path, render(artifact)
        current = target.read_text("utf-8") if target.is_file() else None
        if current == text:
            print(f"{path} up to date" if args.check else f"{path} unchanged")
        elif args.check:
            outdated.append(f"{path} is {'missing' if current is None else 'stale'}")
        else:
            target.write_text(text, "utf-8")
            print(f"wrote {path}")
    for path in stale_artifacts(REPO_ROOT, built):
        if args.check:
            outdated.append(f"{path} is no longer built")
        else:
            (REPO_ROOT / path).unlink()
            print(f"deleted {path}")
    if outdated:
        for line in outdated:
            print(line, file=sys.stderr)
        print(f"run `{BUILD_COMMAND}` and commit the artifacts", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
