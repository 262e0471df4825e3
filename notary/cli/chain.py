"""`notary chain up|down|status`: the developer's local Anvil and its registry."""

from __future__ import annotations

import argparse
import json

from notary.chain.anvil import rpc_answers
from notary.chain.deploy import load_deployment
from notary.config import Settings
from notary.localchain import chain_down, chain_up


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `chain` command."""
    parser = commands.add_parser("chain", help="start, stop or inspect the local Anvil chain")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser(
        "up", help="start Anvil (state kept in the data dir) and deploy once"
    ).set_defaults(run=_up)
    actions.add_parser("down", help="stop the local Anvil").set_defaults(run=_down)
    actions.add_parser(
        "status", help="print the deployment and whether the chain answers"
    ).set_defaults(run=_status)


def _up(args: argparse.Namespace) -> int:
    settings = Settings()
    chain = chain_up(settings)
    verb = "started" if chain.started else "already running"
    print(f"chain {verb} at {chain.rpc_url} (pid {chain.pid or 'unknown'})")
    print(
        f"NotaryRegistry {chain.deployment.address} on eip155:{chain.deployment.chain_id} "
        f"(deployed in block {chain.deployment.block_number})"
    )
    return 0


def _down(args: argparse.Namespace) -> int:
    stopped = chain_down(Settings())
    print("chain stopped" if stopped else "no local chain was running")
    return 0


def _status(args: argparse.Namespace) -> int:
    settings = Settings()
    deployment = load_deployment(settings.deployment_file)
    status = {
        "rpcUrl": settings.rpc_url,
        "chainId": rpc_answers(settings.rpc_url),
        "deployment": deployment.__dict__ if deployment else None,
    }
    print(json.dumps(status, indent=2))
    return 0 if status["chainId"] is not None else 1
