"""Benchmark a public station export over HTTP: its time, the service's memory, /healthz meanwhile.

    .venv/bin/python scripts/bench_export.py                       # 300,000 readings, 3 runs
    .venv/bin/python scripts/bench_export.py --readings 100000 --runs 1

Prepares a SQLite store with one station of 20 parameters whose one sealed interval (a
day long) holds --readings readings (issue 21's probe put 300,000 in one interval), serves
`api.app:create_app` with uvicorn (one process) on a fresh Anvil, and for each run: one
CSV export of the day, then four at once. Per export:
seconds to the last byte and bytes; per phase: the service's peak RSS above its RSS
before (sampled from /proc every 5 ms) and the worst `/healthz` latency meanwhile (one
request after another on one connection). Prints a table of medians, then as the very
last line one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from bench_api import free_port, wait_until_up

from notary.core.streams import format_time
from notary.ops.anvil import start_anvil
from notary.store.engine import Store, open_store
from notary.store.issuers import create_issuer
from notary.store.migrate import upgrade
from notary.streams.ingest import ingest, readings_from
from notary.streams.sealer import seal_due_intervals
from notary.streams.stations import create_station

ROOT = Path(__file__).resolve().parents[1]
ISSUER = "0x" + "5a" * 20
PARAMETERS = [(f"P{i:02d}", "mg/Nm³") for i in range(20)]
LENGTH = 86_400
"""One interval a day: its readings all in one interval, on time (no back-fill rules)."""
DAY = 1_772_323_200  # 2026-03-01T00:00:00Z
CHUNK = 50_000


def prepare(url: str, readings: int) -> tuple[str, int, int]:
    """A station whose one day-long interval holds `readings`; (code, from, to)."""
    upgrade(url)
    store = open_store(url)
    try:
        with store.write() as conn:
            create_issuer(conn, ISSUER, "Sở Tài nguyên và Môi trường")
            station = create_station(
                conn, ISSUER, "BENCH-1", "Trạm", "stack-emission",
                {"latitude": 10.8, "longitude": 106.6}, PARAMETERS, LENGTH, grace_s=0,
                since=DAY, now=at(DAY),
            )  # fmt: skip
        items = [
            {"time": DAY + k * LENGTH // readings, "parameter": p, "value": 12.5 + k % 97}
            for k, (p, _) in zip(range(readings), _cycle(PARAMETERS, readings), strict=True)
        ]
        for k in range(0, len(items), CHUNK):
            batch = readings_from(items[k : k + CHUNK], station.parameters)
            ingest(store, station, batch, at(DAY + LENGTH + 1))
        seal_all(store, DAY + LENGTH + 1)
        return station.code, DAY, DAY + LENGTH
    finally:
        store.dispose()


def at(seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


def seal_all(store: Store, now: int) -> None:
    """Seal every interval due at `now` (the sealer shares a step out among stations)."""
    while seal_due_intervals(store, at(now)):
        pass


def _cycle(items: list[tuple[str, str]], n: int) -> Iterator[tuple[str, str]]:
    for k in range(n):
        yield items[k % len(items)]


@contextmanager
def serve(env: dict[str, str]) -> Iterator[tuple[int, int]]:
    """uvicorn in one process (its pid is the service's); always stopped."""
    port = free_port()
    cmd = [
        sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app",
        "--host", "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env}, start_new_session=True)
    try:
        wait_until_up(port)
        yield port, proc.pid
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def rss_mib(pid: int) -> float:
    """The process's resident memory now."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def cpu_s(pid: int) -> float:
    """The process's CPU time so far (user + system)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def get(port: int, path: str) -> tuple[int, int, float]:
    """GET path on its own connection, read to the end: (status, body bytes, seconds)."""
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n".encode())
        received = bytearray()
        while chunk := s.recv(1 << 20):
            received += chunk
    took = time.perf_counter() - started
    head, _, body = bytes(received).partition(b"\r\n\r\n")
    if b"transfer-encoding: chunked" in head.lower():
        body = _dechunk(body)
    return int(head.split()[1]), len(body), took


def _dechunk(body: bytes) -> bytes:
    """An HTTP/1.1 chunked body's content."""
    out, at = bytearray(), 0
    while (size := int(body[at : body.index(b"\r\n", at)], 16)) > 0:
        start = body.index(b"\r\n", at) + 2
        out += body[start : start + size]
        at = start + size + 2
    return bytes(out)


def health_latencies(port: int, stop: threading.Event) -> list[float]:
    """/healthz one after another on one keep-alive connection until `stop`: seconds each."""
    out = []
    with socket.create_connection(("127.0.0.1", port)) as s:
        while not stop.is_set():
            started = time.perf_counter()
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n")
            answer = b""
            while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
                answer += s.recv(4096)
            out.append(time.perf_counter() - started)
            time.sleep(0.005)
    return out


def phase(port: int, pid: int, path: str, concurrent: int) -> dict[str, Any]:
    """`concurrent` exports at once: each one's seconds and bytes, peak RSS, /healthz."""
    before = rss_mib(pid)
    cpu_before = cpu_s(pid)
    peak = before
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, rss_mib(pid))
            time.sleep(0.005)

    sampler = threading.Thread(target=sample)
    sampler.start()
    with ThreadPoolExecutor(concurrent + 1) as pool:
        health = pool.submit(health_latencies, port, stop)
        exports = list(pool.map(lambda _: get(port, path), range(concurrent)))
        stop.set()
        latencies = health.result()
    sampler.join()
    cpu = cpu_s(pid) - cpu_before
    statuses = {status for status, _, _ in exports}
    if statuses != {200}:
        raise SystemExit(f"the export answered {sorted(statuses)}")
    return {
        "seconds": max(took for _, _, took in exports),
        "bytes": exports[0][1],
        "rss_before_mib": before,
        "rss_peak_above_mib": peak - before,
        "service_cpu_s": cpu,
        "healthz_worst_ms": 1000 * max(latencies, default=0.0),
        "healthz_median_ms": 1000 * statistics.median(latencies) if latencies else 0.0,
        "healthz_count": len(latencies),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readings", type=int, default=300_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    node = start_anvil()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'notary.db'}"
            code, start, end = prepare(url, args.readings)
            env = {
                "NOTARY_DATA_DIR": tmp,
                "NOTARY_DATABASE_URL": url,
                "NOTARY_RPC_URL": node.url,
                "NOTARY_CONTRACT_ADDRESS": "0x" + "11" * 20,
                "NOTARY_PUBLIC_RATE_LIMIT_PER_S": "1000000",
                "NOTARY_PUBLIC_RATE_LIMIT_BURST": "1000000",
            }
            path = f"/v1/stations/{code}/readings?from={format_time(start)}&to={format_time(end)}"
            runs: list[dict[str, Any]] = []
            with serve(env) as (port, pid):
                get(port, f"/v1/stations/{code}")  # warm
                for _ in range(args.runs):
                    runs.append(
                        {"one": phase(port, pid, path, 1), "four": phase(port, pid, path, 4)}
                    )
    finally:
        node.stop()
    figures: dict[str, Any] = {"readings": args.readings, "runs": args.runs}
    for name in ("one", "four"):
        for key in (
            "seconds",
            "service_cpu_s",
            "rss_peak_above_mib",
            "healthz_worst_ms",
            "healthz_median_ms",
            "healthz_count",
        ):
            figures[f"{name}_{key}"] = statistics.median(r[name][key] for r in runs)
        figures[f"{name}_rss_before_mib"] = runs[0][name]["rss_before_mib"]
    figures["export_bytes"] = runs[0]["one"]["bytes"]
    rows = [
        ("export size", f"{figures['export_bytes']:,} bytes"),
        ("one export: seconds", f"{figures['one_seconds']:.2f}"),
        ("one export: the service's CPU seconds", f"{figures['one_service_cpu_s']:.2f}"),
        ("one export: peak RSS above before", f"{figures['one_rss_peak_above_mib']:.0f} MiB"),
        ("one export: worst /healthz", f"{figures['one_healthz_worst_ms']:.0f} ms"),
        ("one export: median /healthz", f"{figures['one_healthz_median_ms']:.1f} ms"),
        ("one export: /healthz answered", f"{figures['one_healthz_count']:.0f}"),
        ("four at once: seconds (slowest)", f"{figures['four_seconds']:.2f}"),
        ("four at once: the service's CPU seconds", f"{figures['four_service_cpu_s']:.2f}"),
        ("four at once: peak RSS above before", f"{figures['four_rss_peak_above_mib']:.0f} MiB"),
        ("four at once: worst /healthz", f"{figures['four_healthz_worst_ms']:.0f} ms"),
        ("four at once: median /healthz", f"{figures['four_healthz_median_ms']:.1f} ms"),
        ("service RSS before the first export", f"{figures['one_rss_before_mib']:.0f} MiB"),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"{args.readings:,} readings in one interval, medians of {args.runs} runs")
    for name, value in rows:
        print(f"{name:<{width}}  {value:>16}")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
