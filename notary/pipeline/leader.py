"""Leader election for the anchoring worker, and the fencing rule that keeps a deposed
leader from sending: at most one worker sends transactions at any moment.

PostgreSQL (workers on several machines) keeps a lease in the `worker_lease` row: a
growing `epoch`, its `holder` and `expires_at` on the database's clock. With L the lease
(`lease_s`), S the longest one send can take (`max_send_s`: two RPC calls, as `broadcast`
asks the node for the transaction by hash before it sends) and L > S:

FENCING RULE.
1. Take: a worker takes the lease only when the database's clock is past `expires_at`;
   taking adds 1 to `epoch`, names the taker and sets `expires_at` = now + L.
2. Renew: the holder renews (`expires_at` = now + L, only while it still holds that epoch
   and it has not expired) and, on success, counts its lease valid until t + L(1 - DRIFT)
   on its own clock, t being when it SENT the renewal: that is never later than
   `expires_at`, since the database executed the renewal after t.
3. Send: before every transaction it sends, the holder checks that now + S < that
   deadline (renewing first when it is not); when it still is not, it sends nothing and
   steps down (LeadershipLost).
So every send of epoch e has ended before epoch e can expire on the database, and epoch
e + 1 begins only after that expiry: the sends of two epochs never overlap in time, and a
worker cut off from the database stops sending at most L after its last renewal, even
while it can still reach the chain. It assumes clock rates agree within DRIFT and that a
request the RPC client gave up on (at NOTARY_RPC_TIMEOUT) does not reach the node later.
Terminating a connection (`pg_terminate_backend`, a failover) does not end a lease, only
time does; a worker that stops releases its lease, so a standby takes over at once.

SQLite (one machine): an exclusive `flock` on a file beside the database, released by the
kernel only when its process dies, so no two processes ever hold it.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import secrets
import socket
import time
from pathlib import Path
from typing import Protocol

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, ProgrammingError
from sqlalchemy.pool import NullPool
from web3 import Web3

from notary.chain.sender import TxSender
from notary.core.errors import NotaryError
from notary.util.private_files import private_dir

log = logging.getLogger("notary.worker")

DRIFT = 0.01
"""How much faster than the database's clock a worker's clock may run (far beyond NTP's)."""
RENEWALS_PER_LEASE = 8
"""The holder renews this many times per lease length while it leads."""


class LeadershipLost(NotaryError):
    """Another worker may now be anchoring: this one must stop."""


def lease_timing(rpc_timeout_s: float) -> tuple[float, float]:
    """(lease L, longest send S) for an RPC timeout: S is two calls, L twice that."""
    max_send_s = 2 * rpc_timeout_s
    return 2 * max_send_s, max_send_s


class LeaderLock(Protocol):
    """A lock that at most one process holds at a time."""

    def try_acquire(self) -> bool:
        """Take the lock if free; True if this process now holds it."""

    def still_held(self) -> bool:
        """False once the lock was lost (e.g. the database connection holding it died)."""

    def release(self) -> None:
        """Give the lock up (a no-op if not held)."""

    def may_send(self, within_s: float) -> int:
        """The epoch under which a send lasting at most `within_s` may start now; raises
        LeadershipLost when none may (the fencing rule's step 3)."""


class LeaseLock:
    """The `worker_lease` row on PostgreSQL, taken and renewed as the fencing rule says."""

    def __init__(self, engine: Engine, lease_s: float, max_send_s: float) -> None:
        if lease_s <= max_send_s:
            raise NotaryError(f"a lease of {lease_s:g} s cannot cover a send of {max_send_s:g} s")
        timeout_s = max(1, round(lease_s / RENEWALS_PER_LEASE))
        # Its own connections, each bounded in time: a database that stops answering
        # fails a renewal within seconds instead of holding the worker for TCP's minutes.
        self.engine = create_engine(
            engine.url,
            poolclass=NullPool,
            isolation_level="AUTOCOMMIT",
            connect_args={
                "connect_timeout": timeout_s,
                "tcp_user_timeout": timeout_s * 1000,
                "keepalives_idle": 1,
                "keepalives_interval": 1,
                "keepalives_count": timeout_s,
                "options": f"-c statement_timeout={timeout_s * 1000}",
            },
        )
        self.lease_s = lease_s
        self.max_send_s = max_send_s
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self.epoch: int | None = None
        self._valid_until = 0.0  # monotonic: step 2's deadline
        self._renewed_at = 0.0

    def try_acquire(self) -> bool:
        if self.epoch is not None:
            return self.still_held()
        sent = time.monotonic()
        epoch = self._execute(
            "UPDATE worker_lease SET holder = :me, epoch = epoch + 1,"
            " expires_at = clock_timestamp() + make_interval(secs => :lease)"
            " WHERE id = 1 AND expires_at <= clock_timestamp() RETURNING epoch"
        )
        if epoch is None:
            return False
        self._held(epoch, sent)
        log.info("took the lease: epoch %d, %g s, holder %s", epoch, self.lease_s, self.holder)
        return True

    def still_held(self) -> bool:
        if self.epoch is None:
            return False
        if time.monotonic() - self._renewed_at >= self.lease_s / RENEWALS_PER_LEASE:
            self._renew()
        return self.epoch is not None and time.monotonic() < self._valid_until

    def may_send(self, within_s: float) -> int:
        if self.epoch is not None and time.monotonic() + within_s >= self._valid_until:
            self._renew()
        epoch = self.epoch
        if epoch is None or time.monotonic() + within_s >= self._valid_until:
            raise LeadershipLost(
                f"the lease (epoch {epoch}) may expire before a send of {within_s:g} s ends"
            )
        return epoch

    def release(self) -> None:
        if self.epoch is None:
            return
        epoch, self.epoch = self.epoch, None
        self._valid_until = 0.0
        # Nothing is being sent any more: let a standby take over now (or it expires).
        with contextlib.suppress(DBAPIError):
            self._execute(
                "UPDATE worker_lease SET expires_at = clock_timestamp()"
                " WHERE id = 1 AND holder = :me AND epoch = :epoch RETURNING epoch",
                epoch,
            )

    def _renew(self) -> None:
        sent = time.monotonic()
        self._renewed_at = sent
        try:
            epoch = self._execute(
                "UPDATE worker_lease SET expires_at = clock_timestamp()"
                " + make_interval(secs => :lease) WHERE id = 1 AND holder = :me"
                " AND epoch = :epoch AND expires_at > clock_timestamp() RETURNING epoch",
                self.epoch,
            )
        except DBAPIError as exc:  # unreachable: the lease runs on until its deadline
            log.warning("cannot renew the lease: %s", str(exc).splitlines()[0][:200])
            return
        if epoch is None:
            log.warning("the lease (epoch %s) was lost", self.epoch)
            self.epoch, self._valid_until = None, 0.0
            return
        self._held(epoch, sent)

    def _held(self, epoch: int, sent: float) -> None:
        self.epoch = epoch
        self._valid_until = sent + self.lease_s * (1 - DRIFT)
        self._renewed_at = sent

    def _execute(self, sql: str, epoch: int | None = None) -> int | None:
        try:
            with self.engine.connect() as conn:
                found = conn.execute(
                    text(sql), {"me": self.holder, "lease": self.lease_s, "epoch": epoch}
                ).scalar()
        except ProgrammingError as exc:
            raise NotaryError(
                "the database has no worker_lease table: run `notary db upgrade`"
            ) from exc
        return None if found is None else int(found)


class FileLock:
    """An exclusive, non-blocking `flock` on `path`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        if self._fd is not None:
            return True
        private_dir(self.path.parent)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def still_held(self) -> bool:
        return self._fd is not None

    def may_send(self, within_s: float) -> int:
        if self._fd is None:
            raise LeadershipLost("the worker lock is not held")
        return 0  # held until this process dies: no other process can send meanwhile

    def release(self) -> None:
        if self._fd is None:
            return
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None


def leader_lock_for(engine: Engine, rpc_timeout_s: float) -> LeaderLock:
    """The right lock for the engine's database (a lease sized for the RPC timeout)."""
    url = make_url(str(engine.url))
    if url.get_backend_name() == "postgresql":
        return LeaseLock(engine, *lease_timing(rpc_timeout_s))
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return FileLock(Path(url.database + ".worker.lock"))
    raise NotaryError(f"no leader lock for database {url.render_as_string(hide_password=True)}")


class FencedSender(TxSender):
    """A sender that sends only while its lock allows (the fencing rule's step 3), and
    logs each send with its epoch."""

    def __init__(self, sender: TxSender, lock: LeaderLock, max_send_s: float) -> None:
        super().__init__(sender.registry, sender.account, sender.fees, sender.observer)
        self.lock = lock
        self.max_send_s = max_send_s

    def broadcast(self, raw: bytes) -> bytes:
        epoch = self.lock.may_send(self.max_send_s)
        log.info(
            "sending %s in lease epoch %d at %.3f",
            Web3.keccak(raw).to_0x_hex(),
            epoch,
            time.time(),
        )
        return super().broadcast(raw)
