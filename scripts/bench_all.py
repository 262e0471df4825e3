"""Every benchmark in one run, one table (`make bench`).

    .venv/bin/python scripts/bench_all.py                  # full sizes (about 15 minutes)
    .venv/bin/python scripts/bench_all.py --quick          # smaller sizes (about 4 minutes)
    .venv/bin/python scripts/bench_all.py --only load --rate 300 --load-seconds 30

Runs, one after the other on this machine: `bench_core.py` (hashing, Merkle trees),
`bench_pipeline.py` (accept, seal, anchor on Anvil), `bench_api.py` (the HTTP API on
PostgreSQL), `bench_hostile.py` (/healthz while a hostile request is in flight), the
mixed load of `load.py` against a cluster (`notary.ops.cluster`: PostgreSQL, 2 API processes,
2 workers, Anvil mining every 2 s, 3 confirmations), and, in the same run, anchoring
1,000 documents one transaction each (1,000 `anchor` calls of single-leaf roots, as a
registry without batching would) beside one batch of 1,000 through our worker, both on
one fresh automining Anvil. Prints the table, then one JSON object with everything.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from eth_account import Account
from load import Driver, audit, summary, wait_anchored

from notary.chain.connection import connect
from notary.chain.deploy import deploy_registry, grant_service_roles
from notary.chain.registry import Registry
from notary.chain.sender import TxSender
from notary.core.types import Digest
from notary.ops.anvil import free_port, start_anvil
from notary.ops.cluster import Cluster, ClusterConfig, drop_database, ensure_database
from notary.pipeline.accept import DocumentInput, accept_many
from notary.settings.config import Settings
from notary.store.engine import open_store
from notary.store.issuers import create_issuer
from notary.store.migrate import upgrade
from notary.worker.daemon import build_worker

HERE = Path(__file__).resolve().parent
PER_DOCUMENT = 1_000


def run_script(name: str, *args: str) -> dict[str, Any]:
    """Run scripts/NAME with ARGS; its last line is its figures."""
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, str(HERE / name), *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1:] or [f"exit {done.returncode}"]}
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    figures["wall_s"] = round(time.monotonic() - started, 1)
    return figures


def one_transaction_per_document(tmp: Path) -> dict[str, Any]:
    """1,000 single-leaf anchors against one 1,000-document batch, same chain, same run."""
    node = start_anvil()
    try:
        w3 = connect(node.url)
        admin, anchorer, issuer = Account.create(), Account.create(), Account.create()
        for account in (admin, anchorer, issuer):
            w3.provider.make_request("anvil_setBalance", [account.address, hex(10**22)])  # type: ignore[arg-type]
        deployment = deploy_registry(w3, admin)
        registry = Registry(w3, deployment.address)
        grant_service_roles(registry, admin, anchorer.address)
        sender = TxSender(registry, anchorer)
        # Each: one transaction, signed locally, sent, waited for (what a per-document
        # registry costs the anchoring account).
        started = time.perf_counter()
        gas = 0
        nonce = sender.pending_nonce()
        hashes = []
        for i in range(PER_DOCUMENT):
            call = registry.anchor_call(os.urandom(32), 1)
            signed = sender.sign(call, nonce=nonce + i, gas=60_000)
            hashes.append(sender.broadcast(signed.raw))
        for tx_hash in hashes:
            gas += int(sender.wait(tx_hash)["gasUsed"])
        single_s = time.perf_counter() - started
        # Ours: accept 1,000, seal one batch, anchor it with the worker.
        url = f"sqlite:///{tmp / 'per-document.db'}"
        upgrade(url)
        store = open_store(url)
        TxSender(registry, admin).transact(registry.register_issuer_call(issuer.address, "bench"))
        with store.write() as conn:
            create_issuer(conn, issuer.address, "bench")
        settings = Settings(
            _env_file=None,
            data_dir=tmp,
            database_url=url,
            rpc_url=node.url,
            contract_address=deployment.address,
            anchor_key=anchorer.key.hex(),  # type: ignore[arg-type]
            batch_max=PER_DOCUMENT,
            batch_interval=0.001,
        )
        docs = [DocumentInput(Digest(os.urandom(32)), None) for _ in range(PER_DOCUMENT)]
        started = time.perf_counter()
        accept_many(store, issuer.address, docs)
        worker = build_worker(settings, store)
        while worker.step():
            pass
        batch_s = time.perf_counter() - started
        with store.read() as conn:
            batch_gas = int(conn.exec_driver_sql("SELECT sum(gas_used) FROM chain_ops").scalar())
        store.dispose()
    finally:
        node.stop()
    return {
        "per_document_gas_total": gas,
        "per_document_seconds": round(single_s, 2),
        "batched_gas_total": batch_gas,
        "batched_seconds": round(batch_s, 2),
    }


def cluster_load(tmp: Path, rate: float, duration: float) -> dict[str, Any]:
    """The mixed load against a fresh cluster for `duration` s at `rate`, then the audit."""
    url = ensure_database(f"notary_bench_{int(time.time())}")
    config = ClusterConfig(data_dir=tmp / "cluster", database_url=url, port=free_port())
    try:
        with Cluster(config) as cluster:
            driver = Driver(
                argparse.Namespace(
                    url=cluster.base_url, api_key=cluster.api_key, key_file=None,
                    issuer=cluster.issuer, rate=rate, duration=duration, max_requests=10**9,
                    concurrency=128, bulk_size=1000, seed=15,
                )
            )  # fmt: skip
            elapsed = asyncio.run(driver.run())
            figures = summary(driver.tally, elapsed)
            figures["accepted"] = len(driver.known.accepted)
            figures["anchored_in_time"] = wait_anchored(url, 180)
            checked = audit(url, cluster.w3(), cluster.registry().address, driver.known.accepted)
            figures["audit_problems"] = checked["problems"]
    finally:
        drop_database(url)
    return figures


SECTIONS = ("core", "pipeline", "api", "hostile", "per_document", "load")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    parser.add_argument("--rate", type=float, default=1500.0, help="mixed load, requests/s")
    parser.add_argument("--load-seconds", type=float, default=60.0)
    parser.add_argument(
        "--only", default=",".join(SECTIONS), help=f"comma-separated, of {', '.join(SECTIONS)}"
    )
    args = parser.parse_args()
    only = set(args.only.split(","))
    if not only <= set(SECTIONS):
        parser.error(f"--only: unknown {', '.join(sorted(only - set(SECTIONS)))}")
    quick = args.quick
    results: dict[str, Any] = {"date": time.strftime("%Y-%m-%d"), "machine": _machine()}
    if "core" in only:
        results["core"] = run_script(
            "bench_core.py",
            "--sizes",
            "100000" if quick else "10000,100000,1000000",
            "--runs",
            "1" if quick else "3",
        )
    if "pipeline" in only:
        results["pipeline"] = run_script(
            "bench_pipeline.py", "--n", "100000" if quick else "1000000", "--small-runs", "3"
        )
    if "api" in only:
        results["api"] = run_script(
            "bench_api.py",
            "--backends",
            "postgresql",
            "--single",
            "2000" if quick else "5000",
            "--verify",
            "2000" if quick else "5000",
        )
    if "hostile" in only:
        results["hostile"] = run_script(
            "bench_hostile.py", "--readings", "100000" if quick else "300000"
        )
    with tempfile.TemporaryDirectory(prefix="notary-bench-") as tmp:
        if "per_document" in only:
            results["per_document"] = one_transaction_per_document(Path(tmp))
        if "load" in only:
            seconds = 20.0 if quick else args.load_seconds
            results["load"] = cluster_load(Path(tmp), args.rate, seconds)
    print_table(results)
    print(json.dumps(results))


ROWS = [
    ("Merkle tree of 1M (100k) leaves: build (s)", "core", ("build_1m_s", "build_100k_s")),
    ("pipeline: bulk acceptance, SQLite (docs/s)", "pipeline", ("accept_docs_per_s",)),
    (
        "pipeline: 1M (100k) batch seal → anchored (s)",
        "pipeline",
        ("anchored_1m_s", "anchored_100000_s"),
    ),
    ("pipeline: 1,000-doc batch seal → anchored (s)", "pipeline", ("batch_1k_seal_to_anchored_s",)),
    ("API: single POST /v1/documents (req/s)", "api", ("postgresql_single_requests_per_s",)),
    ("API: single, p99 (ms)", "api", ("postgresql_single_p99_ms",)),
    ("API: bulk (docs/s)", "api", ("postgresql_bulk_documents_per_s",)),
    ("API: POST /v1/verify (req/s)", "api", ("postgresql_verify_requests_per_s",)),
    ("API: verify p99 (ms)", "api", ("postgresql_verify_p99_ms",)),
    ("/healthz worst (ms), 60,000-space Accept-Language", "hostile", ("accept-language",)),
    ("/healthz worst (ms), station export CSV", "hostile", ("export-csv",)),
    ("/healthz worst (ms), station export JSON", "hostile", ("export-json",)),
    ("/healthz worst (ms), 32 MiB [{},…] readings", "hostile", ("readings-json",)),
    ("/healthz worst (ms), 11M NDJSON {} lines", "hostile", ("readings-ndjson",)),
    ("cluster mixed load (req/s)", "load", ("requests_per_s",)),
    ("cluster mixed load p50 / p99 (ms)", "load", ("all_p50_ms", "all_p99_ms")),
    ("cluster documents accepted", "load", ("accepted",)),
    ("1,000 docs, one tx each: gas", "per_document", ("per_document_gas_total",)),
    ("1,000 docs, one tx each: seconds", "per_document", ("per_document_seconds",)),
    ("1,000 docs, one batch (ours): gas", "per_document", ("batched_gas_total",)),
    ("1,000 docs, one batch (ours): seconds", "per_document", ("batched_seconds",)),
]


def print_table(results: dict[str, Any]) -> None:
    """One table: what was measured, and where it came from."""
    print(f"notary benchmarks, {results['date']}, {results['machine']}")
    print(f"{'figure':<50} {'value':>22}")
    for label, section, keys in ROWS:
        if section not in results:
            continue
        figures = results[section]
        if "error" in figures:
            value = f"failed: {figures['error']}"
        elif section == "hostile":  # a case: the worst /healthz while it was in flight
            case = figures.get(keys[0], {})
            worst = case.get("healthz_worst_ms")
            value = f"{'-' if worst is None else worst} ({case.get('status', '-')})"
        elif label.endswith("p50 / p99 (ms)"):
            value = " / ".join(str(figures.get(k, "-")) for k in keys)
        else:
            value = next((str(figures[k]) for k in keys if k in figures), "-")
        print(f"{label:<50} {value:>22}")
    for section in ("core", "pipeline", "api"):
        if "error" in results.get(section, {}):
            print(f"{section}: {results[section]['error']}")


def _machine() -> str:
    load = os.getloadavg()[0]
    return f"{platform.machine()}, {os.cpu_count()} cores, load {load:.1f} at start"


if __name__ == "__main__":
    main()
