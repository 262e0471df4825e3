"""What the running service holds: settings, store, registry, keys, limiters, metrics."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Concatenate, ParamSpec, TypeVar, cast

from sqlalchemy import Connection
from web3 import Web3

from api.idempotency import IdempotencyCache
from api.key_cache import REVOCATIONS_FILE, KeyCache, RevocationsFile
from api.limits import RateLimiter
from api.log_redaction import install as redact_logged_secrets
from api.metrics import Metrics, service_metrics
from notary.chain.connection import rpc_guard
from notary.chain.jsonrpc import AsyncJsonRpc
from notary.chain.reader import ChainChecks, ask_chain_id
from notary.chain.registry import Registry
from notary.core.signing import ServiceKey
from notary.pipeline.group_commit import GroupCommit
from notary.pipeline.receipt_cache import SignedReceipts
from notary.pipeline.receipts import ReceiptContext
from notary.pipeline.signers import SignerView
from notary.settings.config import Settings
from notary.settings.runtime import open_registry
from notary.settings.safety import admin_key_for, check_anchor_key
from notary.settings.service_key import PublishedKey, load_or_create_service_key, published_keys
from notary.store.engine import HeldLookups, Store, open_store
from notary.store.key_notices import RevocationListener
from notary.util.coalesce import Coalescer
from notary.util.private_files import private_dir
from notary.verify.quorum import open_checks

T = TypeVar("T")
I = TypeVar("I")  # noqa: E741
R = TypeVar("R")
P = ParamSpec("P")
WORKER_THREADS = 8
"""Threads for blocking work (database, chain). Fewer than anyio's 40: the work is short
and holds the GIL most of the time, so more threads only add handoffs (CPU per
verification grew with the threads: docs/benchmarks.md)."""
DB_POOL = {"pool_size": WORKER_THREADS, "max_overflow": 8}
"""A pooled connection per worker thread: past the pool, SQLAlchemy opens and closes a
connection per use (a TCP login on PostgreSQL; a cold page cache and pragmas on SQLite),
which was the largest single cost of a verification at 32 concurrent requests."""
MAX_LOOKUP_BATCH = 64
"""Most lookups `lookup_together` sends in one batch (one pipeline of statements)."""
Many = Callable[[Connection, list[I]], list[R | Exception]]
"""Looks up every item on one connection; an Exception in the list fails only its item."""


@dataclass
class ServiceState:
    """Long-lived objects shared by request handlers; built in the app's lifespan."""

    settings: Settings
    store: Store
    registry: Registry
    service_key: ServiceKey
    keys: list[PublishedKey]
    admin_key: str
    limiter: RateLimiter
    public_limiter: RateLimiter
    metrics: Metrics = field(default_factory=service_metrics)
    idempotency: IdempotencyCache = field(default_factory=IdempotencyCache)
    auth_cache: KeyCache[Any] = field(init=False)
    """Key hash -> the caller it stands for (an api.auth.Principal); see api.key_cache."""
    key_notices: RevocationListener | None = field(init=False)
    """PostgreSQL: revocations made by API processes elsewhere (None on SQLite)."""
    group: GroupCommit | None = None
    executor: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(WORKER_THREADS, thread_name_prefix="api")
    )
    """Where request handlers run blocking work; see `blocking`."""
    chain_reads: AsyncJsonRpc = field(init=False)
    """The event loop's JSON-RPC client (concurrent calls share batches)."""
    checks: ChainChecks = field(init=False)
    """`check` answers as of the latest block, polled every settings.chain_poll_interval
    (from a quorum of endpoints when NOTARY_RPC_QUORUM > 1)."""
    signed_receipts: SignedReceipts = field(default_factory=SignedReceipts)
    """Anchored receipts signed before, for verifications of the same document."""
    held: HeldLookups | None = field(init=False)
    """SQLite: the event loop's own connection for `lookup` (None on PostgreSQL)."""
    signers: SignerView = field(init=False)
    """Issuers' signing keys read from the chain, for accepting their submissions."""
    _groups: dict[Many[Any, Any], Coalescer[Any, Any]] = field(default_factory=dict)
    _chain_id: int | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _write_gate: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def open(cls, settings: Settings) -> ServiceState:
        """Check the settings, open the database and the chain client (no RPC call yet)."""
        redact_logged_secrets()  # however uvicorn was started, before it logs a request
        private_dir(settings.data_dir, data_dir=True)  # before keys and database are made
        admin_key = admin_key_for(settings)
        check_anchor_key(settings)
        registry = open_registry(settings)
        key = load_or_create_service_key(settings)
        return cls(
            settings=settings,
            store=open_store(settings.resolved_database_url, **DB_POOL),
            registry=registry,
            service_key=key,
            keys=published_keys(settings, key),
            admin_key=admin_key,
            limiter=RateLimiter(settings.rate_limit_per_s, settings.rate_limit_burst),
            public_limiter=RateLimiter(
                settings.public_rate_limit_per_s, settings.public_rate_limit_burst
            ),
        )

    def __post_init__(self) -> None:
        self.auth_cache = KeyCache(RevocationsFile(self.settings.data_dir / REVOCATIONS_FILE))
        self.key_notices = (
            None
            if self.store.is_sqlite
            else RevocationListener(self.store.engine, self.auth_cache).start()
        )
        self.group = GroupCommit(self.store, self.write)
        self.chain_reads = AsyncJsonRpc(self.registry.w3)
        self.checks = open_checks(self.settings, self.chain_reads)
        self.held = HeldLookups(self.store) if self.store.is_sqlite else None
        self.signers = SignerView(self.registry, self.settings.signer_max_age)

    @property
    def w3(self) -> Web3:
        """The chain client."""
        return self.registry.w3

    def chain_id(self) -> int:
        """The chain's id, asked once (RpcUnavailable while the node is down)."""
        if self._chain_id is None:
            with rpc_guard(self.w3):
                chain_id = int(self.w3.eth.chain_id)
            with self._lock:
                self._chain_id = chain_id
        return self._chain_id

    async def learn_chain_id(self) -> int:
        """The chain's id, asked once from the event loop (RpcUnavailable while the node
        is down)."""
        if self._chain_id is None:
            self._chain_id = await ask_chain_id(self.chain_reads)
        return self._chain_id

    @property
    def known_chain_id(self) -> int | None:
        """The chain id if it was asked already (verification then saves a call)."""
        return self._chain_id

    def remember_chain_id(self, chain_id: int) -> None:
        """Keep a chain id learnt elsewhere."""
        self._chain_id = chain_id

    def receipt_context(self) -> ReceiptContext:
        """What receipt assembly needs from the service."""
        promise = self.settings.batch_interval + self.settings.anchor_promise_margin
        return ReceiptContext(
            service_id=self.settings.service_id,
            key=self.service_key,
            contract=self.registry.address,
            chain_id=self.chain_id,
            promise=dt.timedelta(seconds=promise),
        )

    async def blocking(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run blocking work (database, chain) on the service's threads and await it.

        A plain executor rather than anyio's `run_in_threadpool`: under load the service
        spent less CPU per verification and answered more of them.
        """
        call = functools.partial(fn, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self.executor, call)

    async def lookup(
        self, fn: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run `fn(conn, ...)` on a `Store.lookup` connection: on the event loop for SQLite
        (its held connection), on the service's threads for PostgreSQL.

        A SQLite lookup reads a few rows through indexes from the page cache (in less time
        than parsing the request takes), and in WAL mode a reader never waits for a lock; handing
        it to a thread and back cost more than the read. A PostgreSQL lookup waits on the
        network, so it must not hold the loop.
        """
        if self.held is not None:
            with self.held.lookup() as conn:
                return fn(conn, *args, **kwargs)
        return await self.blocking(functools.partial(_looked_up, self.store, fn, *args, **kwargs))

    async def lookup_together(self, many: Many[I, R], item: I) -> R:
        """`many(conn, items)` for `item`; an Exception in `many`'s answer for it is raised.

        On SQLite at once, on the event loop (as `lookup`). On PostgreSQL a lookup is a
        round trip from one of the service's threads, and the hand-off to the thread and
        back and the round trip cost the service more than the query costs the server; so
        items asked while a batch is in flight go out together as the next batch
        (`notary.util.coalesce`): one hand-off and one connection for all of them, their
        statements pipelined (`CompiledSelect.rows_many`).
        """
        if self.held is None:
            group = self._groups.get(many)
            if group is None:
                group = Coalescer(lambda items: self.lookup(many, items), MAX_LOOKUP_BATCH)
                self._groups[many] = group
            return cast(R, await group.ask(item))
        (result,) = await self.lookup(many, [item])
        if isinstance(result, Exception):
            raise result
        return result

    def write(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a write; on SQLite one at a time in this process.

        SQLite has one write lock; threads that miss it sleep in its busy handler in
        growing steps (tens of ms), which made the p99 of single submissions 0.9 s at 32
        concurrent requests. Queueing on a Python lock instead hands it over at once.
        """
        if not self.store.is_sqlite:
            return fn(*args)
        with self._write_gate:
            return fn(*args)

    def url(self, path: str) -> str:
        """An absolute link to a path of this service."""
        return self.settings.base_url + path

    def close(self) -> None:
        """Finish the blocking work in flight, then release connections."""
        self.executor.shutdown(wait=True)
        if self.key_notices is not None:
            self.key_notices.stop()
        self.chain_reads.close()
        if self.held is not None:
            self.held.close()
        self.store.dispose()


def _looked_up(
    store: Store, fn: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
) -> T:
    with store.lookup() as conn:
        return fn(conn, *args, **kwargs)
