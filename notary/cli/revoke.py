"""`notary revoke LEAF --reason NAME|CODE`: revoke a document (on chain through the worker).

The issuer's key (NOTARY_API_KEY) revokes its own documents; without one, the admin key.
An issuer that signs revokes with `--signer KEYSTORE`: the EIP-712 `Revocation` is signed
here (a fresh nonce, a deadline a week ahead) and the service relays it as `revokeBySig`.
"""

from __future__ import annotations

import argparse
import secrets
import time
from pathlib import Path
from typing import Any

from notary.cli.client import UsageError, add_service_options, read_api_key, service_from
from notary.cli.keystore import SIGNER_PASSWORD_ENV, read_keystore
from notary.client.service import Client
from notary.core.errors import FormatError
from notary.core.issuer_signing import IssuerKey, RegistryDomain, keyed_nonce
from notary.core.reasons import REASONS, reason_code, reason_name
from notary.core.types import Leaf

DEADLINE_S = 7 * 24 * 3600
"""A signed revocation stays valid a week: the worker relays it long before."""


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
    parser.add_argument(
        "--signer",
        type=Path,
        metavar="KEYSTORE",
        help=f"sign the revocation here with this signing (or root) keystore, password from "
        f"{SIGNER_PASSWORD_ENV} or a prompt: required once the issuer has signing keys",
    )
    add_service_options(parser)
    parser.set_defaults(run=_revoke)


def _revoke(args: argparse.Namespace) -> int:
    try:
        code = reason_code(int(args.reason) if args.reason.isdigit() else args.reason, "--reason")
    except FormatError as exc:
        raise UsageError(str(exc)) from None
    admin = read_api_key(args.api_key_file) is None
    body: dict[str, Any] = {"reason": code, "note": args.note}
    with service_from(args, admin=admin) as service:
        if args.signer:
            body.update(_signed(service, args.leaf, code, args.signer))
        answer = service.post_json(f"/v1/documents/{args.leaf}/revoke", body)
    before = "" if answer.get("created", True) else " (requested before)"
    print(
        f"revocation of {answer['leaf']} ({reason_name(answer['reason'])}): "
        f"{answer['state']}{before}; the worker writes it on chain"
    )
    return 0


def _signed(service: Client, leaf_text: str, reason: int, keystore: Path) -> dict[str, Any]:
    """The signature fields of a revocation signed here by the keystore's key."""
    try:
        leaf = Leaf.from_hex(leaf_text.lower(), "LEAF")
    except FormatError as exc:
        raise UsageError(str(exc)) from None
    store = read_keystore(keystore)
    issuer = service.document(leaf.hex)["issuer"]["address"]
    if store.issuer is not None and store.issuer != issuer and store.address != issuer:
        raise UsageError(
            f"the document is issuer {issuer}'s; the keystore {keystore} signs for {store.issuer}"
        )
    return revocation_fields(service, store.unlock(SIGNER_PASSWORD_ENV), issuer, leaf, reason)


def revocation_fields(
    service: Client, key: IssuerKey, issuer: str, leaf: Leaf, reason: int
) -> dict[str, Any]:
    """`signature`, `nonce` and `deadline` of `key`'s EIP-712 Revocation of `leaf`, signed
    here in the domain of the service's registry (`GET /v1/chain`)."""
    chain = service.get_json("/v1/chain")
    if not isinstance(chain.get("chainId"), int):
        raise UsageError("the service cannot reach its chain now: its registry's domain is unknown")
    domain = RegistryDomain.of(chain["chainId"], chain["contract"])
    nonce = keyed_nonce(secrets.randbits(192), 0)  # a fresh sequence: spends no other's nonce
    deadline = int(time.time()) + DEADLINE_S
    signature = key.sign_revocation(domain, issuer, [leaf], reason, nonce, deadline)
    return {"signature": "0x" + signature.hex(), "nonce": str(nonce), "deadline": deadline}
