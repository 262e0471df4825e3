"""Hostile inputs to station registration and reading intake, held to their answers.

Every case the outside probe of issue 21 tried on this surface, those it broke and those
that already held, so that the next change cannot reopen one: each answers a 4xx problem
naming the field (never a 500, never a dropped connection), and nothing is stored.
Where a case is about time (a body that blocked the event loop), the test holds the bound
that prevents it; the timing itself is in scripts/bench_hostile.py.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3

from notary.chain import Registry
from notary.core.streams import format_time
from notary.core.types import Leaf
from notary.streams.backfill import DEFAULT_BACKFILL_WINDOW_S, MAX_BACKFILL_INTERVALS
from notary.streams.stations import MIN_INTERVAL_S

from ..conftest import ApiEnv, Issuer, app_env

pytestmark = pytest.mark.anvil
PARAMETERS = [{"name": "PM2.5", "unit": "µg/m³"}, {"name": "SO2", "unit": "mg/Nm³"}]
LENGTH = 300


@pytest.fixture(scope="module")
def api(
    w3: Web3, api_chain: tuple[Registry, LocalAccount], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ApiEnv]:
    """This module's own app and store (its stations never reach another module's worker),
    with the service's own shortest interval and back-fill window, not the tests' ones."""
    tmp = tmp_path_factory.mktemp("stations-intake")
    limits = {
        "stream_min_interval": MIN_INTERVAL_S,
        "stream_backfill_window": DEFAULT_BACKFILL_WINDOW_S,
    }
    with app_env(w3, api_chain, tmp, **limits) as env:
        yield env


@pytest.fixture(scope="module")
def owner(api: ApiEnv) -> Issuer:
    return api.new_issuer("Sở Tài nguyên và Môi trường Đồng Nai")


def register(api: ApiEnv, issuer: Issuer, **fields: Any) -> Any:
    """POST /v1/stations with a valid body, `fields` replacing or adding to it."""
    body: dict[str, Any] = {
        "id": f"ST-{os.urandom(4).hex()}",
        "name": "Trạm quan trắc Biên Hòa",
        "kind": "ambient-air",
        "location": {"latitude": 10.95, "longitude": 106.82},
        "parameters": PARAMETERS,
        "intervalSeconds": LENGTH,
    }
    body.update(fields)
    return api.client.post(  # escaped: a lone surrogate goes as \ud800, as a client sends it
        "/v1/stations",
        content=json.dumps(body),
        headers={**issuer.headers, "content-type": "application/json"},
    )


@pytest.fixture(scope="module")
def station(api: ApiEnv, owner: Issuer) -> str:
    r = register(api, owner)
    assert r.status_code == 201, r.text
    code: str = r.json()["id"]
    return code


def send(
    api: ApiEnv, issuer: Issuer, code: str, body: bytes, kind: str = "application/json"
) -> Any:
    return api.client.post(
        f"/v1/stations/{code}/readings",
        content=body,
        headers={**issuer.headers, "content-type": kind},
    )


def refused(response: Any, status: int, field: str) -> dict[str, Any]:
    """The answer is a problem of `status` naming `field`; its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = response.json()
    assert problem["field"] == field, problem
    return problem


def now_text() -> str:
    return format_time(int(time.time()))


# -- times (finding 8) -------------------------------------------------------------------

OUT_OF_RANGE_TIMES: list[object] = [
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",
    10**12,
    -(10**12),
    10**20,
    10**30,
    1e20,
    1e30,
]


@pytest.mark.parametrize("at", OUT_OF_RANGE_TIMES, ids=repr)
def test_a_reading_time_out_of_range_is_a_422_naming_it(
    api: ApiEnv, owner: Issuer, station: str, at: object
) -> None:
    readings = [
        {"time": now_text(), "parameter": "SO2", "value": 1},
        {"time": at, "parameter": "SO2", "value": 1},
    ]
    r = send(api, owner, station, json.dumps(readings).encode())
    refused(r, 422, "readings[1].time")
    assert r.headers.get("connection") != "close"
    assert api.client.get("/healthz").status_code == 200  # the connection is still good


@pytest.mark.parametrize("at", OUT_OF_RANGE_TIMES, ids=repr)
def test_since_out_of_range_is_a_422_naming_it(api: ApiEnv, owner: Issuer, at: object) -> None:
    refused(register(api, owner, since=at), 422, "since")


# -- names a spreadsheet would run (finding 4) -------------------------------------------

FORMULAS = ["=1+2", "@SUM(A1)", "+cmd|' /C calc'!A0", "-2+3", '=HYPERLINK("http://x")']


@pytest.mark.parametrize("formula", FORMULAS)
@pytest.mark.parametrize("part", ["name", "unit"])
def test_a_parameter_or_unit_a_spreadsheet_would_run_is_refused(
    api: ApiEnv, owner: Issuer, formula: str, part: str
) -> None:
    parameters = [dict(p) for p in PARAMETERS] + [{"name": "NO2", "unit": "µg/m³"}]
    parameters[2][part] = formula
    problem = refused(register(api, owner, parameters=parameters), 422, f"parameters[2].{part}")
    assert "formula" in problem["detail"]


@pytest.mark.parametrize("start", ["\t", "\r", "\n", " "])
def test_a_name_starting_with_a_tab_or_a_return_is_refused(
    api: ApiEnv, owner: Issuer, start: str
) -> None:
    parameters = [*PARAMETERS, {"name": start + "=1+2", "unit": ""}]
    refused(register(api, owner, parameters=parameters), 422, "parameters[2].name")


def test_the_schema_says_why(api: ApiEnv) -> None:
    schema = api.client.get("/openapi.json").json()["components"]["schemas"]["ParameterIn"]
    for part in ("name", "unit"):
        assert "formula" in schema["properties"][part]["description"]
        assert "=+@-" in schema["properties"][part]["pattern"]


# -- bodies: counted while scanned, parsed off the event loop (findings 6 and 9) ---------

CAP = 100_000
TRAP = b'{"a":1,"a":1}'  # refused if ever parsed (a key twice)
UNTERMINATED = b'{"never":"ends'


def test_an_array_one_past_the_cap_is_refused_from_the_count(
    api: ApiEnv, owner: Issuer, station: str
) -> None:
    """Neither the trap objects nor the broken tail are parsed: the count refuses first."""
    body = b"[" + b",".join([TRAP] * (CAP + 1)) + b"," + UNTERMINATED
    problem = refused(send(api, owner, station, body), 422, "readings")
    assert "100,001" in problem["detail"]


def test_json_lines_one_past_the_cap_are_refused_from_the_count(
    api: ApiEnv, owner: Issuer, station: str
) -> None:
    body = b"\n".join([TRAP] * (CAP + 1) + [UNTERMINATED])
    problem = refused(send(api, owner, station, body, "application/x-ndjson"), 422, "readings")
    assert "line 100,001" in problem["detail"]


def test_eleven_million_empty_objects_are_refused_from_the_count(
    api: ApiEnv, owner: Issuer, station: str
) -> None:
    body = b"[" + b",".join([b"{}"] * ((32 << 20) // 3 - 1)) + b"]"
    assert len(body) <= 32 << 20
    refused(send(api, owner, station, body), 422, "readings")
    lines = b"{}\n" * ((32 << 20) // 3)
    refused(send(api, owner, station, lines, "application/x-ndjson"), 422, "readings")


def test_a_body_over_32_mib_is_cut_off(api: ApiEnv, owner: Issuer, station: str) -> None:
    body = b"[" + b" " * (32 << 20) + b"]"
    assert send(api, owner, station, body).status_code == 413


def reading_line(t: int, value: int) -> str:
    return json.dumps({"time": format_time(t), "parameter": "SO2", "value": value})


@pytest.mark.parametrize(
    "lines",
    [
        # A reading split over two lines, and two readings on one line: joined with commas
        # these once made three readings, as many as there are lines.
        ['{"time": "T1", "parameter": "SO2"', '"value": 1}', "R2, R3"],
        ['R1, {"time": "T2", "parameter": "SO2"', '"value": 2}'],
        ["R1 R2"],
        ["R1,"],
    ],
    ids=["split-and-two-on-a-line", "two-on-a-line-then-split", "two-unjoined", "trailing-comma"],
)
def test_each_json_line_is_one_reading(
    api: ApiEnv, owner: Issuer, station: str, lines: list[str]
) -> None:
    now = int(time.time())
    text = "\n".join(lines)
    for k in (1, 2, 3):
        text = text.replace(f"R{k}", reading_line(now - k, k)).replace(
            f"T{k}", format_time(now - k)
        )
    r = send(api, owner, station, text.encode(), "application/x-ndjson")
    problem = refused(r, 422, "line 1")
    assert "one JSON object" in problem["detail"]


def test_bodies_are_parsed_off_the_event_loop(
    api: ApiEnv, owner: Issuer, station: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While a body is being parsed, /healthz is answered: the parse holds a worker thread,
    not the loop. (Were it on the loop, /healthz could not be answered until the parse gave
    up waiting for it.)"""
    import threading

    from api.routers import stations

    parsing, answered = threading.Event(), threading.Event()
    saw_answer: list[bool] = []
    parse = stations.readings_body

    def instrumented(raw: bytes, lines: bool) -> list[Any]:
        parsing.set()
        saw_answer.append(answered.wait(timeout=30))
        return parse(raw, lines)

    monkeypatch.setattr(stations, "readings_body", instrumented)
    body = json.dumps([json.loads(reading_line(int(time.time()) - 5, 7))]).encode()
    results: list[Any] = []
    sender = threading.Thread(target=lambda: results.append(send(api, owner, station, body)))
    sender.start()
    try:
        assert parsing.wait(timeout=30)
        assert api.client.get("/healthz").status_code == 200
        answered.set()
    finally:
        answered.set()
        sender.join(timeout=60)
    assert saw_answer == [True]
    assert results[0].status_code == 200, results[0].text


# -- station ids (finding 11) ------------------------------------------------------------


def test_a_station_id_differing_only_in_case_is_taken_across_issuers(
    api: ApiEnv, owner: Issuer
) -> None:
    code = f"st-{os.urandom(3).hex()}"
    assert register(api, owner, id=code).status_code == 201
    rival = api.new_issuer("Chi cục Bảo vệ môi trường Bình Dương")
    problem = refused(register(api, rival, id=code.upper()), 409, "id")
    assert code in problem["detail"]
    # Any case finds the station, which answers with its registered id; intake by another
    # issuer is refused whatever case it names the station in.
    assert api.client.get(f"/v1/stations/{code.upper()}").json()["id"] == code
    reading = json.dumps([{"time": now_text(), "parameter": "SO2", "value": 1}]).encode()
    assert send(api, rival, code.upper(), reading).status_code == 403
    assert send(api, owner, code.upper(), reading).status_code == 200


# -- what one station may owe (finding 7) -------------------------------------------------


def test_one_second_intervals_are_refused(api: ApiEnv, owner: Issuer) -> None:
    day_back = format_time(int(time.time()) // 86_400 * 86_400 - 86_400)
    problem = refused(
        register(api, owner, intervalSeconds=1, since=day_back), 422, "intervalSeconds"
    )
    assert "at least 60 s" in problem["detail"]


def test_a_station_may_not_start_more_intervals_back_than_the_bound(
    api: ApiEnv, owner: Issuer
) -> None:
    now = int(time.time())
    current = now - now % 60
    too_far = format_time(current - (MAX_BACKFILL_INTERVALS + 1) * 60)
    problem = refused(register(api, owner, intervalSeconds=60, since=too_far), 422, "since")
    assert f"{MAX_BACKFILL_INTERVALS:,}" in problem["detail"]
    year_ago = format_time((now // 86_400 - 400) * 86_400)
    problem = refused(register(api, owner, intervalSeconds=86_400, since=year_ago), 422, "since")
    assert "a year" in problem["detail"]


def past_readings(since: int, until: int) -> bytes:
    """A reading a minute of SO2 over [since, until), as a JSON array."""
    items = [{"time": t, "parameter": "SO2", "value": t % 97} for t in range(since, until, 60)]
    return json.dumps(items).encode()


# -- back-fill (finding 10) --------------------------------------------------------------


def test_history_sent_right_after_registering_is_on_time(api: ApiEnv, owner: Issuer) -> None:
    """A station registered a day back keeps its intervals open for its back-fill window,
    though the worker runs at once: the day's readings arrive on time, none late."""
    now = int(time.time())
    since = now - now % 60 - 1_440 * 60
    r = register(api, owner, intervalSeconds=60, since=format_time(since))
    assert r.status_code == 201, r.text
    station = r.json()
    assert station["backfillUntil"] > format_time(now + DEFAULT_BACKFILL_WINDOW_S - 60)
    api.drain()  # the worker's steps: nothing of the station is due yet
    result = send(api, owner, station["id"], past_readings(since, now - now % 60)).json()
    assert (result["created"], result["late"]) == (1_440, 0)
    assert (
        api.client.get(f"/v1/stations/{station['id']}").json()["sealedUntil"] == (station["since"])
    )


def test_without_a_window_the_past_is_sealed_at_once_and_history_arrives_late(
    api: ApiEnv, owner: Issuer
) -> None:
    now = int(time.time())
    # the ten intervals end a minute before this one starts: each is past its grace
    # (12 s for a minute) whatever second of the minute the test runs at
    since = now - now % 60 - 11 * 60
    r = register(api, owner, intervalSeconds=60, since=format_time(since), backfillSeconds=0)
    assert r.status_code == 201, r.text
    api.drain()
    result = send(api, owner, r.json()["id"], past_readings(since, since + 600)).json()
    assert (result["created"], result["late"]) == (10, 10)


@pytest.mark.parametrize("window", [-1, 86_401, 1.5, "an hour"])
def test_a_backfill_window_out_of_bounds_is_refused(
    api: ApiEnv, owner: Issuer, window: object
) -> None:
    since = format_time(int(time.time()) // 60 * 60 - 600)
    refused(
        register(api, owner, since=since, intervalSeconds=60, backfillSeconds=window),
        422,
        "backfillSeconds",
    )


def test_a_station_catching_up_does_not_hold_back_another_issuers_document(
    api: ApiEnv, owner: Issuer
) -> None:
    """An order, not a timing: a station owing two batches' worth of intervals fills at most
    half a batch at a time, and another issuer's document goes into the very next batch
    (it was behind every interval of the station: 86,400 of them anchored first, once)."""
    from notary.pipeline.receipts import load_document
    from notary.worker.daemon import build_worker

    owed = 2 * api.settings.batch_max
    now = int(time.time())
    since = format_time(now - now % 60 - owed * 60)
    r = register(api, owner, intervalSeconds=60, since=since, graceSeconds=0, backfillSeconds=0)
    assert r.status_code == 201, r.text
    worker = build_worker(api.settings, api.store)

    def batches_after_two_steps() -> list[int]:
        worker.step()
        time.sleep(0.01)  # the batch interval (1 ms here) passes, as between worker steps
        worker.step()
        with api.store.read() as conn:
            return list(conn.exec_driver_sql("SELECT id FROM batches ORDER BY id").scalars())

    begun = batches_after_two_steps()
    assert len(begun) == 1  # half a batch of what the station owes, not all of it
    other = api.new_issuer("Chi cục Thủy lợi Tây Ninh")
    document = api.notarise(other)
    batches_after_two_steps()
    stored = load_document(api.store, Leaf.from_hex(document["leaf"], "leaf")).record
    assert stored.batch_id == begun[-1] + 1
    station = api.client.get(f"/v1/stations/{r.json()['id']}").json()
    assert station["sealedUntil"] < format_time(now - owed * 60 // 4)  # much still owed


# -- hostile inputs that already held (kept so that nothing reopens them) ----------------


def reading(**fields: object) -> dict[str, object]:
    return {"time": now_text(), "parameter": "SO2", "value": 1, **fields}


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        (b'[{"time": "T", "parameter": "SO2", "value": NaN}]', 400, "$"),
        (b'[{"time": "T", "parameter": "SO2", "value": -Infinity}]', 400, "$"),
        (b'[{"time": "T", "parameter": "SO2", "value": 1e999}]', 422, "readings[0].value"),
        (b'[{"time": "T", "parameter": "SO2", "value": "NaN"}]', 422, "readings[0].value"),
        (b'[{"time": "T", "parameter": "SO2", "value": 1, "value": 2}]', 400, "$"),
        (
            b'[{"time": "T", "parameter": "SO2", "value": 1' + b"0" * 400 + b"}]",
            422,
            "readings[0].value",
        ),
        (
            b'[{"time": 1' + b"0" * 4000 + b', "parameter": "SO2", "value": 1}]',
            422,
            "readings[0].time",
        ),
        (b'[{"time": 1' + b"0" * 5000 + b', "parameter": "SO2", "value": 1}]', 422, "readings[0]"),
        (b'[{"time": "T", "parameter": "\\ud800", "value": 1}]', 422, "readings[0].parameter"),
        (b'[{"time": "T", "parameter": "SO2", "value": "\\udfff"}]', 422, "readings[0].value"),
        (b'[{"time": "T", "parameter": "SO2", "value": 1, "__proto__": {}}]', 422, "readings[0]"),
        (
            b'[{"time": "T", "parameter": "SO2", "value": 1, "__proto__": 1}]',
            422,
            "readings[0].__proto__",
        ),
        (
            b'[{"time": "T", "parameter": "SO2", "value": 1, "unit": "\\u0000"}]',
            422,
            "readings[0].unit",
        ),
        (b"[" + b"[" * 100_000 + b"]" * 100_000 + b"]", 422, "readings[0]"),
        (b'[{"time": "T", "parameter": "SO\xff2", "value": 1}]', 400, "$"),
        (b"\xef\xbb\xbf[]", 422, "readings"),  # a byte-order mark is not JSON
        (b'{"time": "T", "parameter": "SO2", "value": 1}', 422, "readings"),
        (b"", 422, "readings"),
    ],
    ids=lambda v: v.decode("utf-8", "replace")[:40] if isinstance(v, bytes) else str(v),
)
def test_hostile_json_readings_are_refused_naming_what(
    api: ApiEnv, owner: Issuer, station: str, body: bytes, status: int, field: str
) -> None:
    body = body.replace(b'"T"', json.dumps(now_text()).encode())
    refused(send(api, owner, station, body), status, field)


@pytest.mark.parametrize(
    ("line", "field"),
    [
        (b'{"time": "T", "parameter": "SO2", "value": NaN}', "line 2"),
        (b'{"time": "T", "parameter": "SO2", "value": 1, "value": 2}', "line 2"),
        (b'{"time": "T", "parameter": "S\xffO2", "value": 1}', "line 2"),
        (b"[" * 50_000, "line 2"),
        (b'{"time": "T", "parameter": "SO2", "value": 1}\r{"time": "T"}', "line 2"),
    ],
    ids=["NaN", "duplicate-key", "invalid-utf8", "deep", "carriage-return-joins"],
)
def test_hostile_json_lines_are_refused_naming_the_line(
    api: ApiEnv, owner: Issuer, station: str, line: bytes, field: str
) -> None:
    good = json.dumps(reading()).encode()
    body = (good + b"\n" + line + b"\n" + good).replace(b'"T"', json.dumps(now_text()).encode())
    refused(send(api, owner, station, body, "application/x-ndjson"), 422, field)


def test_intake_needs_the_stations_own_issuer(api: ApiEnv, owner: Issuer, station: str) -> None:
    body = json.dumps([reading()]).encode()
    other = api.new_issuer("Sở Công Thương Long An")
    assert send(api, other, station, body).status_code == 403
    r = api.client.post(
        f"/v1/stations/{station}/readings",
        content=body,
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 401
    assert send(api, owner, "NO-SUCH-STATION", body).status_code == 404
    assert send(api, owner, station, body, "text/csv").status_code == 415


@pytest.mark.parametrize(
    ("fields", "status", "field"),
    [
        ({"name": "\ud800"}, 422, "name"),
        ({"id": "ST-\u0661"}, 422, "id"),  # an Arabic-Indic digit is not an ASCII one
        ({"location": {"latitude": 10**400, "longitude": 0}}, 422, "location.latitude"),
        ({"location": {"latitude": 1, "longitude": 1, "__proto__": {}}}, 422, "location.__proto__"),
        ({"__proto__": {"admin": True}}, 422, "__proto__"),
        ({"parameters": [{"name": "pH", "unit": ""}] * 2}, 422, "parameters[1].name"),
        ({"parameters": [{"name": f"P{k}", "unit": ""} for k in range(65)]}, 422, "parameters"),
        ({"graceSeconds": 10**30}, 422, "graceSeconds"),
    ],
    ids=[
        "lone-surrogate-name",
        "non-ascii-digit-id",
        "huge-latitude",
        "proto-in-location",
        "proto",
        "parameter-twice",
        "65-parameters",
        "huge-grace",
    ],
)
def test_hostile_registrations_are_refused_naming_the_field(
    api: ApiEnv, owner: Issuer, fields: dict[str, Any], status: int, field: str
) -> None:
    refused(register(api, owner, **fields), status, field)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b'{"id": "X", "id": "Y"}', 400),
        (b"[" * 100_000, 400),
        (b'{"id": "\xff"}', 400),
        (b'{"name": NaN}', 400),
        (b"{" + b" " * (1 << 20) + b"}", 413),
    ],
    ids=["duplicate-key", "deep", "invalid-utf8", "NaN", "over-1-MiB"],
)
def test_hostile_registration_bodies_are_refused(
    api: ApiEnv, owner: Issuer, body: bytes, status: int
) -> None:
    r = api.client.post(
        "/v1/stations", content=body, headers={**owner.headers, "content-type": "application/json"}
    )
    assert r.status_code == status, r.text
