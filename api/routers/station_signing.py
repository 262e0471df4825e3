"""A signing issuer's station intervals: what awaits its signature, and taking its signatures.

An issuer with signing keys on the registry signs its stations' intervals as it signs any
submission: the service cannot sign for it, so each sealed interval waits, listed here
with the leaf and the EIP-712 typed data to sign, until the issuer posts one signature
over the root of many intervals' leaves. That signature is checked exactly as a signed
bulk submission's (`api.signing`, then `notary.pipeline.accept` through
`notary.streams.awaiting`), and the intervals' documents are then anchored like any other.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from starlette.responses import JSONResponse

from api.bodies import json_model
from api.deps import IssuerDep, ServiceDep
from api.openapi import body
from api.problems import Problem
from api.routers.stations import StationPath, station_or_404
from api.schemas.common import problems
from api.schemas.stations import AwaitingIntervalList, IntervalSignIn, IntervalSignOut
from api.signing import SignatureClaim, checked_signature, with_newer_keys
from api.state import ServiceState
from api.views import dump
from notary.core.errors import FormatError
from notary.core.streams import format_time, parse_time
from notary.core.types import Leaf
from notary.pipeline.submissions import SubmissionSignature, UnknownSigner, registry_domain
from notary.streams.awaiting import (
    MAX_LISTED_INTERVALS,
    AwaitingInterval,
    IntervalClaim,
    IntervalSignedAlready,
    SignedIntervals,
    awaiting_counts,
    awaiting_intervals,
    leaves_root_of,
    sign_intervals,
    submission_typed_data,
)
from notary.streams.stations import StationRecord

router = APIRouter(tags=["stations"])
DEFAULT_PAGE = 500


def _own(station: StationRecord, issuer: str | None, station_id: str) -> None:
    if station.issuer_address != issuer:
        raise Problem(403, "forbidden", f"station {station_id} belongs to another issuer")


@router.get(
    "/stations/{station_id}/intervals",
    response_model=AwaitingIntervalList,
    summary="A station's intervals awaiting the issuer's signature (issuer)",
    responses=problems(401, 403, 404, 422, 429, 503),
)
async def awaiting(
    station_id: StationPath,
    service: ServiceDep,
    issuer: IssuerDep,
    state: Annotated[
        Literal["awaiting-signature"],
        Query(description="the intervals listed: those awaiting the issuer's signature"),
    ] = "awaiting-signature",
    after: Annotated[
        int | None,
        Query(description="Unix seconds: list those starting after it (as `next` gives it)"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LISTED_INTERVALS)] = DEFAULT_PAGE,
) -> AwaitingIntervalList:
    """Oldest first, each with its leaf (what the issuer signs) and how it is made; and the
    EIP-712 `Submission(issuer, leavesRoot)` that accepts the whole page with one
    signature (`POST …/intervals:sign`). `notary stream sign` does it all."""
    station = await service.blocking(station_or_404, service, station_id)
    _own(station, issuer.issuer_address, station_id)
    since = None if after is None else parse_time(after, "after")
    page, count, oldest = await service.blocking(_page, service, station, since, limit)
    chain_id = service.known_chain_id or await service.learn_chain_id()
    domain = registry_domain(chain_id, service.registry.address)
    submission = None
    if page:
        root = leaves_root_of([i.leaf for i in page])
        submission = {
            "leavesRoot": root.hex,
            "typedData": submission_typed_data(domain, station.issuer_address, root),
        }
    more = len(page) == limit and count > len(page)
    return AwaitingIntervalList.model_validate(
        {
            "station": station.code,
            "issuer": station.issuer_address,
            "awaiting": count,
            "oldest": None if oldest is None else format_time(oldest),
            "intervals": [_interval_out(i, station.issuer_address) for i in page],
            "submission": submission,
            "next": (
                f"/v1/stations/{station.code}/intervals?state={state}&limit={limit}"
                f"&after={page[-1].start}"
                if more
                else None
            ),
        }
    )


def _page(
    service: ServiceState, station: StationRecord, after: int | None, limit: int
) -> tuple[list[AwaitingInterval], int, int | None]:
    with service.store.read() as conn:
        page = awaiting_intervals(conn, station, after, limit)
        count, oldest = awaiting_counts(conn, [station.id]).get(station.id, (0, None))
    return page, count, oldest


def _interval_out(interval: AwaitingInterval, issuer: str) -> dict[str, object]:
    values = [interval.root.hex, issuer, interval.metadata_digest.hex]
    return {
        "start": format_time(interval.start),
        "end": format_time(interval.end),
        "readings": interval.count,
        "late": interval.late_count,
        "sealedAt": interval.sealed_at,
        "digest": interval.root.hex,
        "metadata": interval.metadata,
        "metadataDigest": interval.metadata_digest.hex,
        "values": values,
        "leaf": interval.leaf.hex,
    }


@router.post(
    "/stations/{station_id}/intervals:sign",
    status_code=202,
    response_model=IntervalSignOut,
    summary="Sign many awaiting intervals at once (issuer)",
    responses={
        200: {"model": IntervalSignOut, "description": "The same signature was taken before"},
        **problems(400, 401, 403, 404, 409, 413, 415, 422, 429, 503),
    },
    openapi_extra=body(IntervalSignIn),
)
async def sign(
    station_id: StationPath,
    request: Annotated[IntervalSignIn, Depends(json_model(IntervalSignIn))],
    service: ServiceDep,
    issuer: IssuerDep,
) -> JSONResponse:
    """One EIP-712 `Submission(issuer, leavesRoot)` signature over the root of the listed
    intervals' leaves, by a key the issuer has authorised now, as for `POST
    /v1/documents:bulk`: the intervals' documents are accepted (all or none) and anchored
    with the next batch; each receipt is a v2 receipt carrying the signature and its path
    to `leavesRoot`. 422 names the interval (`intervals[i].start`, `.leaf`) or the
    signature; 409 an interval another signature took; the same request again: 200."""
    station = await service.blocking(station_or_404, service, station_id)
    _own(station, issuer.issuer_address, station_id)
    claims = [_claim(ref.start, ref.leaf, i) for i, ref in enumerate(request.intervals)]
    claim = SignatureClaim(request.signature, request.leavesRoot, request.issuer)
    signed = await checked_signature(service, station.issuer_address, claim)
    assert signed is not None  # a signature was sent: refused above if the issuer has no key
    try:
        done = await _signed(service, station, claims, signed)
    except UnknownSigner:
        newer = await with_newer_keys(service, station.issuer_address, signed)
        if newer is None:
            raise
        done = await _signed(service, station, claims, newer)
    if done.accepted:
        service.metrics.inc("notary_documents_accepted_total", value=done.accepted)
    count = await service.blocking(_count, service, station)
    out = IntervalSignOut.model_validate(
        {
            "accepted": done.accepted,
            "leavesRoot": done.leaves_root.hex,
            "signer": done.signer,
            "awaiting": count,
        }
    )
    return JSONResponse(dump(out), 202 if done.accepted else 200)


async def _signed(
    service: ServiceState,
    station: StationRecord,
    claims: list[IntervalClaim],
    signed: SubmissionSignature,
) -> SignedIntervals:
    try:
        return await service.blocking(service.write, _sign, service, station, claims, signed)
    except IntervalSignedAlready as exc:
        raise Problem(409, "conflict", str(exc), field=exc.field) from None


def _sign(
    service: ServiceState,
    station: StationRecord,
    claims: list[IntervalClaim],
    signed: SubmissionSignature,
) -> SignedIntervals:
    with service.store.write() as conn:
        return sign_intervals(conn, station, claims, signed)


def _count(service: ServiceState, station: StationRecord) -> int:
    with service.store.read() as conn:
        return awaiting_counts(conn, [station.id]).get(station.id, (0, 0))[0]


def _claim(start: dt.datetime, leaf: str | None, index: int) -> IntervalClaim:
    field = f"intervals[{index}].start"
    if start.tzinfo is None:
        raise FormatError(field, "give an offset, e.g. Z")
    if start.microsecond:
        raise FormatError(field, "a whole second")
    seconds = parse_time(int(start.timestamp()), field)
    parsed = None if leaf is None else Leaf.from_hex(leaf, f"intervals[{index}].leaf")
    return IntervalClaim(seconds, parsed)
