"""Exports of a station's window (format ``notary-stream-export-v1``), as JSON or CSV.

An export carries every reading of every sealed interval in the window, in canonical
order, and per interval the receipt of its document (values, salted metadata, batch
proof, anchor): all that is needed to recompute each interval tree and check it against
the chain, with no help from the service. CSV rows:

    record,station,interval_start,interval_end,time,parameter,value,unit,quality,late,data
    window,HN-01,<from>,<to>,,,,,,,<station JSON>
    interval,HN-01,<start>,<end>,,,,,,,<receipt JSON>
    reading,HN-01,<start>,<end>,<time>,PM2.5,35.2,µg/m³,valid,0,

A reading row belongs to the interval named by its interval columns (the interval that
sealed it; a late reading's time lies before its interval's start).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, select

from notary.core import _strict as s
from notary.core.errors import FormatError
from notary.core.metadata import parse_json
from notary.core.streams import (
    Reading,
    Row,
    canonical_order,
    canonical_value,
    format_time,
    interval_start,
    interval_tree,
    parameter_name,
    parse_time,
    quality_flag,
    reading_line,
    station_id,
    unit_name,
)
from notary.core.types import Leaf
from notary.pipeline.receipts import ReceiptContext, load_in, receipt_of
from notary.store.engine import Store
from notary.store.errors import StoreError
from notary.store.models import Document, StreamInterval
from notary.store.models import Reading as ReadingRow
from notary.streams.stations import StationRecord, get_station

FORMAT = "notary-stream-export-v1"
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
_INTERVALS = cast(Table, StreamInterval.__table__)
_READINGS = cast(Table, ReadingRow.__table__)
_DOCS = cast(Table, Document.__table__)
_CHUNK = 500


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


# -- from the store ----------------------------------------------------------------------


def export_window(
    store: Store, code: str, start: int, end: int, ctx: ReceiptContext
) -> StreamExport:
    """The sealed intervals of [start, end) with receipts: widened to whole intervals, cut to
    what is sealed and to MAX_EXPORT_INTERVALS; the export's own bounds say which."""
    with store.read() as conn:
        station = get_station(conn, code)
        length = station.interval_s
        first = max(interval_start(start, length), station.since)
        last = min(-(-end // length) * length, station.sealed_until)
        last = max(first, min(last, first + MAX_EXPORT_INTERVALS * length))  # cut, and said
        intervals = conn.execute(
            select(_INTERVALS.c.id, _INTERVALS.c.start_s, _INTERVALS.c.end_s, _DOCS.c.leaf)
            .select_from(_INTERVALS.join(_DOCS, _DOCS.c.id == _INTERVALS.c.document_id))
            .where(
                _INTERVALS.c.station_id == station.id,
                _INTERVALS.c.start_s >= first,
                _INTERVALS.c.start_s < last,
            )
            .order_by(_INTERVALS.c.start_s)
        ).all()
        by_interval = _readings_of(conn, [row[0] for row in intervals])
        out = []
        number = 0
        for interval_id, s_start, s_end, leaf in intervals:
            receipt = receipt_of(load_in(conn, Leaf(leaf)), ctx).to_dict()
            rows = []
            for reading in canonical_order(by_interval.get(interval_id, ())):
                number += 1
                rows.append(Row(number, reading, reading.time < s_start))
            out.append(ExportInterval(s_start, s_end, receipt, tuple(rows)))
    return StreamExport(station_json(station), first, max(first, last), tuple(out))


_OF_INTERVALS = select(
    _READINGS.c.interval_id,
    _READINGS.c.time_s,
    _READINGS.c.parameter,
    _READINGS.c.value,
    _READINGS.c.unit,
    _READINGS.c.quality,
).where(_READINGS.c.interval_id.in_(bindparam("ids", expanding=True)))


def _readings_of(conn: Connection, interval_ids: Sequence[int]) -> dict[int, list[Reading]]:
    found: dict[int, list[Reading]] = {}
    for k in range(0, len(interval_ids), _CHUNK):
        chunk = list(interval_ids[k : k + _CHUNK])
        for iid, t, p, v, u, q in conn.execute(_OF_INTERVALS, {"ids": chunk}).all():
            found.setdefault(iid, []).append(Reading(t, p, v, u, q))
    return found


# -- writing -----------------------------------------------------------------------------


def to_json(export: StreamExport) -> bytes:
    """The export as JSON (UTF-8, one interval per line for readable diffs)."""
    intervals = [
        {
            "start": format_time(i.start),
            "end": format_time(i.end),
            "receipt": i.receipt,
            "readings": [
                {
                    "time": format_time(r.reading.time),
                    "parameter": r.reading.parameter,
                    "value": r.reading.value,
                    "unit": r.reading.unit,
                    "quality": r.reading.quality,
                    "late": r.late,
                }
                for r in i.rows
            ],
        }
        for i in export.intervals
    ]
    head = {
        "format": FORMAT,
        "station": export.station,
        "from": format_time(export.start),
        "to": format_time(export.end),
    }
    body = ",\n".join(json.dumps(i, ensure_ascii=False, separators=(",", ":")) for i in intervals)
    text = json.dumps(head, ensure_ascii=False)[:-1] + ', "intervals": [\n' + body + "\n]}\n"
    return text.encode("utf-8")


def to_csv(export: StreamExport) -> bytes:
    """The export as CSV (UTF-8, RFC 4180 quoting, one header row)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    sid = export.station_id
    w.writerow(CSV_HEADER)
    station = json.dumps(export.station, ensure_ascii=False, separators=(",", ":"))
    w.writerow(
        ("window", sid, format_time(export.start), format_time(export.end), *[""] * 6, station)
    )
    for i in export.intervals:
        start, end = format_time(i.start), format_time(i.end)
        receipt = json.dumps(i.receipt, ensure_ascii=False, separators=(",", ":"))
        w.writerow(("interval", sid, start, end, *[""] * 6, receipt))
        w.writerows(
            (
                "reading",
                sid,
                start,
                end,
                format_time(r.reading.time),
                r.reading.parameter,
                r.reading.value,
                r.reading.unit,
                r.reading.quality,
                "1" if r.late else "0",
                "",
            )
            for r in i.rows
        )
    return out.getvalue().encode("utf-8")


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


def _from_json(data: object) -> StreamExport:
    d = s.obj(data, "", ("format", "station", "from", "to", "intervals"))
    if d["format"] != FORMAT:
        raise FormatError("format", f"expected {FORMAT!r}")
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
        station, parse_time(d["from"], "from"), parse_time(d["to"], "to"), tuple(intervals)
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
                raise FormatError(f"{where}.record", "expected window, interval or reading")
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
    )


def _json_object(text: str, field: str) -> dict[str, Any]:
    try:
        value = parse_json(text)
    except FormatError as exc:
        raise FormatError(field, exc.message) from None
    if not isinstance(value, dict):
        raise FormatError(field, "expected a JSON object")
    return value


# -- one reading -------------------------------------------------------------------------

PROOF_FORMAT = "notary-reading-proof-v1"


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
            select(r.interval_id).where(
                r.station_id == station.id, r.parameter == parameter, r.time_s == time
            )
        ).first()
        if found is None:
            raise ReadingNotFound(f"station {code} has no {parameter} at {format_time(time)}")
        if found[0] is None:
            raise ReadingNotSealed(
                f"{parameter} at {format_time(time)} is not sealed yet: its interval "
                f"is sealed {station.grace_s} s after it ends"
            )
        start, end, leaf = conn.execute(
            select(_INTERVALS.c.start_s, _INTERVALS.c.end_s, _DOCS.c.leaf)
            .select_from(_INTERVALS.join(_DOCS, _DOCS.c.id == _INTERVALS.c.document_id))
            .where(_INTERVALS.c.id == found[0])
        ).one()
        readings = canonical_order(_readings_of(conn, [found[0]])[found[0]])
        receipt = receipt_of(load_in(conn, Leaf(leaf)), ctx).to_dict()
    tree = interval_tree(code, start, readings)
    assert tree is not None  # the interval holds this reading
    index = next(i for i, x in enumerate(readings) if (x.parameter, x.time) == (parameter, time))
    reading = readings[index]
    late = reading.time < start
    return {
        "format": PROOF_FORMAT,
        "station": code,
        "reading": {
            "time": format_time(reading.time),
            "parameter": reading.parameter,
            "value": reading.value,
            "unit": reading.unit,
            "quality": reading.quality,
            "late": late,
        },
        "line": reading_line(code, reading, late).decode("utf-8"),
        "leaf": tree.leaf(index).hex,
        "proof": ["0x" + p.hex() for p in tree.proof(index)],
        "interval": {"start": format_time(start), "end": format_time(end), "count": len(readings)},
        "receipt": receipt,
    }
