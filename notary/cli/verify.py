"""`notary verify`: check documents and receipts against any Ethereum node, without the service.

Everything comes from the receipt, the document and one `eth_call` to the registry the
receipt names, on each node given (`--rpc-url` twice: nodes that disagree make the verdict
UNVERIFIABLE). The exit code carries the verdict so scripts can act on it.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from notary.cli.client import UsageError
from notary.cli.files import RECEIPT_SUFFIX, Document, find_documents
from notary.cli.output import table
from notary.client.service import Client, ServiceError
from notary.core.digests import sha256_file
from notary.core.errors import FormatError
from notary.core.reasons import reason_name
from notary.core.receipts import MAX_RECEIPT_BYTES, Receipt
from notary.core.signing import key_id, public_key_from_pem
from notary.core.types import Digest
from notary.settings.config import Settings
from notary.verify import Judgement, Verdict, outcome_json
from notary.verify.onchain import Checked, NodeAnswer, examine, verify_on_nodes

EXIT_BY_VERDICT = {
    Verdict.VALID: 0,
    Verdict.INVALID: 1,
    Verdict.REVOKED: 1,
    Verdict.PENDING: 3,
    Verdict.VALID_PENDING_CONFIRMATIONS: 3,
    Verdict.UNVERIFIABLE: 3,
}
"""0: genuine and final; 1: not genuine or revoked; 3: cannot be said yet (2 is bad input)."""
EXIT_BAD_INPUT = 2
NOT_CHECKED = "the receipt's signature was NOT checked: give --service URL or --service-key PEM"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `verify` command."""
    parser = commands.add_parser(
        "verify",
        help="verify documents (with their receipts) against the chain",
        description=__doc__.splitlines()[0]
        + " Exit codes: 0 VALID, 1 INVALID or REVOKED, 2 bad input, "
        "3 PENDING, VALID_PENDING_CONFIRMATIONS or UNVERIFIABLE.",
    )
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="a document (its FILE.receipt.json is found beside it), a receipt, or a folder "
        "('-' reads a receipt from standard input)",
    )
    parser.add_argument(
        "--receipt", type=Path, metavar="R", help="the receipt (a folder of them for a folder)"
    )
    given = parser.add_mutually_exclusive_group()
    given.add_argument("--file", type=Path, help="the document, when PATH is its receipt")
    given.add_argument("--digest", help="the document's SHA-256 (sha256:<hex> or 0x<hex>)")
    parser.add_argument("--metadata", help="metadata JSON to check against the receipt's")
    parser.add_argument(
        "--rpc-url",
        action="append",
        default=[],
        metavar="URL",
        help="an Ethereum JSON-RPC endpoint (default NOTARY_RPC_URL); give two to have both "
        "asked: if they disagree the verdict is UNVERIFIABLE",
    )
    parser.add_argument(
        "--confirmations", type=int, help="confirmations required (default NOTARY_CONFIRMATIONS)"
    )
    add_service_key_options(parser)
    parser.add_argument("--json", action="store_true", help="print the outcome as JSON")
    parser.set_defaults(run=_verify)


def add_service_key_options(parser: argparse.ArgumentParser) -> None:
    """`--service-key PEM` (repeatable) or `--service URL`: what receipt signatures are
    checked against (by default the keys the receipt's own https service link publishes)."""
    keys = parser.add_mutually_exclusive_group()
    keys.add_argument(
        "--service-key",
        type=Path,
        action="append",
        default=[],
        metavar="PEM",
        help="a published service public key (repeatable); the signature is checked against it",
    )
    keys.add_argument(
        "--service", metavar="URL", help="fetch the service's public keys from URL/v1/service"
    )


@dataclass(frozen=True)
class Verified:
    """One receipt verified on every node asked, with what to say about its signature."""

    checked: Checked
    required_confirmations: int
    signature_note: str | None = None

    @property
    def judgement(self) -> Judgement:
        """The verdict reported."""
        return self.checked.outcome.judgement


def _verify(args: argparse.Namespace) -> int:
    settings = Settings()
    rpc_urls = args.rpc_url or [settings.rpc_url]
    if len(rpc_urls) > 2:
        raise UsageError("--rpc-url: give one or two endpoints")
    confirmations = settings.confirmations if args.confirmations is None else args.confirmations
    metadata = _json_object(args.metadata, "--metadata") if args.metadata else None
    keys = service_keys(args)

    def check(receipt: Receipt, digest: Digest | None) -> Verified:
        public_keys, note = keys.for_receipt(receipt)
        examined = examine(
            receipt,
            required_confirmations=confirmations,
            digest=digest,
            metadata=metadata,
            public_keys=public_keys,
        )
        checked = verify_on_nodes(examined, rpc_urls, rpc_timeout=settings.rpc_timeout)
        return Verified(checked, confirmations, note)

    single = _single(args)
    if single is not None:
        receipt, digest = single
        verified = check(receipt, digest)
        print(_as_json(verified) if args.json else _as_text(verified))
        return EXIT_BY_VERDICT[verified.judgement.verdict]
    return _verify_many(args, check)


def _single(args: argparse.Namespace) -> tuple[Receipt, Digest | None] | None:
    """The receipt and digest when one document or receipt is verified; None for a folder."""
    if len(args.paths) > 1 or Path(args.paths[0]).is_dir():
        if args.file or args.digest:
            raise UsageError("--file and --digest go with one receipt, not a folder")
        return None
    path = args.paths[0]
    as_receipt = args.receipt is None and _is_receipt(Path(path))
    if path == "-" or args.file or args.digest or as_receipt:
        return _load_receipt(path), _digest(args)  # `notary verify RECEIPT [--file DOC]`
    document = Path(path)
    receipt_path = args.receipt or document.with_name(document.name + RECEIPT_SUFFIX)
    if not receipt_path.is_file():
        raise UsageError(
            f"no receipt for {document}: expected {receipt_path} (or give --receipt R)"
        )
    return _load_receipt(str(receipt_path)), _hash(document)


def _verify_many(args: argparse.Namespace, check: Any) -> int:
    """Every document in the folders (and files) given, with a summary table."""
    paths = [Path(p) for p in args.paths]
    rows, results = [], []
    worst = 0
    for path in paths:
        for doc in find_documents([path]):
            receipt_path = _receipt_of(doc, path, args.receipt)
            if not receipt_path.is_file():
                rows.append((str(doc.path), "NO RECEIPT", f"expected {receipt_path}"))
                results.append({"file": str(doc.path), "verdict": None, "detail": "no receipt"})
                worst = _worse(worst, EXIT_BAD_INPUT)
                continue
            verified: Verified = check(_load_receipt(str(receipt_path)), _hash(doc.path))
            j = verified.judgement
            rows.append((str(doc.path), j.verdict.value, _detail(j)))
            results.append({"file": str(doc.path), **_outcome_json(verified)})
            worst = _worse(worst, EXIT_BY_VERDICT[j.verdict])
    if not rows:
        raise UsageError("no documents found in " + ", ".join(map(str, paths)))
    if args.json:
        print(json.dumps({"documents": results}, ensure_ascii=False))
    else:
        print(table(("file", "verdict", "detail"), rows))
        counts: dict[str, int] = {}
        for _, verdict, _ in rows:
            counts[verdict] = counts.get(verdict, 0) + 1
        print(", ".join(f"{n} {v}" for v, n in sorted(counts.items())))
    return worst


def _receipt_of(doc: Document, root: Path, receipts: Path | None) -> Path:
    if receipts is None or not root.is_dir():
        return doc.receipt_path()
    return doc.receipt_path(receipts)


def _worse(current: int, code: int) -> int:
    """Exit codes by severity: 1 (not genuine) > 2 (missing input) > 3 (undecided) > 0."""
    rank = {0: 0, 3: 1, 2: 2, 1: 3}
    return code if rank[code] > rank[current] else current


def _is_receipt(path: Path) -> bool:
    """Whether `path` holds a receipt (rather than a document, JSON certificates included)."""
    if path.name.endswith(RECEIPT_SUFFIX):
        return True
    try:
        with path.open("rb") as f:
            head = f.read(MAX_RECEIPT_BYTES + 1)
    except OSError:
        return path.suffix == ".json"  # let loading it name the problem
    if len(head) > MAX_RECEIPT_BYTES or not head.lstrip().startswith(b"{"):
        return False
    try:
        data = json.loads(head)
    except (ValueError, UnicodeDecodeError):
        # A broken receipt is still a receipt: loading it names what is wrong.
        return b'"notary-receipt' in head[:4096]
    return isinstance(data, dict) and "format" in data  # a receipt of this or a later format


def _load_receipt(source: str) -> Receipt:
    if source == "-":
        return Receipt.from_json(sys.stdin.read())
    try:
        return Receipt.from_json(Path(source).read_bytes())
    except OSError as exc:
        raise FormatError("receipt", f"cannot read {source}: {exc.strerror}") from None


def _digest(args: argparse.Namespace) -> Digest | None:
    if args.digest:
        return Digest.parse(args.digest, "--digest")
    return None if args.file is None else _hash(args.file)


def _hash(path: Path) -> Digest:
    try:
        return sha256_file(path)
    except OSError as exc:
        raise FormatError("--file", f"cannot read {path}: {exc.strerror}") from None


def _json_object(text: str, field: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(field, f"not JSON ({exc.msg} at {exc.pos})") from None
    if not isinstance(value, dict):
        raise FormatError(field, "must be a JSON object")
    return value


class ServiceKeys:
    """The service keys to check signatures with: from PEM files, or fetched once per URL."""

    def __init__(
        self,
        pems: dict[str, Ed25519PublicKey] | None,
        service_url: str | None,
        http: httpx2.Client | None = None,
    ) -> None:
        self.pems = pems
        self.service_url = service_url
        self.http = http
        self._fetched: dict[str, dict[str, Ed25519PublicKey] | str] = {}

    def for_receipt(
        self, receipt: Receipt
    ) -> tuple[dict[str, Ed25519PublicKey] | None, str | None]:
        """Keys for this receipt, and a note when its signature cannot be checked."""
        if self.pems is not None:
            return self.pems, None
        url = self.service_url or _service_link(receipt)
        if url is None:
            return None, NOT_CHECKED
        if url not in self._fetched:
            self._fetched[url] = _fetch_keys(url, self.http)
        found = self._fetched[url]
        if isinstance(found, str):
            return None, f"the receipt's signature was NOT checked: {found}"
        return found, None


def service_keys(args: argparse.Namespace) -> ServiceKeys:
    """The key source `add_service_key_options` asked for."""
    if not args.service_key:
        return ServiceKeys(None, args.service, getattr(args, "http", None))
    keys = {}
    for path in args.service_key:
        try:
            key = public_key_from_pem(path.read_bytes())
        except OSError as exc:
            raise FormatError("--service-key", f"cannot read {path}: {exc.strerror}") from None
        keys[key_id(key)] = key
    return ServiceKeys(keys, None)


def _service_link(receipt: Receipt) -> str | None:
    """The receipt's service id when it is the service's URL (NOTARY_SERVICE_ID=https://…)."""
    sid = receipt.service.id
    return sid if sid.startswith(("https://", "http://")) else None


def _fetch_keys(url: str, http: httpx2.Client | None) -> dict[str, Ed25519PublicKey] | str:
    """The keys published at URL/v1/service, or why they could not be had."""
    try:
        with Client(url, http=http) as service:
            published = service.get_json("/v1/service")["keys"]
        keys = [public_key_from_pem(k["publicKeyPem"].encode()) for k in published]
    except ServiceError as exc:
        return f"could not fetch the service's keys ({exc})"
    except (KeyError, TypeError, ValueError, httpx2.HTTPError) as exc:
        return f"{url}/v1/service did not list keys ({type(exc).__name__})"
    return {key_id(k): k for k in keys}


def _detail(j: Judgement) -> str:
    if j.verdict == Verdict.REVOKED and isinstance(j.revocation_reason, int):
        return f"{j.detail}: {reason_name(j.revocation_reason)}"
    return j.detail


def _as_text(verified: Verified) -> str:
    checked = verified.checked
    outcome = checked.outcome
    lines = []
    for step in outcome.inclusion.steps:
        mark = "-" if step.skipped else ("ok" if step.ok else "FAIL")
        lines.append(f"  {mark:<4} {step.name:<9} {step.detail}")
    for node in checked.nodes:
        if outcome.inclusion.receipt.anchor is not None:
            lines.append(f"  chain     {_chain_line(node)}")
    if verified.signature_note and not outcome.signature_checked:
        lines.append(f"  note: {verified.signature_note}")
    j = outcome.judgement
    lines.extend(f"  note: {note}" for note in j.notes)
    lines.append(f"{j.verdict.value}: {_detail(j)}")  # last, for scripts that read one line
    return "\n".join(lines)


def _chain_line(node: NodeAnswer) -> str:
    chain = node.outcome.chain
    if chain is None or chain.chain_id is None:
        if not node.outcome.inclusion.ok:
            return f"{node.rpc_url}: not asked (a check above failed)"
        return f"{node.rpc_url}: no answer"
    anchor = node.outcome.inclusion.receipt.anchor
    assert anchor is not None
    return f"{node.rpc_url} is eip155:{chain.chain_id}, registry {anchor.contract}"


def _outcome_json(verified: Verified) -> dict[str, Any]:
    """The engine's outcome form, with what this command adds: each node's answer and
    whether the service's signature was checked."""
    checked = verified.checked
    out = outcome_json(checked.outcome, required_confirmations=verified.required_confirmations)
    out["signatureChecked"] = checked.outcome.signature_checked
    out["nodes"] = [
        {
            "rpcUrl": n.rpc_url,
            "chain": f"eip155:{n.outcome.chain.chain_id}"
            if n.outcome.chain and n.outcome.chain.chain_id
            else None,
            "verdict": n.outcome.judgement.verdict.value,
            "detail": n.outcome.judgement.detail,
        }
        for n in checked.nodes
    ]
    if verified.signature_note:
        out["notes"].append(verified.signature_note)
    return out


def _as_json(verified: Verified) -> str:
    return json.dumps(_outcome_json(verified), ensure_ascii=False)
