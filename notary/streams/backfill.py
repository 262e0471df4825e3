"""Back-fill: how far back a new station may start, and how long its past stays open.

Each interval becomes one anchored document, so a station registered with `since` far back
owes many documents at once: a day of one-second intervals was 86,400 of them, and other
issuers' documents waited behind them. The interval length has a floor (the service's
NOTARY_STREAM_MIN_INTERVAL), and what stations owe is bounded here; the sealer then seals
what is owed a share at a time (`notary.streams.sealer`).

A station starts in the past to receive its history; sealed at once, its past intervals
would be empty and all of that history late. So its intervals are held open for a
back-fill window after registration (`backfill_until`): nothing of the station is sealed
before then, and then everything due is, in order.
"""

from __future__ import annotations

import datetime as dt
from typing import cast

from sqlalchemy import Connection, Table, func, select

from notary.core.errors import FormatError
from notary.core.streams import format_time, interval_start
from notary.store.models import Station

MAX_BACKFILL_S = 366 * 86_400
"""A station's first interval starts at most this far back (a year)."""
MAX_BACKFILL_INTERVALS = 10_080
"""Nor more intervals back than this: a week of one-minute intervals, a month of
five-minute ones, a year of hourly ones."""
MAX_ISSUER_BACKFILL_INTERVALS = 100_000
"""Intervals an issuer's stations may owe at once (past intervals not sealed yet), new
station included: ten default batches. More stations are registered once these are sealed."""
DEFAULT_BACKFILL_WINDOW_S = 3_600
"""How long a station registered with `since` in the past keeps its intervals open for its
history, unless it asks otherwise (NOTARY_STREAM_BACKFILL_WINDOW): 100,000 readings a
request leave plenty of time in an hour."""
MAX_BACKFILL_WINDOW_S = 86_400
_STATIONS = cast(Table, Station.__table__)


def backfill_until(since: int, interval_s: int, now: dt.datetime, window_s: int) -> int:
    """Until when the station's intervals stay open: `window_s` after registration if it
    starts in the past, else its start (nothing held)."""
    if not 0 <= window_s <= MAX_BACKFILL_WINDOW_S:
        raise FormatError("backfillSeconds", f"expected 0 to {MAX_BACKFILL_WINDOW_S:,}")
    now_s = int(now.timestamp())
    return now_s + window_s if since < interval_start(now_s, interval_s) else since


def check_since(
    conn: Connection, issuer: str, since: int | None, interval_s: int, now: dt.datetime
) -> int:
    """The first interval's start (default: the current interval's), within the bounds."""
    now_s = int(now.timestamp())
    current = interval_start(now_s, interval_s)
    if since is None:
        return current
    if since % interval_s:
        raise FormatError("since", f"must start an interval (a multiple of {interval_s} s)")
    if since > current:
        raise FormatError("since", f"in the future: at most {format_time(current)}")
    if since < now_s - MAX_BACKFILL_S:
        raise FormatError("since", "at most a year back")
    owed = (current - since) // interval_s
    if owed > MAX_BACKFILL_INTERVALS:
        earliest = current - MAX_BACKFILL_INTERVALS * interval_s
        raise FormatError(
            "since",
            f"{owed:,} intervals back; at most {MAX_BACKFILL_INTERVALS:,} "
            f"({format_time(earliest)} with {interval_s} s intervals)",
        )
    already = owed_by_issuer(conn, issuer, now_s)
    if already + owed > MAX_ISSUER_BACKFILL_INTERVALS:
        raise FormatError(
            "since",
            f"this issuer's stations owe {already:,} intervals not sealed yet, and this one "
            f"would add {owed:,}: at most {MAX_ISSUER_BACKFILL_INTERVALS:,} at once; start "
            "later, or register it once more of the others are sealed",
        )
    return since


def owed_by_issuer(conn: Connection, issuer: str, now_s: int) -> int:
    """The past intervals the issuer's stations have not sealed yet."""
    c = _STATIONS.c
    owed = conn.execute(
        select(func.coalesce(func.sum((now_s - c.sealed_until) // c.interval_s), 0)).where(
            c.issuer_address == issuer, c.sealed_until < now_s
        )
    ).scalar_one()
    return int(owed)
