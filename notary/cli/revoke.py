"""`notary revoke LEAF --reason NAME|CODE`: revoke a document (on chain through the worker).

The issuer's key (NOTARY_API_KEY) revokes its own documents; without one, the admin key.
"""

from __future__ import annotations

import argparse

from notary.cli.client import UsageError, add_service_options, read_api_key, service_from
from notary.core.errors import FormatError
from notary.core.reasons import REASONS, reason_code, reason_name


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `revoke` command."""
    names = ", ".join(f"{code} {name}" for code, name in REASONS.items())
    parser = commands.add_parser(
        "revoke", help="revoke a document by its leaf", description=__doc__.splitlines()[0]
    )
    parser.add_argument("leaf", metavar="LEAF", help="the document's leaf (0x + 64 hex)")
    parser.add_argument(
        "--reason", required=True, metavar="NAME|CODE", help=f"why: {names}, or 7-255"
    )
    parser.add_argument("--note", help="a note kept by the service (not on chain)")
    add_service_options(parser)
    parser.set_defaults(run=_revoke)


def _revoke(args: argparse.Namespace) -> int:
    try:
        code = reason_code(int(args.reason) if args.reason.isdigit() else args.reason, "--reason")
    except FormatError as exc:
        raise UsageError(str(exc)) from None
    admin = read_api_key(args.api_key_file) is None
    body = {"reason": code, "note": args.note}
    with service_from(args, admin=admin) as service:
        answer = service.post_json(f"/v1/documents/{args.leaf}/revoke", body)
    before = "" if answer.get("created", True) else " (requested before)"
    print(
        f"revocation of {answer['leaf']} ({reason_name(answer['reason'])}): "
        f"{answer['state']}{before}; the worker writes it on chain"
    )
    return 0
