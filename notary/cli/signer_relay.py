"""`notary issuer signer add|remove|list` through the service: the root key signs on this
machine, the service relays the change and pays its gas.

The typed data comes from the service (`GET /v1/issuers/{address}/signers/request`), but
nothing of it is signed blindly: its type, issuer and key must be the ones asked for, its
domain the registry's (`NotaryRegistry` version 2, and the registry named by `--registry`
or NOTARY_CONTRACT_ADDRESS when one is), and the signature is computed here from those
values with the root key, never from the service's text.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from notary.cli.client import CliError
from notary.client.service import Client
from notary.core.errors import FormatError
from notary.core.issuer_signing import DOMAIN_NAME, DOMAIN_VERSION, IssuerKey, RegistryDomain
from notary.core.types import Address, to_checksum_address

TYPES = {"add": "AddSigner", "remove": "RemoveSigner"}
WAIT_POLL_S = 0.5


class UntrustedRequest(CliError):
    """The service's typed data is not the change asked for: nothing was signed."""


@dataclass(frozen=True)
class Change:
    """What the root key signs: the change of `key` in the registry's domain."""

    action: str
    issuer: Address
    key: Address
    nonce: int
    deadline: int
    domain: RegistryDomain


def checked_request(
    typed: Mapping[str, Any], action: str, issuer: str, key: str, registry: str | None
) -> Change:
    """The change the typed data describes, if it is exactly the one asked for."""
    try:
        domain_fields = typed["domain"]
        message = typed["message"]
        if typed.get("primaryType") != TYPES[action]:
            raise UntrustedRequest(f"the service sent {typed.get('primaryType')!r} to sign")
        if (domain_fields.get("name"), str(domain_fields.get("version"))) != (
            DOMAIN_NAME,
            DOMAIN_VERSION,
        ):
            raise UntrustedRequest("the service's typed data is not for NotaryRegistry version 2")
        domain = RegistryDomain.of(
            int(domain_fields["chainId"]), str(domain_fields["verifyingContract"])
        )
        change = Change(
            action,
            to_checksum_address(str(message["issuer"]), "issuer"),
            to_checksum_address(str(message["key"]), "key"),
            int(message["nonce"]),
            int(message["deadline"]),
            domain,
        )
    except (KeyError, TypeError, ValueError, FormatError) as exc:
        raise UntrustedRequest(f"the service's typed data cannot be read ({exc})") from None
    if (change.issuer, change.key) != (issuer, key):
        raise UntrustedRequest(
            f"the service asked to sign a change of {change.key} for {change.issuer}, not of "
            f"{key} for {issuer}"
        )
    if registry is not None and change.domain.verifying_contract != registry:
        raise UntrustedRequest(
            f"the service relays to the registry at {change.domain.verifying_contract}, not "
            f"{registry} (--registry or NOTARY_CONTRACT_ADDRESS): nothing was signed"
        )
    return change


def relay(
    service: Client, root: IssuerKey, action: str, key: str, registry: str | None
) -> dict[str, Any]:
    """Sign the change with the root key and hand it to the service; its answer (the
    pending change)."""
    issuer = root.address
    typed = service.get_json(f"/v1/issuers/{issuer}/signers/request?key={key}&action={action}")
    change = checked_request(typed, action, issuer, key, registry)
    sign = root.sign_add_signer if action == "add" else root.sign_remove_signer
    signature = sign(change.domain, issuer, key, change.nonce, change.deadline)
    body: dict[str, Any] = {
        "nonce": str(change.nonce),
        "deadline": change.deadline,
        "signature": "0x" + signature.hex(),
    }
    if action == "add":
        answer: dict[str, Any] = service.post_json(
            f"/v1/issuers/{issuer}/signers", {"key": key, **body}
        )
    else:
        answer = service.post_json(f"/v1/issuers/{issuer}/signers/{key}/remove", body)
    return answer


def wait_until_done(
    service: Client, issuer: str, change_id: int, timeout_s: float
) -> dict[str, Any]:
    """The issuer's signers once the change is no longer pending (CliError if it failed,
    or is still pending after `timeout_s`)."""
    deadline = time.monotonic() + timeout_s
    while True:
        listed: dict[str, Any] = service.get_json(f"/v1/issuers/{issuer}/signers")
        mine = [p for p in listed["pending"] if p["id"] == change_id]
        if mine and mine[0]["state"] == "failed":
            raise CliError(f"the chain refused change {change_id}: {mine[0]['error']}")
        if not mine:
            return listed
        if time.monotonic() > deadline:
            raise CliError(
                f"change {change_id} is still {mine[0]['state']} after {timeout_s:.0f} s: "
                f"`notary issuer signer list {issuer}` shows when it is on chain"
            )
        time.sleep(WAIT_POLL_S)
