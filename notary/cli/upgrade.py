"""`notary upgrade RECEIPT…|DIR`: replace pending receipts by anchored ones where ready.

Exit code 0 when every receipt is anchored afterwards, 3 when some are still pending.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from notary.cli.client import CliError, UsageError, add_service_options, service_from
from notary.cli.files import RECEIPT_SUFFIX, write_atomic
from notary.cli.progress import Meter
from notary.client.service import Client
from notary.core.errors import FormatError
from notary.core.receipts import Receipt

EXIT_STILL_PENDING = 3
JOBS = 4
RECEIPTS_PER_REQUEST = 5_000
"""Receipts asked in one `POST /v1/documents:receipts` (the service takes up to 10,000)."""


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `upgrade` command."""
    parser = commands.add_parser(
        "upgrade",
        help="replace pending receipts by anchored ones where ready",
        description=__doc__.splitlines()[0] + " Exit code 0: all anchored; 3: some still pending.",
    )
    parser.add_argument(
        "paths", nargs="+", type=Path, metavar="RECEIPT|DIR", help="receipts, or folders of them"
    )
    add_service_options(parser)
    parser.set_defaults(run=_upgrade)


@dataclass
class UpgradeReport:
    """How many receipts were anchored before, were upgraded now, or are still pending."""

    anchored_before: int = 0
    upgraded: int = 0
    pending: int = 0


def find_receipts(paths: Sequence[Path]) -> Iterator[Path]:
    """Receipt files given, and `*.receipt.json` below folders given."""
    for path in paths:
        if path.is_dir():
            yield from sorted(path.rglob("*" + RECEIPT_SUFFIX))
        elif path.is_file():
            yield path
        else:
            raise UsageError(f"{path}: no such file or folder")


def upgrade(service: Client, receipts: Sequence[Path], meter: Meter | None = None) -> UpgradeReport:
    """Fetch the current receipt of each pending one and write it in place if anchored."""
    meter = meter or Meter(enabled=False)
    report = UpgradeReport()
    pending: list[tuple[Path, Receipt]] = []
    for path in receipts:
        receipt = _load(path)
        if receipt.status == "anchored":
            report.anchored_before += 1
        else:
            pending.append((path, receipt))
    task = meter.task("upgraded", len(pending))

    def chunk(entries: Sequence[tuple[Path, Receipt]]) -> list[bool]:
        answers = service.receipts([old.leaf.hex for _, old in entries])
        if len(answers) != len(entries):
            raise CliError(f"the service answered {len(answers)} receipts for {len(entries)}")
        done = []
        for (path, old), answer in zip(entries, answers, strict=True):
            try:
                new = Receipt.from_dict(answer)
            except FormatError as exc:
                raise CliError(f"the service's receipt for {path} is malformed: {exc}") from None
            if new.leaf != old.leaf or new.values != old.values:
                raise CliError(f"the service answered another document's receipt for {path}")
            done.append(new.status == "anchored")
            if done[-1]:
                write_atomic(path, new.to_json())
        meter.advance(task, len(entries))
        return done

    chunks = [
        pending[i : i + RECEIPTS_PER_REQUEST] for i in range(0, len(pending), RECEIPTS_PER_REQUEST)
    ]
    with ThreadPoolExecutor(JOBS) as pool:
        for done in (d for answered in pool.map(chunk, chunks) for d in answered):
            if done:
                report.upgraded += 1
            else:
                report.pending += 1
    return report


def _load(path: Path) -> Receipt:
    try:
        return Receipt.from_json(path.read_bytes())
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    except (ValueError, json.JSONDecodeError) as exc:
        raise UsageError(f"{path}: {exc}") from None


def _upgrade(args: argparse.Namespace) -> int:
    receipts = list(find_receipts(args.paths))
    with service_from(args) as service, Meter() as meter:
        report = upgrade(service, receipts, meter)
    print(
        f"{report.upgraded} upgraded to anchored, {report.pending} still pending, "
        f"{report.anchored_before} anchored before"
    )
    return EXIT_STILL_PENDING if report.pending else 0
