"""Documents on disk and the receipts beside them: finding, naming and writing them.

A document `permit.pdf` has its receipt in `permit.pdf.receipt.json` and, optionally, its
metadata in `permit.pdf.meta.json`, beside it or (with `--out DIR`) under DIR at the same
relative place. Receipts are written whole or not at all (a temporary file renamed into
place), so an interrupted run never leaves a half receipt that a resumed run would trust.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from notary.cli.client import CliError, UsageError

RECEIPT_SUFFIX = ".receipt.json"
META_SUFFIX = ".meta.json"


class DiskFull(CliError):
    """No space was left to write a receipt."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"no space left on the device writing {path}: free some space (or write the "
            "receipts elsewhere with --out DIR) and run the same command again; files "
            "that already have a receipt are skipped"
        )


@dataclass(frozen=True)
class Document:
    """A file to notarise or verify, and where its receipt lives."""

    path: Path
    relative: Path
    """The path below the folder it was found in (its name, for a file given itself)."""

    def receipt_path(self, out: Path | None = None) -> Path:
        """`FILE.receipt.json` beside the file, or at the same relative place under `out`."""
        if out is None:
            return self.path.with_name(self.path.name + RECEIPT_SUFFIX)
        return out / self.relative.with_name(self.relative.name + RECEIPT_SUFFIX)

    @property
    def meta_path(self) -> Path:
        """The sidecar metadata file, `FILE.meta.json`."""
        return self.path.with_name(self.path.name + META_SUFFIX)


def is_sidecar(path: Path) -> bool:
    """A receipt or metadata file (never a document of its own)."""
    return path.name.endswith((RECEIPT_SUFFIX, META_SUFFIX))


def find_documents(paths: Sequence[Path], pattern: str | None = None) -> Iterator[Document]:
    """Files given, and files found below folders given (recursively), in a stable order.

    `pattern` (a glob such as `*.pdf`) filters the files found in folders; sidecars and
    hidden files are skipped there. A path that does not exist is a UsageError.
    """
    for given in paths:
        if given.is_file():
            yield Document(given, Path(given.name))
        elif given.is_dir():
            for found in sorted(given.rglob(pattern or "*")):
                rel = found.relative_to(given)
                if any(part.startswith(".") for part in rel.parts) or is_sidecar(found):
                    continue
                if found.is_file():
                    yield Document(found, rel)
        else:
            raise UsageError(f"{given}: no such file or folder")


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` whole or not at all; DiskFull when the disk is full."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise DiskFull(path) from None
        raise CliError(f"cannot write {path}: {exc.strerror}") from None
