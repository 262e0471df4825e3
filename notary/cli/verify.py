"""`notary verify`: check a receipt against any Ethereum node, without the notary service.

Everything comes from the receipt, the document (optional) and one `eth_call` to the
registry the receipt names. The exit code carries the verdict so scripts can act on it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from notary.chain.connection import connect
from notary.chain.registry import Registry
from notary.config import Settings
from notary.core.digests import sha256_file
from notary.core.errors import FormatError
from notary.core.receipts import Receipt
from notary.core.signing import key_id, public_key_from_pem
from notary.core.types import Digest
from notary.core.verify import Verdict
from notary.verification import Outcome, verify_on_chain

EXIT_BY_VERDICT = {
    Verdict.VALID: 0,
    Verdict.INVALID: 1,
    Verdict.REVOKED: 1,
    Verdict.PENDING: 3,
    Verdict.VALID_PENDING_CONFIRMATIONS: 3,
    Verdict.UNVERIFIABLE: 3,
}
"""0: genuine and final; 1: not genuine or revoked; 3: cannot be said yet (2 is bad input)."""


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `verify` command."""
    parser = commands.add_parser(
        "verify",
        help="verify a receipt (and optionally the document) against the chain",
        description=__doc__.splitlines()[0]
        + " Exit codes: 0 VALID, 1 INVALID or REVOKED, 2 bad input, "
        "3 PENDING, VALID_PENDING_CONFIRMATIONS or UNVERIFIABLE.",
    )
    parser.add_argument("receipt", help="the receipt JSON file ('-' reads standard input)")
    given = parser.add_mutually_exclusive_group()
    given.add_argument("--file", type=Path, help="the document, hashed here (streamed)")
    given.add_argument("--digest", help="the document's SHA-256 (sha256:<hex> or 0x<hex>)")
    parser.add_argument("--metadata", help="metadata JSON to check against the receipt's")
    parser.add_argument("--rpc-url", help="an Ethereum JSON-RPC endpoint (default NOTARY_RPC_URL)")
    parser.add_argument(
        "--confirmations", type=int, help="confirmations required (default NOTARY_CONFIRMATIONS)"
    )
    parser.add_argument(
        "--service-key",
        type=Path,
        action="append",
        default=[],
        metavar="PEM",
        help="a published service public key (repeatable); the signature is checked against it",
    )
    parser.add_argument("--json", action="store_true", help="print the outcome as JSON")
    parser.set_defaults(run=_verify)


def _verify(args: argparse.Namespace) -> int:
    settings = Settings()
    receipt = Receipt.from_json(_read_text(args.receipt))
    digest = _digest(args)
    metadata = _json_object(args.metadata, "--metadata") if args.metadata else None
    registry = None  # a pending receipt is judged without the chain
    if receipt.anchor is not None:
        w3 = connect(args.rpc_url or settings.rpc_url, timeout_s=settings.rpc_timeout)
        registry = Registry(w3, receipt.anchor.contract)
    confirmations = settings.confirmations if args.confirmations is None else args.confirmations
    outcome = verify_on_chain(
        receipt,
        registry,
        required_confirmations=confirmations,
        digest=digest,
        metadata=metadata,
        public_keys=_public_keys(args.service_key),
    )
    print(_as_json(outcome) if args.json else _as_text(outcome))
    return EXIT_BY_VERDICT[outcome.judgement.verdict]


def _read_text(source: str) -> str:
    if source == "-":
        return sys.stdin.read()
    try:
        return Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FormatError("receipt", f"cannot read {source}: {exc}") from None


def _digest(args: argparse.Namespace) -> Digest | None:
    if args.digest:
        return Digest.parse(args.digest, "--digest")
    if args.file is None:
        return None
    try:
        return sha256_file(args.file)
    except OSError as exc:
        raise FormatError("--file", f"cannot read {args.file}: {exc.strerror}") from None


def _json_object(text: str, field: str) -> dict[str, object]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(field, f"not JSON ({exc.msg} at {exc.pos})") from None
    if not isinstance(value, dict):
        raise FormatError(field, "must be a JSON object")
    return value


def _public_keys(paths: list[Path]) -> dict[str, Ed25519PublicKey] | None:
    if not paths:
        return None
    keys = {}
    for path in paths:
        try:
            key = public_key_from_pem(path.read_bytes())
        except OSError as exc:
            raise FormatError("--service-key", f"cannot read {path}: {exc.strerror}") from None
        keys[key_id(key)] = key
    return keys


def _as_text(outcome: Outcome) -> str:
    lines = []
    for step in outcome.inclusion.steps:
        mark = "-" if step.skipped else ("ok" if step.ok else "FAIL")
        lines.append(f"  {mark:<4} {step.name:<9} {step.detail}")
    j = outcome.judgement
    lines.append(f"{j.verdict.value}: {j.detail}")
    lines.extend(f"  note: {note}" for note in j.notes)
    return "\n".join(lines)


def _as_json(outcome: Outcome) -> str:
    j = outcome.judgement
    return json.dumps(
        {
            "verdict": j.verdict.value,
            "detail": j.detail,
            "failedStep": j.failed_step.name if j.failed_step else None,
            "steps": [
                {"name": s.name, "ok": s.ok, "skipped": s.skipped, "detail": s.detail}
                for s in outcome.inclusion.steps
            ],
            "anchoredAt": j.anchored_at,
            "confirmations": j.confirmations,
            "revokedAt": j.revoked_at,
            "revocationReason": j.revocation_reason,
            "notes": list(j.notes),
        },
        ensure_ascii=False,
    )
