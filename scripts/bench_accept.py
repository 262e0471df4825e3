"""Benchmark the pipeline's storage path: bulk accept, seal one batch, proof lookups.

    .venv/bin/python scripts/bench_accept.py                    # 1,000,000 docs, SQLite
    .venv/bin/python scripts/bench_accept.py --n 10000
    .venv/bin/python scripts/bench_accept.py --signed --repeat 3  # signed submissions, 3 runs
    .venv/bin/python scripts/bench_accept.py --database-url postgresql+psycopg://postgres@127.0.0.1/test

`accept_s` is the time spent in `accept_many` (generating the random documents and, with
--signed, salting and signing each submission of 10,000 as the issuer's client does, is
left out). --signed: every submission carries the issuer's Submission signature, checked
against its keys (given, as the API's signer view gives them) and stored with its tree.
With --repeat each run is on a fresh database; the table shows the run of median
acceptance rate, and `accept_docs_per_s_runs` every run's.
With a PostgreSQL URL a fresh database is created on that server and dropped afterwards.
Prints a table, then as the very last line one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from notary.client.stamping import sign_submission, signed_metadata
from notary.core.issuer_signing import IssuerKey, RegistryDomain
from notary.core.merkle import verify_proof
from notary.core.types import Digest, Leaf, to_checksum_address
from notary.pipeline.accept import MAX_BULK_DOCUMENTS, DocumentInput, accept_many
from notary.pipeline.batcher import seal_due_batches
from notary.pipeline.proofs import proof_for
from notary.pipeline.submissions import IssuerKeys, SubmissionSignature
from notary.store.engine import Store, open_store
from notary.store.issuers import create_issuer
from notary.store.migrate import upgrade

ISSUER = to_checksum_address("0x" + "5a" * 20)
KEY = IssuerKey(bytes.fromhex("4c" * 32))
DOMAIN = RegistryDomain.of(31337, "0x" + "11" * 20)
KEYS = IssuerKeys(ISSUER, signing_since=1, active=frozenset({KEY.address}))
TABLES = ("documents", "batches", "batch_nodes", "chain_ops", "issuers")


@contextmanager
def fresh_database(url: str | None, workdir: Path) -> Iterator[str]:
    """A new empty database: a SQLite file in workdir, or a PostgreSQL database made for us."""
    if url is None or url.startswith("sqlite"):
        yield url or f"sqlite:///{workdir / 'bench.db'}"
        return
    server = make_url(url)
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"notary_bench_{secrets.token_hex(4)}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def documents(n: int, with_metadata: bool, signed: bool) -> Iterator[list[DocumentInput]]:
    """Chunks of random documents, each with small realistic metadata unless told not to;
    `signed`: each chunk one submission, salted and signed as the issuer's client does."""
    for start in range(0, n, MAX_BULK_DOCUMENTS):
        size = min(MAX_BULK_DOCUMENTS, n - start)
        docs = [
            (
                Digest(os.urandom(32)),
                {
                    "documentType": "export-certificate",
                    "documentNumber": f"EC-2025-{start + i:07d}",
                    "holder": "Công ty TNHH Nông sản Việt",
                    "issuedOn": "2025-03-01",
                }
                if with_metadata
                else None,
            )
            for i in range(size)
        ]
        if not signed:
            yield [DocumentInput(digest, metadata) for digest, metadata in docs]
            continue
        docs = [(digest, signed_metadata(metadata)) for digest, metadata in docs]
        submission = sign_submission(KEY, DOMAIN, ISSUER, docs)
        signature = SubmissionSignature(submission.signature, DOMAIN, KEYS)
        yield [DocumentInput(digest, metadata, signature) for digest, metadata in docs]


def storage_bytes(store: Store) -> dict[str, int]:
    """Bytes on disk: per table (indexes included) where the backend says, and the total."""
    with store.read() as conn:
        if store.is_sqlite:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            page = conn.exec_driver_sql("PRAGMA page_size").scalar_one()
            used = (
                conn.exec_driver_sql("PRAGMA page_count").scalar_one()
                - conn.exec_driver_sql("PRAGMA freelist_count").scalar_one()
            )
            sizes = {"total": used * page}
            try:
                for name, size in conn.exec_driver_sql(
                    "SELECT m.tbl_name, sum(d.pgsize) FROM dbstat AS d"
                    " JOIN sqlite_master AS m ON m.name = d.name GROUP BY m.tbl_name"
                ):
                    sizes[name] = int(size)
            except Exception:  # dbstat is a compile-time option of SQLite
                pass
            return sizes
        sizes = {
            t: int(conn.execute(text("SELECT pg_total_relation_size(:t)"), {"t": t}).scalar_one())
            for t in TABLES
        }
        sizes["total"] = sum(sizes.values())
        return sizes


def run(
    url: str, n: int, with_metadata: bool, lookups: int, signed: bool = False
) -> dict[str, float | int | str]:
    """Accept n documents, seal them as one batch, time proof lookups; return the figures."""
    upgrade(url)
    store = open_store(url)
    with store.write() as conn:
        create_issuer(conn, ISSUER, "Benchmark agency")
    leaves: list[Leaf] = []
    accept_s = 0.0
    for chunk in documents(n, with_metadata, signed):
        started = time.perf_counter()
        results = accept_many(store, ISSUER, chunk)
        accept_s += time.perf_counter() - started
        leaves.extend(r.record.leaf for r in results)

    started = time.perf_counter()
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    (batch,) = seal_due_batches(store, now=later, batch_max=n)
    seal_s = time.perf_counter() - started

    sample = random.sample(leaves, min(lookups, n))
    timings = []
    for leaf in sample:
        t = time.perf_counter()
        proof = proof_for(store, leaf)
        timings.append(time.perf_counter() - t)
        assert proof.root == batch.root
    assert verify_proof(sample[0], proof_for(store, sample[0]).proof, batch.root)
    sizes = storage_bytes(store)
    store.dispose()
    figures: dict[str, float | int | str] = {
        "backend": make_url(url).get_backend_name(),
        "documents": n,
        "with_metadata": int(with_metadata),
        "signed": int(signed),
        "accept_s": round(accept_s, 3),
        "accept_docs_per_s": round(n / accept_s),
        "seal_leaves": n,
        "seal_s": round(seal_s, 3),
        "proof_lookup_us": round(statistics.median(timings) * 1e6, 1),
        "proof_lookup_p99_us": round(sorted(timings)[int(len(timings) * 0.99) - 1] * 1e6, 1),
        "proof_lookups": len(timings),
        "db_bytes_total": sizes["total"],
        "db_bytes_per_doc": round(sizes["total"] / n, 1),
    }
    if n == 1_000_000:
        figures["seal_1m_s"] = figures["seal_s"]
    for name in ("documents", "batch_nodes"):
        if name in sizes:
            figures[f"{name}_bytes_per_doc"] = round(sizes[name] / n, 1)
    return figures


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run, print the table and the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="documents (default 1,000,000)")
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--no-metadata", action="store_true", help="documents without metadata")
    parser.add_argument("--lookups", type=int, default=1_000, help="proof lookups to time")
    parser.add_argument(
        "--signed", action="store_true", help="each submission signed by the issuer's key"
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs, each on a fresh database")
    args = parser.parse_args(argv)
    runs = []
    for _ in range(args.repeat):
        with (
            tempfile.TemporaryDirectory(prefix="notary-bench-") as tmp,
            fresh_database(args.database_url, Path(tmp)) as url,
        ):
            runs.append(run(url, args.n, not args.no_metadata, args.lookups, args.signed))
    rates = [int(r["accept_docs_per_s"]) for r in runs]
    figures = sorted(runs, key=lambda r: int(r["accept_docs_per_s"]))[len(runs) // 2]
    figures["accept_docs_per_s_median"] = int(statistics.median(rates))
    figures["accept_docs_per_s_runs"] = ",".join(str(rate) for rate in rates)
    width = max(len(k) for k in figures)
    for key, value in figures.items():
        shown = f"{value:,}" if isinstance(value, int) else str(value)
        print(f"{key:<{width}}  {shown:>14}")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
