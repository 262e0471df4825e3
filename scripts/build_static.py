"""Copy the front-end files the pages use from node_modules into api/static/vendor/, and
bundle the one library whose modules a browser cannot load as they are.

    .venv/bin/python scripts/build_static.py

Run by `make install` after `npm ci`: every file comes from an npm package pinned in
package-lock.json, so no page loads anything from another host. The copies are build
output (git-ignored); a package's licence file travels with its files. @noble/curves'
secp256k1 imports @noble/hashes by package name, so esbuild (pinned too) makes it one
self-contained ES module, its licence comments kept.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
NODE_MODULES = REPO_ROOT / "node_modules"
VENDOR = REPO_ROOT / "api" / "static" / "vendor"
BUNDLES = {"@noble/curves/secp256k1.js": "export { secp256k1 } from '@noble/curves/secp256k1.js';"}
"""vendor path -> the entry esbuild bundles into it (the page checks issuer signatures)."""

NOBLE_SHA3 = ("sha3.js", "_u64.js", "utils.js")
"""keccak256 as ES modules: sha3.js imports the other two."""
FILES: dict[str, tuple[str, ...]] = {
    "swagger-ui-dist": ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png", "LICENSE"),
    "redoc": ("bundles/redoc.standalone.js", "LICENSE"),
    "hash-wasm": ("dist/sha256.umd.min.js", "LICENSE"),
    "@noble/hashes": (*NOBLE_SHA3, "LICENSE"),
    "jsqr": ("dist/jsQR.js", "LICENSE"),
    "@noble/curves": ("LICENSE",),
}
"""npm package -> files copied, keeping their paths under vendor/<package>/."""
TYPED = ("@noble/hashes", "@noble/curves")
"""Packages whose type declarations (*.d.ts) are copied beside their files, so that
`make lint-js` type-checks the page's calls into them rather than their own code."""


def build(node_modules: Path = NODE_MODULES, vendor: Path = VENDOR) -> list[Path]:
    """Copy every listed file; the copies written. Raises FileNotFoundError naming a
    missing file (run `npm ci` first)."""
    written = []
    for package, names in FILES.items():
        for name in names:
            source = node_modules / package / name
            if not source.is_file():
                raise FileNotFoundError(f"{source} is missing: run `npm ci` first")
            target = vendor / package / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            written.append(target)
    for package in TYPED:
        for source in sorted((node_modules / package).glob("**/*.d.ts")):
            if "node_modules" in source.relative_to(node_modules / package).parts:
                continue
            target = vendor / package / source.relative_to(node_modules / package)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            written.append(target)
    for name, entry in BUNDLES.items():
        written.append(_bundle(entry, vendor / name, node_modules))
    return written


def _bundle(entry: str, target: Path, node_modules: Path) -> Path:
    """One ES module from `entry`, minified; FileNotFoundError when esbuild is missing."""
    esbuild = node_modules / ".bin" / "esbuild"
    if not esbuild.is_file():
        raise FileNotFoundError(f"{esbuild} is missing: run `npm ci` first")
    target.parent.mkdir(parents=True, exist_ok=True)
    command = [str(esbuild), "--bundle", "--format=esm", "--minify", "--target=es2022"]
    command += ["--legal-comments=eof", "--log-level=warning", f"--outfile={target}"]
    subprocess.run(command, input=entry.encode(), cwd=node_modules.parent, check=True)
    return target


def main() -> int:
    """Build the vendor folder; one line on failure."""
    try:
        written = build()
    except FileNotFoundError as exc:
        print(f"build_static: {exc}", file=sys.stderr)
        return 1
    print(f"build_static: {len(written)} files in {VENDOR.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
