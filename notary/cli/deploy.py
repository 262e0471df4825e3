"""`notary deploy`: put the registry on any network with the operator's admin keystore.

The admin key is read from an encrypted keystore (Web3 Secret Storage, as geth, clef and
`cast wallet` write them); its password comes from NOTARY_ADMIN_KEYSTORE_PASSWORD or a
prompt, and neither the key nor the password is printed or stored. The service's hot
wallet gets its roles, the code at the new address is checked against the committed
artifact, and `deployment.json` in the data dir tells `notary serve` and `notary worker`
where the registry is. Run again, it deploys nothing: it checks the recorded registry
and grants the roles still missing (an interrupted run resumes).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import cast

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.address import is_address, to_checksum_address
from web3 import Web3

from notary.chain.artifact import artifact_targets
from notary.chain.connection import connect, rpc_guard
from notary.chain.deploy import load_deployment
from notary.chain.evm import AUTO
from notary.chain.provisioning import (
    SERVICE_ROLES,
    deploy_for_service,
    deployed_builds,
    grant_roles,
    save_record,
)
from notary.chain.registry import Registry
from notary.chain.urls import shown_url
from notary.cli.client import CliError, UsageError, prompt_if_terminal
from notary.settings.config import Settings
from notary.settings.keys import load_or_create_key_file

PASSWORD_ENV = "NOTARY_ADMIN_KEYSTORE_PASSWORD"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `deploy` command."""
    parser = commands.add_parser(
        "deploy",
        help="deploy the registry to any network and grant the service's wallet its roles",
        description=__doc__.splitlines()[0],
    )
    add_node_options(parser)
    parser.add_argument(
        "--evm",
        choices=[*artifact_targets(), AUTO],
        default=AUTO,
        help="the EVM build to deploy; auto: the newest the node runs (asked of the node)",
    )
    parser.add_argument(
        "--service",
        metavar="ADDRESS",
        type=address_arg,
        help="the service's hot wallet (default: the anchoring key configured, else a new "
        "key in NOTARY_DATA_DIR/keys/anchor.key)",
    )
    parser.set_defaults(run=_deploy)


def add_node_options(parser: argparse.ArgumentParser, *, admin: bool = True) -> None:
    """--rpc, and --admin-keystore where the admin signs."""
    parser.add_argument(
        "--rpc", metavar="URL", help="the node's JSON-RPC endpoint (default: NOTARY_RPC_URL)"
    )
    if admin:
        parser.add_argument(
            "--admin-keystore",
            metavar="FILE",
            type=Path,
            required=True,
            help=f"the admin's encrypted keystore; its password from {PASSWORD_ENV} or a prompt",
        )


def address_arg(text: str) -> str:
    """An Ethereum address argument, checksummed."""
    if not is_address(text):
        raise argparse.ArgumentTypeError(f"not an Ethereum address: {text!r}")
    return str(to_checksum_address(text))


def node_settings(args: argparse.Namespace) -> Settings:
    """Settings, with --rpc in place of NOTARY_RPC_URL(S) when given."""
    settings = Settings()
    if args.rpc:
        settings = settings.model_copy(update={"rpc_url": args.rpc, "rpc_urls": None})
    return settings


def admin_account(path: Path) -> LocalAccount:
    """The admin key from its keystore, with the password from the environment or a prompt."""
    try:
        keystore = json.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read the admin keystore {path}: {exc.strerror}") from None
    except ValueError:
        raise UsageError(f"{path} is not a keystore file (not JSON)") from None
    password = os.environ.get(PASSWORD_ENV)
    if password is None:
        ask = prompt_if_terminal()
        if ask is None:
            raise UsageError(f"no password for the admin keystore: set {PASSWORD_ENV}")
        password = ask(f"password of the admin keystore {path}: ")
    try:
        key = Account.decrypt(keystore, password)
    except (ValueError, KeyError, TypeError):
        raise UsageError(f"cannot open the admin keystore {path}: wrong password?") from None
    return cast(LocalAccount, Account.from_key(key))


def service_address(settings: Settings) -> str | None:
    """The hot wallet's address from the configured anchoring key, without its secret where
    it can be helped (a keystore names its address); None when no key is configured."""
    if settings.anchor_key is not None:
        try:
            return str(Account.from_key(settings.anchor_key.get_secret_value().strip()).address)
        except ValueError:
            raise UsageError("NOTARY_ANCHOR_KEY is not a valid private key") from None
    if settings.anchor_keystore is not None:
        try:
            named = json.loads(settings.anchor_keystore.read_text("utf-8")).get("address", "")
        except (OSError, ValueError, AttributeError):
            named = ""
        if not is_address(named):
            raise UsageError(
                f"NOTARY_ANCHOR_KEYSTORE {settings.anchor_keystore} names no address: "
                "give --service ADDRESS"
            )
        return str(to_checksum_address(named))
    path = settings.keys_dir / "anchor.key"
    return str(load_or_create_key_file(path).address) if path.exists() else None


def _deploy(args: argparse.Namespace) -> int:
    settings = node_settings(args)
    admin = admin_account(args.admin_keystore)
    w3 = connect(settings.rpc_url, timeout_s=settings.rpc_timeout)
    with rpc_guard(w3):
        chain_id = int(w3.eth.chain_id)
    print(f"node       {shown_url(settings.rpc_url)} (chain eip155:{chain_id})")
    existing = load_deployment(settings.deployment_file)
    created_key = False
    service = args.service or service_address(settings)
    if service is None:
        service = str(load_or_create_key_file(settings.keys_dir / "anchor.key").address)
        created_key = True
    if existing is not None:
        address, evm = _recorded(w3, settings, chain_id)
        print(f"registry   {address} ({evm} build), recorded in {settings.deployment_file}")
    else:
        print(f"deploying  from the admin {admin.address} …")
        record = deploy_for_service(w3, admin, service, args.evm)
        save_record(settings.deployment_file, record)
        address = record.deployment.address
        print(
            f"registry   {address} ({record.evm} build, code checked against the artifact), "
            f"block {record.deployment.block_number}, tx {record.deployment.tx_hash}"
        )
    granted = grant_roles(Registry(w3, address), admin, service, SERVICE_ROLES)
    print(
        f"service    {service}: "
        + (f"granted {', '.join(granted)}" if granted else f"holds {', '.join(SERVICE_ROLES)}")
    )
    _print_backup(settings, args.admin_keystore, created_key)
    return 0


def _recorded(w3: Web3, settings: Settings, chain_id: int) -> tuple[str, str]:
    """The registry the data dir records on this chain, checked; CliError if it is not there."""
    deployment = load_deployment(settings.deployment_file)
    assert deployment is not None
    if deployment.chain_id != chain_id:
        raise CliError(
            f"{settings.deployment_file} records a registry on chain {deployment.chain_id}, "
            f"not on this node's chain {chain_id}: use another NOTARY_DATA_DIR for this chain"
        )
    builds = deployed_builds(w3, deployment.address)
    if not builds:
        raise CliError(
            f"no committed registry build is at {deployment.address} on chain {chain_id} "
            f"(recorded in {settings.deployment_file}): a reset chain? Move that file away "
            "to deploy anew"
        )
    return deployment.address, " = ".join(builds)


def _print_backup(settings: Settings, keystore: Path, created_key: bool) -> None:
    data = settings.data_dir
    hot = (
        f"{settings.keys_dir / 'anchor.key'} (created now: fund this address)"
        if created_key
        else "the anchoring key (NOTARY_ANCHOR_KEY / NOTARY_ANCHOR_KEYSTORE or "
        f"{settings.keys_dir / 'anchor.key'})"
    )
    print("back up    (nothing here can be recovered from the chain)")
    print(f"  - {keystore} and its password: the only key that grants roles; keep it offline")
    print(f"  - {hot}: the hot wallet that pays for anchors")
    print(f"  - {data / 'deployment.json'}: which registry the service and receipts use")
    print(
        f"  - {settings.keys_dir}/ (the service's receipt-signing key) and the database "
        "(NOTARY_DATABASE_URL): receipts and pending documents"
    )
    print(f"then       NOTARY_RPC_URL=… NOTARY_DATA_DIR={data} notary serve  (and notary worker)")
