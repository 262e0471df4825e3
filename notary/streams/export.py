"""Exports of a station's window (``notary-stream-export-v1`` and ``-v2``), as JSON or CSV.

An export carries every reading of every sealed interval in the window, in canonical
order, and per interval the receipt of its document (values, salted metadata, batch
proof, anchor): all that is needed to recompute each interval tree and check it against
the chain, with no help from the service. CSV rows:

    record,station,interval_start,interval_end,time,parameter,value,unit,quality,late,data
    window,HN-01,<from>,<to>,,,,,,,<station JSON>
    requested,HN-01,<from asked>,<to asked>,,,,,,,not-sealed       (v2 only)
    interval,HN-01,<start>,<end>,,,,,,,<receipt JSON>
    reading,HN-01,<start>,<end>,<time>,PM2.5,35.2,µg/m³,valid,0,

A reading row belongs to the interval named by its interval columns (the interval that
sealed it; a late reading's time lies before its interval's start). Version 2 is written
only for an export that ends before the end it was asked for: it adds the window asked
for and why (`ENDS_EARLY`), so that no verifier calls it complete for the window asked.
The writers take the intervals and rows as they come (`notary.streams.window` pages them
from the store) and give the file in chunks.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import islice
from typing import Any, Protocol

from notary.core import _strict as s
from notary.core.errors import FormatError
from notary.core.metadata import parse_json
from notary.core.streams import (
    Reading,
    Row,
    canonical_value,
    format_time,
    parameter_name,
    parse_time,
    quality_flag,
    station_id,
    unit_name,
)
from notary.streams.stations import StationRecord

FORMAT = "notary-stream-export-v1"
FORMAT_V2 = "notary-stream-export-v2"
"""v1 and the window asked for, written when the export ends before its end."""
PROOF_FORMAT = "notary-reading-proof-v1"
"""One reading's proof (`notary.streams.proof`)."""
ENDS_EARLY = ("not-sealed", "interval-limit")
"""Why an export ends before the end asked for: the later intervals were not sealed yet
when it was made; or it reached MAX_EXPORT_INTERVALS."""
MAX_EXPORT_INTERVALS = 9_000
"""Most intervals one export holds: a month of 5-minute intervals."""
MAX_EXPORT_BYTES = 512 << 20
CSV_HEADER = (
    "record",
    "station",
    "interval_start",
    "interval_end",
    "time",
    "parameter",
    "value",
    "unit",
    "quality",
    "late",
    "data",
)
_ROWS_A_BATCH = 2_000
"""Rows formatted in one call of the csv or json module (per-row calls cost more)."""
_CHUNK_CHARS = 1 << 16
"""The writers give the file in chunks of about this many characters."""


@dataclass(frozen=True)
class EndsEarly:
    """The window an export was asked for, when it ends before its end, and why."""

    requested_start: int
    requested_end: int
    reason: str
    """One of ENDS_EARLY."""


@dataclass(frozen=True)
class ExportInterval:
    """One sealed interval of the export: its bounds, its document's receipt, its rows."""

    start: int
    end: int
    receipt: Mapping[str, Any]
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class StreamExport:
    """A window of one station: [start, end) and each interval in it."""

    station: Mapping[str, Any]
    start: int
    end: int
    intervals: tuple[ExportInterval, ...]
    stray: tuple[tuple[int, Row], ...] = ()
    """Reading rows naming an interval the export does not hold (start, row)."""
    ends_early: EndsEarly | None = None

    @property
    def station_id(self) -> str:
        """The station's id."""
        return str(self.station["id"])

    @property
    def interval_s(self) -> int:
        """The station's interval length."""
        return int(self.station["intervalSeconds"])

    @property
    def reading_count(self) -> int:
        """How many reading rows the export holds."""
        return sum(len(i.rows) for i in self.intervals) + len(self.stray)


def station_json(station: StationRecord) -> dict[str, Any]:
    """What an export says about its station."""
    return {
        "id": station.code,
        "name": station.name,
        "kind": station.kind,
        "issuer": station.issuer_address,
        "intervalSeconds": station.interval_s,
        "parameters": [{"name": p, "unit": u} for p, u in station.parameters.items()],
        "location": dict(station.location),
    }


# -- writing -----------------------------------------------------------------------------


class IntervalLike(Protocol):
    """An interval as the writers take it: its rows may be read as they are written."""

    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def receipt(self) -> Mapping[str, Any]: ...
    @property
    def rows(self) -> Iterable[Row]: ...


class ExportLike(Protocol):
    """An export as the writers take it (a StreamExport, or a window read from the store)."""

    @property
    def station(self) -> Mapping[str, Any]: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def ends_early(self) -> EndsEarly | None: ...
    @property
    def intervals(self) -> Iterable[IntervalLike]: ...


def format_of(export: ExportLike) -> str:
    """The format an export is written in: v2 only when it ends early."""
    return FORMAT if export.ends_early is None else FORMAT_V2


def to_json(export: ExportLike) -> bytes:
    """The export as JSON (UTF-8, one interval per line for readable diffs)."""
    return b"".join(json_chunks(export))


def to_csv(export: ExportLike) -> bytes:
    """The export as CSV (UTF-8, RFC 4180 quoting, one header row)."""
    return b"".join(csv_chunks(export))


def json_chunks(export: ExportLike) -> Iterator[bytes]:
    """`to_json` in chunks, reading the intervals' rows as it goes."""
    head: dict[str, Any] = {
        "format": format_of(export),
        "station": export.station,
        "from": format_time(export.start),
        "to": format_time(export.end),
    }
    if export.ends_early is not None:
        head["requested"] = {
            "from": format_time(export.ends_early.requested_start),
            "to": format_time(export.ends_early.requested_end),
            "endsEarly": export.ends_early.reason,
        }
    out = [json.dumps(head, ensure_ascii=False)[:-1], ', "intervals": [\n']
    size = 0
    stamp = _stamper()
    for k, interval in enumerate(export.intervals):
        opening = {
            "start": format_time(interval.start),
            "end": format_time(interval.end),
            "receipt": interval.receipt,
        }
        out.append(",\n" if k else "")
        out.append(_compact(opening)[:-1] + ',"readings":[')
        rows = iter(interval.rows)
        first = True
        while batch := list(islice(rows, _ROWS_A_BATCH)):
            text = _compact([_reading_json(r, stamp) for r in batch])[1:-1]
            out.append(text if first else "," + text)
            first = False
            size += len(text)
            if size >= _CHUNK_CHARS:
                yield "".join(out).encode("utf-8")
                out, size = [], 0
        out.append("]}")
    out.append("\n]}\n")
    yield "".join(out).encode("utf-8")


def _compact(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _stamper() -> Callable[[int], str]:
    """format_time remembering its last answer: rows in canonical order come a time at a
    time (one row per parameter), so it formats each time once."""
    last: list[Any] = [None, ""]

    def stamp(seconds: int) -> str:
        if seconds != last[0]:
            last[0], last[1] = seconds, format_time(seconds)
        text: str = last[1]
        return text

    return stamp


def _reading_json(row: Row, stamp: Callable[[int], str]) -> dict[str, Any]:
    r = row.reading
    return {
        "time": stamp(r.time),
        "parameter": r.parameter,
        "value": r.value,
        "unit": r.unit,
        "quality": r.quality,
        "late": row.late,
    }


def csv_chunks(export: ExportLike) -> Iterator[bytes]:
    """`to_csv` in chunks, reading the intervals' rows as it goes."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    sid = str(export.station["id"])
    empty = ("",) * 6
    stamp = _stamper()
    w.writerow(CSV_HEADER)
    station = _compact(export.station)
    w.writerow(("window", sid, format_time(export.start), format_time(export.end), *empty, station))
    if (early := export.ends_early) is not None:
        asked = (format_time(early.requested_start), format_time(early.requested_end))
        w.writerow(("requested", sid, *asked, *empty, early.reason))
    for interval in export.intervals:
        start, end = format_time(interval.start), format_time(interval.end)
        w.writerow(("interval", sid, start, end, *empty, _compact(interval.receipt)))
        rows = iter(interval.rows)
        while batch := list(islice(rows, _ROWS_A_BATCH)):
            w.writerows(
                (
                    "reading",
                    sid,
                    start,
                    end,
                    stamp(r.reading.time),
                    r.reading.parameter,
                    r.reading.value,
                    r.reading.unit,
                    r.reading.quality,
                    "1" if r.late else "0",
                    "",
                )
                for r in batch
            )
            if out.tell() >= _CHUNK_CHARS:
                yield out.getvalue().encode("utf-8")
                out.seek(0)
                out.truncate()
    yield out.getvalue().encode("utf-8")


# -- reading -----------------------------------------------------------------------------


def parse_export(data: bytes) -> StreamExport:
    """Load an export (JSON or CSV, told apart by its first byte) strictly."""
    if len(data) > MAX_EXPORT_BYTES:
        raise FormatError("$", f"larger than {MAX_EXPORT_BYTES} bytes")
    head = data.lstrip()[:1]
    if head == b"{":
        return _from_json(parse_json(data))
    if data.startswith(b"\xef\xbb\xbf"):  # a spreadsheet's UTF-8 byte order mark
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FormatError("$", f"not UTF-8 at byte {exc.start}") from None
    return _from_csv(text)


def _station(value: object, path: str) -> dict[str, Any]:
    st = s.obj(
        value, path, ("id", "intervalSeconds"), ("name", "kind", "issuer", "parameters", "location")
    )
    station_id(st["id"], f"{path}.id")
    s.integer(st["intervalSeconds"], f"{path}.intervalSeconds", minimum=1)
    return st


def reading_of(
    time: object, parameter: object, value: str, unit: object, quality: object, path: str
) -> Reading:
    """A reading from an export's fields, strictly (the value exactly canonical)."""
    return Reading(
        parse_time(time, f"{path}.time"),
        parameter_name(parameter, f"{path}.parameter"),
        _exact_value(value, f"{path}.value"),
        unit_name(unit, f"{path}.unit"),
        quality_flag(quality, f"{path}.quality"),
    )


def _exact_value(text: str, path: str) -> str:
    """A value exactly as written: re-canonicalising would hide an edit like 35.20 → 35.2."""
    if canonical_value(text, path) != text:
        canonical = canonical_value(text, path)
        raise FormatError(path, f"{text!r} is not in canonical form ({canonical!r})")
    return text


def _ends_early(start: object, end: object, reason: object, to: int, at: str) -> EndsEarly:
    """The window asked for (v2): its end after the export's, and a known reason."""
    fields = ("from", "to", "endsEarly") if at == "requested" else _CSV_REQUESTED
    early = EndsEarly(
        parse_time(start, f"{at}.{fields[0]}"), parse_time(end, f"{at}.{fields[1]}"), str(reason)
    )
    if reason not in ENDS_EARLY:
        raise FormatError(f"{at}.{fields[2]}", f"expected one of {', '.join(ENDS_EARLY)}")
    if early.requested_end <= to:
        raise FormatError(f"{at}.{fields[1]}", "expected after the export's end")
    return early


_CSV_REQUESTED = ("interval_start", "interval_end", "data")


def _from_json(data: object) -> StreamExport:
    d = s.obj(data, "", ("format", "station", "from", "to", "intervals"), ("requested",))
    if d["format"] not in (FORMAT, FORMAT_V2):
        raise FormatError("format", f"expected {FORMAT!r} or {FORMAT_V2!r}")
    early = None
    if d["format"] == FORMAT_V2:
        if "requested" not in d:
            raise FormatError("requested", "missing")
        asked = s.obj(d["requested"], "requested", ("from", "to", "endsEarly"))
        to = parse_time(d["to"], "to")
        early = _ends_early(asked["from"], asked["to"], asked["endsEarly"], to, "requested")
    elif "requested" in d:
        raise FormatError("requested", f"unknown field in {FORMAT}")
    station = _station(d["station"], "station")
    items = s.array(d["intervals"], "intervals", MAX_EXPORT_INTERVALS)
    intervals = []
    number = 0
    for k, item in enumerate(items):
        path = f"intervals[{k}]"
        it = s.obj(item, path, ("start", "end", "receipt", "readings"))
        if not isinstance(it["receipt"], Mapping):
            raise FormatError(f"{path}.receipt", "expected an object")
        if not isinstance(it["readings"], list):
            raise FormatError(f"{path}.readings", "expected an array")
        rows = []
        for j, raw in enumerate(it["readings"]):
            rp = f"{path}.readings[{j}]"
            r = s.obj(raw, rp, ("time", "parameter", "value", "unit", "quality", "late"))
            if not isinstance(r["late"], bool):
                raise FormatError(f"{rp}.late", "expected true or false")
            if not isinstance(r["value"], str):
                raise FormatError(f"{rp}.value", "expected the value as a decimal string")
            reading = reading_of(r["time"], r["parameter"], r["value"], r["unit"], r["quality"], rp)
            number += 1
            rows.append(Row(number, reading, r["late"]))
        intervals.append(
            ExportInterval(
                parse_time(it["start"], f"{path}.start"),
                parse_time(it["end"], f"{path}.end"),
                dict(it["receipt"]),
                tuple(rows),
            )
        )
    return StreamExport(
        station,
        parse_time(d["from"], "from"),
        parse_time(d["to"], "to"),
        tuple(intervals),
        ends_early=early,
    )


def _from_csv(text: str) -> StreamExport:
    rows = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(rows)
    except (StopIteration, csv.Error):
        raise FormatError("row 1", "expected the header row") from None
    if tuple(header) != CSV_HEADER:
        raise FormatError("row 1", f"expected the header {','.join(CSV_HEADER)}")
    station: dict[str, Any] | None = None
    window = (0, 0)
    intervals: dict[int, tuple[int, Mapping[str, Any], list[Row]]] = {}
    stray: list[tuple[int, Row]] = []
    early: EndsEarly | None = None
    line = 1
    try:
        for line, fields in enumerate(rows, start=2):
            where = f"row {line}"
            if len(fields) != len(CSV_HEADER):
                raise FormatError(where, f"expected {len(CSV_HEADER)} columns, got {len(fields)}")
            record, sid, start, end, time, parameter, value, unit, quality, late, data = fields
            if station is None:
                if record != "window":
                    raise FormatError(where, "expected the window row first")
                station = _station(_json_object(data, f"{where}.data"), f"{where}.data")
                window = (
                    parse_time(start, f"{where}.interval_start"),
                    parse_time(end, f"{where}.interval_end"),
                )
                continue
            if sid != station["id"]:
                raise FormatError(f"{where}.station", f"expected {station['id']}")
            if record == "requested":
                if line != 3:
                    raise FormatError(where, "expected the requested row right after the window")
                early = _ends_early(start, end, data, window[1], where)
                continue
            bounds = (
                parse_time(start, f"{where}.interval_start"),
                parse_time(end, f"{where}.interval_end"),
            )
            if record == "interval":
                if bounds[0] in intervals:
                    raise FormatError(where, f"interval {start} is listed twice")
                intervals[bounds[0]] = (bounds[1], _json_object(data, f"{where}.data"), [])
            elif record == "reading":
                if late not in ("0", "1"):
                    raise FormatError(f"{where}.late", "expected 0 or 1")
                reading = reading_of(time, parameter, value, unit, quality, where)
                row = Row(line, reading, late == "1")
                held = intervals.get(bounds[0])
                if held is None or held[0] != bounds[1]:
                    stray.append((bounds[0], row))
                else:
                    held[2].append(row)
            else:
                raise FormatError(
                    f"{where}.record", "expected window, requested, interval or reading"
                )
    except csv.Error as exc:
        raise FormatError(f"row {line + 1}", f"not valid CSV: {exc}") from None
    if station is None:
        raise FormatError("row 2", "expected the window row")
    return StreamExport(
        station,
        window[0],
        window[1],
        tuple(
            ExportInterval(start, end, receipt, tuple(held))
            for start, (end, receipt, held) in sorted(intervals.items())
        ),
        tuple(stray),
        early,
    )


def _json_object(text: str, field: str) -> dict[str, Any]:
    try:
        value = parse_json(text)
    except FormatError as exc:
        raise FormatError(field, exc.message) from None
    if not isinstance(value, dict):
        raise FormatError(field, "expected a JSON object")
    return value
