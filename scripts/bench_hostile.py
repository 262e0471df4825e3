"""Does the service stay responsive while a hostile request is in flight? (issue 21)

    .venv/bin/python scripts/bench_hostile.py                    # every case, 300,000 readings
    .venv/bin/python scripts/bench_hostile.py --readings 100000 --cases export-csv,readings-ndjson

Serves the app as `notary serve` does (one process, the same uvicorn options) on a fresh
SQLite store and Anvil, with one issuer, its key and a station of 20 parameters whose last
60 s interval holds --readings readings (a day back-filled at once: every reading sealed
late into that interval, as the probe did). Then, one case after another, sends one
hostile request and, while it is in flight, asks `/healthz` every 10 ms on a keep-alive
connection of its own:
- accept-language: GET /verify with `Accept-Language: a` + 60,000 spaces + `!` (finding 1);
- export-csv, export-json: the station's public export of that day (finding 5);
- readings-json: POST /v1/stations/{id}/readings, 32 MiB of `[{},{},…]` (finding 6);
- readings-ndjson: the same with 11,000,000 NDJSON lines of `{}` (finding 6);
- verify-duplicate-key: POST /v1/verify, the largest body of distinct keys and one repeated (audit);
- bulk-50mib: POST /v1/documents:bulk, a 50 MiB body of documents (audit).
Prints per case the hostile request's status, duration and bytes, and the median and
worst /healthz latency meanwhile (target: within 50 ms), then as the very last line one
JSON object with every figure.
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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from bench_api import free_port, wait_until_up

from api.routers.verify import MAX_VERIFY_JSON
from notary.core.streams import format_time
from notary.ops.anvil import start_anvil
from notary.store.engine import open_store
from notary.store.issuers import create_api_key, create_issuer
from notary.store.migrate import upgrade
from notary.streams.ingest import ingest, readings_from
from notary.streams.sealer import seal_due_intervals
from notary.streams.stations import create_station

ROOT = Path(__file__).resolve().parents[1]
ISSUER = "0x" + "5b" * 20
PARAMETERS = [(f"P{i:02d}", "mg/Nm³") for i in range(20)]
LENGTH = 60
CHUNK = 50_000
PROBE_EVERY_S = 0.010
TARGET_MS = 50.0
VERIFY_LIMIT = MAX_VERIFY_JSON
UPLOAD_LIMIT = 50 << 20  # NOTARY_MAX_UPLOAD_BYTES's default
CASES = (
    "accept-language",
    "export-csv",
    "export-json",
    "readings-json",
    "readings-ndjson",
    "verify-duplicate-key",
    "bulk-50mib",
)


def prepare(url: str, readings: int) -> tuple[str, str, int, int]:
    """Issuer, key and a station whose back-filled day sits in its last interval:
    (station id, API key, from, to)."""
    upgrade(url)
    store = open_store(url)
    try:
        now = int(time.time()) // LENGTH * LENGTH
        since = now - 86_400
        with store.write() as conn:
            issuer = create_issuer(conn, ISSUER, "Sở Tài nguyên và Môi trường (hostile bench)")
            key = create_api_key(conn, issuer.id).secret
            station = create_station(
                conn, ISSUER, "HOSTILE-1", "Trạm", "stack-emission",
                {"latitude": 10.8, "longitude": 106.6}, PARAMETERS, LENGTH, grace_s=0, since=since,
            )  # fmt: skip
        at = dt.datetime.fromtimestamp(now, dt.UTC)
        while seal_due_intervals(store, at):  # the past day, empty, sealed
            pass
        step = max(1, 86_400 * len(PARAMETERS) // readings)
        items = [
            {
                "time": since + k * step // len(PARAMETERS),
                "parameter": PARAMETERS[k % len(PARAMETERS)][0],
                "value": 12.5 + k % 97,
            }
            for k in range(readings)
        ]
        received = dt.datetime.fromtimestamp(now + 1, dt.UTC)
        for k in range(0, len(items), CHUNK):
            chunk = readings_from(items[k : k + CHUNK], station.parameters)
            ingest(store, station, chunk, received)
        later = dt.datetime.fromtimestamp(now + LENGTH, dt.UTC)
        while seal_due_intervals(store, later):  # the interval all of them came late into
            pass
        return station.code, key, since, now + LENGTH
    finally:
        store.dispose()


@contextmanager
def serve(env: dict[str, str], log: Path) -> Iterator[int]:
    """`notary serve` (one process) logging to `log`, always stopped; its port."""
    port = free_port()
    cmd = [sys.executable, "-m", "notary.cli", "serve", "--no-access-log"]
    env = {**os.environ, **env, "NOTARY_HOST": "127.0.0.1", "NOTARY_PORT": str(port)}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, start_new_session=True, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        try:
            wait_until_up(port)
        except SystemExit:
            print(log.read_text()[-2000:], file=sys.stderr)
            raise
        yield port
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def exchange(port: int, head: bytes, body: bytes = b"") -> tuple[int, int]:
    """Send one request on its own connection and read the whole answer: (status, bytes).

    The body goes out in 1 MiB writes; a server that answers early and closes ends the
    sending, and its answer is still read."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        try:
            sock.sendall(head)
            for start in range(0, len(body), 1 << 20):
                sock.sendall(body[start : start + (1 << 20)])
        except (BrokenPipeError, ConnectionResetError):
            pass
        received = bytearray()
        try:
            while chunk := sock.recv(1 << 20):
                received += chunk
        except ConnectionResetError:
            pass
    status_line = bytes(received[:32]).split(b"\r\n", 1)[0].split()
    status = int(status_line[1]) if len(status_line) > 1 else 0
    return status, len(received)


def probe(port: int, stop: threading.Event, latencies: list[tuple[float, float]]) -> None:
    """/healthz every PROBE_EVERY_S on one keep-alive connection until `stop`, each as
    (when it was sent, seconds to its answer) in `latencies`."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        next_at = time.perf_counter()
        while not stop.is_set():
            started = time.perf_counter()
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n")
            answer = b""
            while not answer.endswith(b'{"status":"ok"}'):
                chunk = sock.recv(4096)
                if not chunk:
                    raise SystemExit("the service closed the /healthz connection")
                answer += chunk
            latencies.append((started, time.perf_counter() - started))
            next_at = max(next_at + PROBE_EVERY_S, time.perf_counter())
            time.sleep(max(0.0, next_at - time.perf_counter()))


def while_in_flight(port: int, head: bytes, body: bytes = b"") -> dict[str, Any]:
    """The request (built beforehand: building 50 MB here would stall the prober's thread
    too) with /healthz probed meanwhile: its status, seconds and answer's bytes, and the
    latencies of the probes that were waiting while it was in flight."""
    stop = threading.Event()
    latencies: list[tuple[float, float]] = []
    prober = threading.Thread(target=probe, args=(port, stop, latencies))
    prober.start()
    while len(latencies) < 5:  # the prober is connected and answered
        time.sleep(PROBE_EVERY_S)
    started = time.perf_counter()
    try:
        if head:
            status, size = exchange(port, head, body)
        else:
            time.sleep(1.0)
            status, size = 0, 0
    finally:
        finished = time.perf_counter()
        stop.set()
        prober.join()
    during = [s for sent, s in latencies if sent + s >= started and sent <= finished]
    return {
        "status": status,
        "seconds": round(finished - started, 3),
        "answer_bytes": size,
        "healthz_probes": len(during),
        "healthz_median_ms": round(1000 * statistics.median(during), 2) if during else None,
        "healthz_worst_ms": round(1000 * max(during), 2) if during else None,
    }


def post(path: str, body: bytes, content_type: str, key: str | None = None) -> bytes:
    auth = f"Authorization: Bearer {key}\r\n" if key else ""
    return (
        f"POST {path} HTTP/1.1\r\nHost: bench\r\n{auth}Content-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()


def get(path: str, headers: str = "") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: bench\r\n{headers}Connection: close\r\n\r\n".encode()


Request = tuple[bytes, bytes]
"""A request's head and body."""


def hostile_requests(
    station: str, key: str, start: int, end: int
) -> dict[str, Callable[[], Request]]:
    """Each case's request, built when asked (the big bodies one at a time)."""
    window = f"from={format_time(start)}&to={format_time(end)}"
    export = f"/v1/stations/{station}/readings?{window}"
    readings = f"/v1/stations/{station}/readings"

    def readings_json() -> Request:
        body = b"[" + b",".join([b"{}"] * ((32 << 20) // 3)) + b"]"
        return post(readings, body, "application/json", key), body

    def readings_ndjson() -> Request:
        body = b"{}\n" * 11_000_000
        return post(readings, body, "application/x-ndjson", key), body

    def verify_duplicate_key() -> Request:
        keys = VERIFY_LIMIT // 12
        body = ("{" + ",".join(f'"k{i}":0' for i in range(keys)) + ',"k0":0}').encode()
        assert len(body) <= VERIFY_LIMIT
        return post("/v1/verify", body, "application/json"), body

    def bulk_50mib() -> Request:
        document = b'{"digest":"0x' + b"ab" * 32 + b'"}'
        count = UPLOAD_LIMIT // (len(document) + 1) - 1
        body = b'{"documents":[' + b",".join([document] * count) + b"]}"
        assert len(body) <= UPLOAD_LIMIT
        return post("/v1/documents:bulk", body, "application/json", key), body

    spaces = "Accept-Language: a" + " " * 60_000 + "!\r\n"
    return {
        "accept-language": lambda: (get("/verify", spaces), b""),
        "export-csv": lambda: (get(export + "&format=csv"), b""),
        "export-json": lambda: (get(export + "&format=json"), b""),
        "readings-json": readings_json,
        "readings-ndjson": readings_ndjson,
        "verify-duplicate-key": verify_duplicate_key,
        "bulk-50mib": bulk_50mib,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readings", type=int, default=300_000, help="in the export's interval")
    parser.add_argument("--cases", default=",".join(CASES), help=f"of {', '.join(CASES)}")
    args = parser.parse_args(argv)
    cases = args.cases.split(",")
    if not set(cases) <= set(CASES):
        parser.error(f"--cases: unknown {', '.join(sorted(set(cases) - set(CASES)))}")
    node = start_anvil()
    try:
        with tempfile.TemporaryDirectory(prefix="notary-hostile-") as tmp:
            url = f"sqlite:///{Path(tmp) / 'notary.db'}"
            station, key, start, end = prepare(url, args.readings)
            env = {
                "NOTARY_DATA_DIR": tmp,
                "NOTARY_DATABASE_URL": url,
                "NOTARY_RPC_URL": node.url,
                "NOTARY_CONTRACT_ADDRESS": "0x" + "11" * 20,
                "NOTARY_ADMIN_KEY": "bench-admin-" + "x" * 32,
                "NOTARY_RATE_LIMIT_PER_S": "1000000",
                "NOTARY_RATE_LIMIT_BURST": "1000000",
                "NOTARY_PUBLIC_RATE_LIMIT_PER_S": "1000000",
                "NOTARY_PUBLIC_RATE_LIMIT_BURST": "1000000",
            }
            figures: dict[str, Any] = {
                "readings_in_interval": args.readings,
                "load_at_start": round(os.getloadavg()[0], 1),
            }
            with serve(env, Path(tmp) / "serve.log") as port:
                requests = hostile_requests(station, key, start, end)
                idle = while_in_flight(port, b"")  # a second with nothing else in flight
                figures["idle"] = {k: idle[k] for k in idle if k.startswith("healthz")}
                for case in cases:
                    head, body = requests[case]()
                    figures[case] = while_in_flight(port, head, body)
                    del head, body
    finally:
        node.stop()
    print(f"{'case':<22} {'status':>6} {'seconds':>8} {'MB out':>7} {'probes':>7} "
          f"{'/healthz p50 ms':>16} {'worst ms':>9} {'≤ 50 ms':>8}")  # fmt: skip
    for case, f in figures.items():
        if not isinstance(f, dict):
            continue
        worst = f["healthz_worst_ms"]
        met = "-" if worst is None else "yes" if worst <= TARGET_MS else "NO"
        print(
            f"{case:<22} {f.get('status', '-')!s:>6} {f.get('seconds', '-')!s:>8} "
            f"{f.get('answer_bytes', 0) / 1e6:>7.2f} {f['healthz_probes']:>7} "
            f"{f['healthz_median_ms']!s:>16} {worst!s:>9} "
            f"{met:>8}"
        )
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
