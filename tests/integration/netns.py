"""The cluster as separate hosts on a network the test makes itself, and cuts in it.

`Network` builds, as root, one network namespace per host and a router namespace between
them (a veth pair each, its own /24; forwarding on), plus a link from the test's own
namespace; `cut(a, b)` drops every packet between two hosts in the router (policy-routing
`blackhole` rules: silent, as a real partition is) and `heal(a, b)` lifts it. Addresses
are in 198.18.0.0/15 (the benchmarking range), only inside the namespaces; all of it is
removed by `close()`, and the namespaces go with their processes.

`NetCluster` runs on it: PostgreSQL (a throwaway server) on host `db`, Anvil on `chain`,
`notary serve` on `api1` and `api2`, `notary worker` on `w1` and `w2`. Servers are reached
through `latency.py` relays on their host: 5 ms round trip to the database, 50 to 200 ms to
the chain (the kernel here has no netem). The test itself reaches the servers' own ports
directly, for setup and the audit. `run_partitions` is the scenario (the test and
`scripts/partition.py` run it).
"""

from __future__ import annotations

import contextlib
import importlib.util
import itertools
import os
import re
import secrets
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.types import RPCEndpoint

from notary.chain.connection import connect
from notary.chain.deploy import deploy_registry, grant_service_roles
from notary.chain.registry import Registry
from notary.chain.sender import TxSender
from notary.ops.anvil import dies_with_parent, find_anvil, rpc_answers, stop_process_group
from notary.ops.devdb import ThrowawayPostgres, start_throwaway
from notary.store.engine import open_store
from notary.store.issuers import create_api_key, create_issuer
from notary.store.migrate import upgrade

ROOT = Path(__file__).resolve().parents[2]
HOSTS = ("db", "chain", "api1", "api2", "w1", "w2")
CLIENT = "client"
"""The test's own namespace, a host on the network too."""
PG_PORT, PG_DIRECT, RPC_PORT, RPC_DIRECT, API_PORT = 5432, 5433, 8545, 8546, 8000
DB_DELAY_MS, CHAIN_DELAY_MS = (5, 5), (50, 200)
RPC_TIMEOUT_S = 2.0
"""The workers' NOTARY_RPC_TIMEOUT: a send takes at most 4 s, the lease is 8 s."""
BATCH_INTERVAL_S = 6
FUNDS_WEI = 10_000 * 10**18
REQUEST_TIMEOUT_S = 5.0
"""How long the load waits for each answer."""
SEND_LINE = re.compile(r"sending (0x[0-9a-f]{64}) in lease epoch (\d+) at ([\d.]+)")
TOOK_LINE = re.compile(r"took the lease: epoch (\d+)")


def netns_permitted() -> str | None:
    """None if this process may make network namespaces, else why not."""
    if os.geteuid() != 0:
        return "network namespaces need root (CI runs as root)"
    name = f"ntprobe{secrets.token_hex(3)}"
    done = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True)
    if done.returncode != 0:
        return f"`ip netns add` is not permitted here: {done.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", name], capture_output=True)
    return None


def _ip(*args: str, ns: str | None = None) -> None:
    command = ["ip", *(["-n", ns] if ns else []), *args]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)}: {done.stderr.strip()}")


class Network:
    """Namespaces for HOSTS and a router; the test's namespace is host CLIENT."""

    def __init__(self) -> None:
        self.tag = secrets.token_hex(2)
        block = 16 * secrets.randbelow(32)  # 198.18.block..block+15: unlikely to collide
        self.prefix = f"198.{18 + block // 256}.{block % 256}"
        base = (18 + block // 256) * 256 + block % 256
        self.router = f"nt{self.tag}r"
        self.addresses: dict[str, str] = {}
        self._subnets: dict[str, str] = {}
        self._rules: dict[frozenset[str], list[int]] = {}
        self._pref = 100
        self._made: list[str] = []
        try:
            _ip("netns", "add", self.router)
            self._made.append(self.router)
            self._sysctl(self.router, "net/ipv4/ip_forward", "1")
            _ip("link", "set", "lo", "up", ns=self.router)
            for i, host in enumerate((*HOSTS, CLIENT)):
                third = base + i + 1
                subnet = f"198.{third // 256}.{third % 256}"
                self._link(host, subnet)
            _ip("route", "add", f"{self.prefix}.0/20", "via", f"{self._subnets[CLIENT]}.1")
        except BaseException:
            self.close()
            raise

    def ns(self, host: str) -> str | None:
        """The namespace of `host` (None: the test's own)."""
        return None if host == CLIENT else f"nt{self.tag}{host}"

    def _link(self, host: str, subnet: str) -> None:
        ns = self.ns(host)
        inside, outside = f"nt{self.tag}{host}i", f"nt{self.tag}{host}o"
        if ns is not None:
            _ip("netns", "add", ns)
            self._made.append(ns)
            _ip("link", "set", "lo", "up", ns=ns)
        _ip("link", "add", inside, "type", "veth", "peer", "name", outside)
        if ns is not None:
            _ip("link", "set", inside, "netns", ns)
        else:
            self._made.append(f"link:{inside}")
        _ip("link", "set", outside, "netns", self.router)
        _ip("addr", "add", f"{subnet}.2/24", "dev", inside, ns=ns)
        _ip("addr", "add", f"{subnet}.1/24", "dev", outside, ns=self.router)
        _ip("link", "set", inside, "up", ns=ns)
        _ip("link", "set", outside, "up", ns=self.router)
        if ns is not None:
            _ip("route", "add", "default", "via", f"{subnet}.1", ns=ns)
        self.addresses[host] = f"{subnet}.2"
        self._subnets[host] = subnet

    @staticmethod
    def _sysctl(ns: str, key: str, value: str) -> None:
        subprocess.run(
            ["ip", "netns", "exec", ns, "sh", "-c", f"echo {value} > /proc/sys/{key}"],
            check=True,
        )

    def cut(self, a: str, b: str) -> None:
        """Drop every packet between hosts a and b, both ways, from now on."""
        prefs = []
        for src, dst in ((a, b), (b, a)):
            self._pref += 1
            _ip("rule", "add", "from", self.addresses[src], "to", self.addresses[dst],
                "blackhole", "pref", str(self._pref), ns=self.router)  # fmt: skip
            prefs.append(self._pref)
        self._rules[frozenset((a, b))] = prefs

    def heal(self, a: str, b: str) -> None:
        """Undo `cut(a, b)`."""
        for pref in self._rules.pop(frozenset((a, b)), []):
            _ip("rule", "del", "pref", str(pref), ns=self.router)

    def exec_prefix(self, host: str) -> list[str]:
        ns = self.ns(host)
        return ["ip", "netns", "exec", ns] if ns else []

    def close(self) -> None:
        with contextlib.suppress(RuntimeError):
            _ip("route", "del", f"{self.prefix}.0/20")
        for made in reversed(self._made):
            if made.startswith("link:"):
                subprocess.run(["ip", "link", "del", made[5:]], capture_output=True)
            else:
                subprocess.run(["ip", "netns", "del", made], capture_output=True)
        self._made.clear()


@dataclass
class Child:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    since: int = 0

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self) -> None:
        stop_process_group(self.popen.pid, timeout_s=10)

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@dataclass
class Request:
    at: float
    api: str
    status: int | None
    """None: no answer (timed out, refused)."""


@dataclass
class Load:
    """Documents submitted in turn to each API process, as a load balancer would."""

    cluster: NetCluster
    rate_per_s: float = 8.0
    requests: list[Request] = field(default_factory=list)
    accepted: set[str] = field(default_factory=set)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> Load:
        for api in ("api1", "api2"):
            thread = threading.Thread(target=self._drive, args=(api,), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(30)

    def _drive(self, api: str) -> None:
        url = self.cluster.api_url(api) + "/v1/documents"
        headers = {"Authorization": f"Bearer {self.cluster.api_key}"}
        with httpx2.Client(timeout=REQUEST_TIMEOUT_S) as client:
            while not self._stop.is_set():
                at = time.time()
                try:
                    answer = client.post(
                        url, json={"digest": os.urandom(32).hex()}, headers=headers
                    )
                    status: int | None = answer.status_code
                    if status == 202:
                        self.accepted.add(answer.json()["leaf"])
                except httpx2.HTTPError:
                    status = None
                self.requests.append(Request(at, api, status))
                self._stop.wait(max(0.0, 2 / self.rate_per_s - (time.time() - at)))


class NetCluster:
    """PostgreSQL, Anvil, two API processes and two workers, each on its own host."""

    def __init__(self, net: Network, workdir: Path) -> None:
        self.net = net
        self.workdir = workdir
        self.logs = workdir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.children: dict[str, Child] = {}
        self.postgres: ThrowawayPostgres | None = None
        self.admin: LocalAccount = Account.create()
        self.anchorer: LocalAccount = Account.create()
        self.admin_key = secrets.token_urlsafe(32)
        self.api_key = ""
        self.contract = ""

    # -- addresses -----------------------------------------------------------------------

    def api_url(self, api: str) -> str:
        return f"http://{self.net.addresses[api]}:{API_PORT}"

    @property
    def database_url(self) -> str:
        """Through the latency relay, as the service's hosts reach it."""
        return f"postgresql+psycopg://postgres@{self.net.addresses['db']}:{PG_PORT}/notary"

    @property
    def direct_database_url(self) -> str:
        """The server's own port (setup and audit)."""
        return f"postgresql+psycopg://postgres@{self.net.addresses['db']}:{PG_DIRECT}/notary"

    @property
    def rpc_url(self) -> str:
        return f"http://{self.net.addresses['chain']}:{RPC_PORT}"

    @property
    def direct_rpc_url(self) -> str:
        return f"http://{self.net.addresses['chain']}:{RPC_DIRECT}"

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> NetCluster:
        db, chain = self.net.addresses["db"], self.net.addresses["chain"]
        self.postgres = start_throwaway(
            "0.0.0.0",
            PG_DIRECT,
            netns=self.net.ns("db"),
            # A client cut off mid-transaction would hold its row locks until TCP gave up.
            settings={"idle_in_transaction_session_timeout": "5s"},
            trusted_networks=[f"{self.net.prefix}.0/20"],
        )
        _create_database(self.postgres, "notary")
        self._relay("db", f"{db}:{PG_PORT}", f"127.0.0.1:{PG_DIRECT}", DB_DELAY_MS)
        self._spawn("chain", "anvil", [str(find_anvil()), "--host", "0.0.0.0", "--port",
                    str(RPC_DIRECT), "--block-time", "1", "--silent"])  # fmt: skip
        self._relay("chain", f"{chain}:{RPC_PORT}", f"127.0.0.1:{RPC_DIRECT}", CHAIN_DELAY_MS)
        _wait(lambda: rpc_answers(self.direct_rpc_url) is not None, "the chain")
        _wait(lambda: rpc_answers(self.rpc_url, timeout_s=3) is not None, "the chain's relay")
        upgrade(self.direct_database_url)
        self._deploy_and_issue()
        for api in ("api1", "api2"):
            where = {"NOTARY_HOST": self.net.addresses[api], "NOTARY_PORT": str(API_PORT)}
            self._spawn(api, api, [sys.executable, "-m", "notary.cli", "serve"], where)
        for worker in ("w1", "w2"):
            self._spawn(worker, worker, [sys.executable, "-m", "notary.cli", "worker"])
        for api in ("api1", "api2"):
            _wait(lambda api=api: self._healthy(api), f"{api} to answer", 90)  # type: ignore[misc]
        return self

    def stop(self) -> None:
        for child in reversed(list(self.children.values())):
            child.stop()
        if self.postgres is not None:
            self.postgres.stop()

    def __enter__(self) -> NetCluster:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def env(self) -> dict[str, str]:
        big = "1000000000"
        return {
            "NOTARY_DATA_DIR": str(self.workdir / "data"),
            "NOTARY_DATABASE_URL": self.database_url,
            "NOTARY_RPC_URL": self.rpc_url,
            "NOTARY_CONTRACT_ADDRESS": self.contract,
            "NOTARY_ANCHOR_KEY": self.anchorer.key.hex(),
            "NOTARY_ADMIN_KEY": self.admin_key,
            "NOTARY_RPC_TIMEOUT": str(RPC_TIMEOUT_S),
            "NOTARY_CONFIRMATIONS": "1",
            # Few batches: the worker re-reads every final anchor of the last 128 blocks at
            # each step, one call at the chain's round trip each.
            "NOTARY_BATCH_INTERVAL": str(BATCH_INTERVAL_S),
            "NOTARY_CHAIN_POLL_INTERVAL": "0.5",
            "NOTARY_RATE_LIMIT_PER_S": big,
            "NOTARY_RATE_LIMIT_BURST": big,
            "NOTARY_PUBLIC_RATE_LIMIT_PER_S": big,
            "NOTARY_PUBLIC_RATE_LIMIT_BURST": big,
            "PYTHONUNBUFFERED": "1",
        }

    def _healthy(self, api: str) -> bool:
        if not self.children[api].alive():
            raise RuntimeError(f"{api} exited: {self.children[api].text()[-2000:]}")
        try:
            return httpx2.get(self.api_url(api) + "/healthz", timeout=2).status_code == 200
        except httpx2.HTTPError:
            return False

    def _spawn(
        self, host: str, name: str, argv: list[str], env: Mapping[str, str] | None = None
    ) -> Child:
        log = self.logs / f"{name}.log"
        base = {k: v for k, v in os.environ.items() if not k.startswith("NOTARY_")}
        with log.open("ab") as out:
            popen = subprocess.Popen(
                [*self.net.exec_prefix(host), *argv],
                env={**base, **(self.env() if self.contract else {}), **(env or {})},
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=ROOT,
                start_new_session=True,
                preexec_fn=dies_with_parent(),
            )
        child = Child(name, popen, log)
        self.children[name] = child
        return child

    def _relay(self, host: str, listen: str, target: str, delay_ms: tuple[int, int]) -> None:
        script = str(Path(__file__).with_name("latency.py"))
        argv = [sys.executable, script, listen, target, *map(str, delay_ms)]
        self._spawn(host, f"relay-{host}", argv)

    def _deploy_and_issue(self) -> None:
        w3 = connect(self.direct_rpc_url)
        for account in (self.admin, self.anchorer):
            w3.provider.make_request(
                RPCEndpoint("anvil_setBalance"), [account.address, hex(FUNDS_WEI)]
            )
        deployment = deploy_registry(w3, self.admin)
        registry = Registry(w3, deployment.address)
        grant_service_roles(registry, self.admin, self.anchorer.address)
        issuer: LocalAccount = Account.create()
        name = "Sở Tài nguyên và Môi trường (partition test)"
        TxSender(registry, self.admin).transact(registry.register_issuer_call(issuer.address, name))
        store = open_store(self.direct_database_url)
        try:
            with store.write() as conn:
                self.api_key = create_api_key(
                    conn, create_issuer(conn, issuer.address, name).id
                ).secret
        finally:
            store.dispose()
        self.contract = deployment.address

    # -- what the workers did --------------------------------------------------------------

    def leader(self, timeout_s: float = 60.0) -> str:
        """The worker holding the newest epoch (waits for one to take it)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            newest = max(
                (
                    (int(e), w)
                    for w in ("w1", "w2")
                    for e in TOOK_LINE.findall(self.children[w].text())
                ),
                default=None,
            )
            if newest is not None:
                return newest[1]
            time.sleep(0.1)
        raise TimeoutError("no worker took the lease")

    def epochs(self) -> dict[str, list[int]]:
        return {
            w: [int(e) for e in TOOK_LINE.findall(self.children[w].text())] for w in ("w1", "w2")
        }

    def sends(self) -> list[tuple[float, int, str, str]]:
        """Every transaction a worker sent: (time, epoch, worker, hash), in time order."""
        found = [
            (float(at), int(epoch), worker, tx)
            for worker in ("w1", "w2")
            for tx, epoch, at in SEND_LINE.findall(self.children[worker].text())
        ]
        return sorted(found)


@dataclass
class Cut:
    name: str
    a: str
    b: str
    started: float = 0.0
    healed: float = 0.0
    leader_before: str = ""
    leader_after: str = ""


def fencing_violations(sends: list[tuple[float, int, str, str]]) -> list[str]:
    """Breaks of the fencing rule in the sends: an epoch sent from by two workers, or two
    epochs whose sends overlap in time (an older epoch sending after a newer one began)."""
    problems = []
    by_epoch: dict[int, list[tuple[float, str]]] = defaultdict(list)
    for at, epoch, worker, _ in sends:
        by_epoch[epoch].append((at, worker))
    for epoch, items in by_epoch.items():
        if len({w for _, w in items}) > 1:
            problems.append(f"epoch {epoch} sent from {sorted({w for _, w in items})}")
    spans = sorted((min(a for a, _ in v), max(a for a, _ in v), e) for e, v in by_epoch.items())
    for (_, end, epoch), (start, _, later) in itertools.pairwise(spans):
        if later < epoch or start <= end:
            problems.append(f"epoch {epoch} sent until {end:.3f}, epoch {later} from {start:.3f}")
    return problems


def chain_transactions(w3: Web3, sender: str) -> dict[str, Any]:
    """The hot wallet's mined transactions: how many per nonce, how many reverted."""
    per_nonce: Counter[int] = Counter()
    reverted = 0
    for number in range(int(w3.eth.block_number) + 1):
        block = w3.eth.get_block(number, full_transactions=True)
        for tx in block["transactions"]:
            if tx["from"] == sender:
                per_nonce[int(tx["nonce"])] += 1
                if w3.eth.get_transaction_receipt(tx["hash"])["status"] != 1:
                    reverted += 1
    return {
        "mined": sum(per_nonce.values()),
        "nonces": len(per_nonce),
        "nonces_with_two": sum(1 for n in per_nonce.values() if n > 1),
        "reverted": reverted,
    }


def run_partitions(
    workdir: Path, rounds: int = 1, cut_s: float = 15.0, settle_s: float = 8.0
) -> dict[str, Any]:
    """Under steady load, `rounds` times: cut the leading worker from the database, then
    the leader from the chain, then api1 from the database, healing each; then audit."""
    load_module = _load_script("load")
    figures: dict[str, Any] = {"cuts": []}
    net = Network()
    try:
        with NetCluster(net, workdir) as cluster:
            load = Load(cluster).start()
            try:
                _wait(lambda: _anchored_any(cluster), "a first anchored batch", 90)
                for _ in range(rounds):
                    for name, pair in (
                        ("leader from database", ("leader", "db")),
                        ("leader from chain", ("leader", "chain")),
                        ("api1 from database", ("api1", "db")),
                    ):
                        figures["cuts"].append(_cut(cluster, name, pair, cut_s, settle_s))
            finally:
                load.stop()
            # A request still in flight when its host was cut belongs to the cut too.
            windows = [
                (c["started"] - REQUEST_TIMEOUT_S, c["healed"] + settle_s, c["a"])
                for c in figures["cuts"]
            ]
            outside = [
                r for r in load.requests
                if (r.status is None or r.status >= 500)
                and not any(a <= r.at <= b and r.api == host for a, b, host in windows)
            ]  # fmt: skip
            inside = [
                r
                for r in load.requests
                if (r.status is None or r.status >= 500) and r not in outside
            ]
            figures["requests"] = len(load.requests)
            figures["accepted"] = len(load.accepted)
            figures["errors_outside_cuts"] = len(outside)
            figures["errors_outside_examples"] = [
                (round(r.at, 1), r.api, r.status) for r in outside[:10]
            ]
            figures["errors_inside_cuts"] = len(inside)
            figures["anchored_in_time"] = load_module.wait_anchored(
                cluster.direct_database_url, 120
            )
            w3 = connect(cluster.direct_rpc_url)
            figures["audit"] = load_module.audit(
                cluster.direct_database_url, w3, cluster.contract, load.accepted
            )
            sends = cluster.sends()
            figures["sends"] = len(sends)
            figures["distinct_transactions_sent"] = len({tx for *_, tx in sends})
            figures["epochs"] = cluster.epochs()
            figures["fencing_violations"] = fencing_violations(sends)
            figures["chain"] = chain_transactions(w3, cluster.anchorer.address)
            for cut in figures["cuts"]:
                cut["sends_by_worker_during_cut"] = dict(
                    Counter(w for at, _, w, _ in sends if cut["started"] <= at <= cut["healed"])
                )
            figures["workers_alive"] = all(cluster.children[w].alive() for w in ("w1", "w2"))
    finally:
        net.close()
    return figures


def _cut(
    cluster: NetCluster, name: str, pair: tuple[str, str], cut_s: float, settle_s: float
) -> dict[str, Any]:
    before = cluster.leader()
    a = before if pair[0] == "leader" else pair[0]
    epochs_before = cluster.epochs()
    started = time.time()
    cluster.net.cut(a, pair[1])
    time.sleep(cut_s)
    cluster.net.heal(a, pair[1])
    healed = time.time()
    time.sleep(settle_s)
    after = cluster.leader()
    taken = {w: e[len(epochs_before[w]) :] for w, e in cluster.epochs().items()}
    return {
        "cut": name, "a": a, "b": pair[1], "started": started, "healed": healed,
        "leader_before": before, "leader_after": after,
        "epochs_taken_during": {w: e for w, e in taken.items() if e},
    }  # fmt: skip


def _anchored_any(cluster: NetCluster) -> bool:
    from sqlalchemy import create_engine, text

    engine = create_engine(cluster.direct_database_url)
    try:
        with engine.connect() as conn:
            return bool(
                conn.execute(text("SELECT count(*) FROM batches WHERE state = 'final'")).scalar()
            )
    finally:
        engine.dispose()


def _create_database(server: ThrowawayPostgres, name: str) -> None:
    import psycopg

    with psycopg.connect(host=str(server.socket_dir), port=server.port, user="postgres",
                         dbname="postgres", autocommit=True) as conn:  # fmt: skip
        conn.execute(f'CREATE DATABASE "{name}"')


def _load_script(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    sys.path.insert(0, str(ROOT / "scripts"))
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _wait(condition: Any, what: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(0.1)
