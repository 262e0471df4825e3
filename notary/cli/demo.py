"""`notary demo`: two agencies notarise sample permits and certificates; one is revoked.

Uses the service at --server when one answers there, else starts a local one in this
process (chain, database, worker, API) for the demo's length. Registers a provincial
Department of Natural Resources and Environment and a Department of Agriculture, writes
their sample documents with sidecar metadata, stamps them through the API, revokes one,
waits until everything is on chain and prints each document's verification URL and QR
code. The files and receipts stay in the output folder for `notary verify`.

The Department of Natural Resources and Environment signs with its own keys: its root
key authorises an office key on the registry (relayed, paid by the local chain's admin
key), and that key signs each submission and the revocation; the Department of
Agriculture has no key, so the service vouches for its documents. Both keys are kept in
the data dir's `keys/` (0600) like the local chain's, so a demo run again signs again.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import segno
from eth_account import Account

from notary.chain import Registry, TxSender, connect
from notary.cli.client import CliError, UsageError, add_service_options
from notary.cli.files import Document, find_documents, write_atomic
from notary.cli.local import local_service
from notary.cli.revoke import revocation_fields
from notary.cli.samples import ISSUERS, REVOKED, SAMPLES, SIGNING, Sample
from notary.cli.stamp import Signer, stamp
from notary.client.service import Client
from notary.core.issuer_signing import IssuerKey
from notary.core.reasons import reason_code
from notary.core.types import Leaf, to_checksum_address
from notary.settings.config import Settings
from notary.settings.keys import load_or_create_key_file

DEFAULT_OUT = Path("notary-demo")
DEMO_BATCH_INTERVAL_S = 1.0
"""A local service started for the demo seals batches every second, not every 30."""
WAIT_S = 120.0
POLL_S = 0.25


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `demo` command."""
    parser = commands.add_parser(
        "demo",
        help="notarise generated sample permits and certificates, revoke one, print QR codes",
        description=__doc__.splitlines()[0],
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help=f"folder for the files (default {DEFAULT_OUT})",
    )
    parser.add_argument("--no-qr", action="store_true", help="print the URLs without QR codes")
    add_service_options(parser, admin=True)
    parser.set_defaults(run=_demo)


def _demo(args: argparse.Namespace) -> int:
    out: Path = args.out
    if out.exists() and any(out.iterdir()):
        raise UsageError(f"{out} is not empty: remove it or give another --out DIR")
    settings = Settings()
    server = args.server or settings.base_url
    with _service(settings, server, args.http) as base:
        admin = Client(base, _admin_key(args, settings), http=args.http, admin=True)
        with admin:
            results = run_demo(admin, out, settings)
    for line in _report(results, not args.no_qr):
        print(line)
    print(f"\nfiles and receipts are in {out}/ ; check them without the service:")
    print(f"  notary verify {out} --rpc-url {settings.rpc_url}")
    return 0


@contextlib.contextmanager
def _service(settings: Settings, server: str, http: httpx2.Client | None) -> Iterator[str]:
    """The base URL of a running service: the one at `server`, or one started here."""
    if http is not None or _answers(server):
        yield server
        return
    if "NOTARY_BATCH_INTERVAL" not in os.environ:
        settings = settings.model_copy(update={"batch_interval": DEMO_BATCH_INTERVAL_S})
    print(
        f"no service at {server}: starting one here (data in {settings.data_dir})", file=sys.stderr
    )
    with local_service(settings) as running:
        print(
            f"chain eip155:{running.chain.deployment.chain_id} at {running.chain.rpc_url}, "
            f"registry {running.chain.deployment.address}",
            file=sys.stderr,
        )
        yield running.base_url


def _answers(server: str) -> bool:
    try:
        return httpx2.get(server.rstrip("/") + "/healthz", timeout=2.0).status_code == 200
    except httpx2.HTTPError:
        return False


def _admin_key(args: argparse.Namespace, settings: Settings) -> str:
    from notary.settings.safety import (
        admin_key_for,  # the local admin key, created as the service does
    )

    if args.api_key_file is not None:
        return Path(args.api_key_file).read_text(encoding="utf-8").strip()
    return admin_key_for(settings)


def register_issuers(
    admin: Client, out: Path, roots: dict[str, str] | None = None
) -> dict[str, str]:
    """The demo's issuers, each with a new API key (written to TAG/.api-key); an issuer an
    earlier demo registered on this service is used again (no two may share a name).
    `roots`: the address to register a tag's issuer under (its root key's)."""
    known = {
        i["name"]: i["address"]
        for i in admin.get_json("/v1/issuers")["issuers"]
        if i["status"] == "active"
    }
    keys = {}
    for tag, (name, jurisdiction) in ISSUERS.items():
        address = known.get(name)
        if address is None:
            # Its namespace on chain; a key is needed only to sign (`roots`).
            address = (roots or {}).get(tag) or Account.create().address
            admin.post_json(
                "/v1/issuers", {"address": address, "name": name, "jurisdiction": jurisdiction}
            )
        keys[tag] = admin.post_json(f"/v1/issuers/{address}/keys")["key"]
        write_atomic(out / tag / ".api-key", keys[tag] + "\n")
        os.chmod(out / tag / ".api-key", 0o600)
    return keys


def agency_signer(admin: Client, settings: Settings, issuer: str) -> Signer | None:
    """The signing department's office key, authorised on the registry by its root key (the
    data dir's demo keys); None when it cannot sign here (no local admin key to pay for it,
    or the department was registered by an older demo under another address)."""
    payer_file = settings.keys_dir / "admin.key"
    root = load_or_create_key_file(settings.keys_dir / f"demo-{SIGNING}-root.key")
    if not payer_file.is_file() or root.address != issuer:
        print(f"note: {ISSUERS[SIGNING][0]} does not sign in this demo", file=sys.stderr)
        return None
    office = IssuerKey(
        bytes(load_or_create_key_file(settings.keys_dir / f"demo-{SIGNING}-office.key").key)
    )
    _registered_on_chain(admin, issuer)
    chain = admin.get_json("/v1/chain")
    registry = Registry(connect(settings.rpc_url), chain["contract"])
    domain = registry.domain()
    if not registry.signer_of(issuer, office.address).active:
        nonce, deadline = registry.nonce(issuer), int(time.time()) + 3600
        root_key = IssuerKey(bytes(root.key))
        signature = root_key.sign_add_signer(domain, issuer, office.address, nonce, deadline)
        call = registry.add_signer_by_sig_call(issuer, office.address, nonce, deadline, signature)
        with registry.reverts_named():
            TxSender(registry, load_or_create_key_file(payer_file)).transact(call)
    return Signer(office, domain, to_checksum_address(issuer))


def _registered_on_chain(admin: Client, issuer: str) -> None:
    """Wait until the worker has registered the issuer on chain (keys need it)."""
    deadline = time.monotonic() + WAIT_S
    while admin.get_json(f"/v1/issuers/{issuer}").get("onchain") != "registered":
        if time.monotonic() > deadline:
            raise CliError(f"issuer {issuer} was not registered on chain within {WAIT_S:.0f} s")
        time.sleep(POLL_S)


def run_demo(admin: Client, out: Path, settings: Settings) -> list[dict[str, Any]]:
    """Register the issuers, write and stamp the samples, revoke one; a row per document."""
    root = load_or_create_key_file(settings.keys_dir / f"demo-{SIGNING}-root.key")
    keys = register_issuers(admin, out, {SIGNING: root.address})
    known = {i["name"]: i["address"] for i in admin.get_json("/v1/issuers")["issuers"]}
    signer = agency_signer(admin, settings, known[ISSUERS[SIGNING][0]])
    by_name = {sample.name: sample for sample in SAMPLES}
    for sample in SAMPLES:
        _write_sample(out / sample.issuer, sample)
    rows = []
    for tag in ISSUERS:
        issuer = Client(admin.base_url, keys[tag], http=admin.http)
        signs = signer if tag == SIGNING else None
        documents = list(find_documents([out / tag]))
        # Each file's public list is in its sidecar (`public`), applied by stamp per file.
        for public, group in _by_public(documents, by_name).items():
            stamp(issuer, group, public=list(public), wait=True, timeout_s=WAIT_S, signer=signs)
        for doc in documents:
            receipt = json.loads(doc.receipt_path().read_text(encoding="utf-8"))
            leaf = receipt["leaf"]
            if doc.path.name == REVOKED:
                reason = reason_code("superseded")
                body = {"reason": reason, "note": "replaced by 131a/GPMT-STNMT"}
                if signs is not None:
                    signed = revocation_fields(
                        issuer, signs.key, signs.issuer, Leaf.from_hex(leaf), reason
                    )
                    body.update(signed)
                issuer.post_json(f"/v1/documents/{leaf}/revoke", body)
            rows.append(
                {
                    "doc": doc,
                    "leaf": leaf,
                    "issuer": issuer,
                    "sample": by_name[doc.path.name],
                    "signer": None if signs is None else signs.key.address,
                }
            )
    deadline = time.monotonic() + WAIT_S
    for row in rows:
        row["status"] = _settled(row["issuer"], row["leaf"], deadline)
    return rows


def _write_sample(folder: Path, sample: Sample) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / sample.name).write_bytes(sample.content())
    meta = json.dumps(sample.metadata, ensure_ascii=False, indent=2) + "\n"
    (folder / (sample.name + ".meta.json")).write_text(meta, encoding="utf-8")


def _by_public(
    documents: list[Document], samples: dict[str, Sample]
) -> dict[tuple[str, ...], list[Document]]:
    groups: dict[tuple[str, ...], list[Document]] = {}
    for doc in documents:
        groups.setdefault(tuple(samples[doc.path.name].public), []).append(doc)
    return groups


def _settled(issuer: Client, leaf: str, deadline: float) -> dict[str, Any]:
    """The document's status once anchored and any revocation of it is on chain."""
    while True:
        status = issuer.document(leaf)
        revocation = status.get("revocation")
        if status["status"] == "anchored" and (
            revocation is None or revocation["state"] == "revoked"
        ):
            return status
        if time.monotonic() > deadline:
            raise CliError(f"document {leaf} was not settled on chain within {WAIT_S:.0f} s")
        time.sleep(POLL_S)


def _report(rows: list[dict[str, Any]], qr: bool) -> Iterator[str]:
    for row in rows:
        status = row["status"]
        doc: Document = row["doc"]
        revoked = status.get("revocation")
        state = f"REVOKED ({revoked['reason']})" if revoked else "anchored"
        url = status["links"]["verify"]
        by = (
            f"signed by its own key {row['signer']}"
            if row["signer"]
            else "vouched for by the service (the agency has no key)"
        )
        yield ""
        yield f"{doc.path}  [{status['issuer']['name']}]  {state}, {by}"
        yield f"  verify: {url}"
        if qr:
            buffer = io.StringIO()
            segno.make(url, error="m").terminal(out=buffer, compact=True)
            yield from buffer.getvalue().rstrip("\n").split("\n")
