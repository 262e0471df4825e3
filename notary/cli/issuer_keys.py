"""`notary issuer keygen` and `notary issuer signer add|remove|list`: an agency's own keys.

An issuer's registered address is its root key: keep its keystore offline. It authorises
signing keys (one per office, each in its own keystore) on the registry, and removes them
(a lost or leaked key, a rotation). `add` and `remove` are signed by the root keystore as
EIP-712 `AddSigner`/`RemoveSigner` and sent as `addSignerBySig`/`removeSignerBySig` by a
payer (`--payer KEYSTORE`, any account with gas; by default the root key pays itself): the
root key's signature, not the sender, is what the registry checks. `list` reads
`signersOf`, public.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time
from pathlib import Path

from notary.chain import Registry, TxSender
from notary.chain.registry import SignerRecord
from notary.cli.client import UsageError
from notary.cli.deploy import add_node_options, address_arg, node_settings
from notary.cli.keystore import (
    ROOT_PASSWORD_ENV,
    SIGNER_PASSWORD_ENV,
    create_keystore,
    new_password,
    read_keystore,
)
from notary.cli.output import table
from notary.config import Settings
from notary.runtime import open_registry

PAYER_PASSWORD_ENV = "NOTARY_PAYER_PASSWORD"
DEADLINE_S = 3600
"""A relayed change is valid for an hour after it is signed."""


def register(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `keygen` and `signer` to the `issuer` command."""
    keygen = actions.add_parser(
        "keygen",
        help="make a new key in an encrypted keystore (0600)",
        description="Make a new secp256k1 key, encrypted (scrypt) into FILE, mode 0600. The "
        f"password comes from {SIGNER_PASSWORD_ENV} or is asked twice; it is never printed.",
    )
    keygen.add_argument("file", type=Path, metavar="FILE", help="the keystore to write")
    keygen.add_argument(
        "--issuer",
        type=address_arg,
        metavar="ADDRESS",
        help="the issuer this key will sign for (kept in the keystore for `stamp --signer`)",
    )
    keygen.set_defaults(run=_keygen)

    signer = actions.add_parser("signer", help="an issuer's signing keys on the registry")
    what = signer.add_subparsers(dest="signer_action", required=True, metavar="ACTION")
    for name, verb in (("add", "authorise"), ("remove", "end the authority of")):
        change = what.add_parser(
            name,
            help=f"{verb} a signing key (signed by the root keystore)",
            description=__doc__.splitlines()[0],
        )
        change.add_argument(
            "key", metavar="KEY", help="the signing key's address, or its keystore file"
        )
        change.add_argument(
            "--root",
            type=Path,
            required=True,
            metavar="KEYSTORE",
            help=f"the issuer's root keystore (password from {ROOT_PASSWORD_ENV} or a prompt)",
        )
        change.add_argument(
            "--payer",
            type=Path,
            metavar="KEYSTORE",
            help=f"an account that pays the gas (password from {PAYER_PASSWORD_ENV} or a "
            "prompt); default: the root key",
        )
        _chain_options(change)
        change.set_defaults(run=_add if name == "add" else _remove)
    listing = what.add_parser("list", help="every key of an issuer and its history (public)")
    listing.add_argument("issuer", type=address_arg, metavar="ISSUER", help="the issuer's address")
    _chain_options(listing)
    listing.set_defaults(run=_list)


def _chain_options(parser: argparse.ArgumentParser) -> None:
    add_node_options(parser, admin=False)
    parser.add_argument(
        "--registry",
        type=address_arg,
        metavar="ADDRESS",
        help="the registry (default: NOTARY_CONTRACT_ADDRESS, else the data dir's deployment)",
    )


def _registry(args: argparse.Namespace) -> Registry:
    settings: Settings = node_settings(args)
    if args.registry:
        settings = settings.model_copy(update={"contract_address": args.registry})
    return open_registry(settings)


def _keygen(args: argparse.Namespace) -> int:
    path: Path = args.file
    if path.exists():
        raise UsageError(f"{path} exists: a keystore is never overwritten")
    keystore = create_keystore(path, new_password(), args.issuer)
    print(f"new key {keystore.address} in {path} (mode 0600)")
    if args.issuer:
        print(
            f"next: the issuer's root key authorises it: notary issuer signer add {path} "
            "--root ROOT_KEYSTORE"
        )
    return 0


def _key_address(text: str) -> str:
    """A signing key given as an address or as its keystore file."""
    if os.path.exists(text):
        return read_keystore(Path(text)).address
    return address_arg(text)


def _add(args: argparse.Namespace) -> int:
    return _change(args, add=True)


def _remove(args: argparse.Namespace) -> int:
    return _change(args, add=False)


def _change(args: argparse.Namespace, *, add: bool) -> int:
    key = _key_address(args.key)
    registry = _registry(args)
    root_store = read_keystore(args.root)
    issuer = root_store.address
    known = registry.issuer_of(issuer)
    if not known.registered:
        raise UsageError(
            f"{issuer} (the root keystore's address) is not an issuer of the registry at "
            f"{registry.address}: --root takes the issuer's registered key"
        )
    current = registry.signer_of(issuer, key)
    if add and current.added_block:
        state = "removed" if current.removed_block else "authorised"
        raise UsageError(f"{key} was added for {issuer} before ({state}); a key is added once")
    if not add and not current.active:
        why = "was removed already" if current.removed_block else "was never added"
        raise UsageError(f"{key} {why} for {issuer}")
    root = root_store.unlock(ROOT_PASSWORD_ENV)
    payer = (read_keystore(args.payer) if args.payer else root_store).account(
        PAYER_PASSWORD_ENV if args.payer else ROOT_PASSWORD_ENV
    )
    domain = registry.domain()
    nonce, deadline = registry.nonce(issuer), int(time.time()) + DEADLINE_S
    if add:
        signature = root.sign_add_signer(domain, issuer, key, nonce, deadline)
        call = registry.add_signer_by_sig_call(issuer, key, nonce, deadline, signature)
    else:
        signature = root.sign_remove_signer(domain, issuer, key, nonce, deadline)
        call = registry.remove_signer_by_sig_call(issuer, key, nonce, deadline, signature)
    with registry.reverts_named():
        receipt = TxSender(registry, payer).transact(call)
    block = int(receipt["blockNumber"])
    if add:
        print(
            f"authorised {key} for {known.name} ({issuer}) in block {block}: it signs from then on"
        )
    else:
        print(
            f"removed {key} for {known.name} ({issuer}) in block {block}: documents anchored "
            "from that block on no longer count as signed by it; older ones still do"
        )
    return 0


def _list(args: argparse.Namespace) -> int:
    registry = _registry(args)
    signers = registry.signers_of(args.issuer)
    if not signers:
        print(f"{args.issuer} has no signing key: the service vouches for its documents")
        return 0
    rows = [
        (s.key, "active" if s.active else "removed", _when(s, added=True), _when(s, added=False))
        for s in signers
    ]
    print(table(("key", "status", "added", "removed"), rows))
    print(f"signs its documents since block {min(s.added_block for s in signers)}")
    return 0


def _when(signer: SignerRecord, *, added: bool) -> str:
    at, block = (
        (signer.added_at, signer.added_block)
        if added
        else (signer.removed_at, signer.removed_block)
    )
    if not block:
        return ""
    moment = dt.datetime.fromtimestamp(at, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"{moment} (block {block})"
