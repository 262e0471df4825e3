"""Compile contracts/NotaryRegistry.sol into notary/artifacts/NotaryRegistry.json.

    .venv/bin/python scripts/build_contracts.py          # (re)write the artifact
    .venv/bin/python scripts/build_contracts.py --check  # exit 1 if the committed one is stale

Compiler settings come from foundry.toml; see notary/contracts_build.py for why the
output is byte-for-byte reproducible.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from notary.contracts_build import (  # noqa: E402
    ARTIFACT,
    BUILD_COMMAND,
    ContractBuildError,
    build_artifact,
    render,
)


def main(argv: list[str] | None = None) -> int:
    """Build (or with --check, verify) the committed contract artifact."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="do not write; exit 1 if the committed artifact differs from a fresh build",
    )
    args = parser.parse_args(argv)
    try:
        text = render(build_artifact(REPO_ROOT))
    except ContractBuildError as exc:
        print(f"build_contracts: {exc}", file=sys.stderr)
        return 2
    target = REPO_ROOT / ARTIFACT
    current = target.read_text("utf-8") if target.is_file() else None
    if args.check:
        if current != text:
            state = "missing" if current is None else "stale"
            print(f"{ARTIFACT} is {state}: run `{BUILD_COMMAND}` and commit it", file=sys.stderr)
            return 1
        print(f"{ARTIFACT} is up to date")
        return 0
    if current == text:
        print(f"{ARTIFACT} unchanged")
    else:
        target.write_text(text, "utf-8")
        print(f"wrote {ARTIFACT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
