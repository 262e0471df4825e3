"""One reading's proof (format ``notary-reading-proof-v1``): reading → interval root → chain.

The proof carries the reading, its canonical line and leaf, the siblings from the leaf to
its interval's root, and the interval document's receipt (interval root → batch root →
chain). The interval's readings are read a page at a time (`notary.streams.window`):
only their 32-byte leaves are held to build the tree.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, select

from notary.core.merkle import MerkleTree
from notary.core.streams import Reading, format_time, interval_leaves, reading_line
from notary.core.types import Leaf
from notary.pipeline.receipts import ReceiptContext, load_in, receipt_of
from notary.store.engine import Store
from notary.store.errors import StoreError
from notary.store.models import Document, StreamInterval
from notary.store.models import Reading as ReadingRow
from notary.streams.export import PROOF_FORMAT
from notary.streams.stations import get_station
from notary.streams.window import interval_readings

_INTERVALS = cast(Table, StreamInterval.__table__)
_READINGS = cast(Table, ReadingRow.__table__)
_DOCS = cast(Table, Document.__table__)
_LEAVES_A_CALL = 5_000


class ReadingNotFound(StoreError, LookupError):
    """The station has no reading of this parameter at this time."""


class ReadingNotSealed(StoreError):
    """The reading is stored but its interval is not sealed yet, so it has no proof."""


def reading_proof(
    store: Store, code: str, parameter: str, time: int, ctx: ReceiptContext
) -> dict[str, Any]:
    """One reading's proof: reading → interval root (here) → batch root (its receipt)."""
    r = _READINGS.c
    with store.read() as conn:
        station = get_station(conn, code)
        found = conn.execute(
            select(r.interval_id, r.value, r.unit, r.quality).where(
                r.station_id == station.id, r.parameter == parameter, r.time_s == time
            )
        ).first()
        if found is None:
            raise ReadingNotFound(f"station {code} has no {parameter} at {format_time(time)}")
        interval_id, value, unit, quality = found
        if interval_id is None:
            raise ReadingNotSealed(
                f"{parameter} at {format_time(time)} is not sealed yet: its interval "
                f"is sealed {station.grace_s} s after it ends"
            )
        start, end, count, leaf = conn.execute(
            select(
                _INTERVALS.c.start_s, _INTERVALS.c.end_s, _INTERVALS.c.reading_count, _DOCS.c.leaf
            )
            .select_from(_INTERVALS.outerjoin(_DOCS, _DOCS.c.id == _INTERVALS.c.document_id))
            .where(_INTERVALS.c.id == interval_id)
        ).one()
        if leaf is None:
            raise ReadingNotSealed(
                f"{parameter} at {format_time(time)} is sealed in interval "
                f"{format_time(start)}, which awaits its issuer's signature: its proof "
                "exists once the issuer signs it (notary stream sign)"
            )
        receipt = receipt_of(load_in(conn, Leaf(leaf)), ctx).to_dict()
    leaves: list[Leaf] = []
    index = -1
    page: list[Reading] = []
    for each in interval_readings(store, station.id, interval_id):
        if (each.parameter, each.time) == (parameter, time):
            index = len(leaves) + len(page)
        page.append(each)
        if len(page) == _LEAVES_A_CALL:
            leaves.extend(interval_leaves(code, start, page))
            page.clear()
    leaves.extend(interval_leaves(code, start, page))
    assert index >= 0 and len(leaves) == count  # the interval holds this reading
    tree = MerkleTree.from_leaves(leaves)
    reading = Reading(time, parameter, value, unit, quality)
    late = time < start
    return {
        "format": PROOF_FORMAT,
        "station": code,
        "reading": {
            "time": format_time(time),
            "parameter": parameter,
            "value": value,
            "unit": unit,
            "quality": quality,
            "late": late,
        },
        "line": reading_line(code, reading, late).decode("utf-8"),
        "leaf": tree.leaf(index).hex,
        "proof": ["0x" + p.hex() for p in tree.proof(index)],
        "interval": {"start": format_time(start), "end": format_time(end), "count": count},
        "receipt": receipt,
    }
