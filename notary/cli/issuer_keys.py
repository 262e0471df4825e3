"""`notary issuer keygen` and `notary issuer signer add|remove|list`: an agency's own keys.

An issuer's registered address is its root key: keep its keystore offline. It authorises
signing keys (one per office, each in its own keystore) on the registry, and removes them
(a lost or leaked key, a rotation). `add` and `remove` are signed by the root keystore as
EIP-712 `AddSigner`/`RemoveSigner`; the root key's signature, not the sender, is what the
registry checks. An agency has an API key and no gas, so by default the service relays
the change as `addSignerBySig`/`removeSignerBySig` and pays (`notary.cli.signer_relay`,
`--via URL` or NOTARY_SERVER, with the issuer's API key); `--payer KEYSTORE` sends it
from any account with gas instead (the root keystore itself too), straight to the node.
`list` shows the keys and the changes the service still relays (`--rpc URL`: the node's
`signersOf` alone).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time
from pathlib import Path

from notary.chain import Registry, TxSender
from notary.chain.registry import SignerRecord
from notary.cli import signer_relay
from notary.cli.client import SERVER_ENV, UsageError, read_api_key
from notary.cli.deploy import add_node_options, address_arg, node_settings
from notary.cli.keystore import (
    ROOT_PASSWORD_ENV,
    SIGNER_PASSWORD_ENV,
    create_keystore,
    new_password,
    read_keystore,
)
from notary.cli.output import table
from notary.client.service import Client
from notary.core.types import to_checksum_address
from notary.settings.config import Settings
from notary.settings.runtime import open_registry

PAYER_PASSWORD_ENV = "NOTARY_PAYER_PASSWORD"
DEADLINE_S = 3600
"""A change sent with --payer is valid for an hour after it is signed."""
WAIT_S = 120.0


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
        how = change.add_mutually_exclusive_group()
        how.add_argument(
            "--payer",
            type=Path,
            metavar="KEYSTORE",
            help=f"send it yourself, from an account that pays the gas (password from "
            f"{PAYER_PASSWORD_ENV} or a prompt; the root keystore may pay too); default: "
            "the service relays it and pays",
        )
        _via_option(how)
        change.add_argument(
            "--api-key-file",
            type=Path,
            metavar="FILE",
            help="through the service: a file holding the issuer's API key (default "
            "$NOTARY_API_KEY)",
        )
        change.add_argument(
            "--wait",
            action="store_true",
            help=f"through the service: wait until the change is on chain (at most {WAIT_S:.0f} s)",
        )
        _chain_options(change)
        change.set_defaults(run=_add if name == "add" else _remove)
    listing = what.add_parser(
        "list",
        help="every key of an issuer, its history and the changes the service still relays "
        "(public)",
    )
    listing.add_argument("issuer", type=address_arg, metavar="ISSUER", help="the issuer's address")
    _via_option(listing)
    _chain_options(listing)
    listing.set_defaults(run=_list)


def _via_option(parser: argparse.ArgumentParser | argparse._MutuallyExclusiveGroup) -> None:
    parser.add_argument(
        "--via",
        metavar="URL",
        help=f"the notary service that relays (default ${SERVER_ENV}, else NOTARY_PUBLIC_URL "
        "or http://NOTARY_HOST:NOTARY_PORT)",
    )


def _service(args: argparse.Namespace, *, api_key: bool) -> Client:
    """The service named by --via (else the default), with the issuer's API key if needed."""
    url = args.via or os.environ.get(SERVER_ENV) or Settings().base_url
    key = read_api_key(getattr(args, "api_key_file", None)) if api_key else None
    if api_key and key is None:
        raise UsageError(
            "no API key for the service that relays it: set NOTARY_API_KEY or --api-key-file "
            "(the issuer's), or send it yourself with --payer KEYSTORE"
        )
    return Client(url, key, http=getattr(args, "http", None))


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
    if args.payer is None:
        return _relayed(args, add=add)
    if args.wait:
        raise UsageError("--wait is for a change the service relays: with --payer it waits anyway")
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
    payer_store = read_keystore(args.payer)
    same = payer_store.address == root_store.address
    payer = payer_store.account(ROOT_PASSWORD_ENV if same else PAYER_PASSWORD_ENV)
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
    print(_done_sentence(key, f"{known.name} ({issuer})", block, add=add))
    return 0


def _relayed(args: argparse.Namespace, *, add: bool) -> int:
    """The change signed here by the root keystore, relayed by the service."""
    key = _key_address(args.key)
    root_store = read_keystore(args.root)
    pinned = args.registry or Settings().contract_address
    with _service(args, api_key=True) as service:
        root = root_store.unlock(ROOT_PASSWORD_ENV)
        action = "add" if add else "remove"
        registry = to_checksum_address(pinned, "registry") if pinned else None
        change = signer_relay.relay(service, root, action, key, registry)
        issuer = root.address
        what = "authorising" if add else "removing"
        print(
            f"queued {what} {key} for {issuer} (change {change['id']}): the service relays it "
            f"as {'addSignerBySig' if add else 'removeSignerBySig'} and pays the gas"
        )
        if not args.wait:
            print(f"`notary issuer signer list {issuer}` shows it pending until it is on chain")
            return 0
        listed = signer_relay.wait_until_done(service, issuer, change["id"], WAIT_S)
    record = next(k for k in listed["keys"] if k["key"] == key)
    block = record["addedBlock"] if add else record["removedBlock"]
    print(_done_sentence(key, issuer, block, add=add))
    return 0


def _done_sentence(key: str, issuer: str, block: int, *, add: bool) -> str:
    if add:
        return f"authorised {key} for {issuer} in block {block}: it signs from then on"
    return (
        f"removed {key} for {issuer} in block {block}: documents anchored from that block on "
        "no longer count as signed by it; older ones still do"
    )


def _list(args: argparse.Namespace) -> int:
    if args.rpc is None and args.registry is None:
        return _list_relayed(args)
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
    if added:
        return _moment(signer.added_at, signer.added_block)
    return _moment(signer.removed_at, signer.removed_block)


def _list_relayed(args: argparse.Namespace) -> int:
    """The service's view: the registry's keys, and the changes it still relays."""
    with _service(args, api_key=False) as service:
        listed = service.get_json(f"/v1/issuers/{args.issuer}/signers")
    if listed["keys"]:
        rows = [
            (
                k["key"],
                k["status"],
                _moment(k["addedAt"], k["addedBlock"]),
                _moment(k["removedAt"], k["removedBlock"]),
            )
            for k in listed["keys"]
        ]
        print(table(("key", "status", "added", "removed"), rows))
        print(f"signs its documents since block {listed['signingSince']}")
    else:
        print(f"{args.issuer} has no signing key: the service vouches for its documents")
    if listed["pending"]:
        rows = [(p["key"], p["action"], p["state"], p["error"] or "") for p in listed["pending"]]
        print("changes the service relays, not on chain for good yet:")
        print(table(("key", "change", "state", "why it failed"), rows))
    return 0


def _moment(at: int | None, block: int | None) -> str:
    if not block or at is None:
        return ""
    moment = dt.datetime.fromtimestamp(at, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"{moment} (block {block})"
