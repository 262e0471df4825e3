"""`notary info RECEIPT`: what a receipt says, for a person (nothing is checked or asked)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

from notary.cli.client import UsageError
from notary.cli.files import RECEIPT_SUFFIX
from notary.core.metadata import SALT_FIELD
from notary.core.receipts import Receipt


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `info` command."""
    parser = commands.add_parser(
        "info",
        help="summarise a receipt: issuer, document, batch, chain, status",
        description=__doc__.splitlines()[0],
    )
    parser.add_argument(
        "receipt", type=Path, metavar="RECEIPT", help="a receipt, or the document beside it"
    )
    parser.set_defaults(run=_info)


def describe(receipt: Receipt) -> list[tuple[str, str]]:
    """The receipt's facts as (label, value) rows, in reading order."""
    rows = [
        ("status", receipt.status),
        ("issuer", f"{receipt.issuer.name} ({receipt.issuer.address})"),
        ("document", f"sha256:{receipt.values.digest.raw.hex()}"),
        ("leaf", receipt.leaf.hex),
    ]
    for name, value in (receipt.metadata or {}).items():
        if name != SALT_FIELD:
            shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            rows.append((f"  {name}", shown))
    service = receipt.service
    if service.batch is not None:
        rows.append(("batch", service.batch))
    if receipt.anchor is None:
        rows.append(("anchor", f"not yet; promised by {service.promised_by or 'unknown'}"))
    else:
        a = receipt.anchor
        when = dt.datetime.fromtimestamp(a.timestamp, dt.UTC).isoformat().replace("+00:00", "Z")
        rows += [
            ("chain", a.chain),
            ("registry", a.contract),
            ("anchored", f"{when} in block {a.block_number}"),
            ("transaction", a.tx_hash.hex),
            ("root", receipt.root.hex if receipt.root else "?"),
            ("proof", f"{len(receipt.proof or ())} steps"),
        ]
    signed = f"key {service.key_id}" if service.signature is not None else "not signed"
    rows.append(("service", f"{service.id} ({signed})"))
    return rows


def _info(args: argparse.Namespace) -> int:
    path: Path = args.receipt
    if (
        not path.name.endswith(RECEIPT_SUFFIX)
        and path.with_name(path.name + RECEIPT_SUFFIX).exists()
    ):
        path = path.with_name(path.name + RECEIPT_SUFFIX)
    try:
        receipt = Receipt.from_json(path.read_bytes())
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    width = max(len(label) for label, _ in describe(receipt))
    for label, value in describe(receipt):
        print(f"{label:<{width}}  {value}")
    return 0
