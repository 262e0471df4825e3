"""`notary issuer add|list|deactivate`: the agencies that may notarise (admin key); and
`notary issuer keygen`, `notary issuer signer add|remove|list`: an agency's own keys."""

from __future__ import annotations

import argparse

from notary.cli import issuer_keys
from notary.cli.client import add_service_options, service_from
from notary.cli.output import table
from notary.pipeline.issuers import register_everywhere
from notary.settings.config import Settings
from notary.settings.runtime import registry_address
from notary.store.engine import open_store


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `issuer` command."""
    parser = commands.add_parser(
        "issuer", help="register, list or deactivate issuers (admin); an issuer's signing keys"
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="register an issuer (on chain through the worker)")
    add.add_argument("address", help="the issuer's Ethereum address (its namespace on chain)")
    add.add_argument("--name", required=True, help="display name, shown to verifiers")
    add.add_argument("--jurisdiction", help="e.g. VN-35 (ISO 3166-2)")
    add_service_options(add, admin=True)
    add.set_defaults(run=_add)
    listing = actions.add_parser("list", help="every issuer and its status (public)")
    add_service_options(listing, admin=True)
    listing.set_defaults(run=_list)
    off = actions.add_parser(
        "deactivate", help="stop an issuer notarising (final; its documents stay valid)"
    )
    off.add_argument("address")
    add_service_options(off, admin=True)
    off.set_defaults(run=_deactivate)
    again = actions.add_parser(
        "register-again",
        help="queue every active issuer's registration on the registry the worker sends to "
        "(after moving the service to a new registry; on NOTARY_DATABASE_URL directly)",
    )
    again.set_defaults(run=_register_again)
    issuer_keys.register(actions)


def _add(args: argparse.Namespace) -> int:
    body = {"address": args.address, "name": args.name, "jurisdiction": args.jurisdiction}
    with service_from(args, admin=True) as service:
        issuer = service.post_json("/v1/issuers", body)
    print(f"registered {issuer['name']} ({issuer['address']}); on chain: {issuer['onchain']}")
    print(f"next: `notary key create {issuer['address']}` gives it an API key")
    return 0


def _list(args: argparse.Namespace) -> int:
    with service_from(args, admin=True) as service:
        issuers = service.get_json("/v1/issuers")["issuers"]
    rows = [
        (i["address"], i["status"], i["onchain"], i.get("jurisdiction") or "", i["name"])
        for i in issuers
    ]
    print(table(("address", "status", "on chain", "jurisdiction", "name"), rows))
    return 0


def _deactivate(args: argparse.Namespace) -> int:
    with service_from(args, admin=True) as service:
        issuer = service.post_json(f"/v1/issuers/{args.address}/deactivate")
    print(f"deactivated {issuer['name']} ({issuer['address']}); on chain: {issuer['onchain']}")
    return 0


def _register_again(args: argparse.Namespace) -> int:
    settings = Settings()
    store = open_store(settings.resolved_database_url)
    try:
        addresses = register_everywhere(store, "cli:register-again")
    finally:
        store.dispose()
    print(
        f"queued the registration of {len(addresses)} issuers: the worker registers each one "
        f"the registry at {registry_address(settings)} does not know, before anchoring "
        "anything sealed from now on"
    )
    return 0
