"""End-to-end pipeline benchmark: accept → seal → anchor on a local Anvil → anchored.

    .venv/bin/python scripts/bench_pipeline.py                 # 1,000,000 docs, SQLite
    .venv/bin/python scripts/bench_pipeline.py --n 100000
    .venv/bin/python scripts/bench_pipeline.py --database-url postgresql+psycopg://postgres@127.0.0.1/test

Starts its own Anvil (always stopped), deploys a registry, and measures on one database:
1. bulk acceptance of N documents without metadata (chunks of 10,000, one transaction each),
   then, in a second fresh database, --meta-n documents with metadata;
2. sealing the N documents as one batch, anchoring it with the real worker
   (`build_worker` + `step()` until idle) and the time until every document reads as
   anchored; the anchor transaction's gas;
3. --small-runs batches of 1,000 documents, each from seal to every document anchored and
   its receipt data (proof + anchor) readable; the median is reported.
Prints a table, then as the very LAST line one JSON object with every figure.
Targets (issue 4): accept ≥ 50,000 docs/s; 1M batch seal → anchored < 20 s; a 1,000
batch seal → anchored < 0.5 s; gas per document < 0.05 at 1M.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench_accept import documents, fresh_database, storage_bytes
from eth_account import Account
from eth_account.signers.local import LocalAccount
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.engine import make_url
from web3 import Web3

from notary.chain.connection import connect
from notary.chain.deploy import deploy_registry, grant_service_roles
from notary.chain.registry import Registry
from notary.core.merkle import verify_proof
from notary.core.types import Leaf
from notary.ops.anvil import AnvilNode, start_anvil
from notary.pipeline.accept import accept_many
from notary.pipeline.batcher import seal_due_batches
from notary.pipeline.ledger import StoreLedger
from notary.pipeline.operations import AnchoringWorker
from notary.pipeline.proofs import proof_for
from notary.settings.config import Settings
from notary.store.engine import Store, open_store
from notary.store.issuers import create_issuer
from notary.store.migrate import upgrade
from notary.worker.daemon import build_worker

ISSUER = "0x" + "5a" * 20
BALANCE_WEI = 10**21
SMALL_BATCH = 1_000
PROOF_SAMPLE = 1_000
"""Leaves of the big batch whose proofs are read and checked, spread evenly over it."""
FAR_FUTURE = dt.timedelta(days=1)  # "now" for seals: every pending document is due


class TimedLedger(StoreLedger):
    """The worker's real ledger, noting when each transition was recorded."""

    def __init__(self, store: Store) -> None:
        super().__init__(store)
        self.at: dict[str, float] = {}
        self.spent: dict[str, float] = {}

    def _timed(self, name: str, call: Callable[[], None]) -> None:
        started = time.perf_counter()
        call()
        self.at[name] = time.perf_counter()
        self.spent[name] = self.at[name] - started

    def record_signed(self, op_id: int, signed: Any) -> None:
        self._timed("signed", lambda: super(TimedLedger, self).record_signed(op_id, signed))

    def record_broadcast(self, op_id: int) -> None:
        self._timed("broadcast", lambda: super(TimedLedger, self).record_broadcast(op_id))

    def record_mined(self, op_id: int, inclusion: Any) -> None:
        self._timed("mined", lambda: super(TimedLedger, self).record_mined(op_id, inclusion))

    def record_final(self, op_id: int, inclusion: Any) -> None:
        self._timed("final", lambda: super(TimedLedger, self).record_final(op_id, inclusion))


def funded(w3: Web3) -> LocalAccount:
    """A fresh random account with test ether (never Anvil's published keys)."""
    account: LocalAccount = Account.create()
    w3.provider.make_request("anvil_setBalance", [account.address, hex(BALANCE_WEI)])  # type: ignore[arg-type]
    return account


def deploy(w3: Web3) -> tuple[str, LocalAccount]:
    """Deploy a registry; returns its address and the anchoring account."""
    admin, anchorer = funded(w3), funded(w3)
    deployment = deploy_registry(w3, admin)
    grant_service_roles(Registry(w3, deployment.address), admin, anchorer.address)
    return deployment.address, anchorer


def settings_for(
    url: str, node: AnvilNode, contract: str, anchorer: LocalAccount, tmp: Path, batch_max: int
) -> Settings:
    """Worker settings: seal only full batches (the interval is long)."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp,
        database_url=url,
        rpc_url=node.url,
        contract_address=contract,
        anchor_key=SecretStr(anchorer.key.hex()),
        batch_max=batch_max,
        batch_interval=3600.0,
    )


def accept_all(store: Store, n: int, with_metadata: bool) -> tuple[float, list[Leaf]]:
    """Accept n documents in bulk chunks; returns the seconds taken and the leaves."""
    leaves: list[Leaf] = []
    chunks = list(documents(n, with_metadata, signed=False))  # inputs made before the clock
    started = time.perf_counter()
    for chunk in chunks:
        leaves.extend(r.record.leaf for r in accept_many(store, ISSUER, chunk))
    return time.perf_counter() - started, leaves


def anchored_count(store: Store, batch_id: int) -> int:
    """How many documents of the batch read as anchored (through DocumentRecord.status)."""
    with store.read() as conn:
        return int(
            conn.execute(
                text(
                    "SELECT count(*) FROM documents AS d JOIN batches AS b ON b.id = d.batch_id"
                    " WHERE d.batch_id = :b AND b.state = 'final'"
                ),
                {"b": batch_id},
            ).scalar_one()
        )


def drain(worker: AnchoringWorker, max_steps: int = 50) -> int:
    """Step until idle; returns the steps taken."""
    for step in range(1, max_steps + 1):
        if not worker.step():
            return step
    raise RuntimeError("worker did not become idle")


def seal_and_anchor(
    store: Store, settings: Settings, n: int, sample: list[Leaf]
) -> dict[str, float | int]:
    """Seal the pending documents as one batch, anchor it, wait until all read anchored."""
    worker = build_worker(settings, store)
    ledger = TimedLedger(store)
    worker.ledger = ledger
    started = time.perf_counter()
    (batch,) = seal_due_batches(
        store, dt.datetime.now(dt.UTC) + FAR_FUTURE, batch_max=settings.batch_max
    )
    sealed = time.perf_counter()
    steps = drain(worker)
    idle = time.perf_counter()
    counted = anchored_count(store, batch.id)
    done = time.perf_counter()
    if counted != n:
        raise RuntimeError(f"{counted} of {n} documents read as anchored")
    lookups = []
    for leaf in sample:  # what a receipt needs: anchored status, proof to the anchored root
        looked_up = time.perf_counter()
        stored = proof_for(store, leaf)
        lookups.append(time.perf_counter() - looked_up)
        assert stored.document.status == "anchored", stored.document.status
        assert verify_proof(leaf, stored.proof, batch.root)
    receipts_ready = time.perf_counter()
    lookups.sort()
    with store.read() as conn:
        tx_hash = conn.execute(
            text("SELECT tx_hash FROM chain_ops WHERE batch_id = :b AND kind = 'anchor'"),
            {"b": batch.id},
        ).scalar_one()
    gas = int(worker.sender.w3.eth.get_transaction_receipt(tx_hash)["gasUsed"])
    return {
        "seal_s": sealed - started,
        "anchor_s": ledger.at["mined"] - ledger.at["broadcast"],
        "sign_broadcast_s": ledger.at["broadcast"] - sealed,
        "final_mark_s": ledger.spent["final"],
        "worker_s": idle - sealed,
        "count_anchored_s": done - idle,
        "seal_to_anchored_s": done - started,
        "seal_to_receipts_s": receipts_ready - started,
        "worker_steps": steps,
        "gas": gas,
        "proof_lookup_us": statistics.median(lookups) * 1e6,
        "proof_lookup_p99_us": lookups[int(len(lookups) * 0.99)] * 1e6,
    }


def run(url: str, node: AnvilNode, tmp: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Every measurement on one database (plus a fresh one for accepts with metadata)."""
    w3 = connect(node.url)
    contract, anchorer = deploy(w3)
    n = args.n
    upgrade(url)
    store = open_store(url)
    figures: dict[str, Any] = {"backend": make_url(url).get_backend_name(), "documents": n}
    try:
        with store.write() as conn:
            create_issuer(conn, ISSUER, "Benchmark agency")
        accept_s, leaves = accept_all(store, n, with_metadata=False)
        figures["accept_docs_per_s"] = round(n / accept_s)
        sample = [leaves[i] for i in range(0, n, max(1, n // PROOF_SAMPLE))]
        del leaves
        big = seal_and_anchor(store, settings_for(url, node, contract, anchorer, tmp, n), n, sample)
        tag = "1m" if n == 1_000_000 else f"{n}"
        figures.update(
            {
                f"seal_{tag}_s": round(big["seal_s"], 3),
                f"anchor_tx_{tag}_s": round(big["anchor_s"], 3),
                f"final_mark_{tag}_s": round(big["final_mark_s"], 4),
                f"worker_{tag}_s": round(big["worker_s"], 3),
                f"count_anchored_{tag}_s": round(big["count_anchored_s"], 3),
                f"anchored_{tag}_s": round(big["seal_to_anchored_s"], 3),
                f"gas_{tag}": big["gas"],
                f"gas_per_doc_{tag}": round(big["gas"] / n, 6),
                f"proof_lookup_{tag}_us": round(big["proof_lookup_us"]),
                f"proof_lookup_p99_{tag}_us": round(big["proof_lookup_p99_us"]),
            }
        )
        sizes = storage_bytes(store)
        figures["db_bytes"] = sizes["total"]
        figures["db_bytes_per_doc"] = round(sizes["total"] / n, 1)
        for name in ("documents", "batch_nodes"):
            if name in sizes:
                figures[f"{name}_bytes_per_doc"] = round(sizes[name] / n, 1)

        small = settings_for(url, node, contract, anchorer, tmp, SMALL_BATCH)
        runs = []
        for _ in range(args.small_runs):
            _, small_leaves = accept_all(store, SMALL_BATCH, with_metadata=True)
            runs.append(seal_and_anchor(store, small, SMALL_BATCH, small_leaves))
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        figures.update(
            {
                "batch_1k_seal_s": round(med["seal_s"], 4),
                "batch_1k_anchor_tx_s": round(med["anchor_s"], 4),
                "batch_1k_seal_to_anchored_s": round(med["seal_to_anchored_s"], 4),
                "batch_1k_seal_to_receipts_s": round(med["seal_to_receipts_s"], 4),
                "batch_1k_gas_per_doc": round(med["gas"] / SMALL_BATCH, 3),
                "batch_1k_runs": len(runs),
            }
        )
    finally:
        store.dispose()
    if args.meta_n:
        with fresh_database(args.database_url, tmp / "meta") as meta_url:
            upgrade(meta_url)
            meta = open_store(meta_url)
            try:
                with meta.write() as conn:
                    create_issuer(conn, ISSUER, "Benchmark agency")
                meta_s, _ = accept_all(meta, args.meta_n, with_metadata=True)
            finally:
                meta.dispose()
        figures["accept_with_metadata_docs_per_s"] = round(args.meta_n / meta_s)
        figures["accept_with_metadata_n"] = args.meta_n
    return figures


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run, print the table and the JSON line."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="documents in the big batch")
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--small-runs", type=int, default=5, help="1,000-document batches")
    parser.add_argument(
        "--meta-n", type=int, default=200_000, help="documents with metadata (0: skip)"
    )
    args = parser.parse_args(argv)
    if not 1 <= args.n <= 1_000_000:
        parser.error("--n must be 1..1,000,000 (the largest batch)")
    node = start_anvil()
    try:
        with tempfile.TemporaryDirectory(prefix="notary-bench-") as tmp:
            (Path(tmp) / "meta").mkdir()
            with fresh_database(args.database_url, Path(tmp)) as url:
                figures = run(url, node, Path(tmp), args)
    finally:
        node.stop()
    width = max(len(k) for k in figures)
    for key, value in figures.items():
        shown = f"{value:,}" if isinstance(value, int) else str(value)
        print(f"{key:<{width}}  {shown:>14}")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
