"""Schemas of monitoring stations, reading intake results and reading proofs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from api.schemas.common import AddressStr
from notary.core.errors import FormatError
from notary.core.streams import check_interval_length, parameter_name, unit_name
from notary.streams.backfill import (
    DEFAULT_BACKFILL_WINDOW_S,
    MAX_BACKFILL_INTERVALS,
    MAX_BACKFILL_WINDOW_S,
    MAX_ISSUER_BACKFILL_INTERVALS,
)
from notary.streams.stations import MIN_INTERVAL_S, spreadsheet_safe

StationKind = Literal["ambient-air", "water", "stack-emission"]
NAME_PATTERN = r"^[^\x00-\x1f\x7f\s=+@-](?:[^\x00-\x1f\x7f]{0,30}[^\x00-\x1f\x7f\s])?$"
"""A parameter name (a unit may also be empty): `notary.core.streams.parameter_name`, and
not starting with a character of FORMULA_STARTS."""
SPREADSHEET_SAFE = (
    "Not starting with =, +, - or @: exports put it in a CSV cell as it is, and a "
    "spreadsheet would run such a cell as a formula; the export cannot escape it instead, "
    "since its readings are hashed from these exact characters."
)


def _check_name(text: str) -> str:
    return spreadsheet_safe(parameter_name(text, "name"), "name")


def _check_unit(text: str) -> str:
    return spreadsheet_safe(unit_name(text, "unit"), "unit")


def _as_value_error(check: Callable[[str], str]) -> Callable[[str], str]:
    """A field check whose FormatError pydantic reports as the field's own error."""

    def run(text: str) -> str:
        try:
            return check(text)
        except FormatError as exc:
            raise ValueError(exc.message) from None

    return run


DayDivisor = Annotated[
    int,
    Field(json_schema_extra={"enum": [d for d in range(1, 86_401) if 86_400 % d == 0]}),
    AfterValidator(check_interval_length),
]


class ParameterIn(BaseModel):
    """A measured parameter and its unit (empty for pH)."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[
        str,
        Field(
            json_schema_extra={"pattern": NAME_PATTERN},
            description=f"1-32 printable characters. {SPREADSHEET_SAFE}",
            examples=["PM2.5"],
        ),
        AfterValidator(_as_value_error(_check_name)),
    ]
    unit: Annotated[
        str,
        Field(
            json_schema_extra={"pattern": f"^(?:{NAME_PATTERN[1:-1]})?$"},
            description=f"0-32 printable characters (empty for pH). {SPREADSHEET_SAFE}",
            examples=["µg/m³"],
        ),
        AfterValidator(_as_value_error(_check_unit)),
    ]


class Location(BaseModel):
    """Where the station stands (WGS 84)."""

    model_config = ConfigDict(extra="forbid")

    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    address: str | None = Field(default=None, max_length=300)


class StationCreate(BaseModel):
    """A station of the calling issuer; its parameters and interval are fixed once made."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "id": "HN-NVC",
                    "name": "Trạm quan trắc không khí Nguyễn Văn Cừ",
                    "kind": "ambient-air",
                    "location": {"latitude": 21.0485, "longitude": 105.8795},
                    "parameters": [
                        {"name": "PM2.5", "unit": "µg/m³"},
                        {"name": "SO2", "unit": "µg/m³"},
                    ],
                }
            ]
        },
    )

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
    name: str = Field(min_length=1, max_length=200)
    kind: StationKind
    location: Location
    parameters: list[ParameterIn] = Field(min_length=1, max_length=64)
    intervalSeconds: DayDivisor | None = Field(
        default=None,
        description="default NOTARY_STREAM_INTERVAL; divides a day; at least "
        f"NOTARY_STREAM_MIN_INTERVAL ({MIN_INTERVAL_S} s by default): each interval is one "
        "anchored document",
    )
    graceSeconds: int | None = Field(
        default=None, ge=0, le=3_600, description="wait after an interval ends before sealing it"
    )
    since: dt.datetime | None = Field(
        default=None,
        description="start of the first interval, to send earlier data (default: the current "
        "interval); an interval boundary, at most a year and at most "
        f"{MAX_BACKFILL_INTERVALS:,} intervals back, and with what the issuer's other stations "
        f"have not sealed yet at most {MAX_ISSUER_BACKFILL_INTERVALS:,} intervals",
    )
    backfillSeconds: int | None = Field(
        default=None,
        ge=0,
        le=MAX_BACKFILL_WINDOW_S,
        description="with `since` in the past: how long after registration the station's "
        "intervals stay open for its history (default NOTARY_STREAM_BACKFILL_WINDOW, "
        f"{DEFAULT_BACKFILL_WINDOW_S:,} s); none of them is sealed before, so history sent "
        "meanwhile goes into its own intervals, not late; 0 seals the past at once",
    )


class ParameterOut(BaseModel):
    """A parameter and its unit."""

    name: str
    unit: str


class StationOut(BaseModel):
    """A station as anyone may see it."""

    id: str
    name: str
    kind: StationKind
    issuer: AddressStr
    location: Location
    parameters: list[ParameterOut]
    intervalSeconds: int
    graceSeconds: int
    since: dt.datetime = Field(description="start of the first interval")
    sealedUntil: dt.datetime = Field(description="end of the last sealed interval")
    backfillUntil: dt.datetime = Field(
        description="none of the station's intervals is sealed before this: its back-fill "
        "window, open for its history when it was registered with `since` in the past"
    )
    createdAt: dt.datetime
    awaitingSignature: int = Field(
        default=0,
        description="sealed intervals awaiting the issuer's own signature (an issuer that "
        "signs its documents signs its intervals: notary stream sign); they are anchored "
        "once signed, and a count that keeps growing means the agency stopped signing",
    )


class StationList(BaseModel):
    """Every station."""

    stations: list[StationOut]


class ConflictOut(BaseModel):
    """A reading sent again with other contents: the stored one stays."""

    index: int = Field(description="position in this request")
    parameter: str
    time: dt.datetime


class IngestOut(BaseModel):
    """What happened to the readings of one request."""

    received: int
    created: int
    existing: int = Field(description="already stored (same station, parameter and time)")
    late: int = Field(description="created for intervals already sealed: sealed later, as late")
    conflicts: list[ConflictOut]


# -- intervals awaiting the issuer's signature --------------------------------------------

HEX32 = r"^0x[0-9a-fA-F]{64}$"


class AwaitingIntervalOut(BaseModel):
    """A sealed interval whose document awaits its issuer's signature of `leaf`."""

    start: dt.datetime
    end: dt.datetime
    readings: int
    late: int
    sealedAt: dt.datetime
    digest: str = Field(description="the interval tree's root: the document's digest")
    metadata: dict[str, Any] = Field(
        description="the document's metadata as it is hashed (RFC 8785), with the salt the "
        "service drew when it sealed the interval"
    )
    metadataDigest: str
    values: list[str] = Field(description="[digest, issuer, metadataDigest]: the leaf's values")
    leaf: str = Field(
        description="the OpenZeppelin StandardMerkleTree leaf of `values`: what the issuer signs"
    )


class SubmissionToSign(BaseModel):
    """One EIP-712 `Submission(issuer, leavesRoot)` over every interval of the page."""

    leavesRoot: str = Field(
        description="the StandardMerkleTree root of the listed intervals' leaves (one: its leaf)"
    )
    typedData: dict[str, Any] = Field(description="eth_signTypedData_v4 form")


class AwaitingIntervalList(BaseModel):
    """A page of a station's intervals awaiting its issuer's signature, oldest first."""

    station: str
    issuer: AddressStr
    awaiting: int = Field(description="every interval of the station awaiting a signature")
    oldest: dt.datetime | None = Field(description="the start of the oldest of them")
    intervals: list[AwaitingIntervalOut]
    submission: SubmissionToSign | None = Field(
        description="what one signature accepts this whole page with (None: none awaits)"
    )
    next: str | None = Field(description="the next page, when there may be one")


class IntervalRef(BaseModel):
    """An interval signed: its start, and the leaf that was signed for it."""

    model_config = ConfigDict(extra="forbid")

    start: dt.datetime = Field(description="the interval's start, RFC 3339 with an offset")
    leaf: str | None = Field(
        default=None,
        pattern=HEX32,
        description="the leaf signed (checked against the interval's: a clearer refusal)",
    )


class IntervalSignIn(BaseModel):
    """One signature accepting many awaiting intervals of the station."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "intervals": [{"start": "2026-03-01T02:00:00Z"}],
                    "leavesRoot": "0x" + "ab" * 32,
                    "signature": "0x" + "cd" * 65,
                }
            ]
        },
    )

    intervals: list[IntervalRef] = Field(min_length=1, max_length=10_000)
    signature: str = Field(
        pattern=r"^0x[0-9a-fA-F]{130}$",
        description="EIP-712 Submission(issuer, leavesRoot) by a signing key the issuer has "
        "authorised now, leavesRoot being the root of the intervals' leaves",
    )
    leavesRoot: str | None = Field(default=None, pattern=HEX32)
    issuer: AddressStr | None = None


class IntervalSignOut(BaseModel):
    """What the signature did."""

    accepted: int = Field(description="intervals whose documents it accepted (0: sent again)")
    leavesRoot: str
    signer: AddressStr | None
    awaiting: int = Field(description="the station's intervals still awaiting a signature")
