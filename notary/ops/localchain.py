"""The developer's local chain: one Anvil kept in the data directory, deployed once.

`notary chain up` starts Anvil with its state persisted to `data_dir/chain/state.json`
(a restart, even after SIGKILL, keeps the deployed registry and every anchor), deploys
the registry the first time, creates random admin and anchoring keys (0600 files, never
Anvil's well-known accounts) and writes `data_dir/deployment.json`.

A chain that already answers on the port is reused only if it is this data dir's: the
Anvil its `chain/anvil.pid` names, or one holding the registry its deployment file names.
Anything else (say, an Anvil orphaned by a supervisor killed before it could stop it) is
refused in one line rather than deployed onto: its state file may be gone, and its
anchors would vanish with it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from eth_utils.address import to_checksum_address
from web3 import Web3
from web3.types import RPCEndpoint

from notary.chain.connection import connect, rpc_guard
from notary.chain.deploy import (
    Deployment,
    deploy_registry,
    grant_service_roles,
    load_deployment,
    save_deployment,
)
from notary.chain.errors import ChainError
from notary.chain.registry import Registry
from notary.chain.urls import is_local
from notary.ops.anvil import rpc_answers, start_anvil, stop_process_group
from notary.settings.config import Settings
from notary.settings.keys import load_or_create_key_file
from notary.util.private_files import private_dir

DEV_BALANCE_WEI = 10_000 * 10**18


@dataclass(frozen=True)
class LocalChain:
    """A running local chain with its registry."""

    rpc_url: str
    pid: int | None
    deployment: Deployment
    started: bool


def chain_dir(settings: Settings) -> Path:
    return settings.data_dir / "chain"


def chain_up(settings: Settings, *, attached: bool = False) -> LocalChain:
    """Start (or reuse) the local Anvil and make sure the registry is deployed.

    `attached`: a node started here stops when this process dies, even by SIGKILL (for
    `notary dev`); otherwise it keeps running until `chain_down` (`notary chain up`).
    """
    if not is_local(settings.rpc_url):
        raise ChainError(
            f"`chain up` manages a local Anvil only; NOTARY_RPC_URL is {settings.rpc_url}"
        )
    folder = private_dir(chain_dir(settings))
    pid, started = _running_pid(folder), False
    w3 = connect(settings.rpc_url)
    if rpc_answers(settings.rpc_url) is None:
        port = urlparse(settings.rpc_url).port or 8545
        node = start_anvil(
            port=port,
            state_file=folder / "state.json",
            log_file=folder / "anvil.log",
            die_with_parent=attached,
        )
        (folder / "anvil.pid").write_text(f"{node.pid}\n")
        pid, started = node.pid, True
    elif pid is None:
        _refuse_unless_ours(w3, settings)
    deployment = _ensure_deployed(w3, settings)
    return LocalChain(settings.rpc_url, pid, deployment, started)


def chain_down(settings: Settings) -> bool:
    """Stop the Anvil started by `chain_up`; False if none was running."""
    folder = chain_dir(settings)
    pid = _running_pid(folder)
    if pid is None:
        return False
    stop_process_group(pid)
    (folder / "anvil.pid").unlink(missing_ok=True)
    return True


def _refuse_unless_ours(w3: Web3, settings: Settings) -> None:
    """ChainError unless the chain answering holds this data dir's registry."""
    deployment = load_deployment(settings.deployment_file)
    with rpc_guard(w3):
        chain_id = int(w3.eth.chain_id)
        ours = (
            deployment is not None
            and deployment.chain_id == chain_id
            and bool(w3.eth.get_code(to_checksum_address(deployment.address)))
        )
    if not ours:
        has = f"no registry of {settings.deployment_file}" if deployment else "no deployment"
        raise ChainError(
            f"a chain this data dir did not start already answers at {settings.rpc_url} "
            f"(chain id {chain_id}, {has} there): stop it, or set NOTARY_RPC_URL to a free port"
        )


def _ensure_deployed(w3: Web3, settings: Settings) -> Deployment:
    admin = load_or_create_key_file(settings.keys_dir / "admin.key")
    anchorer = load_or_create_key_file(settings.keys_dir / "anchor.key")
    deployment = load_deployment(settings.deployment_file)
    with rpc_guard(w3):
        chain_id = int(w3.eth.chain_id)
        if (
            deployment
            and deployment.chain_id == chain_id
            and w3.eth.get_code(to_checksum_address(deployment.address))
        ):
            return deployment
        for account in (admin, anchorer):
            # Local chains only: mint test ether rather than use Anvil's published keys.
            w3.provider.make_request(
                RPCEndpoint("anvil_setBalance"), [account.address, hex(DEV_BALANCE_WEI)]
            )
    deployment = deploy_registry(w3, admin)
    grant_service_roles(Registry(w3, deployment.address), admin, anchorer.address)
    save_deployment(settings.deployment_file, deployment)
    return deployment


def _running_pid(folder: Path) -> int | None:
    pid_file = folder / "anvil.pid"
    try:
        pid = int(pid_file.read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid
