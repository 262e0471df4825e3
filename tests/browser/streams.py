"""A monitoring station with sealed, anchored intervals, its exports, and the ways an export
is tampered with: one set of cases that both the page (/verify/stream) and `check_export`
judge, so the two are held to the same answers.

No pytest fixtures here, so `scripts/bench_stream_page.py` builds the same station-day.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from notary.core.streams import format_time
from tests.api.conftest import ApiEnv, Issuer

LENGTH = 2
"""Seconds per interval of the test station: the late reading waits for a real interval."""
PARAMETERS = [{"name": "PM2.5", "unit": "µg/m³"}, {"name": "SO2", "unit": "mg/Nm³"}]
DAY = 86_400


@dataclass
class Window:
    """A station whose first intervals are sealed and anchored, and its exports."""

    code: str
    issuer: Issuer
    start: int
    end: int
    late_time: int
    gap: int
    """Start of the interval left empty (a visible, anchored gap)."""
    csv: bytes
    json: bytes
    proof: bytes
    """notary-reading-proof-v1 of the late reading."""
    asked_end: int
    """An end a day past what is sealed: the exports below end before it, and say why."""
    early_csv: bytes
    early_json: bytes


ENDS_EARLY = "not-sealed"
"""Why `Window.early_csv` and `early_json` end before the end asked for."""


def post_readings(env: ApiEnv, issuer: Issuer, code: str, lines: list[dict[str, Any]]) -> None:
    """Send readings as JSON lines, as a data logger does."""
    for k in range(0, len(lines), 20_000):
        body = "\n".join(json.dumps(x) for x in lines[k : k + 20_000]).encode()
        r = env.client.post(
            f"/v1/stations/{code}/readings",
            content=body,
            headers={**issuer.headers, "content-type": "application/x-ndjson"},
        )
        assert r.status_code == 200, r.text


def new_station(
    env: ApiEnv, issuer: Issuer, code: str, length: int, since: int, grace: int = 0
) -> None:
    """Register a station (the issuer's), with its first interval at `since`."""
    r = env.client.post(
        "/v1/stations",
        json={
            "id": code,
            "name": "Trạm quan trắc Nguyễn Văn Cừ",
            "kind": "ambient-air",
            "location": {"latitude": 21.0485, "longitude": 105.8795, "address": "Long Biên"},
            "parameters": PARAMETERS,
            "intervalSeconds": length,
            "graceSeconds": grace,
            "since": format_time(since),
        },
        headers=issuer.headers,
    )
    assert r.status_code == 201, r.text


def export(env: ApiEnv, code: str, start: int, end: int, kind: str) -> bytes:
    """GET /v1/stations/{code}/readings?format=kind for [start, end)."""
    r = env.client.get(
        f"/v1/stations/{code}/readings",
        params={"from": format_time(start), "to": format_time(end), "format": kind},
    )
    assert r.status_code == 200, r.text
    return r.content


def make_window(env: ApiEnv, issuer: Issuer) -> Window:
    """Six intervals of two parameters a second, the fourth left empty, and one PM2.5
    reading held back until its interval was sealed (so it is sealed late, in the interval
    open when it arrived); every interval sealed and anchored."""
    now = int(time.time())
    start = now - now % LENGTH - 6 * LENGTH
    code = f"HN-{issuer.address[2:8]}"
    new_station(env, issuer, code, LENGTH, start)
    late_time = start + LENGTH + 1
    gap = start + 3 * LENGTH
    lines: list[dict[str, Any]] = []
    for t in range(start, start + 6 * LENGTH):
        if gap <= t < gap + LENGTH:
            continue
        lines.append(
            {"time": format_time(t), "parameter": "SO2", "value": round(0.4 + t % 7 / 10, 1)}
        )
        if t != late_time:
            lines.append({"time": format_time(t), "parameter": "PM2.5", "value": 30 + t % 11})
    post_readings(env, issuer, code, lines)
    env.drain()
    late = {"time": format_time(late_time), "parameter": "PM2.5", "value": 99}
    post_readings(env, issuer, code, [late])
    end = (int(time.time()) // LENGTH + 1) * LENGTH  # the interval open now seals it
    time.sleep(max(0.0, end - time.time() + 0.05))
    env.drain()
    time.sleep(0.01)  # the last interval's document waits its batch interval (1 ms here)
    env.drain()
    r = env.client.get(
        f"/v1/stations/{code}/readings/proof",
        params={"parameter": "PM2.5", "time": format_time(late_time)},
    )
    assert r.status_code == 200, r.text
    asked_end = end + DAY
    return Window(
        code,
        issuer,
        start,
        end,
        late_time,
        gap,
        export(env, code, start, end, "csv"),
        export(env, code, start, end, "json"),
        r.content,
        asked_end,
        export(env, code, start, asked_end, "csv"),
        export(env, code, start, asked_end, "json"),
    )


def make_day(env: ApiEnv, issuer: Issuer, per_interval: int = 10) -> tuple[str, bytes]:
    """A station-day: 288 intervals of 300 s ending before now, `per_interval` readings
    each, sealed and anchored; the station's code and its CSV export."""
    length = 300
    now = int(time.time())
    end = now - now % length - length  # the last whole interval is due (grace 0)
    start = end - DAY
    code = f"DAY-{issuer.address[2:8]}"
    new_station(env, issuer, code, length, start)
    step = length * len(PARAMETERS) // per_interval
    lines = [
        {"time": format_time(t), "parameter": p["name"], "value": 20 + (t // step) % 37 / 4}
        for t in range(start, end, step)
        for p in PARAMETERS
    ]
    post_readings(env, issuer, code, lines)
    env.drain()
    time.sleep(0.01)
    env.drain()
    return code, export(env, code, start, end, "csv")


# -- tampering ---------------------------------------------------------------------------

Rows = list[list[str]]


def rows_of(data: bytes) -> Rows:
    """The CSV export's records (header first)."""
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def csv_of(rows: Rows) -> bytes:
    """Records back as CSV, written as the service writes them."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def _readings(rows: Rows) -> list[int]:
    return [i for i, row in enumerate(rows) if row[0] == "reading"]


@dataclass(frozen=True)
class Case:
    """One way to tamper with the CSV export, and what a verifier must say about it."""

    name: str
    kind: str
    """The difference a verifier must report: missing, added, changed, reordered, late."""
    edit: Callable[[Rows, Window], str]
    """Edits the rows in place; returns the interval (its start, as in the file) it names."""

    def apply(self, window: Window) -> tuple[bytes, str]:
        """The tampered file and the interval start a verifier must name."""
        rows = rows_of(window.csv)
        interval = self.edit(rows, window)
        return csv_of(rows), interval


def _changed(rows: Rows, window: Window) -> str:
    i = _readings(rows)[3]
    rows[i][6] = "12.5" if rows[i][6] != "12.5" else "13"
    return rows[i][2]


def _removed(rows: Rows, window: Window) -> str:
    i = _readings(rows)[0]
    return rows.pop(i)[2]


def _added(rows: Rows, window: Window) -> str:
    """A reading slipped into the empty interval."""
    gap = window.gap
    forged = list(rows[_readings(rows)[0]])
    forged[2], forged[3], forged[4] = format_time(gap), format_time(gap + LENGTH), format_time(gap)
    at = next(i for i, r in enumerate(rows) if r[0] == "interval" and r[2] == format_time(gap))
    rows.insert(at + 1, forged)
    return format_time(gap)


def _reordered(rows: Rows, window: Window) -> str:
    a, b = _readings(rows)[:2]
    rows[a], rows[b] = rows[b], rows[a]
    return rows[a][2]


def _moved_late(rows: Rows, window: Window) -> str:
    """The late reading shown on time in its own interval, as if it had never been late."""
    late = next(i for i, r in enumerate(rows) if r[0] == "reading" and r[9] == "1")
    moved = list(rows.pop(late))
    own = window.late_time - window.late_time % LENGTH
    moved[2], moved[3], moved[9] = format_time(own), format_time(own + LENGTH), "0"
    rows.append(moved)
    rows[2:] = sorted(rows[2:], key=lambda r: (r[2], r[0] != "interval", r[4], r[5].encode()))
    return format_time(own)


def _late_flag(rows: Rows, window: Window) -> str:
    """A reading's late flag set though its time lies inside its interval."""
    i = _readings(rows)[2]
    rows[i][9] = "1"
    return rows[i][2]


CASES = (
    Case("value-changed", "changed", _changed),
    Case("row-removed", "missing", _removed),
    Case("row-added", "added", _added),
    Case("rows-reordered", "reordered", _reordered),
    Case("late-moved", "late", _moved_late),
    Case("late-flag", "late", _late_flag),
)
