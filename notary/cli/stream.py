"""`notary verify-stream` and `notary demo-stream`: monitoring data checked without the service.

`verify-stream EXPORT` recomputes every interval tree of an export (CSV or JSON, as
`GET /v1/stations/{id}/readings` gives it) and checks each interval's receipt against the
chain with one `eth_call`, on any node; an export that ends before the end it was asked
for is said to, and why. Exit codes as `notary verify`: 0 complete and unaltered, 1 not as
anchored, 2 bad input, 3 cannot be said yet (pending, unverifiable).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import time
from pathlib import Path
from typing import Any

from web3 import Web3

from notary.chain.connection import connect
from notary.chain.registry import Registry
from notary.cli import stream_signing
from notary.cli.client import UsageError, add_service_options, service_from
from notary.cli.verify import (
    EXIT_BY_VERDICT,
    ServiceKeys,
    add_service_key_options,
    service_keys,
)
from notary.client.service import Client
from notary.core.errors import FormatError
from notary.core.metadata import parse_json
from notary.core.receipts import Receipt
from notary.core.streams import format_time
from notary.settings.config import Settings
from notary.streams.export import PROOF_FORMAT, parse_export
from notary.streams.verify import StreamReport, check_export, check_reading_proof
from notary.verify import Outcome, Verdict
from notary.verify.onchain import verify_on_chain

DEMO_PARAMETERS = (("PM2.5", "µg/m³"), ("SO2", "µg/m³"))
SO2_LIMIT = 350.0
"""QCVN 05:2023/BTNMT, SO2 1-hour average: 350 µg/m³ (the demo's one exceedance)."""


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `verify-stream`, `demo-stream` and `stream` (sign, status) commands."""
    verify = commands.add_parser(
        "verify-stream",
        help="check a monitoring export (CSV/JSON) or a reading's proof against the chain",
        description=__doc__.splitlines()[0],
    )
    verify.add_argument("export", type=Path, metavar="EXPORT", help="the export or proof file")
    verify.add_argument(
        "--rpc-url", metavar="URL", help="an Ethereum JSON-RPC endpoint (default NOTARY_RPC_URL)"
    )
    verify.add_argument(
        "--confirmations", type=int, help="confirmations required (default NOTARY_CONFIRMATIONS)"
    )
    add_service_key_options(verify)
    verify.add_argument("--json", action="store_true", help="print the outcome as JSON")
    verify.set_defaults(run=_verify_stream)
    demo = commands.add_parser(
        "demo-stream",
        help="feed a simulated station to a running service, then export and verify it",
    )
    demo.add_argument("--intervals", type=int, default=3, help="intervals to feed (default 3)")
    demo.add_argument("--interval", type=int, default=10, help="seconds per interval (10)")
    demo.add_argument("--out", type=Path, help="where to write the export (default STATION.csv)")
    demo.add_argument("--rpc-url", metavar="URL", help="node to verify on (default NOTARY_RPC_URL)")
    add_service_options(demo, admin=True)
    demo.set_defaults(run=_demo)
    stream_signing.register(commands)


# -- verify-stream -----------------------------------------------------------------------


class ChainChecker:
    """Verifies interval receipts on one node (one connection per registry), signatures
    against `keys`; remembers why a signature could not be checked, once per reason."""

    def __init__(
        self, rpc_url: str, confirmations: int, timeout_s: float, keys: ServiceKeys
    ) -> None:
        self.rpc_url = rpc_url
        self.confirmations = confirmations
        self.timeout_s = timeout_s
        self.keys = keys
        self.notes: list[str] = []
        self._w3: Web3 | None = None
        self._registries: dict[str, Registry] = {}

    def __call__(self, receipt: Receipt) -> Outcome:
        public_keys, note = self.keys.for_receipt(receipt)
        if note is not None and note not in self.notes:
            self.notes.append(note)
        return verify_on_chain(
            receipt,
            self._registry(receipt),
            required_confirmations=self.confirmations,
            public_keys=public_keys,
        )

    def _registry(self, receipt: Receipt) -> Registry | None:
        if receipt.anchor is None:
            return None
        if self._w3 is None:
            self._w3 = connect(self.rpc_url, timeout_s=self.timeout_s)
        contract = receipt.anchor.contract
        registry = self._registries.get(contract)
        if registry is None:  # one per contract: each opens its own connection
            registry = self._registries[contract] = Registry(self._w3, contract)
        return registry


def _verify_stream(args: argparse.Namespace) -> int:
    settings = Settings()
    try:
        data = args.export.read_bytes()
    except OSError as exc:
        raise FormatError("EXPORT", f"cannot read {args.export}: {exc.strerror}") from None
    confirmations = settings.confirmations if args.confirmations is None else args.confirmations
    check = ChainChecker(
        args.rpc_url or settings.rpc_url, confirmations, settings.rpc_timeout, service_keys(args)
    )
    if data.lstrip().startswith(b"{") and PROOF_FORMAT.encode() in data[:200]:
        report = check_reading_proof(parse_json(data), check)
        verdict = report.verdict
        detail = report.problem or (report.outcome.judgement.detail if report.outcome else "")
        print(f"{report.description}: {verdict.value}: {detail}")
        for note in check.notes:
            print(f"  note: {note}")
        return EXIT_BY_VERDICT[verdict]
    export = parse_export(data)
    if not export.intervals and export.start >= export.end:
        why = "" if export.ends_early is None else ": none was sealed yet when it was exported"
        raise FormatError("EXPORT", "the export holds no sealed interval" + why)
    stream = check_export(export, check)
    if args.json:
        print(json.dumps(report_json(stream) | {"notes": check.notes}, ensure_ascii=False))
    else:
        print("\n".join([report_text(stream), *(f"  note: {n}" for n in check.notes)]))
    return EXIT_BY_VERDICT[stream.verdict]


def report_text(report: StreamReport) -> str:
    """The report as people read it: each difference on a line, then the summary."""
    lines = []
    for interval, difference in report.differences:
        where = (
            "window"
            if interval is None
            else f"interval {format_time(interval.start)} to {format_time(interval.end)}"
        )
        lines.append(f"  {difference.kind.upper():<9} {where}: {difference.detail}")
    for interval in report.intervals:
        if interval.outcome is not None and interval.verdict != Verdict.VALID:
            j = interval.outcome.judgement
            lines.append(
                f"  {j.verdict.value:<9} interval {format_time(interval.start)}: {j.detail}"
            )
    lines.append(f"{report.verdict.value}: {report.summary()}")
    return "\n".join(lines)


def report_json(report: StreamReport) -> dict[str, Any]:
    """The report as JSON."""
    early = report.ends_early
    return {
        "verdict": report.verdict.value,
        "summary": report.summary(),
        "station": report.station,
        "issuer": report.issuer,
        "from": format_time(report.start),
        "to": format_time(report.end),
        "requested": None
        if early is None
        else {
            "from": format_time(early.requested_start),
            "to": format_time(early.requested_end),
            "endsEarly": early.reason,
        },
        "intervals": len(report.intervals),
        "readings": report.readings,
        "differences": [
            {
                "interval": None if i is None else format_time(i.start),
                "kind": d.kind,
                "detail": d.detail,
                "rows": list(d.rows),
            }
            for i, d in report.differences
        ],
        "receipts": [
            {
                "interval": format_time(i.start),
                "verdict": i.verdict.value if i.verdict else None,
                "detail": i.outcome.judgement.detail if i.outcome else None,
            }
            for i in report.intervals
        ],
    }


# -- demo-stream -------------------------------------------------------------------------


def diurnal(hour: float) -> float:
    """A city's traffic curve, 0..1: morning peak near 08:00, evening peak near 19:00."""
    morning = math.exp(-(((hour - 8.0) / 1.8) ** 2))
    evening = math.exp(-(((hour - 19.0) / 2.2) ** 2))
    return 0.15 + 0.85 * max(morning, 0.8 * evening)


def demo_values(hour: float, rng: random.Random) -> dict[str, float]:
    """Simulated 1-second PM2.5 and SO2 at a simulated hour of the day (µg/m³)."""
    level = diurnal(hour)
    return {
        "PM2.5": round(12 + 48 * level + rng.gauss(0, 2.5), 1),
        "SO2": round(20 + 60 * level + rng.gauss(0, 4.0), 1),
    }


def _demo(args: argparse.Namespace) -> int:
    if not 1 <= args.intervals <= 60 or not 2 <= args.interval <= 3600:
        raise UsageError("--intervals 1..60 and --interval 2..3600 seconds")
    settings = Settings()
    rng = random.Random()
    with service_from(args, admin=True) as admin:
        address = "0x" + os.urandom(20).hex()
        admin.post_json(
            "/v1/issuers",
            {"address": address, "name": "Demo monitoring agency", "jurisdiction": "VN-HN"},
        )
        key = admin.post_json(f"/v1/issuers/{address}/keys")["key"]
        base = admin.base_url
    with Client(base, api_key=key, http=getattr(args, "http", None)) as issuer:
        code = f"DEMO-{os.urandom(3).hex().upper()}"
        station = issuer.post_json(
            "/v1/stations",
            {
                "id": code,
                "name": "Demo ambient air station",
                "kind": "ambient-air",
                "location": {"latitude": 21.0285, "longitude": 105.8542, "address": "Hà Nội"},
                "parameters": [{"name": n, "unit": u} for n, u in DEMO_PARAMETERS],
                "intervalSeconds": args.interval,
                "graceSeconds": 1,
            },
        )
        print(f"station {code} ({station['kind']}), {args.interval} s intervals, issuer {address}")
        start = _next_interval(args.interval)
        end = start + args.intervals * args.interval
        exceed_at = start + rng.randrange(args.intervals * args.interval)
        _feed(issuer, code, start, end, exceed_at, rng)
        print("waiting for the worker to seal and anchor the last interval ...")
        window = _await_anchored(issuer, code, start, end, timeout_s=max(120, 4 * args.interval))
    out = args.out or Path(f"{code}.csv")
    out.write_bytes(window)
    print(f"exported {out} ({len(window):,} bytes)")
    rpc = args.rpc_url or settings.rpc_url
    keys = ServiceKeys(None, base, getattr(args, "http", None))
    report = check_export(parse_export(window), ChainChecker(rpc, 0, settings.rpc_timeout, keys))
    print(report_text(report))
    print(f"now change a value in {out} and run: notary verify-stream {out}")
    return EXIT_BY_VERDICT[report.verdict]


def _next_interval(length: int) -> int:
    now = time.time()
    start = int(now) - int(now) % length + length
    time.sleep(max(0.0, start - time.time()))
    return start


def _feed(
    issuer: Client, code: str, start: int, end: int, exceed_at: int, rng: random.Random
) -> None:
    """One reading per parameter per second; the simulated day runs 144 times faster."""
    for second in range(start, end):
        hour = ((second - start) * 144 / 3600 + 6.0) % 24  # from 06:00, ten minutes a second
        values = demo_values(hour, rng)
        if second == exceed_at:
            values["SO2"] = round(SO2_LIMIT * 1.2 + rng.uniform(0, 40), 1)
            print(
                f"  {format_time(second)}  exceedance: SO2 {values['SO2']} µg/m³ > "
                f"{SO2_LIMIT:g} (QCVN 05:2023/BTNMT)"
            )
        body = [
            {"time": format_time(second), "parameter": p, "value": v} for p, v in values.items()
        ]
        issuer.post_json(f"/v1/stations/{code}/readings", body)
        if (second - start) % 5 == 0:
            shown = ", ".join(f"{p} {v}" for p, v in values.items())
            print(f"  {format_time(second)}  simulated {hour:05.2f} h  {shown}")
        time.sleep(max(0.0, second + 1 - time.time()))


def _await_anchored(issuer: Client, code: str, start: int, end: int, timeout_s: float) -> bytes:
    """The window's CSV export once every interval's receipt is anchored."""
    deadline = time.monotonic() + timeout_s
    query = f"/v1/stations/{code}/readings?from={format_time(start)}&to={format_time(end)}"
    while True:
        export = issuer.request("GET", query + "&format=json").json()
        receipts = [i["receipt"]["status"] for i in export["intervals"]]
        if export["to"] == format_time(end) and receipts and all(s == "anchored" for s in receipts):
            return issuer.request("GET", query + "&format=csv").content
        if time.monotonic() > deadline:
            raise UsageError(
                f"the window was not anchored within {timeout_s:.0f} s: is `notary worker` "
                "(or `notary dev`) running against this service's database?"
            )
        time.sleep(1.0)
