"""Signed anchored receipts kept per process, for certificates verified again and again.

A certificate's QR code is scanned at every border, and each verification by digest or
leaf rebuilt and re-signed the same receipt: the Ed25519 signature and its RFC 8785
payload were ~60 µs of a verification's ~310 µs in process. Ed25519 signatures are
deterministic, so a kept receipt is byte for byte the one signing would make now. It is
kept under everything it is built from (the record, the issuer's name, the anchor, the
root, the service's key, contract and chain), so a change to any of them signs anew.
Pending receipts are not kept. Used from the event loop only (no lock).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable

from notary.core.receipts import Receipt
from notary.pipeline.receipts import ReceiptContext, StoredDocument, receipt_of

MAX_RECEIPTS = 4_096
"""Receipts kept (~3 KB each), least recently used dropped first."""


class SignedReceipts:
    """`receipt_of`, remembered for anchored documents."""

    def __init__(self, capacity: int = MAX_RECEIPTS) -> None:
        self.capacity = capacity
        self._kept: OrderedDict[Hashable, Receipt] = OrderedDict()

    def of(self, document: StoredDocument, ctx: ReceiptContext) -> Receipt:
        """The document's signed receipt, from the cache when it is anchored and kept."""
        if document.anchor is None or document.proof is None:
            return receipt_of(document, ctx)
        record = document.record
        key = (
            record.leaf.raw,
            record.batch_id,
            document.issuer_name,
            document.anchor,
            document.proof.root.raw,
            ctx.service_id,
            ctx.key.key_id,
            ctx.contract,
            ctx.chain_id(),
        )
        kept = self._kept.get(key)
        if kept is not None:
            self._kept.move_to_end(key)
            return kept
        receipt = self._kept[key] = receipt_of(document, ctx)
        if len(self._kept) > self.capacity:
            self._kept.popitem(last=False)
        return receipt
