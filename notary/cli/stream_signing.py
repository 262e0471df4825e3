"""`notary stream sign` and `notary stream status`: a signing agency's station intervals.

An issuer with signing keys signs its stations' intervals itself (the service cannot sign
for it, so each sealed interval waits). `stream sign --signer KEYSTORE STATION` fetches
what awaits (`GET /v1/stations/{id}/intervals?state=awaiting-signature`), checks each
interval is what it says (this station, this issuer, its leaf recomputed here from the
digest, the issuer and the metadata sent), signs the root of a page's leaves here with
one EIP-712 `Submission` signature (the key never leaves the machine) and posts it
(`POST …/intervals:sign`), page after page; `--watch SECONDS` keeps doing so.
`stream status` shows how far each station is sealed and how many intervals await.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from notary.cli.client import (
    SERVER_ENV,
    CliError,
    UsageError,
    add_service_options,
    read_api_key,
    service_from,
)
from notary.cli.keystore import SIGNER_PASSWORD_ENV
from notary.cli.stamp import Signer, signer_from
from notary.client.service import Client, ServiceRefused
from notary.client.stamping import document_leaf
from notary.core.errors import FormatError
from notary.core.metadata import metadata_digest
from notary.core.streams import DOCUMENT_TYPE, ENCODING
from notary.core.types import Digest, Leaf, to_checksum_address
from notary.settings.config import Settings
from notary.streams.awaiting import MAX_LISTED_INTERVALS, leaves_root_of

DEFAULT_PAGE = MAX_LISTED_INTERVALS
MAX_CONFLICTS = 3
"""Pages listed again in one run after another signer took part of one (409)."""
_pause = time.sleep  # between rounds of --watch (a test stops the loop there)


class UntrustedInterval(CliError):
    """The service listed an interval that is not what it says: nothing was signed."""


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `stream` command (`sign`, `status`)."""
    stream = commands.add_parser(
        "stream",
        help="a signing agency's station intervals: sign what awaits, show what awaits",
        description=__doc__.splitlines()[0],
    )
    actions = stream.add_subparsers(dest="action", required=True, metavar="ACTION")
    sign = actions.add_parser(
        "sign",
        help="sign a station's intervals awaiting the issuer's signature (signed here)",
        description="Sign here, page by page, the intervals of STATION that await the "
        "issuer's signature, and hand the signatures to the service.",
    )
    sign.add_argument("station", metavar="STATION", help="the station's id")
    sign.add_argument(
        "--signer",
        type=Path,
        metavar="KEYSTORE",
        required=True,
        help=f"the issuer's signing keystore (password from {SIGNER_PASSWORD_ENV} or a prompt)",
    )
    sign.add_argument(
        "--issuer",
        metavar="ADDRESS",
        help="the issuer the station belongs to (default: the one the keystore names)",
    )
    sign.add_argument(
        "--page",
        type=int,
        default=DEFAULT_PAGE,
        help=f"intervals per signature (1-{MAX_LISTED_INTERVALS}, default {DEFAULT_PAGE})",
    )
    sign.add_argument(
        "--watch",
        type=float,
        metavar="SECONDS",
        help="keep signing: look again every SECONDS until interrupted (Ctrl-C)",
    )
    sign.add_argument("--json", action="store_true", help="print the summary as JSON")
    add_service_options(sign)
    sign.set_defaults(run=_sign)
    status = actions.add_parser(
        "status",
        help="how far each station is sealed, and how many intervals await a signature",
    )
    status.add_argument("stations", nargs="*", metavar="STATION", help="default: every station")
    status.add_argument("--json", action="store_true", help="print the stations as JSON")
    add_service_options(status)
    status.set_defaults(run=_status)


# -- sign --------------------------------------------------------------------------------


@dataclass
class SignReport:
    """What a run signed."""

    station: str
    signer: str
    signed: int = 0
    signatures: int = 0
    awaiting: int = 0

    def text(self) -> str:
        """One line for people."""
        left = f"; {self.awaiting:,} still await" if self.awaiting else ""
        return (
            f"station {self.station}: signed {self.signed:,} intervals in "
            f"{self.signatures:,} signature{'s' if self.signatures != 1 else ''} "
            f"with key {self.signer}{left}"
        )


def _sign(args: argparse.Namespace) -> int:
    if not 1 <= args.page <= MAX_LISTED_INTERVALS:
        raise UsageError(f"--page: 1 to {MAX_LISTED_INTERVALS}")
    if args.watch is not None and args.watch <= 0:
        raise UsageError("--watch: a positive number of seconds")
    with service_from(args) as service:
        signer = signer_from(service, args.signer, args.issuer)
        report = SignReport(args.station, signer.key.address)
        while True:
            sign_awaiting(service, signer, args.station, args.page, report)
            if args.watch is None:
                break
            print(report.text(), flush=True)
            _pause(args.watch)
    if args.json:
        print(json.dumps(report.__dict__))
    else:
        print(report.text())
    return 0


def sign_awaiting(
    service: Client, signer: Signer, station: str, page_size: int, report: SignReport
) -> SignReport:
    """Sign every interval of `station` awaiting a signature, a page per signature."""
    path = f"/v1/stations/{quote(station, safe='')}/intervals"
    conflicts = 0
    while True:
        page = service.get_json(f"{path}?state=awaiting-signature&limit={page_size}")
        report.awaiting = int(page["awaiting"])
        intervals = page["intervals"]
        if not intervals:
            return report
        leaves = checked_leaves(page, signer.issuer)
        root = leaves_root_of(leaves)
        signature = signer.key.sign_submission(signer.domain, signer.issuer, root)
        body = {
            "intervals": [
                {"start": i["start"], "leaf": leaf.hex}
                for i, leaf in zip(intervals, leaves, strict=True)
            ],
            "leavesRoot": root.hex,
            "signature": "0x" + signature.hex(),
            "issuer": signer.issuer,
        }
        try:
            done = service.post_json(f"{path}:sign", body)
        except ServiceRefused as exc:
            if exc.status != 409 or conflicts >= MAX_CONFLICTS:
                raise
            conflicts += 1  # another signer took some of the page meanwhile: list again
            continue
        report.signed += int(done["accepted"])
        report.signatures += 1
        report.awaiting = int(done["awaiting"])


def checked_leaves(page: Mapping[str, Any], issuer: str) -> list[Leaf]:
    """Each listed interval's leaf, recomputed here, if it is an interval of this station
    and issuer as its metadata says; UntrustedInterval otherwise (nothing is signed)."""
    station = str(page.get("station"))
    try:
        if to_checksum_address(str(page.get("issuer")), "issuer") != issuer:
            raise UntrustedInterval(
                f"station {station} belongs to issuer {page.get('issuer')}, and the keystore "
                f"signs for {issuer}: nothing was signed"
            )
        return [_leaf(i, station, issuer) for i in page["intervals"]]
    except (KeyError, TypeError, ValueError, FormatError) as exc:
        if isinstance(exc, UntrustedInterval):
            raise
        raise UntrustedInterval(f"the service's list cannot be read ({exc})") from None


def _leaf(interval: Mapping[str, Any], station: str, issuer: str) -> Leaf:
    metadata = interval["metadata"]
    expected = {
        "documentType": DOCUMENT_TYPE,
        "encoding": ENCODING,
        "station": station,
        "intervalStart": interval["start"],
        "intervalEnd": interval["end"],
    }
    for key, value in expected.items():
        if metadata.get(key) != value:
            raise UntrustedInterval(
                f"interval {interval['start']}: its metadata says {key} "
                f"{metadata.get(key)!r}, not {value!r}: nothing was signed"
            )
    digest = Digest.from_hex(interval["digest"], "digest")
    if [digest.hex, issuer, metadata_digest(metadata).hex] != list(interval["values"]):
        raise UntrustedInterval(
            f"interval {interval['start']}: its values are not its digest, this issuer and "
            "its metadata's digest: nothing was signed"
        )
    leaf = document_leaf(issuer, digest, metadata)
    if leaf.hex != interval["leaf"]:
        raise UntrustedInterval(
            f"interval {interval['start']}: its leaf is {leaf.hex}, not {interval['leaf']} as "
            "the service says: nothing was signed"
        )
    return leaf


# -- status ------------------------------------------------------------------------------


def _status(args: argparse.Namespace) -> int:
    server = args.server or _default_server()
    key = read_api_key(args.api_key_file)
    with Client(server, key, http=getattr(args, "http", None)) as service:
        if args.stations:
            stations = [
                service.get_json(f"/v1/stations/{quote(code, safe='')}") for code in args.stations
            ]
        else:
            stations = service.get_json("/v1/stations")["stations"]
    if args.json:
        print(json.dumps(stations, ensure_ascii=False))
    else:
        print(status_text(stations))
    return 0


def _default_server() -> str:
    return os.environ.get(SERVER_ENV) or Settings().base_url


def status_text(stations: Sequence[Mapping[str, Any]]) -> str:
    """One line per station: id, issuer, sealed until, and what awaits a signature."""
    if not stations:
        return "no station"
    lines = []
    for st in stations:
        waiting = int(st.get("awaitingSignature", 0))
        note = (
            f", {waiting:,} intervals await the issuer's signature (notary stream sign)"
            if waiting
            else ""
        )
        lines.append(
            f"{st['id']}: issuer {st['issuer']}, {st['intervalSeconds']} s intervals, "
            f"sealed until {st['sealedUntil']}{note}"
        )
    return "\n".join(lines)
