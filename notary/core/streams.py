"""Monitoring streams (format ``notary-stream-interval-v1``): readings, interval trees, checks.

WARNING: changing anything in this module breaks interval proofs that have already been
issued. How a reading is written as one line, how its leaf is hashed, what the root of an
empty interval is, and what the interval document's metadata holds are reproduced by
auditors from an export years later; ``notary/schemas/stream-interval-v1.md`` specifies
them and ``tests/vectors/stream-interval.json`` pins them.

A reading is one line of UTF-8 (fields joined by TAB, no trailing newline)::

    notary-stream-reading-v1 TAB station TAB time TAB parameter TAB value TAB unit
        TAB quality TAB late

and its leaf is SHA-256 of that line (``printf '%s' LINE | sha256sum``). The leaves of one
station's interval form an OpenZeppelin StandardMerkleTree (``notary.core.merkle``: sorted
pairs, keccak256 nodes); its root is the digest of ONE ordinary document of the station's
issuer, whose metadata names the station, the interval and the reading count. Pure: no I/O.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from typing import Any, NamedTuple

from notary.core.errors import FormatError
from notary.core.merkle import MerkleTree
from notary.core.types import Digest, Leaf

ENCODING = "notary-stream-interval-v1"
"""Named in every interval document's metadata; a later encoding gets a new name."""
READING_TAG = "notary-stream-reading-v1"
DOCUMENT_TYPE = "monitoring-interval"
EMPTY_ROOT = Digest(hashlib.sha256(b"notary-stream-interval-v1\tempty").digest())
"""The root of an interval with no readings: sealed too, so that a gap is visible."""
QUALITY_FLAGS = ("valid", "suspect", "invalid", "calibration", "maintenance")
"""Quality flags a reading may carry (the station's own data-logger flags map onto these)."""
DEFAULT_QUALITY = "valid"
STATION_KINDS = ("ambient-air", "water", "stack-emission")
MAX_VALUE_CHARS = 32
"""Longest canonical value: far beyond any instrument's resolution."""
MAX_NAME_CHARS = 32
"""Longest parameter name or unit."""
MAX_STATION_ID_CHARS = 64
SECONDS_PER_DAY = 86_400
EARLIEST_TIME = -62_135_596_800
"""0001-01-01T00:00:00Z: RFC 3339 writes four-digit years, so no time before this one."""
LATEST_TIME = 253_402_300_799
"""9999-12-31T23:59:59Z, the last time RFC 3339 can write."""

_STATION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_NAME = re.compile(r"[^\x00-\x1f\x7f\s](?:[^\x00-\x1f\x7f]{0,30}[^\x00-\x1f\x7f\s])?")
_UNIT = re.compile(r"(?:[^\x00-\x1f\x7f\s](?:[^\x00-\x1f\x7f]{0,30}[^\x00-\x1f\x7f\s])?)?")
_CANONICAL_VALUE = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]*[1-9])?")
_LENIENT_VALUE = re.compile(r"[+-]?[0-9]{1,32}(?:\.[0-9]{0,32})?(?:[eE][+-]?[0-9]{1,3})?")
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.0+)?(?:Z|[+-]\d\d:\d\d)")
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_NAIVE_EPOCH = dt.datetime(1970, 1, 1)


class Reading(NamedTuple):
    """One measurement: Unix time in whole seconds, parameter, canonical value, unit, flag."""

    time: int
    parameter: str
    value: str
    unit: str
    quality: str


# -- fields ------------------------------------------------------------------------------


def station_id(text: object, field: str = "station") -> str:
    """A station id: a letter or digit, then up to 63 of letters, digits, ``.``, ``_``, ``-``."""
    if not isinstance(text, str) or not _STATION_ID.fullmatch(text):
        raise FormatError(field, "expected 1-64 of A-Z a-z 0-9 . _ - (starting alphanumeric)")
    return text


def parameter_name(text: object, field: str = "parameter") -> str:
    """A parameter name (``PM2.5``, ``SO2``, ``pH``): 1-32 printable characters, no tab."""
    if not isinstance(text, str) or not _NAME.fullmatch(text):
        raise FormatError(field, "expected 1-32 printable characters without surrounding spaces")
    return text


def unit_name(text: object, field: str = "unit") -> str:
    """A unit (``µg/m³``, ``mg/Nm³``, ``mg/L``; empty for pH): 0-32 printable characters."""
    if not isinstance(text, str) or not _UNIT.fullmatch(text):
        raise FormatError(field, "expected 0-32 printable characters without surrounding spaces")
    return text


def quality_flag(text: object, field: str = "quality") -> str:
    """One of QUALITY_FLAGS."""
    if text not in QUALITY_FLAGS:
        raise FormatError(field, f"expected one of {', '.join(QUALITY_FLAGS)}")
    assert isinstance(text, str)
    return text


def canonical_value(value: object, field: str = "value") -> str:
    """A measured value as canonical decimal text: no exponent, no ``+``, no needless zeros.

    JSON numbers and decimal strings alike: ``12.50`` → ``12.5``, ``1e-3`` → ``0.001``,
    ``-0`` → ``0``, ``7.0`` → ``7``. Floats are written from their shortest round-trip
    form (``repr``), the digits the sender's JSON carried.
    """
    kind = type(value)
    if kind is str:
        text: str = value  # type: ignore[assignment]
        if len(text) <= MAX_VALUE_CHARS and _CANONICAL_VALUE.fullmatch(text) and text != "-0":
            return text
        if not _LENIENT_VALUE.fullmatch(text):
            raise FormatError(field, "expected a decimal number")
        return _from_decimal(text, field)
    if kind is int:
        text = str(value)
    elif kind is float:
        if not math.isfinite(value):  # type: ignore[arg-type]
            raise FormatError(field, "NaN and infinities are not measurements")
        text = repr(value)
        if "e" in text:
            return _from_decimal(text, field)
        if text.endswith(".0"):
            text = text[:-2]
        if text == "-0":
            text = "0"
    else:
        raise FormatError(field, "expected a number or a decimal string")
    if len(text) > MAX_VALUE_CHARS:
        raise FormatError(field, f"more than {MAX_VALUE_CHARS} characters")
    return text


def _from_decimal(text: str, field: str) -> str:
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise FormatError(field, "expected a decimal number") from None
    if not -MAX_VALUE_CHARS < number.adjusted() < MAX_VALUE_CHARS:  # before formatting it out
        raise FormatError(field, f"more than {MAX_VALUE_CHARS} characters")
    out = format(number, "f")
    if "." in out:
        out = out.rstrip("0").rstrip(".")
    if out in ("-0", ""):
        out = "0"
    if len(out) > MAX_VALUE_CHARS:
        raise FormatError(field, f"more than {MAX_VALUE_CHARS} characters")
    return out


def format_time(seconds: int) -> str:
    """Unix seconds as RFC 3339 UTC, ``2026-03-01T02:10:00Z``.

    Total: a time RFC 3339 cannot write (outside years 1-9999, only ever one a caller
    sent, since `parse_time` refuses them) reads ``Unix time N (outside years 1-9999)``,
    so that an error message quoting it never fails itself.
    """
    if not EARLIEST_TIME <= seconds <= LATEST_TIME:
        return f"Unix time {seconds} (outside years 1-9999)"
    # isoformat pads years below 1000 to four digits; strftime's %Y does not (glibc).
    return (_NAIVE_EPOCH + dt.timedelta(seconds=seconds)).isoformat() + "Z"


def parse_time(value: object, field: str = "time") -> int:
    """RFC 3339 with an offset (whole seconds) or integer Unix seconds, as Unix seconds;
    within EARLIEST_TIME..LATEST_TIME, the times RFC 3339 UTC can write."""
    if type(value) is int:
        seconds: int = value
    elif not isinstance(value, str) or not _TIME.fullmatch(value):
        raise FormatError(field, "expected an RFC 3339 time with offset, e.g. 2026-03-01T02:10:00Z")
    else:
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            raise FormatError(field, "not a valid date and time") from None
        seconds = int((parsed - _EPOCH).total_seconds())
    if not EARLIEST_TIME <= seconds <= LATEST_TIME:
        raise FormatError(
            field,
            f"outside {format_time(EARLIEST_TIME)} to {format_time(LATEST_TIME)} (in UTC), "
            "the times RFC 3339 can write",
        )
    return seconds


def check_interval_length(seconds: object, field: str = "intervalSeconds") -> int:
    """An interval length that divides a day, so intervals start at the same clock times."""
    if type(seconds) is not int or not 1 <= seconds <= SECONDS_PER_DAY:
        raise FormatError(field, f"expected whole seconds from 1 to {SECONDS_PER_DAY}")
    assert isinstance(seconds, int)
    if SECONDS_PER_DAY % seconds:
        raise FormatError(field, "must divide a day (86,400 s) evenly, e.g. 60, 300, 600, 3600")
    return seconds


def interval_start(seconds: int, length: int) -> int:
    """Start of the interval of `length` seconds that holds time `seconds` (UTC-aligned)."""
    return seconds - seconds % length


# -- leaves and trees --------------------------------------------------------------------


def reading_line(station: str, reading: Reading, late: bool) -> bytes:
    """The canonical line of a reading; `late`: sealed after its own interval was."""
    return "\t".join(
        (
            READING_TAG,
            station,
            format_time(reading.time),
            reading.parameter,
            reading.value,
            reading.unit,
            reading.quality,
            "1" if late else "0",
        )
    ).encode("utf-8")


def reading_leaf(station: str, reading: Reading, late: bool) -> Leaf:
    """SHA-256 of the reading's line, the leaf of its interval tree."""
    return Leaf(hashlib.sha256(reading_line(station, reading, late)).digest())


def order_key(reading: Reading) -> tuple[int, bytes]:
    """Canonical order: by time, then parameter by UTF-8 bytes (= code points)."""
    return reading.time, reading.parameter.encode("utf-8")


def canonical_order(readings: Iterable[Reading]) -> list[Reading]:
    """The readings in canonical order."""
    return sorted(readings, key=order_key)


def is_late(reading: Reading, start: int) -> bool:
    """A reading sealed with an interval that starts after its time arrived late."""
    return reading.time < start


def interval_leaves(station: str, start: int, readings: Sequence[Reading]) -> list[Leaf]:
    """The leaf of each reading sealed with the interval starting at `start`, same order."""
    # Precomputed once per interval: the line's fixed head and each time's text.
    head = f"{READING_TAG}\t{station}\t"
    times: dict[int, str] = {}
    sha = hashlib.sha256
    leaves = []
    for r in readings:
        stamp = times.get(r.time)
        if stamp is None:
            stamp = times[r.time] = format_time(r.time)
        late = "1" if r.time < start else "0"
        line = f"{head}{stamp}\t{r.parameter}\t{r.value}\t{r.unit}\t{r.quality}\t{late}"
        leaves.append(Leaf(sha(line.encode("utf-8")).digest()))
    return leaves


def interval_tree(station: str, start: int, readings: Sequence[Reading]) -> MerkleTree | None:
    """The interval's tree (input order kept for proofs); None for an empty interval."""
    if not readings:
        return None
    return MerkleTree.from_leaves(interval_leaves(station, start, readings))


def interval_root(station: str, start: int, readings: Sequence[Reading]) -> Digest:
    """The interval's root: the digest of its document (EMPTY_ROOT with no readings)."""
    tree = interval_tree(station, start, readings)
    return EMPTY_ROOT if tree is None else Digest(tree.root.raw)


def interval_metadata(
    station: str, start: int, end: int, count: int, late_count: int
) -> dict[str, object]:
    """The interval document's metadata (the service adds its salt)."""
    return {
        "documentType": DOCUMENT_TYPE,
        "encoding": ENCODING,
        "station": station,
        "intervalStart": format_time(start),
        "intervalEnd": format_time(end),
        "count": count,
        "lateCount": late_count,
    }


# -- checking an interval of an export ---------------------------------------------------


class Claim(NamedTuple):
    """What an interval's anchored document says: its root and counts."""

    root: Digest
    size: int
    late_count: int


def claim_of(
    metadata: Mapping[str, Any], digest: Digest, station: str, start: int, end: int
) -> Claim:
    """The claim of an interval document, checking its metadata names this interval."""
    expected = interval_metadata(station, start, end, 0, 0)
    for key in ("documentType", "encoding", "station", "intervalStart", "intervalEnd"):
        if metadata.get(key) != expected[key]:
            raise FormatError(
                f"metadata.{key}", f"expected {expected[key]!r}, got {metadata.get(key)!r}"
            )
    counts = []
    for key in ("count", "lateCount"):
        value = metadata.get(key)
        if type(value) is not int or value < 0:
            raise FormatError(f"metadata.{key}", "expected a whole number")
        counts.append(value)
    return Claim(digest, counts[0], counts[1])


@dataclass(frozen=True)
class Difference:
    """How an interval of an export differs from what was anchored, and where."""

    kind: str
    """``missing``, ``added``, ``changed``, ``reordered`` or ``late``."""
    detail: str
    rows: tuple[int, ...] = ()
    """Row numbers in the export (1-based, as a spreadsheet shows them), when known."""


class Row(NamedTuple):
    """A reading as an export lists it: its row number and whether the export says late."""

    number: int
    reading: Reading
    late: bool


def describe(reading: Reading) -> str:
    """A reading as people read it: ``SO2 at 2026-03-01T02:12:00Z = 0.41 mg/Nm³ (valid)``."""
    unit = f" {reading.unit}" if reading.unit else ""
    return (
        f"{reading.parameter} at {format_time(reading.time)} = "
        f"{reading.value}{unit} ({reading.quality})"
    )


def compare_interval(
    station: str, start: int, end: int, rows: Sequence[Row], claim: Claim
) -> list[Difference]:
    """Every way the export's rows of one interval differ from the anchored claim.

    The root decides (completeness and integrity); the rest locates: rows out of
    canonical order, duplicates, late flags that contradict the times, and, when exactly
    one row too many was given, which row that is.
    """
    found: list[Difference] = []
    readings = [row.reading for row in rows]
    for prev, row in pairwise(rows):
        if order_key(row.reading) < order_key(prev.reading):
            found.append(
                Difference(
                    "reordered",
                    f"row {row.number} ({describe(row.reading)}) comes after row "
                    f"{prev.number} ({describe(prev.reading)}): not in canonical order",
                    (prev.number, row.number),
                )
            )
    keys = Counter((r.time, r.parameter) for r in readings)
    seen: dict[tuple[int, str], int] = {}
    for row in rows:
        key = (row.reading.time, row.reading.parameter)
        if keys[key] > 1 and key in seen:
            found.append(
                Difference(
                    "added",
                    f"row {row.number} repeats {row.reading.parameter} at "
                    f"{format_time(row.reading.time)} of row {seen[key]}",
                    (row.number,),
                )
            )
        seen.setdefault(key, row.number)
    for row in rows:
        if row.reading.time >= end:
            found.append(
                Difference(
                    "added",
                    f"row {row.number} ({describe(row.reading)}) lies after the interval's end",
                    (row.number,),
                )
            )
        elif row.late != is_late(row.reading, start):
            said = "late" if row.late else "on time"
            found.append(
                Difference(
                    "late",
                    f"row {row.number} ({describe(row.reading)}) is marked {said}, "
                    f"which its time contradicts",
                    (row.number,),
                )
            )
    root = interval_root(station, start, readings)
    if root == claim.root and len(readings) == claim.size:
        return found
    found.append(_content_difference(station, start, rows, claim, root))
    return found


def _content_difference(
    station: str, start: int, rows: Sequence[Row], claim: Claim, root: Digest
) -> Difference:
    """Why the rows do not hash to the anchored root: counts first, then a search."""
    n = len(rows)
    if n > claim.size:
        extra = n - claim.size
        if extra == 1:
            readings = [row.reading for row in rows]
            for i, row in enumerate(rows):  # which single row, removed, gives the root?
                if interval_root(station, start, readings[:i] + readings[i + 1 :]) == claim.root:
                    return Difference(
                        "added",
                        f"row {row.number} ({describe(row.reading)}) was not anchored "
                        "with this interval",
                        (row.number,),
                    )
        return Difference(
            "added",
            f"{n} readings where {claim.size} were anchored: {extra} added"
            + ("" if extra == 1 else ", or readings also changed"),
        )
    if n < claim.size:
        missing = claim.size - n
        return Difference(
            "missing", f"{n} readings where {claim.size} were anchored: {missing} missing"
        )
    return Difference(
        "changed",
        f"the {n} readings do not hash to the anchored root {claim.root.hex} "
        f"(they give {root.hex}): at least one was altered",
    )


def rows_fit(station: str, start: int, rows: Sequence[Row], claim: Claim) -> bool:
    """True when exactly these rows hash to the claim (a relocation search uses it)."""
    return (
        len(rows) == claim.size
        and interval_root(station, start, [row.reading for row in rows]) == claim.root
    )
