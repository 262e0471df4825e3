"""Signatures of anchored receipts kept per process, for certificates verified again.

A certificate's QR code is scanned at every border, and each verification by digest or
leaf rebuilt and re-signed the same receipt, the signature and its RFC 8785 payload a
large share of the verification (docs/benchmarks.md). Ed25519 signatures are
deterministic, so a kept signature is byte for byte the one signing would make now. It
is kept under a BLAKE2b digest of everything the receipt is built from (the record, the
issuer's name, the anchor, the root, the service's id, key, contract and chain), so a
change to any of them signs anew. An entry is two bytes objects, far smaller than the
same fields as a tuple key (which a soak saw as an API process growing for minutes) or a
whole receipt, and nothing the garbage collector walks (whole receipts kept made every
full collection longer). Pending receipts are not kept. Used from the event loop only.
"""

from __future__ import annotations

from collections import OrderedDict
from hashlib import blake2b

from notary.core.receipts import Receipt
from notary.core.signing import sign_receipt
from notary.pipeline.receipts import (
    ReceiptContext,
    StoredDocument,
    receipt_of,
    unsigned_anchored_receipt,
)

MAX_SIGNATURES = 65_536
"""Signatures kept (~250 bytes each with their key), least recently used dropped first."""


class SignedReceipts:
    """`receipt_of`, with the signatures of anchored receipts remembered."""

    def __init__(self, capacity: int = MAX_SIGNATURES) -> None:
        self.capacity = capacity
        self._signatures: OrderedDict[bytes, bytes] = OrderedDict()

    def of(self, document: StoredDocument, ctx: ReceiptContext) -> Receipt:
        """The document's signed receipt; signed only if this process has not before."""
        anchor, proof = document.anchor, document.proof
        if anchor is None or proof is None:
            return receipt_of(document, ctx)
        unsigned = unsigned_anchored_receipt(document, ctx)
        record = document.record
        key = _digest(
            record.leaf.raw,
            record.batch_id,
            document.issuer_name,
            anchor.tx_hash,
            anchor.block_number,
            anchor.block_hash,
            anchor.timestamp,
            proof.root.raw,
            ctx.service_id,
            ctx.key.key_id,
            ctx.contract,
            ctx.chain_id(),
        )
        signature = self._signatures.get(key)
        if signature is not None:
            self._signatures.move_to_end(key)
            return unsigned.with_signature(ctx.key.key_id, signature)
        signed = sign_receipt(unsigned, ctx.key)
        assert signed.service.signature is not None
        self._signatures[key] = signed.service.signature
        if len(self._signatures) > self.capacity:
            self._signatures.popitem(last=False)
        return signed


def _digest(*fields: bytes | str | int | None) -> bytes:
    """A 32-byte BLAKE2b digest of the fields, each typed and length-prefixed (so two
    lists of fields give the same input only if every field is the same)."""
    parts = []
    for field in fields:
        if field is None:
            parts.append(b"n")
            continue
        tag, data = (
            (b"b", field)
            if isinstance(field, bytes)
            else (b"s", field.encode())
            if isinstance(field, str)
            else (b"i", str(field).encode())
        )
        parts += (tag, len(data).to_bytes(4, "big"), data)
    return blake2b(b"".join(parts), digest_size=32).digest()
