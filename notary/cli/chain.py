"""`notary chain up|down|status|grant`: the developer's local Anvil, and any network's
registry and hot wallet (`notary deploy` puts a registry on a network)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from notary.chain.connection import connect, rpc_guard
from notary.chain.deploy import load_deployment
from notary.chain.evm import EvmUnknown, node_evm
from notary.chain.provisioning import (
    ANCHOR_GAS,
    ROLES,
    SERVICE_ROLES,
    deployed_builds,
    grant_roles,
    roles_of,
    wallet_funds,
)
from notary.chain.registry import Registry
from notary.chain.urls import shown_url
from notary.cli import deploy
from notary.cli.client import EXIT_FAILED
from notary.cli.deploy import add_node_options, address_arg, admin_account, node_settings
from notary.ops.localchain import chain_down, chain_up
from notary.settings.config import Settings
from notary.settings.runtime import registry_address

GWEI = 10**9


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `chain` command (and `deploy`, its sibling for other networks)."""
    parser = commands.add_parser(
        "chain", help="the local Anvil chain; any network's registry and hot wallet"
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser(
        "up", help="start Anvil (state kept in the data dir) and deploy once"
    ).set_defaults(run=_up)
    actions.add_parser("down", help="stop the local Anvil").set_defaults(run=_down)
    status = actions.add_parser(
        "status",
        help="the chain, the registry, the hot wallet's roles and balance, and about how "
        "many anchors that balance pays for at current fees",
    )
    add_node_options(status, admin=False)
    status.add_argument("--service", metavar="ADDRESS", type=address_arg, help="another wallet")
    status.add_argument("--json", action="store_true", help="print JSON")
    status.set_defaults(run=_status)
    grant = actions.add_parser("grant", help="grant registry roles to an address (admin)")
    grant.add_argument("address", type=address_arg, help="who gets the roles")
    grant.add_argument(
        "--role",
        action="append",
        choices=sorted(ROLES),
        help=f"a role to grant; repeat for several (default: {', '.join(SERVICE_ROLES)}, "
        "what the service's hot wallet needs)",
    )
    add_node_options(grant)
    grant.set_defaults(run=_grant)
    deploy.register(commands)


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


def _grant(args: argparse.Namespace) -> int:
    settings = node_settings(args)
    admin = admin_account(args.admin_keystore)
    w3 = connect(settings.rpc_url, timeout_s=settings.rpc_timeout)
    registry = Registry(w3, registry_address(settings))
    roles = tuple(dict.fromkeys(args.role or SERVICE_ROLES))
    granted = grant_roles(registry, admin, args.address, roles)
    held = [r for r in roles if r not in granted]
    print(
        f"{args.address} on {registry.address}: "
        + "; ".join(
            part
            for part in (
                f"granted {', '.join(granted)}" if granted else "",
                f"already held {', '.join(held)}" if held else "",
            )
            if part
        )
    )
    return 0


def _status(args: argparse.Namespace) -> int:
    settings = node_settings(args)
    w3 = connect(settings.rpc_url, timeout_s=settings.rpc_timeout)
    with rpc_guard(w3):
        chain_id, head = int(w3.eth.chain_id), int(w3.eth.block_number)
    try:
        evm: str | None = node_evm(w3)
    except EvmUnknown:
        evm = None
    report: dict[str, Any] = {
        "rpc": shown_url(settings.rpc_url),
        "chain": f"eip155:{chain_id}",
        "block": head,
        "nodeEvm": evm,
        "registry": None,
        "service": None,
    }
    deployment = load_deployment(settings.deployment_file)
    address = settings.contract_address or (deployment.address if deployment else None)
    healthy = address is not None
    if address is not None:
        builds = deployed_builds(w3, address)
        healthy = bool(builds)
        report["registry"] = {
            "address": address,
            "builds": list(builds),
            "deployedInBlock": deployment.block_number
            if deployment and deployment.address == address
            else None,
        }
    service = args.service or deploy.service_address(settings)
    if service is not None:
        funds = wallet_funds(w3, service)
        roles = roles_of(Registry(w3, address), service) if address and healthy else []
        report["service"] = {
            "address": service,
            "roles": roles,
            "balanceWei": str(funds.balance_wei),
            "gasPriceWei": str(funds.gas_price_wei),
            "anchorGas": ANCHOR_GAS,
            "anchorsPaidFor": funds.anchors,
        }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        _print_status(report, settings)
    return 0 if healthy else EXIT_FAILED


def _print_status(report: dict[str, Any], settings: Settings) -> None:
    evm = f"; its EVM runs the {report['nodeEvm']} build" if report["nodeEvm"] else ""
    print(f"chain      {report['chain']} at {report['rpc']}, block {report['block']:,}{evm}")
    registry = report["registry"]
    if registry is None:
        print(
            f"registry   none recorded ({settings.deployment_file}): `notary deploy`, or "
            "`notary chain up` for a local Anvil"
        )
    elif not registry["builds"]:
        print(f"registry   {registry['address']}: no committed registry build is there")
    else:
        since = registry["deployedInBlock"]
        at = f", deployed in block {since:,}" if since is not None else ""
        builds = " = ".join(registry["builds"])
        print(f"registry   {registry['address']} ({builds} build{at})")
    service = report["service"]
    if service is None:
        print("hot wallet none configured (NOTARY_ANCHOR_KEY, NOTARY_ANCHOR_KEYSTORE or --service)")
        return
    roles = ", ".join(service["roles"]) or "no role"
    missing = [r for r in SERVICE_ROLES if r not in service["roles"]]
    hint = f" (missing {', '.join(missing)}: `notary chain grant`)" if missing and registry else ""
    print(f"hot wallet {service['address']}: {roles}{hint}")
    price = int(service["gasPriceWei"])
    anchors = service["anchorsPaidFor"]
    pays = (
        f"about {anchors:,} anchors at {price / GWEI:.3g} gwei ({ANCHOR_GAS:,} gas each)"
        if anchors is not None
        else "gas costs nothing on this chain"
    )
    print(f"balance    {int(service['balanceWei']) / 10**18:.6f} ether: {pays}")
