"""Monitoring stations' public exports: a window's readings with their proofs; a reading's proof.

An export is planned before a byte is sent (its intervals, its reading count against
MAX_EXPORT_READINGS, where and why it ends early) and then streamed: written a chunk at a
time on the service's threads from pages of the store, never held whole.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import weakref
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from starlette.responses import JSONResponse, StreamingResponse

from api.deps import PublicLimit, ServiceDep
from api.problems import Problem
from api.routers.stations import StationPath
from api.schemas.common import problems
from api.state import ServiceState
from api.uploads import JSON_TYPE
from notary.core.streams import format_time
from notary.streams.export import FORMAT, FORMAT_V2, csv_chunks, json_chunks
from notary.streams.proof import ReadingNotFound, ReadingNotSealed, reading_proof
from notary.streams.stations import UnknownStation
from notary.streams.window import (
    MAX_EXPORT_READINGS,
    ExportTooLarge,
    plan_window,
    stored_export,
)

router = APIRouter(tags=["stations"])
EXPORT_WRITERS = 1
"""Exports a process writes at the same moment; more take turns, a chunk each."""
_TURNS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)
EARLIEST_S = -62_135_596_800
"""0001-01-01T00:00:00Z: the earliest time a query may name (RFC 3339 writes no earlier)."""
LATEST_S = 253_402_300_799
"""9999-12-31T23:59:59Z: the latest."""
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_SECOND = dt.timedelta(seconds=1)
_UNIX_SECONDS = re.compile(r"[+-]?[0-9]{1,20}")
_FORM = "expected RFC 3339 with an offset (2026-03-01T02:10:00Z) or Unix seconds"
_RANGE = "expected a time from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z"


def _seconds(text: str, field: str) -> tuple[int, bool]:
    """A query's time as whole Unix seconds (floored), and whether it was a whole second.

    RFC 3339 with an offset, or an integer of Unix seconds (as the export format reads
    them; never milliseconds), in years 1-9999 in UTC once the offset is applied.
    """
    if _UNIX_SECONDS.fullmatch(text):
        seconds, whole = int(text), True
    else:
        try:
            at = dt.datetime.fromisoformat(text)
        except ValueError:
            raise Problem(422, "invalid-field", _FORM, field=field) from None
        if at.tzinfo is None:
            raise Problem(422, "invalid-field", "give an offset, e.g. Z", field=field)
        since_epoch = at - _EPOCH  # exact, and never out of range for aware times
        seconds, part = divmod(since_epoch, _SECOND)
        whole = not part
    if not EARLIEST_S <= seconds <= LATEST_S:
        raise Problem(422, "invalid-field", _RANGE, field=field)
    return seconds, whole


def _time_query(alias: str, description: str) -> Any:
    return Query(
        alias=alias,
        min_length=1,
        max_length=64,
        description=description,
        json_schema_extra={"format": "date-time"},
    )


@router.get(
    "/stations/{station_id}/readings",
    summary="Export a window with its proofs (public): CSV or JSON",
    dependencies=[PublicLimit],
    responses={
        200: {
            "description": (
                f"{FORMAT}: readings and each interval's receipt; {FORMAT_V2} when the "
                "export ends before `to` (the window asked for, and why)"
            ),
            "content": {"text/csv": {}, JSON_TYPE: {}},
        },
        **problems(404, 422, 429, 503),
    },
)
async def export(
    station_id: StationPath,
    service: ServiceDep,
    start: Annotated[str, _time_query("from", "RFC 3339 or Unix seconds; widened to an interval")],
    end: Annotated[
        str,
        _time_query(
            "to",
            "exclusive; the export ends earlier at the last sealed interval or after 9,000 "
            f"intervals, and says so; at most {MAX_EXPORT_READINGS:,} readings (else 422: "
            "narrow the window)",
        ),
    ],
    as_format: Annotated[Literal["csv", "json"], Query(alias="format")] = "csv",
) -> StreamingResponse:
    """Every sealed interval of [from, to): readings, and the receipt of each interval's
    document. `notary verify-stream FILE` checks it against the chain, without us; so does
    the page /verify/stream, on the reader's device (the file is never uploaded)."""
    (t0, _), (t1, _) = _seconds(start, "from"), _seconds(end, "to")
    if t1 <= t0:
        raise Problem(422, "invalid-field", "must be after from", field="to")
    try:
        plan = await service.blocking(plan_window, service.store, station_id, t0, t1)
    except UnknownStation as exc:
        raise Problem(404, "not-found", str(exc), field="id") from None
    except ExportTooLarge as exc:
        raise Problem(
            422,
            "invalid-field",
            f"{exc}, the most one export holds: narrow the window "
            f"(up to to={format_time(exc.fits_until)} it fits)",
            field="to",
        ) from None
    ctx = await service.blocking(service.receipt_context)
    exported = stored_export(service.store, plan, ctx)
    name = f"{station_id}_{format_time(plan.start)}_{format_time(plan.end)}".replace(":", "")
    if as_format == "json":
        chunks, media = json_chunks(exported), JSON_TYPE
    else:
        chunks, media = csv_chunks(exported), "text/csv; charset=utf-8"
    disposition = f'attachment; filename="{name}.{as_format}"'
    return StreamingResponse(
        _off_the_loop(service, chunks),
        media_type=media,
        headers={"Content-Disposition": disposition},
    )


async def _off_the_loop(service: ServiceState, chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """Each chunk written (and its page read) on the service's threads: the event loop
    only passes it on, and no thread is held while the client reads. Exports take turns,
    a chunk each (EXPORT_WRITERS at a time): writing is CPU work that holds the GIL, and
    every thread writing at once would take it from the event loop that much more often."""
    turns = _turns()
    while True:
        async with turns:
            chunk = await service.blocking(next, chunks, None)
        if chunk is None:
            return
        yield chunk


def _turns() -> asyncio.Semaphore:
    """The writing turns of the running event loop, made in it when first asked for."""
    loop = asyncio.get_running_loop()
    turns = _TURNS.get(loop)
    if turns is None:
        turns = _TURNS[loop] = asyncio.Semaphore(EXPORT_WRITERS)
    return turns


@router.get(
    "/stations/{station_id}/readings/proof",
    summary="One reading's proof up to the anchored root (public)",
    dependencies=[PublicLimit],
    responses=problems(404, 409, 422, 429, 503),
)
def proof(
    station_id: StationPath,
    service: ServiceDep,
    parameter: Annotated[str, Query(min_length=1, max_length=32)],
    time: Annotated[str, _time_query("time", "the reading's time, RFC 3339 or Unix seconds")],
) -> JSONResponse:
    """notary-reading-proof-v1: the reading's line and leaf, its proof to the interval root,
    and the interval document's receipt (interval root → batch root → chain)."""
    at, whole = _seconds(time, "time")
    if not whole:  # readings are timestamped to the second
        raise Problem(404, "not-found", f"station {station_id} has no reading at {time}")
    try:
        found = reading_proof(service.store, station_id, parameter, at, service.receipt_context())
    except (UnknownStation, ReadingNotFound) as exc:
        raise Problem(404, "not-found", str(exc)) from None
    except ReadingNotSealed as exc:
        raise Problem(409, "conflict", str(exc)) from None
    return JSONResponse(found)
