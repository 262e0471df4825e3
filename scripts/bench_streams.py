"""Benchmark monitoring streams: intake, interval sealing, a station-day's export and verification.

    .venv/bin/python scripts/bench_streams.py                      # SQLite and PostgreSQL
    .venv/bin/python scripts/bench_streams.py --readings 200000 --postgres-url ''

Figures: readings/s accepted (JSON body parsed, validated by hand, stored in one
transaction per 10,000, as `POST /v1/stations/{id}/readings` does); the seal of one
interval of 58 stations (20 parameters, a reading a minute); one station-day (288
intervals of 100 readings) sealed, anchored on Anvil, exported as CSV and verified
against the chain (`notary verify-stream`'s code); bytes of proof in that export.
Prints a table, then as the very last line one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pydantic import SecretStr

sys.path.insert(0, str(Path(__file__).parent))
from bench_accept import fresh_database
from bench_pipeline import deploy, funded

from notary.cli.stream import ChainChecker
from notary.cli.verify import ServiceKeys
from notary.core.streams import format_time
from notary.ops.anvil import start_anvil
from notary.pipeline.issuers import register_issuer
from notary.pipeline.receipts import ReceiptContext
from notary.settings.config import Settings
from notary.settings.service_key import load_or_create_service_key
from notary.store.engine import Store, open_store
from notary.store.issuers import create_issuer
from notary.store.migrate import upgrade
from notary.streams.bodies import readings_body
from notary.streams.export import parse_export, to_csv
from notary.streams.ingest import ingest, readings_from
from notary.streams.sealer import seal_due_intervals
from notary.streams.stations import StationRecord, create_station
from notary.streams.verify import check_export
from notary.streams.window import plan_window, stored_export
from notary.worker.daemon import build_worker

DAY = 1_772_323_200  # 2026-03-01T00:00:00Z
PARAMETERS = [(f"P{i:02d}", "mg/Nm³") for i in range(18)] + [("PM2.5", "µg/m³"), ("pH", "")]
CHUNK = 10_000
STATIONS = 58


def stations(store: Store, issuer: str, count: int, prefix: str) -> list[StationRecord]:
    with store.write() as conn:
        return [
            create_station(
                conn,
                issuer,
                f"{prefix}-{k:02d}",
                f"Trạm {k}",
                "stack-emission",
                {"latitude": 10.8, "longitude": 106.6},
                PARAMETERS,
                300,
                grace_s=60,
                since=DAY,
                now=dt.datetime.fromtimestamp(DAY, dt.UTC),
            )
            for k in range(count)
        ]


def bodies(station_count: int, n: int) -> list[tuple[int, bytes]]:
    """Request bodies of CHUNK readings: (station index, JSON array), a reading a minute."""
    out = []
    per_minute = len(PARAMETERS)
    minute = [0] * station_count
    for k in range(0, n, CHUNK):
        s = (k // CHUNK) % station_count
        items = []
        for j in range(min(CHUNK, n - k)):
            m = minute[s] + j // per_minute
            p = PARAMETERS[j % per_minute][0]
            items.append(
                {"time": format_time(DAY + 60 * m), "parameter": p, "value": 12.5 + j % 97}
            )
        minute[s] += -(-min(CHUNK, n - k) // per_minute)
        out.append((s, json.dumps(items).encode()))
    return out


def intake(url: str, n: int) -> float:
    """Readings/s: parse, validate and store bodies of 10,000."""
    upgrade(url)
    store = open_store(url)
    try:
        with store.write() as conn:
            create_issuer(conn, "0x" + "5a" * 20, "Sở TN&MT")
        made = stations(store, "0x" + "5a" * 20, STATIONS, "I")
        prepared = bodies(STATIONS, n)
        started = time.perf_counter()
        for s, raw in prepared:
            station = made[s]
            ingest(
                store, station, readings_from(readings_body(raw, lines=False), station.parameters)
            )
        return n / (time.perf_counter() - started)
    finally:
        store.dispose()


def seal_58(url: str) -> float:
    """Seconds to seal one interval (100 readings each) of 58 stations."""
    upgrade(url)
    store = open_store(url)
    try:
        with store.write() as conn:
            create_issuer(conn, "0x" + "6b" * 20, "Sở TN&MT")
        made = stations(store, "0x" + "6b" * 20, STATIONS, "S")
        for station in made:
            items = [
                {"time": format_time(DAY + 60 * m), "parameter": p, "value": 3.25}
                for m in range(5)
                for p, _ in PARAMETERS
            ]
            ingest(store, station, readings_from(items, station.parameters))
        started = time.perf_counter()
        sealed = seal_due_intervals(store, dt.datetime.fromtimestamp(DAY + 360, dt.UTC))
        took = time.perf_counter() - started
        assert len(sealed) == STATIONS and all(x.count == 100 for x in sealed)
        return took
    finally:
        store.dispose()


def station_day(tmp: Path) -> dict[str, Any]:
    """One station-day sealed, anchored on Anvil, exported and verified."""
    node = start_anvil()
    try:
        from web3 import Web3

        w3 = Web3(Web3.HTTPProvider(node.url))
        contract, anchorer = deploy(w3)
        issuer = funded(w3)
        url = f"sqlite:///{tmp / 'day.db'}"
        settings = Settings(
            _env_file=None,
            data_dir=tmp,
            database_url=url,
            rpc_url=node.url,
            contract_address=contract,
            anchor_key=SecretStr(anchorer.key.hex()),
            batch_max=10_000,
            batch_interval=0.001,
        )
        upgrade(url)
        store = open_store(url)
        # registered on chain too (by the worker below): verification asks the chain for it
        register_issuer(store, issuer.address, "Sở TN&MT Đồng Nai", None, "bench")
        (station,) = stations(store, issuer.address, 1, "DAY")
        for _, raw in bodies(1, 288 * 100):
            ingest(
                store, station, readings_from(readings_body(raw, lines=False), station.parameters)
            )
        started = time.perf_counter()
        sealed = seal_due_intervals(store, dt.datetime.fromtimestamp(DAY + 86_400 + 60, dt.UTC))
        seal_s = time.perf_counter() - started
        assert len(sealed) == 288
        worker = build_worker(settings, store)
        time.sleep(0.01)
        for _ in range(50):
            if not worker.step():
                break
        key = load_or_create_service_key(settings)
        ctx = ReceiptContext("notary-bench", key, contract, lambda: 31337, dt.timedelta(hours=1))
        started = time.perf_counter()
        plan = plan_window(store, station.code, DAY, DAY + 86_400)
        csv_bytes = to_csv(stored_export(store, plan, ctx))
        export_s = time.perf_counter() - started
        started = time.perf_counter()
        export = parse_export(csv_bytes)
        keys = ServiceKeys({key.key_id: key.public_key}, None)
        report = check_export(export, ChainChecker(node.url, 0, 10, keys))
        verify_s = time.perf_counter() - started
        assert report.verdict.value == "VALID", report.summary()
        proof_bytes = sum(
            len(json.dumps(i.receipt, ensure_ascii=False, separators=(",", ":")).encode())
            for i in export.intervals
        )
        store.dispose()
        return {
            "day_readings": report.readings,
            "day_seal_s": seal_s,
            "day_export_s": export_s,
            "day_verify_s": verify_s,
            "day_export_bytes": len(csv_bytes),
            "day_proof_bytes": proof_bytes,
            "summary": report.summary(),
        }
    finally:
        node.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readings", type=int, default=500_000)
    parser.add_argument(
        "--postgres-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/test",
        help="a server to create a throwaway database on ('' to skip PostgreSQL)",
    )
    args = parser.parse_args(argv)
    figures: dict[str, Any] = {"readings": args.readings}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        with fresh_database(None, work) as url:
            figures["sqlite_readings_per_s"] = intake(url, args.readings)
        with fresh_database(f"sqlite:///{work / 'seal.db'}", work) as url:
            figures["sqlite_seal_58_s"] = seal_58(url)
        if args.postgres_url:
            with fresh_database(args.postgres_url, work) as url:
                figures["postgresql_readings_per_s"] = intake(url, args.readings)
            with fresh_database(args.postgres_url, work) as url:
                figures["postgresql_seal_58_s"] = seal_58(url)
        figures.update(station_day(work))
    rows = [
        ("readings/s accepted, SQLite", f"{figures['sqlite_readings_per_s']:,.0f}"),
        ("readings/s accepted, PostgreSQL", f"{figures.get('postgresql_readings_per_s', 0):,.0f}"),
        ("seal one interval of 58 stations, SQLite", f"{figures['sqlite_seal_58_s'] * 1e3:.0f} ms"),
        (
            "seal one interval of 58 stations, PostgreSQL",
            f"{figures.get('postgresql_seal_58_s', 0) * 1e3:.0f} ms",
        ),
        ("station-day: seal 288 intervals", f"{figures['day_seal_s']:.2f} s"),
        ("station-day: export (CSV)", f"{figures['day_export_s']:.2f} s"),
        ("station-day: verify against Anvil", f"{figures['day_verify_s']:.2f} s"),
        ("station-day: export size", f"{figures['day_export_bytes']:,} bytes"),
        ("station-day: proof (288 receipts)", f"{figures['day_proof_bytes']:,} bytes"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value:>16}")
    print(figures["summary"])
    print(json.dumps({k: v for k, v in figures.items() if k != "summary"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
