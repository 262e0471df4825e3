"""`notary key create|list|revoke`: an issuer's API keys (admin key)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from notary.cli.client import UsageError, add_service_options, service_from
from notary.cli.output import table


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `key` command."""
    parser = commands.add_parser("key", help="create, list or revoke an issuer's API keys (admin)")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="a new API key (the secret is shown once)")
    create.add_argument("address", help="the issuer's address")
    create.add_argument(
        "--out", type=Path, metavar="FILE", help="write the secret to FILE (0600) instead"
    )
    add_service_options(create, admin=True)
    create.set_defaults(run=_create)
    listing = actions.add_parser("list", help="an issuer's keys (never the secrets)")
    listing.add_argument("address")
    add_service_options(listing, admin=True)
    listing.set_defaults(run=_list)
    revoke = actions.add_parser("revoke", help="revoke a key at once")
    revoke.add_argument("address")
    revoke.add_argument("key_id", type=int, metavar="KEY_ID")
    add_service_options(revoke, admin=True)
    revoke.set_defaults(run=_revoke)


def _create(args: argparse.Namespace) -> int:
    out: Path | None = args.out
    if out is not None and out.exists():
        raise UsageError(f"{out} exists; choose a new file for the key")
    with service_from(args, admin=True) as service:
        key = service.post_json(f"/v1/issuers/{args.address}/keys")
    if out is None:
        print(key["key"])  # shown once by the service too; it keeps only the hash
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key["key"] + "\n")
    print(f"key {key['id']} ({key['prefix']}…) written to {out}; use it with --api-key-file")
    return 0


def _list(args: argparse.Namespace) -> int:
    with service_from(args, admin=True) as service:
        keys = service.get_json(f"/v1/issuers/{args.address}/keys")["keys"]
    rows = [(k["id"], k["prefix"], k["createdAt"], k.get("revokedAt") or "") for k in keys]
    print(table(("id", "prefix", "created", "revoked"), rows))
    return 0


def _revoke(args: argparse.Namespace) -> int:
    with service_from(args, admin=True) as service:
        key = service.request("DELETE", f"/v1/issuers/{args.address}/keys/{args.key_id}").json()
    print(f"key {key['id']} ({key['prefix']}…) revoked at {key['revokedAt']}")
    return 0
