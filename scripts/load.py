"""Mixed load against a running service, then an audit of what it accepted.

    .venv/bin/python scripts/load.py --url http://127.0.0.1:8000 --key-file KEY --issuer 0x… \\
        --rate 1500 --duration 60 --database-url postgresql+psycopg://… --rpc-url http://… \\
        --contract 0x…

Sends, at a set rate for a set time (and never more than --max-requests), a mix of single
and bulk notarisations, verifications by leaf, by digest (+issuer) and by receipt, and
receipt downloads, over keep-alive HTTP/1.1 connections to 127.0.0.1 only. Prints
requests/s and p50/p95/p99 per kind and errors by status. Then, unless --no-audit, waits
for anchoring and checks from the database AND the chain that every accepted document is
in exactly one batch, every batch root is anchored on chain exactly once, every document
is provable from its batch's tree, and a sample of receipts verifies VALID through the API.
The last line is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import raw_http
from sqlalchemy import create_engine, text
from web3 import Web3

from notary.chain.connection import connect
from notary.core.merkle import MerkleTree
from notary.core.types import Leaf

MIX = {
    "single": 20,
    "bulk": 1,
    "verify_leaf": 24,
    "verify_digest": 24,
    "verify_receipt": 15,
    "receipt": 16,
}
"""Relative weights of the request kinds (a border post mostly verifies)."""
METADATA = {"documentType": "export-certificate", "product": "vải thiều"}


@dataclass
class Known:
    """What the driver has learnt: accepted documents and receipts it can verify."""

    leaves: list[str] = field(default_factory=list)
    digests: list[str] = field(default_factory=list)
    receipts: list[bytes] = field(default_factory=list)
    accepted: set[str] = field(default_factory=set)


@dataclass
class Tally:
    """Latencies per kind, statuses per kind, and when each 5xx happened."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    server_errors: list[tuple[float, str, int]] = field(default_factory=list)
    transport_errors: int = 0


class Driver:
    """Open-loop load: requests are started on a schedule, whatever the answers take."""

    def __init__(self, args: argparse.Namespace) -> None:
        url = urlsplit(args.url)
        if url.hostname not in ("127.0.0.1", "localhost"):
            raise SystemExit("the load driver only targets 127.0.0.1")
        self.port = url.port or 80
        self.args = args
        self.key = args.api_key or Path(args.key_file).read_text().strip()
        self.known = Known()
        self.tally = Tally()
        self.rng = random.Random(args.seed)
        self.kinds = [k for k, w in MIX.items() for _ in range(w)]

    # -- requests ----------------------------------------------------------------------

    def build(self, kind: str) -> tuple[bytes, str]:
        """The raw request for `kind` (falling back to a submission while nothing is known)."""
        known = self.known
        if kind != "bulk" and (
            not known.leaves or (kind == "verify_receipt" and not known.receipts)
        ):
            kind = "single"
        if kind == "single":
            body = json.dumps({"digest": os.urandom(32).hex(), "metadata": METADATA}).encode()
            return raw_http.post("/v1/documents", body, self.key), kind
        if kind == "bulk":
            docs = [{"digest": os.urandom(32).hex()} for _ in range(self.args.bulk_size)]
            return raw_http.post(
                "/v1/documents:bulk", json.dumps({"documents": docs}).encode(), self.key
            ), kind
        i = self.rng.randrange(len(known.leaves))
        if kind == "verify_leaf":
            return raw_http.post("/v1/verify", json.dumps({"leaf": known.leaves[i]}).encode()), kind
        if kind == "verify_digest":
            body = {"digest": known.digests[i], "issuer": self.args.issuer, "metadata": METADATA}
            return raw_http.post("/v1/verify", json.dumps(body).encode()), kind
        if kind == "verify_receipt":
            receipt = known.receipts[self.rng.randrange(len(known.receipts))]
            return raw_http.post("/v1/verify", b'{"receipt":' + receipt + b"}"), kind
        return raw_http.get(f"/v1/documents/{known.leaves[i]}/receipt", self.key), kind

    def learn(self, kind: str, status: int, request: bytes, body: bytes) -> None:
        if status not in (200, 202):
            return
        if kind == "single":
            answer = json.loads(body)
            self.known.accepted.add(answer["leaf"])
            if len(self.known.leaves) < 100_000:
                self.known.leaves.append(answer["leaf"])
                self.known.digests.append(answer["digest"])
        elif kind == "bulk":
            for item in json.loads(body)["documents"]:
                self.known.accepted.add(item["leaf"])
        elif kind == "receipt" and len(self.known.receipts) < 2_000:
            self.known.receipts.append(body)

    # -- connections -------------------------------------------------------------------

    async def connection(self, schedule: asyncio.Queue[float | None]) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        try:
            while (due := await schedule.get()) is not None:
                delay = due - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                kind = self.kinds[self.rng.randrange(len(self.kinds))]
                request, kind = self.build(kind)
                started = time.perf_counter()
                try:
                    writer.write(request)
                    status, body = await raw_http.read_answer(reader)
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    self.tally.transport_errors += 1
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
                    continue
                self.tally.latencies[kind].append(time.perf_counter() - started)
                self.tally.statuses[kind][status] += 1
                if status >= 500:
                    self.tally.server_errors.append((time.time(), kind, status))
                self.learn(kind, status, request, body)
        finally:
            writer.close()

    async def run(self) -> float:
        """Send for --duration seconds at --rate (or until --max-requests); elapsed seconds."""
        schedule: asyncio.Queue[float | None] = asyncio.Queue(maxsize=self.args.concurrency * 4)
        tasks = []
        for _ in range(self.args.concurrency):  # opened one by one so every process gets some
            tasks.append(asyncio.create_task(self.connection(schedule)))
            await asyncio.sleep(0.002)
        started = time.monotonic()
        interval = 1.0 / self.args.rate
        sent = 0
        while sent < self.args.max_requests and time.monotonic() - started < self.args.duration:
            await schedule.put(started + sent * interval)
            sent += 1
        for _ in tasks:
            await schedule.put(None)
        await asyncio.gather(*tasks)
        return time.monotonic() - started


def summary(tally: Tally, elapsed: float) -> dict[str, Any]:
    """Throughput and latency percentiles per kind, and statuses."""
    figures: dict[str, Any] = {}
    total = sum(len(v) for v in tally.latencies.values())
    figures["requests"] = total
    figures["requests_per_s"] = round(total / elapsed, 1)
    everything = sorted(x for v in tally.latencies.values() for x in v)
    for kind, values in [("all", everything), *sorted(tally.latencies.items())]:
        ordered = sorted(values)
        if not ordered:
            continue
        figures[f"{kind}_per_s"] = round(len(ordered) / elapsed, 1)
        for p in (50, 95, 99):
            figures[f"{kind}_p{p}_ms"] = round(1000 * _pct(ordered, p), 2)
    statuses: Counter[int] = Counter()
    for counter in tally.statuses.values():
        statuses.update(counter)
    figures["statuses"] = {str(k): v for k, v in sorted(statuses.items())}
    figures["transport_errors"] = tally.transport_errors
    return figures


def _pct(ordered: list[float], p: int) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


# -- audit ------------------------------------------------------------------------------


def wait_anchored(database_url: str, timeout_s: float) -> bool:
    """Wait until no document is pending and every batch is final; False on timeout."""
    engine = create_engine(database_url)
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                pending = conn.execute(
                    text("SELECT count(*) FROM documents WHERE batch_id IS NULL")
                ).scalar_one()
                open_batches = conn.execute(
                    text("SELECT count(*) FROM batches WHERE state <> 'final'")
                ).scalar_one()
            if pending == 0 and open_batches == 0:
                return True
            time.sleep(1.0)
        return False
    finally:
        engine.dispose()


def audit(database_url: str, w3: Web3, contract: str, accepted: set[str] | None) -> dict[str, Any]:
    """Every accepted document in one final batch, every root anchored once on chain,
    every document provable from its batch's tree (figures; problems listed)."""
    engine = create_engine(database_url)
    problems: list[str] = []
    try:
        with engine.connect() as conn:
            docs = conn.execute(
                text("SELECT leaf, batch_id, tree_index FROM documents ORDER BY batch_id")
            ).all()
            batches = {
                row.id: row
                for row in conn.execute(text("SELECT id, root, leaf_count, state FROM batches"))
            }
    finally:
        engine.dispose()
    by_leaf: dict[bytes, set[int | None]] = defaultdict(set)
    per_batch: dict[int, list[tuple[bytes, int]]] = defaultdict(list)
    for leaf, batch_id, tree_index in docs:
        by_leaf[bytes(leaf)].add(batch_id)
        if batch_id is not None:
            per_batch[batch_id].append((bytes(leaf), tree_index))
    in_two = sum(1 for ids in by_leaf.values() if len(ids) > 1)
    unbatched = sum(1 for ids in by_leaf.values() if None in ids)
    lost = 0
    if accepted is not None:
        lost = sum(1 for leaf in accepted if bytes.fromhex(leaf[2:]) not in by_leaf)
    not_final = [b for b in batches.values() if b.state != "final" and b.root is not None]
    unprovable = 0
    for batch_id, members in per_batch.items():
        batch = batches[batch_id]
        tree = MerkleTree.from_leaves([Leaf(leaf) for leaf, _ in members])
        if tree.root.raw != bytes(batch.root) or len(members) != batch.leaf_count:
            unprovable += len(members)
            problems.append(f"batch {batch_id}: tree of its documents does not give its root")
    # The chain: every Anchored log of the registry (its root is the only topic).
    logs = w3.eth.get_logs({"address": Web3.to_checksum_address(contract), "fromBlock": 0})
    anchored = Counter(bytes(log["topics"][0]) for log in logs if len(log["topics"]) == 1)
    roots = [bytes(b.root) for b in batches.values() if b.root is not None]
    twice = sum(1 for root in roots if anchored[root] > 1)
    missing = sum(1 for root in roots if anchored[root] == 0)
    if in_two:
        problems.append(f"{in_two} documents in two batches")
    if lost:
        problems.append(f"{lost} accepted documents not in the database")
    if unbatched:
        problems.append(f"{unbatched} documents never batched")
    if twice or missing:
        problems.append(f"roots anchored twice: {twice}; never anchored: {missing}")
    if not_final:
        problems.append(f"{len(not_final)} batches not final")
    return {
        "documents": len(by_leaf),
        "accepted_by_this_run": len(accepted) if accepted is not None else None,
        "batches": len(roots),
        "lost_documents": lost,
        "documents_in_two_batches": in_two,
        "documents_not_anchored": unbatched,
        "documents_unprovable": unprovable,
        "roots_anchored_twice": twice,
        "roots_not_anchored": missing,
        "batches_not_final": len(not_final),
        "problems": problems,
    }


async def verify_sample(port: int, leaves: list[str], count: int) -> Counter[str]:
    """Verdicts of `count` sampled leaves through POST /v1/verify."""
    verdicts: Counter[str] = Counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for leaf in random.sample(leaves, min(count, len(leaves))):
            writer.write(raw_http.post("/v1/verify", json.dumps({"leaf": leaf}).encode()))
            status, body = await raw_http.read_answer(reader)
            verdicts[
                json.loads(body).get("verdict", f"HTTP {status}")
                if status == 200
                else f"HTTP {status}"
            ] += 1
    finally:
        writer.close()
    return verdicts


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", default="http://127.0.0.1:8000")
    p.add_argument("--api-key")
    p.add_argument("--key-file")
    p.add_argument("--issuer", required=True)
    p.add_argument("--rate", type=float, default=500.0, help="requests per second")
    p.add_argument("--duration", type=float, default=30.0, help="seconds")
    p.add_argument("--max-requests", type=int, default=10_000_000)
    p.add_argument("--concurrency", type=int, default=64, help="connections")
    p.add_argument("--bulk-size", type=int, default=1000)
    p.add_argument("--seed", type=int, default=15)
    p.add_argument("--database-url")
    p.add_argument("--rpc-url")
    p.add_argument("--contract")
    p.add_argument("--no-audit", action="store_true")
    p.add_argument("--anchor-timeout", type=float, default=120.0)
    p.add_argument("--sample", type=int, default=200, help="receipts verified at the end")
    return p


def main() -> None:
    args = parser().parse_args()
    if not (args.api_key or args.key_file):
        raise SystemExit("give --api-key or --key-file")
    driver = Driver(args)
    elapsed = asyncio.run(driver.run())
    figures = summary(driver.tally, elapsed)
    print(f"{'kind':<16} {'per s':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for kind in ["all", *MIX]:
        if f"{kind}_per_s" in figures:
            print(
                f"{kind:<16} {figures[f'{kind}_per_s']:>9} {figures[f'{kind}_p50_ms']:>8} "
                f"{figures[f'{kind}_p95_ms']:>8} {figures[f'{kind}_p99_ms']:>8}"
            )
    print(f"statuses {figures['statuses']}; transport errors {figures['transport_errors']}")
    figures["accepted"] = len(driver.known.accepted)
    if not args.no_audit:
        if not (args.database_url and args.rpc_url and args.contract):
            raise SystemExit("the audit needs --database-url, --rpc-url and --contract")
        figures["anchored_in_time"] = wait_anchored(args.database_url, args.anchor_timeout)
        figures["audit"] = audit(
            args.database_url, connect(args.rpc_url), args.contract, driver.known.accepted
        )
        figures["sample_verdicts"] = dict(
            asyncio.run(verify_sample(driver.port, driver.known.leaves, args.sample))
        )
        print(f"audit: {figures['audit']}")
        print(f"sampled verdicts: {figures['sample_verdicts']}")
    print(json.dumps(figures))
    ok = args.no_audit or (
        not figures["audit"]["problems"] and set(figures["sample_verdicts"]) <= {"VALID"}
    )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
