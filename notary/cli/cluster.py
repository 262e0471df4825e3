"""`notary cluster`: PostgreSQL, an interval-mined Anvil, API processes and two workers
(`make run-cluster`); Ctrl-C stops everything, and so does killing this process."""

from __future__ import annotations

import argparse
import os
import signal
import time
from pathlib import Path
from types import FrameType

from notary.ops.cluster import Cluster, ClusterConfig
from notary.settings.config import Settings

RESTART_PAUSE_S = 1.0
CHAIN_PORT_ENV = "NOTARY_CLUSTER_CHAIN_PORT"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `cluster` command."""
    parser = commands.add_parser(
        "cluster", help="run PostgreSQL-backed API processes and two workers on one machine"
    )
    parser.add_argument("--api-processes", type=int, default=2, help="behind one port")
    parser.add_argument(
        "--chain-port",
        type=int,
        default=os.environ.get(CHAIN_PORT_ENV),
        help=f"where the chain answers (default: {CHAIN_PORT_ENV}, else a free port)",
    )
    parser.add_argument("--block-time", type=float, default=2.0, help="seconds per block")
    parser.add_argument("--confirmations", type=int, default=3)
    parser.set_defaults(run=_cluster)


def _cluster(args: argparse.Namespace) -> int:
    settings = Settings()
    config = ClusterConfig(
        data_dir=settings.data_dir / "cluster",
        database_url=settings.database_url,
        port=settings.port,
        chain_port=args.chain_port,
        api_processes=args.api_processes,
        block_time_s=args.block_time,
        confirmations=args.confirmations,
    )
    stopping = False

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with Cluster(config) as cluster:
        print(f"service   {cluster.base_url}  ({config.api_processes} API processes)")
        print(
            f"chain     {cluster.rpc_url}  (a block every {config.block_time_s:g} s, "
            f"{config.confirmations} confirmations)"
        )
        assert cluster.deployment is not None  # start() deployed or found it
        print(f"registry  {cluster.deployment.address}  (chain id {cluster.deployment.chain_id})")
        print(f"database  {_shown(cluster.database_url)}  ({cluster.database_source})")
        print(f"issuer    {cluster.issuer}; API key in {_key_file(config.data_dir)}")
        print(f"logs      {cluster.logs}")
        _key_file(config.data_dir).write_text(cluster.api_key + "\n")
        _key_file(config.data_dir).chmod(0o600)
        while not stopping:  # a worker that died is replaced; the other one leads meanwhile
            for i, worker in enumerate(cluster.workers):
                if not worker.alive() and not stopping:
                    print(f"{worker.name} exited ({worker.popen.returncode}); restarting it")
                    cluster.workers[i] = cluster.start_worker(i)
            time.sleep(RESTART_PAUSE_S)
    return 0


def _key_file(data_dir: Path) -> Path:
    return data_dir.resolve() / "keys" / "issuer.api-key"


def _shown(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
