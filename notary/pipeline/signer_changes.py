"""Relayed changes of an issuer's signing keys: its root key signs, the service pays the gas.

An agency needs no gas to add or remove a signing key. Its root key (its registered
address) signs the EIP-712 `AddSigner`/`RemoveSigner(issuer, key, nonce, deadline)` that
`change_request` gives; the service checks what the registry will check (the root key
signed it, the nonce is the next of its sequence, the deadline leaves time to relay it,
the key can change so) and refuses what it would refuse, naming the field; then it queues
the change as a durable chain operation of its own, which the worker sends as
`addSignerBySig`/`removeSignerBySig` (`notary.pipeline.effects.SignerChangeEffect`). The
registry checks the root key's signature again: the service, holding no root key, can
neither forge nor replay a change.

Until the worker's transaction is final the change is pending (`pending_changes`).
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Table, select

from notary.chain.registry import ANCHORER_ROLE, Registry
from notary.core.errors import FormatError, NotaryError
from notary.core.issuer_signing import (
    ADD_SIGNER_TYPE,
    REMOVE_SIGNER_TYPE,
    RegistryDomain,
    add_signer_hash,
    keyed_nonce,
    recover_signer,
    remove_signer_hash,
    typed_data,
)
from notary.core.types import Address, to_checksum_address
from notary.pipeline.effects import ADD_SIGNER, REMOVE_SIGNER
from notary.pipeline.submissions import SignatureRefused
from notary.store import chain_ops
from notary.store.engine import Store
from notary.store.issuers import audit
from notary.store.models import ChainOp

ADD, REMOVE = "add", "remove"
KINDS = {ADD: ADD_SIGNER, REMOVE: REMOVE_SIGNER}
"""The chain operation each action is queued as."""
MIN_DEADLINE_S = 600
"""A signed change must stay valid this long: time for the worker to relay it."""
SUGGESTED_DEADLINE_S = 24 * 3600
"""The deadline `change_request` proposes: a day, for a chain that is down a while."""
_OPS = cast(Table, ChainOp.__table__)
_TYPE_NAMES = {ADD: "AddSigner", REMOVE: "RemoveSigner"}
_TYPES = {ADD: ADD_SIGNER_TYPE, REMOVE: REMOVE_SIGNER_TYPE}


class ChangePending(NotaryError):
    """Another change of the same key of the issuer waits to reach the chain."""


@dataclass(frozen=True)
class SignerChange:
    """A change of an issuer's signing key, signed by its root key (checked)."""

    action: str
    """ADD or REMOVE."""
    issuer: Address
    key: Address
    nonce: int
    deadline: int
    signature: bytes

    def payload(self) -> dict[str, Any]:
        """The chain operation's payload (JSON: the nonce as decimal text)."""
        return {
            "issuer": self.issuer,
            "key": self.key,
            "nonce": str(self.nonce),
            "deadline": self.deadline,
            "signature": "0x" + self.signature.hex(),
        }


@dataclass(frozen=True)
class PendingChange:
    """A queued change and how far it got: its operation's state and last error."""

    id: int
    action: str
    key: Address
    state: str
    """queued, signed, broadcast, mined, final or failed (the worker's states)."""
    requested_at: dt.datetime
    error: str | None
    created: bool = False
    """Whether the request that returned it queued it (False: it was queued before)."""


def check_action(action: object) -> str:
    """ADD or REMOVE; FormatError naming `action` otherwise."""
    if not isinstance(action, str) or action not in KINDS:
        raise FormatError("action", "expected add or remove")
    return action


def change_request(
    domain: RegistryDomain, issuer: str, key: str, action: str, now: float | None = None
) -> dict[str, Any]:
    """The EIP-712 typed data the issuer's root key signs for this change
    (`eth_signTypedData_v4` form).

    The nonce opens a fresh random sequence of the issuer's keyed nonces (number 0), so
    changes signed at the same time never spend each other's; a uint256 beyond JSON's safe
    integers, it is written as decimal text.
    """
    check_action(action)
    at = int(time.time() if now is None else now)
    name = _TYPE_NAMES[action]
    return typed_data(
        domain,
        name,
        (("issuer", "address"), ("key", "address"), ("nonce", "uint256"), ("deadline", "uint256")),
        {
            "issuer": to_checksum_address(issuer, "issuer"),
            "key": to_checksum_address(key, "key"),
            "nonce": str(keyed_nonce(secrets.randbits(192), 0)),
            "deadline": at + SUGGESTED_DEADLINE_S,
        },
    )


def check_change(
    domain: RegistryDomain,
    issuer: str,
    key: str,
    action: str,
    nonce: int,
    deadline: int,
    signature: bytes,
    now: float | None = None,
) -> SignerChange:
    """The change if its signature is the issuer's root key's and its deadline leaves time
    to relay it; SignatureRefused naming the field otherwise."""
    check_action(action)
    root = to_checksum_address(issuer, "issuer")
    address = to_checksum_address(key, "key")
    at = time.time() if now is None else now
    if deadline < at + MIN_DEADLINE_S:
        raise SignatureRefused(
            "deadline", f"must leave at least {MIN_DEADLINE_S} s to relay it (Unix seconds)"
        )
    hashed = add_signer_hash if action == ADD else remove_signer_hash
    signer = recover_signer(domain.digest(hashed(root, address, nonce, deadline)), signature)
    if signer is None:
        raise SignatureRefused(
            "signature", "not a valid signature: 65 bytes r ‖ s ‖ v with v 27 or 28 and a low s"
        )
    if signer != root:
        raise SignatureRefused(
            "signature",
            f"{_TYPES[action]} of key {address} was signed by {signer}, not by issuer {root}'s "
            "root key (its registered address): only the root key adds or removes signing "
            "keys, a signing key cannot (a signature over other values, or of another "
            "registry or chain, recovers to another address too)",
        )
    return SignerChange(action, root, address, nonce, deadline, signature)


def check_against_chain(registry: Registry, change: SignerChange) -> None:
    """Refuse, naming the field, what the registry would refuse now: a key added before
    (added once, never again) or an anchorer's; removing a key that is not authorised; a
    nonce that is not the next of its sequence (used already, or ahead)."""
    record = registry.signer_of(change.issuer, change.key)
    if change.action == ADD:
        if record.added_block:
            state = "and removed since" if record.removed_block else "and is authorised"
            raise FormatError(
                "key",
                f"{change.key} was added for {change.issuer} in block {record.added_block} "
                f"{state}: a key is added once (make a new one: notary issuer keygen)",
            )
        if registry.has_role(ANCHORER_ROLE, change.key):
            raise FormatError(
                "key", f"{change.key} anchors for the registry, so it cannot be a signing key"
            )
    elif not record.active:
        why = (
            f"was removed in block {record.removed_block}"
            if record.removed_block
            else "was never added"
        )
        raise FormatError("key", f"{change.key} {why} as a key of {change.issuer}")
    # NoncesKeyed answers a sequence's next nonce whole: sequence << 64 | number.
    if registry.nonce(change.issuer, change.nonce >> 64) != change.nonce:
        raise SignatureRefused(
            "nonce",
            "not the issuer's next nonce in its sequence (used already, or ahead): sign a "
            "fresh one, e.g. from GET /v1/issuers/{address}/signers/request",
        )


def request_change(
    store: Store, change: SignerChange, actor: str, now: dt.datetime | None = None
) -> PendingChange:
    """Queue the change for the worker to relay; the same change sent again returns the
    first. SignatureRefused naming `nonce` when another pending change holds its nonce;
    ChangePending when another change of the key is pending."""
    kind = KINDS[change.action]
    with store.write() as conn:
        for op in _changes(conn, change.issuer, unfinished_only=True):
            payload = op["payload"]
            if payload["signature"] == change.payload()["signature"] and op["kind"] == kind:
                return _pending(op)
            if int(payload["nonce"]) == change.nonce:
                raise SignatureRefused(
                    "nonce",
                    f"change {op['id']} of issuer {change.issuer}, still pending, holds this "
                    "nonce: sign a fresh one",
                )
            if payload["key"] == change.key:
                raise ChangePending(
                    f"change {op['id']} of key {change.key} ({_action_of(op['kind'])}) is still "
                    "pending: wait for it to reach the chain (GET /v1/issuers/{address}/signers)"
                )
        op_id = chain_ops.enqueue(conn, kind, change.payload(), now=now)
        audit(conn, actor, f"signer-{change.action}", change.issuer, {"key": change.key}, now=now)
        row = conn.execute(select(_OPS).where(_OPS.c.id == op_id)).mappings().one()
    return PendingChange(**{**_pending(row).__dict__, "created": True})


def pending_changes(store: Store, issuer: str) -> list[PendingChange]:
    """The issuer's relayed changes not final yet (failed ones included, with why), oldest
    first."""
    address = to_checksum_address(issuer, "issuer")
    with store.read() as conn:
        return [_pending(op) for op in _changes(conn, address, unfinished_only=False)]


def _changes(conn: Connection, issuer: str, *, unfinished_only: bool) -> Sequence[Any]:
    """The issuer's signer-change operations not final (not failed either, if asked)."""
    states = ("queued", "signed", "broadcast", "mined")
    query = select(_OPS).where(
        _OPS.c.kind.in_(list(KINDS.values())),
        _OPS.c.state.in_(states if unfinished_only else (*states, "failed")),
    )
    rows = conn.execute(query.order_by(_OPS.c.id)).mappings().all()
    return [row for row in rows if row["payload"].get("issuer") == issuer]


def _action_of(kind: str) -> str:
    return ADD if kind == ADD_SIGNER else REMOVE


def _pending(op: Any) -> PendingChange:
    return PendingChange(
        op["id"],
        _action_of(op["kind"]),
        Address(op["payload"]["key"]),
        op["state"],
        op["created_at"],
        op["last_error"],
    )
