"""A production-shaped deployment on one machine: PostgreSQL, an interval-mined Anvil,
several API processes behind one port and two anchoring workers, one of them standing by.

`notary cluster` (`make run-cluster`) and `scripts/soak.py` run it; what the soak and the
cluster tests do to it (kill the leading worker, stop the chain, cut the database's
connections) is `scripts/cluster_faults.py`. Every child is in its own process group
and is told by the kernel to stop when this process dies (PR_SET_PDEATHSIG), so a killed
supervisor leaves nothing behind.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx2
from eth_account.signers.local import LocalAccount
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from web3 import Web3
from web3.types import RPCEndpoint

from notary.chain.connection import connect
from notary.chain.deploy import (
    Deployment,
    deploy_registry,
    grant_service_roles,
    load_deployment,
    save_deployment,
)
from notary.chain.registry import Registry
from notary.chain.sender import TxSender
from notary.ops.anvil import (
    AnvilNode,
    dies_with_parent,
    free_port,
    start_anvil,
    stop_process_group,
)
from notary.ops.devdb import ThrowawayPostgres, server_answers, start_throwaway
from notary.settings.keys import load_or_create_key_file
from notary.store.engine import open_store
from notary.store.issuers import create_api_key, create_issuer
from notary.store.migrate import upgrade
from notary.util.private_files import private_dir

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
ISSUER_NAME = "Chi cục Kiểm dịch thực vật vùng II (cluster)"
FUNDS_WEI = 10_000 * 10**18
LEADER_LINE = "anchoring worker is leader"
STEPPED_DOWN = "stepping down"
"""What `notary.worker.daemon` logs when a worker takes and gives up the lead."""


@dataclass
class ClusterConfig:
    """How the cluster is shaped; defaults behave like a real network."""

    data_dir: Path
    database_url: str | None = None
    """Default: a database named after the data dir on the machine's PostgreSQL. When no
    server answers (there, or at this URL), a throwaway one, stopped with the cluster."""
    port: int = 8000
    chain_port: int | None = None
    """Where the chain answers; default: a free port."""
    api_processes: int = 2
    block_time_s: float = 2.0
    confirmations: int = 3
    batch_interval_s: float = 2.0
    batch_max: int = 100_000
    extra_env: Mapping[str, str] = field(default_factory=dict)


@dataclass
class Process:
    """A child in its own process group, logging to a file."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self) -> None:
        stop_process_group(self.popen.pid, timeout_s=10)
        self.popen.poll()


class Cluster:
    """A running cluster; use as a context manager, or call `stop()`."""

    def __init__(self, config: ClusterConfig) -> None:
        self.config = config
        self.data_dir = private_dir(config.data_dir.resolve(), data_dir=True)
        self.logs = private_dir(self.data_dir / "logs")
        self.throwaway: ThrowawayPostgres | None = None
        self.database_source = ""
        """Which PostgreSQL server holds the database, in a few words."""
        self.database_url = self._database()
        self.chain_port = config.chain_port or free_port()
        self.chain: AnvilNode | None = None
        self.api: Process | None = None
        self.workers: list[Process] = []
        self.api_key = ""
        self.issuer = ""
        self.deployment: Deployment | None = None
        self._since: dict[str, int] = {}  # where each child's log started, for `leader`

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> Cluster:
        """Database, chain, registry, issuer, API processes, two workers; ready on return
        (or everything stopped, the throwaway database too, when one of them fails)."""
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> Cluster:
        upgrade(self.database_url)
        self.start_chain()
        self.deployment = self._deploy()
        self._issuer_and_key()
        self.api = self._spawn(
            "api",
            # A log line per request costs an API process at load what /metrics, which
            # keeps per-route counts and latencies, does not.
            ["serve", "--workers", str(self.config.api_processes), "--no-access-log"],
            {"NOTARY_HOST": "127.0.0.1", "NOTARY_PORT": str(self.config.port)},
        )
        self.workers = [self.start_worker(i) for i in range(2)]
        self._wait_for_api()
        return self

    def stop(self) -> None:
        """Stop every child (API and workers first, the chain last)."""
        for process in [*([self.api] if self.api else []), *self.workers]:
            process.stop()
        if self.chain is not None:
            self.chain.stop()
            self.chain = None
        if self.throwaway is not None:
            self.throwaway.stop()
            self.throwaway = None

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what clients need -------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.config.port}"

    @property
    def rpc_url(self) -> str:
        return f"http://127.0.0.1:{self.chain_port}"

    def env(self) -> dict[str, str]:
        """NOTARY_* for every child (no secret: keys come from the data dir's 0600 files)."""
        assert self.deployment is not None
        big = "1000000000"
        return {
            "NOTARY_DATA_DIR": str(self.data_dir),
            "NOTARY_DATABASE_URL": self.database_url,
            "NOTARY_RPC_URL": self.rpc_url,
            "NOTARY_CONTRACT_ADDRESS": self.deployment.address,
            "NOTARY_CONFIRMATIONS": str(self.config.confirmations),
            "NOTARY_BATCH_INTERVAL": str(self.config.batch_interval_s),
            "NOTARY_BATCH_MAX": str(self.config.batch_max),
            "NOTARY_CHAIN_POLL_INTERVAL": "0.5",
            # A local chain answers at once; the worker's lease is 4 x this, so the standby
            # takes over from a SIGKILLed leader within 12 s.
            "NOTARY_RPC_TIMEOUT": "3",
            "NOTARY_RATE_LIMIT_PER_S": big,
            "NOTARY_RATE_LIMIT_BURST": big,
            "NOTARY_PUBLIC_RATE_LIMIT_PER_S": big,
            "NOTARY_PUBLIC_RATE_LIMIT_BURST": big,
            **self.config.extra_env,
        }

    def w3(self) -> Web3:
        return connect(self.rpc_url)

    def registry(self) -> Registry:
        assert self.deployment is not None
        return Registry(self.w3(), self.deployment.address)

    # -- faults ------------------------------------------------------------------------

    def start_worker(self, index: int) -> Process:
        """(Re)start worker `index`; it leads or stands by."""
        return self._spawn(f"worker-{index}", ["worker"], {})

    def leader(self, timeout_s: float = 30.0) -> int:
        """The index of the live worker whose log last said it leads (and not since that it
        stepped down); waits for one."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for i, process in enumerate(self.workers):
                log = _tail(process.log, self._since[process.name])
                if process.alive() and log.rfind(LEADER_LINE) > log.rfind(STEPPED_DOWN):
                    return i
            time.sleep(0.05)
        raise TimeoutError(f"no worker became leader within {timeout_s:.0f}s; see {self.logs}")

    def start_chain(self) -> None:
        """Start Anvil (interval mining; state kept in the data dir across restarts)."""
        folder = private_dir(self.data_dir / "chain")
        self.chain = start_anvil(
            port=self.chain_port,
            state_file=folder / "state.json",
            log_file=folder / "anvil.log",
            block_time_s=self.config.block_time_s,
        )

    def pids(self) -> dict[str, list[int]]:
        """Every process of the cluster by role (API processes include uvicorn's children)."""
        roles: dict[str, list[int]] = {}
        if self.api is not None:
            roles["api"] = [self.api.popen.pid, *_children(self.api.popen.pid)]
        for process in self.workers:
            roles[process.name] = [process.popen.pid]
        if self.chain is not None:
            roles["anvil"] = [self.chain.pid]
        return roles

    # -- setup -------------------------------------------------------------------------

    def _database(self) -> str:
        """The configured database if its server answers, else one on a throwaway server."""
        configured = self.config.database_url
        server = configured or os.environ.get("NOTARY_POSTGRES_SERVER", DEFAULT_SERVER)
        if make_url(server).get_backend_name() != "postgresql" or server_answers(server):
            shown = make_url(server).set(database=None).render_as_string(hide_password=True)
            self.database_source = f"the PostgreSQL server at {shown}"
            return configured or ensure_database(_db_name(self.data_dir), server)
        self.throwaway = start_throwaway()
        self.database_source = f"{self.throwaway.describe()}; stopped on exit"
        name = (make_url(configured).database if configured else None) or _db_name(self.data_dir)
        return ensure_database(name, self.throwaway.url)

    def _deploy(self) -> Deployment:
        w3 = self.w3()
        keys = self.data_dir / "keys"
        admin = load_or_create_key_file(keys / "admin.key")
        anchorer = load_or_create_key_file(keys / "anchor.key")
        deployment = load_deployment(self.data_dir / "deployment.json")
        if deployment is not None and w3.eth.get_code(Web3.to_checksum_address(deployment.address)):
            return deployment
        for account in (admin, anchorer):  # a local chain: mint test ether
            w3.provider.make_request(
                RPCEndpoint("anvil_setBalance"), [account.address, hex(FUNDS_WEI)]
            )
        deployment = deploy_registry(w3, admin)
        grant_service_roles(Registry(w3, deployment.address), admin, anchorer.address)
        save_deployment(self.data_dir / "deployment.json", deployment)
        return deployment

    def _issuer_and_key(self) -> None:
        admin: LocalAccount = load_or_create_key_file(self.data_dir / "keys" / "admin.key")
        issuer = load_or_create_key_file(self.data_dir / "keys" / "issuer.key")
        registry = self.registry()
        if not registry.issuer_of(issuer.address).registered:
            TxSender(registry, admin).transact(
                registry.register_issuer_call(issuer.address, ISSUER_NAME)
            )
        store = open_store(self.database_url)
        try:
            with store.write() as conn:
                issuer_id = conn.execute(  # known from an earlier run of this data dir?
                    text("SELECT id FROM issuers WHERE address = :a"), {"a": issuer.address}
                ).scalar()
                if issuer_id is None:
                    issuer_id = create_issuer(conn, issuer.address, ISSUER_NAME).id
                self.api_key = create_api_key(conn, issuer_id).secret
        finally:
            store.dispose()
        self.issuer = issuer.address

    def _spawn(self, name: str, args: list[str], env: Mapping[str, str]) -> Process:
        log = self.logs / f"{name}.log"
        self._since[name] = log.stat().st_size if log.exists() else 0
        with log.open("ab") as out:
            popen = subprocess.Popen(
                [sys.executable, "-m", "notary.cli", *args],
                env={**os.environ, **self.env(), **env},
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=dies_with_parent(),
            )
        return Process(name, popen, log)

    def _wait_for_api(self, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.api is not None
            if not self.api.alive():
                raise RuntimeError(f"the API exited; see {self.api.log}")
            try:
                if httpx2.get(self.base_url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx2.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"the API did not answer on {self.base_url}; see {self.logs}")


def ensure_database(name: str, server: str | None = None) -> str:
    """The URL of database `name` on the PostgreSQL server, created if missing."""
    server_url = make_url(server or os.environ.get("NOTARY_POSTGRES_SERVER", DEFAULT_SERVER))
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            ).scalar()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return server_url.set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    """Drop the database `url` names (for throwaway clusters)."""
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    finally:
        admin.dispose()


def _db_name(data_dir: Path) -> str:
    slug = "".join(c if c.isalnum() else "_" for c in data_dir.name.lower()).strip("_")
    return f"notary_{slug or 'cluster'}"[:63]


def _tail(path: Path, offset: int) -> str:
    try:
        with path.open("rb") as handle:
            handle.seek(offset)
            return handle.read().decode(errors="replace")
    except FileNotFoundError:
        return ""


def _children(pid: int) -> list[int]:
    try:
        listed = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [int(p) for p in listed]
