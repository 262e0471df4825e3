"""HTTP API benchmark against a running service (uvicorn), SQLite then PostgreSQL.

    .venv/bin/python scripts/bench_api.py        # SQLite, then PostgreSQL (2 workers each)
    .venv/bin/python scripts/bench_api.py --backends sqlite --single 5000
    .venv/bin/python scripts/bench_api.py --backends sqlite --sqlite-workers 1
    .venv/bin/python scripts/bench_api.py --postgres-url postgresql+psycopg://postgres@127.0.0.1/test

For each backend: starts its own Anvil (always stopped), deploys a registry, migrates a
fresh database, registers an issuer with an API key, and serves `api.app:create_app` with
uvicorn in a subprocess. Then measures, with a small keep-alive HTTP/1.1 client on
--concurrency connections (`raw_http`: cheap per request, so the client steals little CPU):
1. single `POST /v1/documents` (JSON digest + metadata): requests/s, p50 and p99 latency;
2. `POST /v1/documents:bulk` of 10,000 digests: documents/s (and, separately, with
   small metadata each, where RFC 8785 canonicalisation in acceptance dominates);
3. `POST /v1/verify` by digest + issuer of anchored documents (the worker is drained in
   between): requests/s, p50 and p99 — each one a store lookup (two queries), a receipt
   signed as it is built and one `eth_call` to Anvil at the tracked latest block (every
   digest is asked once, so the per-block answer cache never hits here); then "rescan":
   the same number of requests over 100 certificates, as when one QR code is checked at
   every border, answered from the per-block cache after the first ask.
Targets (issue 5): 1,000 single submissions/s with p99 < 50 ms; 50,000 documents/s in
bulk; 2,000 verifications/s. Prints a table, then as the very LAST line one JSON object
with every figure (names carry their units).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import raw_http
from bench_accept import fresh_database
from eth_account import Account

from notary.chain.connection import connect
from notary.chain.deploy import deploy_registry, grant_service_roles
from notary.chain.registry import Registry
from notary.chain.sender import TxSender
from notary.ops.anvil import start_anvil
from notary.settings.config import Settings
from notary.store.engine import open_store
from notary.store.issuers import create_api_key, create_issuer
from notary.store.migrate import upgrade
from notary.worker.daemon import build_worker

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BULK_SIZE = 10_000
RESCANNED = 100
CONNECT_SPACING_S = 0.002
"""Between opening two client connections. Opened in one burst, they were all accepted by
whichever uvicorn worker woke first (asyncio accepts a whole backlog per wakeup), and in
about one run in six every request went to one worker: half the rate, the other idle."""
METADATA = {"documentType": "export-certificate", "holder": "Công ty TNHH Nông sản Việt"}

Request = Callable[[int], bytes]


async def _connection(
    port: int, make: Request, next_index: Callable[[], int | None], latencies: list[float]
) -> list[int]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    statuses = []
    try:
        while (i := next_index()) is not None:
            started = time.perf_counter()
            writer.write(make(i))
            status, _ = await raw_http.read_answer(reader)
            latencies.append(time.perf_counter() - started)
            statuses.append(status)
    finally:
        writer.close()
    return statuses


def load(port: int, make: Request, count: int, concurrency: int) -> dict[str, float]:
    """Send `count` requests over `concurrency` keep-alive connections; rate and latencies."""
    counter = iter(range(count))
    latencies: list[float] = []

    def next_index() -> int | None:
        return next(counter, None)

    async def main() -> list[int]:
        clients = []
        for _ in range(concurrency):  # opened one by one: see CONNECT_SPACING_S
            clients.append(asyncio.create_task(_connection(port, make, next_index, latencies)))
            await asyncio.sleep(CONNECT_SPACING_S)
        results = await asyncio.gather(*clients)
        return [s for r in results for s in r]

    started = time.perf_counter()
    statuses = asyncio.run(main())
    elapsed = time.perf_counter() - started
    bad = [s for s in statuses if s >= 300]
    if bad:
        raise SystemExit(f"{len(bad)} requests failed, e.g. status {bad[0]}")
    ordered = sorted(latencies)
    return {
        "rps": count / elapsed,
        "p50_ms": 1000 * statistics.median(ordered),
        "p99_ms": 1000 * ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
        "seconds": elapsed,
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(port: int, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"the service did not come up on port {port}")


@contextmanager
def service(env: dict[str, str], workers: int) -> Iterator[int]:
    """uvicorn serving the app factory in a subprocess (own process group), always stopped."""
    port = free_port()
    cmd = [
        sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env}, start_new_session=True)
    try:
        wait_until_up(port)
        yield port
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def run_backend(
    name: str, url: str | None, workers: int, args: argparse.Namespace
) -> dict[str, Any]:
    """Every figure for one database backend."""
    node = start_anvil()
    try:
        with tempfile.TemporaryDirectory() as tmp, fresh_database(url, Path(tmp)) as db_url:
            w3 = connect(node.url)
            admin, anchorer = Account.create(), Account.create()
            for account in (admin, anchorer):
                w3.provider.make_request("anvil_setBalance", [account.address, hex(10**21)])  # type: ignore[arg-type]
            deployment = deploy_registry(w3, admin)
            registry = Registry(w3, deployment.address)
            grant_service_roles(registry, admin, anchorer.address)
            upgrade(db_url)
            store = open_store(db_url)
            issuer = Account.create().address
            issuer_name = "Sở Nông nghiệp (benchmark)"
            # On chain too: a document of an issuer the registry does not know is INVALID.
            register = registry.register_issuer_call(issuer, issuer_name)
            TxSender(registry, admin).transact(register)
            with store.write() as conn:
                issuer_row = create_issuer(conn, issuer, issuer_name)
                key = create_api_key(conn, issuer_row.id).secret
            env = {
                "NOTARY_DATA_DIR": tmp,
                "NOTARY_DATABASE_URL": db_url,
                "NOTARY_RPC_URL": node.url,
                "NOTARY_CONTRACT_ADDRESS": deployment.address,
                "NOTARY_ANCHOR_KEY": anchorer.key.hex(),
                "NOTARY_ADMIN_KEY": secrets.token_urlsafe(32),
                "NOTARY_RATE_LIMIT_PER_S": "1e9",
                "NOTARY_RATE_LIMIT_BURST": "1000000000",
                "NOTARY_PUBLIC_RATE_LIMIT_PER_S": "1e9",
                "NOTARY_PUBLIC_RATE_LIMIT_BURST": "1000000000",
                "NOTARY_BATCH_INTERVAL": "0.001",
            }
            digests = [os.urandom(32).hex() for _ in range(args.single)]
            with service(env, workers) as port:
                # Warm every worker process (connections, caches) before measuring.
                warm = [os.urandom(32).hex() for _ in range(200)]
                load(port, lambda i: raw_http.post("/v1/documents", _doc(warm[i]), key), 200, 8)
                single = load(
                    port,
                    lambda i: raw_http.post("/v1/documents", _doc(digests[i]), key),
                    args.single,
                    args.concurrency,
                )
                bulk_bodies = [_bulk() for _ in range(args.bulk)]
                bulk = load(
                    port, lambda i: raw_http.post("/v1/documents:bulk", bulk_bodies[i], key),
                    args.bulk, 2,
                )  # fmt: skip
                meta_bodies = [_bulk(metadata=True) for _ in range(2)]
                bulk_meta = load(
                    port, lambda i: raw_http.post("/v1/documents:bulk", meta_bodies[i], key), 2, 1
                )
                settings = Settings(
                    _env_file=None,
                    data_dir=Path(tmp),
                    database_url=db_url,
                    rpc_url=node.url,
                    contract_address=deployment.address,
                    anchor_key=anchorer.key.hex(),  # type: ignore[arg-type]
                    batch_interval=0.001,
                )
                worker = build_worker(settings, store)
                while worker.step():
                    pass
                asks = [
                    json.dumps({"digest": digests[i % len(digests)], "issuer": issuer}).encode()
                    for i in range(args.verify)
                ]
                verify = load(
                    port, lambda i: raw_http.post("/v1/verify", asks[i], None),
                    args.verify, args.concurrency,
                )  # fmt: skip
                # The same certificates scanned again (a QR code on a shipment is checked
                # at every border): answers come from the per-block cache.
                rescan = load(
                    port, lambda i: raw_http.post("/v1/verify", asks[i % RESCANNED], None),
                    args.verify, args.concurrency,
                )  # fmt: skip
            store.dispose()
    finally:
        node.stop()
    return {
        f"{name}_workers": workers,
        f"{name}_single_requests_per_s": round(single["rps"], 1),
        f"{name}_single_p50_ms": round(single["p50_ms"], 2),
        f"{name}_single_p99_ms": round(single["p99_ms"], 2),
        f"{name}_bulk_documents_per_s": round(BULK_SIZE * args.bulk / bulk["seconds"], 1),
        f"{name}_bulk_request_p50_ms": round(bulk["p50_ms"], 1),
        f"{name}_bulk_with_metadata_documents_per_s": round(
            2 * BULK_SIZE / bulk_meta["seconds"], 1
        ),
        f"{name}_verify_requests_per_s": round(verify["rps"], 1),
        f"{name}_verify_p50_ms": round(verify["p50_ms"], 2),
        f"{name}_verify_p99_ms": round(verify["p99_ms"], 2),
        f"{name}_verify_rescan_requests_per_s": round(rescan["rps"], 1),
        f"{name}_verify_rescan_p99_ms": round(rescan["p99_ms"], 2),
    }


def _doc(digest: str) -> bytes:
    return json.dumps({"digest": digest, "metadata": METADATA}).encode()


def _bulk(metadata: bool = False) -> bytes:
    docs: list[dict[str, Any]] = [{"digest": os.urandom(32).hex()} for _ in range(BULK_SIZE)]
    if metadata:
        for doc in docs:
            doc["metadata"] = METADATA
    return json.dumps({"documents": docs}).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    parser.add_argument("--single", type=int, default=5000, help="single submissions")
    parser.add_argument("--bulk", type=int, default=6, help="bulk requests of 10,000")
    parser.add_argument("--verify", type=int, default=5000, help="verification requests")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--sqlite-workers", type=int, default=2, help="uvicorn processes")
    args = parser.parse_args()
    figures: dict[str, Any] = {"cpu_count": os.cpu_count()}
    for backend in args.backends.split(","):
        if backend == "sqlite":
            figures |= run_backend("sqlite", None, args.sqlite_workers, args)
        elif backend == "postgresql":
            figures |= run_backend("postgresql", args.postgres_url, 2, args)
        else:
            raise SystemExit(f"unknown backend {backend}")
    print(f"{'figure':<40} {'value':>12}")
    for name, value in figures.items():
        print(f"{name:<40} {value:>12}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
