"""Soak with faults: steady mixed load on a cluster while its parts are broken, then an audit.

    .venv/bin/python scripts/soak.py                       # 10 minutes at 300 requests/s
    .venv/bin/python scripts/soak.py --duration 75 --rate 100 --outage 10   # the short form

Starts a throwaway cluster (`notary.ops.cluster`: PostgreSQL database, Anvil mining a block
every 2 s with its state file, 2 API processes, 2 workers, 3 confirmations) and drives
`scripts/load.py`'s mix at --rate for --duration. Meanwhile, once each: the active worker
is SIGKILLed (at 25 %: the takeover is timed until the standby leads and until its first
anchor is mined), Anvil is stopped for --outage seconds and restarted from its state file
(at 40 %), and every PostgreSQL connection of the database is terminated (at 75 %).
Afterwards it waits for anchoring and audits from the database and the chain (nothing lost,
no document in two batches, no root anchored twice, every document provable, a sample of
receipts VALID). It passes when that audit is clean, no 5xx came outside the fault windows
(503 inside them is the right answer), and every process's RSS at the end is within
--rss-tolerance of what it was after warm-up (for the standby that took the lead: after
the same warm-up from then). The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from cluster_faults import kill_leader, stop_chain, terminate_database_connections
from load import Driver, audit, summary, verify_sample, wait_anchored
from sqlalchemy import create_engine, text

from notary.ops.cluster import Cluster, ClusterConfig, drop_database, ensure_database

WINDOW_GRACE_S = 10.0
"""After a fault ends, how long 503 still counts as the right answer (pools reconnect,
the block tracker's next poll, the standby's first step)."""


class Faults:
    """Breaks the cluster on a schedule (in a thread) and remembers when."""

    def __init__(self, cluster: Cluster, duration: float, outage: float) -> None:
        self.cluster = cluster
        self.duration = duration
        self.outage = outage
        self.windows: list[tuple[str, float, float]] = []
        self.figures: dict[str, Any] = {}
        self.errors: list[str] = []
        self.took_over: dict[str, float] = {}
        """Worker name → when it took the lead."""

    def run(self, started: float) -> None:
        try:
            self._at(started, 0.25)
            self._kill_leader()
            self._at(started, 0.40)
            self._chain_outage()
            self._at(started, 0.75)
            self._terminate_database()
        except Exception as exc:  # a fault that could not be injected fails the soak
            self.errors.append(f"{type(exc).__name__}: {exc}")

    def _at(self, started: float, fraction: float) -> None:
        time.sleep(max(0.0, started + fraction * self.duration - time.time()))

    def _kill_leader(self) -> None:
        old = self.cluster.leader()
        killed_at = kill_leader(self.cluster)
        new = self.cluster.leader(timeout_s=30)
        led_at = time.time()
        self.took_over[self.cluster.workers[new].name] = led_at
        first_anchor = _first_mined_after(self.cluster.database_url, killed_at, timeout_s=60)
        self.windows.append(("worker killed", killed_at, (first_anchor or led_at) + WINDOW_GRACE_S))
        self.figures |= {
            "killed_worker": old,
            "new_leader": new,
            "takeover_leader_s": round(led_at - killed_at, 2),
            "takeover_first_anchor_mined_s": (
                round(first_anchor - killed_at, 2) if first_anchor else None
            ),
        }

    def _chain_outage(self) -> None:
        down = time.time()
        stop_chain(self.cluster)
        time.sleep(self.outage)
        self.cluster.start_chain()
        up = time.time()
        self.windows.append(("chain stopped", down, up + WINDOW_GRACE_S))
        self.figures["chain_outage_s"] = round(up - down, 1)

    def _terminate_database(self) -> None:
        at = time.time()
        self.figures["database_connections_terminated"] = terminate_database_connections(
            self.cluster
        )
        self.windows.append(("database connections terminated", at, at + WINDOW_GRACE_S))


def _first_mined_after(database_url: str, after: float, timeout_s: float) -> float | None:
    """When the first anchor sent after `after` was recorded mined (or later), if it was."""
    engine = create_engine(database_url)
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                when = conn.execute(
                    text(
                        "SELECT min(extract(epoch FROM updated_at)) FROM chain_ops"
                        " WHERE kind = 'anchor' AND state IN ('mined', 'final')"
                        " AND updated_at > to_timestamp(:t)"
                    ),
                    {"t": after},
                ).scalar()
            if when is not None:
                return float(when)
            time.sleep(0.2)
        return None
    finally:
        engine.dispose()


class Memory:
    """RSS of every cluster process, sampled; a restarted process starts a new series."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.series: dict[tuple[str, int], list[tuple[float, int]]] = {}

    def sample(self) -> None:
        now = time.time()
        for role, pids in self.cluster.pids().items():
            for pid in pids:
                rss = _rss_kb(pid)
                if rss is not None:
                    self.series.setdefault((role, pid), []).append((now, rss))

    def growth(
        self, warm_until: float, warm_up_s: float, took_over: dict[str, float]
    ) -> dict[str, float]:
        """Per process that lived through warm-up: RSS at the end over RSS just after it.

        A standby that took the lead (`took_over`: role → when) starts work then, so its
        warm-up ends `warm_up_s` after that: an idle standby's RSS is no baseline for a
        leader's.
        """
        grown = {}
        for (role, pid), points in self.series.items():
            warm = max(warm_until, took_over.get(role, 0.0) + warm_up_s)
            after = [rss for t, rss in points if t >= warm]
            if points[0][0] <= warm_until and len(after) >= 2:
                grown[f"{role}[{pid}]"] = round(after[-1] / after[0] - 1, 3)
        return grown


def _rss_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def drive(driver: Driver, memory: Memory, faults: Faults) -> float:
    """The load in a thread (its own event loop, RSS sampled every 5 s), the faults here.

    Faults stay on the main thread because what they restart (a worker, Anvil) is told to
    die with the thread that started it (PR_SET_PDEATHSIG), which must outlive the run.
    """
    elapsed: list[float] = []

    async def load() -> None:
        async def sampling() -> None:
            while True:
                memory.sample()
                await asyncio.sleep(5.0)

        sampler = asyncio.create_task(sampling())
        try:
            elapsed.append(await driver.run())
        finally:
            sampler.cancel()

    started = time.time()
    thread = threading.Thread(target=asyncio.run, args=(load(),), name="load")
    thread.start()
    faults.run(started)
    thread.join()
    memory.sample()
    return elapsed[0] if elapsed else time.time() - started


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--duration", type=float, default=600.0, help="seconds of load")
    p.add_argument("--rate", type=float, default=300.0, help="requests per second")
    p.add_argument("--outage", type=float, default=30.0, help="seconds Anvil is down")
    p.add_argument("--concurrency", type=int, default=64)
    p.add_argument("--bulk-size", type=int, default=1000)
    p.add_argument("--api-processes", type=int, default=2)
    p.add_argument("--warm-up", type=float, default=0.2, help="fraction of the run")
    p.add_argument("--rss-tolerance", type=float, default=0.2)
    p.add_argument("--anchor-timeout", type=float, default=300.0)
    p.add_argument("--data-dir", type=Path, help="default: a temporary directory")
    p.add_argument("--keep-database", action="store_true")
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="notary-soak-") as tmp:
        data_dir = args.data_dir or Path(tmp)
        database_url = ensure_database(f"notary_soak_{int(time.time())}")
        config = ClusterConfig(
            data_dir=data_dir,
            database_url=database_url,
            port=_free_port(),
            api_processes=args.api_processes,
        )
        try:
            figures = _soak(Cluster(config), args)
        finally:
            if not args.keep_database:
                drop_database(database_url)
    print(json.dumps(figures))
    sys.exit(0 if figures["passed"] else 1)


def _soak(cluster: Cluster, args: argparse.Namespace) -> dict[str, Any]:
    with cluster:
        driver = Driver(
            argparse.Namespace(
                url=cluster.base_url,
                api_key=cluster.api_key,
                key_file=None,
                issuer=cluster.issuer,
                rate=args.rate,
                duration=args.duration,
                max_requests=10**9,
                concurrency=args.concurrency,
                bulk_size=args.bulk_size,
                seed=15,
            )
        )
        memory = Memory(cluster)
        faults = Faults(cluster, args.duration, args.outage)
        started = time.time()
        elapsed = drive(driver, memory, faults)
        figures: dict[str, Any] = {"duration_s": round(elapsed, 1), "rate": args.rate}
        figures |= summary(driver.tally, elapsed)
        figures |= faults.figures
        figures["fault_errors"] = faults.errors
        figures["windows"] = [
            (name, round(a - started, 1), round(b - started, 1)) for name, a, b in faults.windows
        ]
        outside = [
            (round(t - started, 1), kind, status)
            for t, kind, status in driver.tally.server_errors
            if status != 503 or not any(a <= t <= b for _, a, b in faults.windows)
        ]
        figures["server_errors_outside_windows"] = len(outside)
        figures["server_errors_outside_examples"] = outside[:10]
        figures["server_errors_total"] = len(driver.tally.server_errors)
        figures["accepted"] = len(driver.known.accepted)
        figures["anchored_in_time"] = wait_anchored(cluster.database_url, args.anchor_timeout)
        figures["audit"] = audit(
            cluster.database_url, cluster.w3(), cluster.registry().address, driver.known.accepted
        )
        figures["sample_verdicts"] = dict(
            asyncio.run(verify_sample(cluster.config.port, driver.known.leaves, 200))
        )
        warm_up_s = args.warm_up * args.duration
        growth = memory.growth(started + warm_up_s, warm_up_s, faults.took_over)
        figures["rss_growth_after_warm_up"] = growth
        figures["rss_kb_end"] = {
            f"{role}[{pid}]": points[-1][1] for (role, pid), points in memory.series.items()
        }
    audit_ok = not figures["audit"]["problems"] and figures["anchored_in_time"]
    figures["passed"] = bool(
        audit_ok
        and not faults.errors
        and figures["server_errors_outside_windows"] == 0
        and set(figures["sample_verdicts"]) <= {"VALID"}
        and all(g <= args.rss_tolerance for g in growth.values())
    )
    return figures


def _free_port() -> int:
    from notary.ops.anvil import free_port

    return free_port()


if __name__ == "__main__":
    main()
