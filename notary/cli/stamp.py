"""`notary stamp PATH…`: notarise files and folders through a running service.

Each file is hashed here (the file never leaves the machine); only its SHA-256 and its
metadata go to `POST /v1/documents:bulk`, in requests of up to 10,000 documents with
several in flight. `FILE.receipt.json` is written beside each file (or under --out), and a
file that already has one is skipped, so an interrupted run is resumed by running it again.

With `--signer KEYSTORE` (an issuer that signs) each request is one submission signed
here with that key: every file's metadata gets its salt here, and the request carries the
EIP-712 signature of the root of its documents' leaves. The key never leaves the machine.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from notary.cli.client import CliError, UsageError, add_service_options, service_from
from notary.cli.files import Document, find_documents, write_atomic
from notary.cli.keystore import SIGNER_PASSWORD_ENV, read_keystore
from notary.cli.progress import Meter
from notary.client.service import Client
from notary.client.stamping import sign_submission, signed_metadata
from notary.core.digests import sha256_file
from notary.core.disclosure import with_public
from notary.core.errors import FormatError
from notary.core.issuer_signing import IssuerKey, RegistryDomain
from notary.core.receipts import Receipt
from notary.core.types import Address, Digest, to_checksum_address
from notary.pipeline.accept import MAX_BULK_DOCUMENTS

DEFAULT_CHUNK = 5_000
"""Documents per bulk request: large enough that a request costs ~nothing per document,
small enough that two requests are in flight while the next chunk is hashed."""
DEFAULT_JOBS = 4
HASH_THREADS = 2
POLL_S = 0.5
DEFAULT_WAIT_S = 600.0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `stamp` command."""
    parser = commands.add_parser(
        "stamp",
        help="notarise files and folders (hashed here) and write their receipts",
        description=__doc__.splitlines()[0],
    )
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="files or folders")
    parser.add_argument("--glob", metavar="PATTERN", help="only files matching it, e.g. '*.pdf'")
    parser.add_argument(
        "--metadata", metavar="JSON", help="metadata for every file (FILE.meta.json adds to it)"
    )
    parser.add_argument(
        "--public",
        metavar="FIELD,…",
        help="metadata fields a public verification may show (default: type, number, "
        "product, quantity, origin and dates; never the holder)",
    )
    parser.add_argument("--out", type=Path, metavar="DIR", help="write receipts under DIR")
    parser.add_argument(
        "--wait", action="store_true", help="wait until anchored and write anchored receipts"
    )
    parser.add_argument(
        "--timeout", type=float, default=DEFAULT_WAIT_S, help="seconds --wait waits at most"
    )
    parser.add_argument("--jobs", type=int, default=DEFAULT_JOBS, help="requests in flight at once")
    parser.add_argument(
        "--chunk", type=int, default=DEFAULT_CHUNK, help="documents per bulk request"
    )
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument(
        "--signer",
        type=Path,
        metavar="KEYSTORE",
        help=f"sign each request here with this signing keystore (password from "
        f"{SIGNER_PASSWORD_ENV} or a prompt): required once the issuer has signing keys",
    )
    parser.add_argument(
        "--issuer",
        metavar="ADDRESS",
        help="the issuer the documents are for (default: the one the keystore names)",
    )
    add_service_options(parser)
    parser.set_defaults(run=_stamp)


@dataclass(frozen=True)
class Signer:
    """Signs each request's documents as one submission of `issuer`, here."""

    key: IssuerKey
    domain: RegistryDomain
    issuer: Address

    def fields(self, items: Sequence[_Item]) -> dict[str, str]:
        """The request's signature fields for these items (their metadata final)."""
        docs = [(item.digest, item.body.get("metadata")) for item in items]
        signed = sign_submission(self.key, self.domain, self.issuer, docs)
        for item, leaf in zip(items, signed.leaves, strict=True):
            item.signed_leaf = leaf.hex
        return signed.fields(self.issuer)


def signer_from(service: Client, keystore: Path, issuer: str | None) -> Signer:
    """The signer of `notary stamp --signer`: the key unlocked, the registry's domain asked
    from the service (`GET /v1/chain`)."""
    store = read_keystore(keystore)
    named = issuer or store.issuer
    if named is None:
        raise UsageError(
            f"the keystore {keystore} does not say which issuer it signs for: give --issuer"
        )
    try:
        address = to_checksum_address(named, "--issuer")
    except FormatError as exc:
        raise UsageError(str(exc)) from None
    chain = service.get_json("/v1/chain")
    if not isinstance(chain.get("chainId"), int):
        raise CliError("the service cannot reach its chain now: its registry's domain is unknown")
    domain = RegistryDomain.of(chain["chainId"], chain["contract"])
    return Signer(store.unlock(SIGNER_PASSWORD_ENV), domain, address)


@dataclass
class StampReport:
    """What a run did, and where its time went (seconds of wall time per phase)."""

    found: int = 0
    skipped: int = 0
    submitted: int = 0
    created: int = 0
    receipts: int = 0
    anchored: int = 0
    bytes_hashed: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready names."""
        return {
            "found": self.found,
            "skipped": self.skipped,
            "submitted": self.submitted,
            "created": self.created,
            "receipts": self.receipts,
            "anchored": self.anchored,
            "bytesHashed": self.bytes_hashed,
            "seconds": {k: round(v, 3) for k, v in self.timings.items()},
        }


@dataclass
class _Item:
    doc: Document
    digest: Digest
    body: dict[str, Any]
    leaf: str | None = None
    signed_leaf: str | None = None
    """The leaf this machine signed, for a signed submission."""


def _stamp(args: argparse.Namespace) -> int:
    if args.jobs < 1 or not 1 <= args.chunk <= MAX_BULK_DOCUMENTS:
        raise UsageError(f"--jobs must be ≥ 1 and --chunk 1-{MAX_BULK_DOCUMENTS}")
    base = _json_object(args.metadata, "--metadata") if args.metadata else None
    public = [f.strip() for f in args.public.split(",") if f.strip()] if args.public else None
    documents = list(find_documents(args.paths, args.glob))
    with service_from(args) as service, Meter(None if not args.json else False) as meter:
        signer = signer_from(service, args.signer, args.issuer) if args.signer else None
        report = stamp(
            service,
            documents,
            metadata=base,
            public=public,
            out=args.out,
            wait=args.wait,
            timeout_s=args.timeout,
            jobs=args.jobs,
            chunk=args.chunk,
            meter=meter,
            signer=signer,
        )
    if args.json:
        print(json.dumps(report.as_dict()))
    else:
        print(_summary(report, args.wait))
    return 0


def stamp(
    service: Client,
    documents: Sequence[Document],
    *,
    metadata: dict[str, Any] | None = None,
    public: list[str] | None = None,
    out: Path | None = None,
    wait: bool = False,
    timeout_s: float = DEFAULT_WAIT_S,
    jobs: int = DEFAULT_JOBS,
    chunk: int = DEFAULT_CHUNK,
    meter: Meter | None = None,
    signer: Signer | None = None,
) -> StampReport:
    """Notarise `documents` that have no receipt yet; write their receipts (anchored if `wait`).

    `signer`: each request signed here as one submission (an issuer that signs)."""
    meter = meter or Meter(enabled=False)
    report = StampReport(found=len(documents))
    todo = [d for d in documents if not d.receipt_path(out).exists()]
    report.skipped = len(documents) - len(todo)
    started = time.perf_counter()
    submitted = meter.task("submitted", len(todo))
    items: list[_Item] = []
    # Hashing and requests get pools of their own, so requests never queue behind hashing.
    with (
        ThreadPoolExecutor(HASH_THREADS, thread_name_prefix="hash") as hashing,
        ThreadPoolExecutor(jobs, thread_name_prefix="request") as pool,
    ):
        in_flight: list[Future[None]] = []
        hashed = _hashed(hashing, todo, metadata, public, report, signed=signer is not None)
        for group in _chunks(hashed, chunk):
            items.extend(group)
            in_flight.append(pool.submit(_submit, service, group, report, meter, submitted, signer))
            # Bound what is queued: hashing runs ahead of the service by `jobs` requests.
            while sum(not f.done() for f in in_flight) >= jobs:
                in_flight[next(i for i, f in enumerate(in_flight) if not f.done())].result()
        for future in in_flight:
            future.result()
        report.timings["hashAndSubmit"] = time.perf_counter() - started
        report.submitted = len(items)
        _write_receipts(service, pool, items, out, wait, timeout_s, report, meter, chunk)
    report.timings["total"] = time.perf_counter() - started
    return report


def _hashed(
    pool: ThreadPoolExecutor,
    todo: Sequence[Document],
    base: dict[str, Any] | None,
    public: list[str] | None,
    report: StampReport,
    *,
    signed: bool = False,
) -> Iterator[_Item]:
    """Each document hashed (in the pool: hashlib releases the GIL) with its submission body;
    `signed`: its metadata made final here (public fields recorded, salted)."""
    for doc, (digest, size) in zip(todo, pool.map(_digest_of, todo), strict=True):
        report.bytes_hashed += size
        meta = _metadata_of(doc, base)
        body: dict[str, Any] = {"digest": digest.hex}
        try:
            if signed:
                meta = signed_metadata(meta, public)
            elif public is not None:
                with_public(meta, public)  # checked here to name the file, sent as `public`
                body["public"] = public
        except FormatError as exc:
            raise UsageError(f"{doc.path}: {exc.message} (--public)") from None
        if meta is not None:
            body["metadata"] = meta
        yield _Item(doc, digest, body)


def _digest_of(doc: Document) -> tuple[Digest, int]:
    try:
        size = doc.path.stat().st_size
        digest = sha256_file(doc.path)
    except OSError as exc:
        raise CliError(f"cannot read {doc.path}: {exc.strerror}") from None
    if size == 0:  # the service refuses it too: an empty file proves nothing
        raise UsageError(f"{doc.path} is empty (0 bytes): remove it or leave it out with --glob")
    return digest, size


def _metadata_of(doc: Document, base: dict[str, Any] | None) -> dict[str, Any] | None:
    """--metadata, with the sidecar FILE.meta.json's fields on top when there is one."""
    try:
        text = doc.meta_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return base
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {doc.meta_path}: {exc}") from None
    return {**(base or {}), **_json_object(text, str(doc.meta_path))}


def _chunks(items: Iterable[_Item], size: int) -> Iterator[list[_Item]]:
    group: list[_Item] = []
    for item in items:
        group.append(item)
        if len(group) == size:
            yield group
            group = []
    if group:
        yield group


_count_lock = threading.Lock()


def _submit(
    service: Client,
    group: list[_Item],
    report: StampReport,
    meter: Meter,
    task: Any,
    signer: Signer | None = None,
) -> None:
    fields = signer.fields(group) if signer is not None else None
    answers = service.submit_bulk([item.body for item in group], fields)
    if len(answers) != len(group):
        raise CliError(f"the service answered {len(answers)} documents for {len(group)} sent")
    created = 0
    for item, answer in zip(group, answers, strict=True):
        if answer["digest"] != item.digest.hex:
            raise CliError(f"the service answered digest {answer['digest']} for {item.doc.path}")
        if answer.get("created") and item.signed_leaf not in (None, answer["leaf"]):
            # A new record must be exactly what was signed here.
            raise CliError(
                f"the service stored another leaf than the one signed for {item.doc.path}"
            )
        item.leaf = answer["leaf"]
        created += bool(answer.get("created"))
    with _count_lock:
        report.created += created
    meter.advance(task, len(group))


def _write_receipts(
    service: Client,
    pool: ThreadPoolExecutor,
    items: list[_Item],
    out: Path | None,
    wait: bool,
    timeout_s: float,
    report: StampReport,
    meter: Meter,
    chunk: int,
) -> None:
    """Fetch and write every item's receipt, `chunk` per request; with `wait`, only once
    it is anchored."""
    task = meter.task("receipts", len(items))
    remaining = items
    deadline = time.monotonic() + timeout_s
    waited = fetched = 0.0
    while remaining:
        if wait:
            t0 = time.perf_counter()
            _await_anchoring(service, remaining[-1], deadline)
            waited += time.perf_counter() - t0
        t0 = time.perf_counter()
        groups = pool.map(
            lambda group: _fetch_receipts(service, group, out, wait), _chunks(remaining, chunk)
        )
        results = [done for group in groups for done in group]
        fetched += time.perf_counter() - t0
        left = [item for item, done in zip(remaining, results, strict=True) if not done]
        meter.advance(task, len(remaining) - len(left))
        report.receipts += len(remaining) - len(left)
        remaining = left
        if remaining and time.monotonic() > deadline:
            raise CliError(
                f"{len(remaining)} documents were not anchored within {timeout_s:.0f} s: run "
                "`notary upgrade` on the receipts later, or stamp again with a longer --timeout"
            )
    if wait:
        report.anchored = report.receipts
        report.timings["waitForAnchor"] = waited
    report.timings["fetchAndWriteReceipts"] = fetched


def _await_anchoring(service: Client, sentinel: _Item, deadline: float) -> None:
    """Wait until the last document submitted is anchored: its batch is the last sealed."""
    assert sentinel.leaf is not None
    while service.document(sentinel.leaf)["status"] != "anchored":
        if time.monotonic() > deadline:
            return
        time.sleep(POLL_S)


def _fetch_receipts(
    service: Client, items: Sequence[_Item], out: Path | None, anchored_only: bool
) -> list[bool]:
    """Write the items' receipts (one request); False where `anchored_only` and pending."""
    answers = service.receipts([item.leaf for item in items if item.leaf is not None])
    if len(answers) != len(items):
        raise CliError(f"the service answered {len(answers)} receipts for {len(items)} asked")
    written = []
    for item, answer in zip(items, answers, strict=True):
        try:
            receipt = Receipt.from_dict(answer)
        except FormatError as exc:
            raise CliError(
                f"the service's receipt for {item.doc.path} is malformed: {exc}"
            ) from None
        if receipt.values.digest != item.digest:
            # The receipt must commit to the bytes hashed here, whatever the service says.
            raise CliError(f"the service's receipt for {item.doc.path} is for another digest")
        if anchored_only and receipt.status != "anchored":
            written.append(False)
            continue
        write_atomic(item.doc.receipt_path(out), receipt.to_json())
        written.append(True)
    return written


def _json_object(text: str, where: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{where}: not JSON ({exc.msg} at {exc.pos})") from None
    if not isinstance(value, dict):
        raise UsageError(f"{where}: must be a JSON object")
    return value


def _summary(report: StampReport, wait: bool) -> str:
    total = report.timings.get("total", 0.0)
    rate = report.submitted / total if total else 0.0
    kind = "anchored" if wait else "pending"
    lines = [
        f"{report.found} files: {report.submitted} submitted ({report.created} new, "
        f"{report.submitted - report.created} notarised before), {report.skipped} skipped "
        "(receipt exists)",
        f"{report.receipts} {kind} receipts written in {total:.1f} s ({rate:,.0f} files/s)",
    ]
    if not wait and report.receipts:
        lines.append("run `notary upgrade` on them once anchored (or stamp with --wait)")
    return "\n".join(lines)
