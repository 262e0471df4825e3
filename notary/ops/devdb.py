"""A throwaway PostgreSQL server, for tests and `notary cluster` on a machine that has none.

Debian's server binaries (`/usr/lib/postgresql/<version>/bin`, package `postgresql`) are
started on a fresh data directory in a temp dir, on a free port, with the unix socket in
that temp dir; as root they run as the `postgres` user (initdb refuses root). The server
trades durability for speed (fsync off): nothing in it outlives `stop()`, which removes
the temp dir. The kernel stops it when the process that started it dies, so a killed test
run or supervisor leaves no server behind.

Development tooling only: `notary serve` and `notary worker` never import this module.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg.conninfo import make_conninfo
from sqlalchemy.engine import URL, make_url

from notary.core.errors import NotaryError
from notary.ops.anvil import dies_with_parent, free_port

SERVER_BINARIES = "/usr/lib/postgresql/*/bin"
INSTALL_HINT = "apt-get install postgresql (as root), or set NOTARY_TEST_POSTGRES_URL"
RUN_AS = ("postgres", "nobody")
"""Who the server runs as when we are root, first that exists."""
START_TIMEOUT_S = 60.0
FAST_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "300",
}
"""A throwaway server needs no durability; several clusters' pools share it in tests."""


class DevDatabaseError(NotaryError):
    """No throwaway PostgreSQL could be started (no binaries, or it would not start)."""


def server_answers(url: str, timeout_s: float = 2.0) -> bool:
    """Whether a PostgreSQL server accepts a connection at `url` (any SQLAlchemy URL)."""
    parsed = make_url(url)
    try:
        with psycopg.connect(_conninfo(parsed, max(1, round(timeout_s)))):
            return True
    except psycopg.Error:
        return False


def find_server_binaries(pattern: str = SERVER_BINARIES) -> Path:
    """The newest Debian PostgreSQL `bin` directory that has initdb and postgres."""
    found = [
        path
        for path in Path("/").glob(pattern.lstrip("/"))
        if (path / "initdb").is_file() and (path / "postgres").is_file()
    ]
    if not found:
        raise DevDatabaseError(f"no PostgreSQL server binaries in {pattern}: {INSTALL_HINT}")
    return max(found, key=lambda path: _version_key(path.parent.name))


@dataclass
class ThrowawayPostgres:
    """A running throwaway server; `stop()` ends it and removes its files."""

    bindir: Path
    root: Path
    host: str
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        """Its `postgres` database as the superuser `postgres` (trust authentication)."""
        return URL.create(
            "postgresql+psycopg", username="postgres", host=self.host, port=self.port,
            database="postgres",
        ).render_as_string(hide_password=False)  # fmt: skip

    @property
    def socket_dir(self) -> Path:
        """Where its unix socket is (reachable from any network namespace)."""
        return self.root

    def describe(self) -> str:
        """One line: which server, where."""
        return (
            f"a throwaway PostgreSQL {self.bindir.parent.name} (Debian's {self.bindir}) on "
            f"{self.host}:{self.port}, data in {self.root}"
        )

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout_s: float = 20.0) -> None:
        """Fast shutdown (SIGINT: clients are disconnected), SIGKILL if it lingers; then
        remove the data."""
        for sig in (signal.SIGINT, signal.SIGKILL):
            if self.process.poll() is not None:
                break
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout_s)
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> ThrowawayPostgres:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_throwaway(
    host: str = "127.0.0.1",
    port: int | None = None,
    *,
    netns: str | None = None,
    settings: Mapping[str, str] | None = None,
    trusted_networks: Sequence[str] = (),
    bindir: Path | None = None,
) -> ThrowawayPostgres:
    """Initialise and start a server listening on `host`:`port` (a free port by default),
    inside network namespace `netns` when given, trusting connections from this machine
    and from `trusted_networks` (CIDRs); ready to accept connections on return."""
    bindir = bindir or find_server_binaries()
    root = Path(tempfile.mkdtemp(prefix="notary-pg-"))
    try:
        drop = _unprivileged()
        if drop is not None:
            os.chown(root, drop.pw_uid, drop.pw_gid)
        data = root / "data"
        _run(
            [*_as(drop), str(bindir / "initdb"), "-D", str(data), "-U", "postgres",
             "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"],
            root / "initdb.log",
            "initdb",
        )  # fmt: skip
        with (data / "pg_hba.conf").open("a") as hba:
            hba.writelines(f"host all all {network} trust\n" for network in trusted_networks)
        port = port or free_port()
        options = {**FAST_SETTINGS, **(settings or {})}
        command = [
            *(["ip", "netns", "exec", netns] if netns else []),
            *_as(drop, die_with_parent=True),
            str(bindir / "postgres"), "-D", str(data), "-p", str(port),
            "-k", str(root), "-c", f"listen_addresses={host}",
            *[arg for key, value in options.items() for arg in ("-c", f"{key}={value}")],
        ]  # fmt: skip
        with (root / "postgres.log").open("ab") as log:
            process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                preexec_fn=None if drop is not None else dies_with_parent(),
            )  # fmt: skip
        server = ThrowawayPostgres(bindir, root, host, port, process)
        _wait_ready(server)
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    return server


@contextlib.contextmanager
def server_or_throwaway(url: str) -> Iterator[tuple[str, str]]:
    """`url` if a server answers there, else a throwaway server's (same database name
    when it is `postgres`, else `postgres`); yields (url, a line saying which), and stops
    the throwaway afterwards."""
    if server_answers(url):
        yield url, f"the PostgreSQL server at {_shown(url)}"
        return
    with start_throwaway() as server:
        yield server.url, f"{server.describe()} (nothing answered at {_shown(url)})"


# -- internals -----------------------------------------------------------------------


def _conninfo(url: URL, connect_timeout: int) -> str:
    """libpq's connection string for a SQLAlchemy URL (its password included)."""
    return make_conninfo(
        host=url.host or "localhost",
        port=url.port or 5432,
        user=url.username or "postgres",
        dbname=url.database or "postgres",
        password=url.password or None,
        connect_timeout=connect_timeout,
    )


def _unprivileged() -> pwd.struct_passwd | None:
    """The account to run the server as when we are root (initdb refuses root), else None."""
    if os.geteuid() != 0:
        return None
    for name in RUN_AS:
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise DevDatabaseError(f"running as root and no {' or '.join(RUN_AS)} user to run as")


def _as(account: pwd.struct_passwd | None, *, die_with_parent: bool = False) -> Sequence[str]:
    """The setpriv prefix that runs a command as `account` (none when we are not root).

    setpriv sets the parent-death signal after changing user (the kernel clears it on a
    change of credentials, so a preexec_fn's would not survive).
    """
    if account is None:
        return []
    return [
        "setpriv", f"--reuid={account.pw_uid}", f"--regid={account.pw_gid}", "--clear-groups",
        *(["--pdeathsig", "INT"] if die_with_parent else []),
    ]  # fmt: skip


def _run(command: Sequence[str], log: Path, name: str) -> None:
    done = subprocess.run(command, capture_output=True, check=False, stdin=subprocess.DEVNULL)
    log.write_bytes(done.stdout + done.stderr)
    if done.returncode != 0:
        last = (done.stderr or done.stdout).decode(errors="replace").strip().splitlines()
        raise DevDatabaseError(f"{name} failed: {last[-1] if last else f'exit {done.returncode}'}")


def _wait_ready(server: ThrowawayPostgres) -> None:
    """Wait until the server accepts connections on its socket."""
    deadline = time.monotonic() + START_TIMEOUT_S
    socket = make_conninfo(
        host=str(server.socket_dir), port=server.port, user="postgres", dbname="postgres",
        connect_timeout=1,
    )  # fmt: skip
    while time.monotonic() < deadline:
        if not server.alive():
            log = (server.root / "postgres.log").read_text(errors="replace").strip()
            raise DevDatabaseError(
                f"the throwaway PostgreSQL exited: {log.splitlines()[-1] if log else '?'}"
            )
        try:
            with psycopg.connect(socket):
                return
        except psycopg.OperationalError:
            time.sleep(0.05)
    server.stop()
    raise DevDatabaseError(f"the throwaway PostgreSQL did not start in {START_TIMEOUT_S:.0f} s")


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", name)) or (0,)


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)
