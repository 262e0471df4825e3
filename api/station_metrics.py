"""Gauges of monitoring stations for /metrics: intervals awaiting their issuer's signature.

One series per station that has any, so an operator (and an alert) sees an agency that
stopped signing: the count grows by one every interval, and the oldest one's age with it.
"""

from __future__ import annotations

import time

from api.metrics import gauge
from notary.store.engine import Store
from notary.streams.awaiting import awaiting_by_station


def awaiting_signature_gauges(store: Store, now: float | None = None) -> list[str]:
    """Per station: intervals awaiting a signature, and the age of the oldest one's end."""
    with store.read() as conn:
        rows = awaiting_by_station(conn)
    at = time.time() if now is None else now
    return gauge(
        "notary_stream_intervals_awaiting_signature",
        "Sealed intervals of a signing issuer's station awaiting the issuer's signature",
        [((("station", code),), float(count)) for code, count, _ in rows],
    ) + gauge(
        "notary_stream_awaiting_signature_age_seconds",
        "Time since the oldest interval awaiting its issuer's signature ended, per station",
        [((("station", code),), max(0.0, at - oldest_end)) for code, _, oldest_end in rows],
    )
