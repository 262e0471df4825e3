"""Adversarial suite, public station exports and reading proofs: times out of range or out
of form in any time parameter, windows reversed, empty or as wide as RFC 3339 goes, more
readings than one export may hold, unknown stations, another issuer's key, duplicated
parameters; and, over a real socket, that a refused request keeps its connection open and
that an export is streamed, not built whole. Every answer is a problem naming the field,
never a 500."""

from __future__ import annotations

import datetime as dt
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from eth_account.signers.local import LocalAccount
from httpx2 import Response
from web3 import Web3

from notary.chain import Registry
from notary.core.streams import format_time
from notary.ops.anvil import free_port
from notary.streams import window
from notary.streams.export import FORMAT_V2, parse_export
from notary.streams.sealer import seal_due_intervals
from tests.api.conftest import ApiEnv, Issuer, app_env
from tests.browser.stack import serve

pytestmark = pytest.mark.anvil
LENGTH = 60
PROBLEM = "application/problem+json"
OUT_OF_RANGE = [
    "0001-01-01T00:00:00+01:00",  # year 0 in UTC
    "9999-12-31T23:59:59-01:00",  # year 10000 in UTC
    "1000000000000",  # Unix seconds (never milliseconds): year 33658
    "-1000000000000",
    "100000000000000000000",
    "-100000000000000000000",
]
OUT_OF_FORM = [
    "",
    "1e12",
    "1e20",
    "1e30",
    "NaN",
    "nan",
    "Infinity",
    "-inf",
    "1772323200.5",
    "٣٣٣",  # digits, but not ASCII ones
    "2026-13-01T00:00:00Z",
    "2026-02-30T00:00:00Z",
    "2026-03-01T00:00:00",  # no offset
    "2026-03-01",
    "yesterday",
    "2026-03-01T00:00:00Z" + " " * 60,  # over the length a time may have
    "9" * 5000,
]


@dataclass
class Station:
    """A station of one issuer with LENGTH-second intervals sealed up to `sealed_until`."""

    code: str
    issuer: Issuer
    since: int
    sealed_until: int
    reading_time: int


@pytest.fixture(scope="module")
def env(
    w3: Web3, api_chain: tuple[Registry, LocalAccount], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ApiEnv]:
    """This module's own app and store (its station seals an interval a minute)."""
    with app_env(w3, api_chain, tmp_path_factory.mktemp("adversarial-exports")) as made:
        yield made


@pytest.fixture(scope="module")
def station(env: ApiEnv) -> Station:
    issuer = env.new_issuer("Sở Tài nguyên và Môi trường Cần Thơ")
    now = int(time.time())
    since = now - now % LENGTH - 10 * LENGTH
    code = f"CT-{issuer.address[2:8]}"
    r = env.client.post(
        "/v1/stations",
        json={
            "id": code,
            "name": "Trạm Ninh Kiều",
            "kind": "water",
            "location": {"latitude": 10.03, "longitude": 105.78},
            "parameters": [{"name": "COD", "unit": "mg/L"}, {"name": "pH", "unit": ""}],
            "intervalSeconds": LENGTH,
            "graceSeconds": 0,
            "since": format_time(since),
        },
        headers=issuer.headers,
    )
    assert r.status_code == 201, r.text
    readings = [
        {"time": format_time(t), "parameter": p, "value": 7 + t % 5}
        for t in range(since, since + 9 * LENGTH, 15)
        for p in ("COD", "pH")
    ]
    r = env.client.post(f"/v1/stations/{code}/readings", json=readings, headers=issuer.headers)
    assert r.status_code == 200, r.text
    seal_due_intervals(env.store)
    sealed = env.client.get(f"/v1/stations/{code}").json()["sealedUntil"]
    return Station(code, issuer, since, _seconds(sealed), since + 2 * LENGTH)


def _seconds(text: str) -> int:
    return int(dt.datetime.fromisoformat(text).timestamp())


def _problem(r: Response, field: str) -> dict[str, object]:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body: dict[str, object] = r.json()
    assert body["field"] == field, body
    return body


def _export_params(station: Station, **over: str) -> dict[str, str]:
    params = {"from": format_time(station.since), "to": format_time(station.sealed_until)}
    params.update(over)
    return params


# -- times -------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", OUT_OF_RANGE + OUT_OF_FORM, ids=repr)
def test_a_proofs_time_out_of_range_or_form_is_refused_naming_it(
    env: ApiEnv, station: Station, bad: str
) -> None:
    r = env.client.get(
        f"/v1/stations/{station.code}/readings/proof", params={"parameter": "COD", "time": bad}
    )
    _problem(r, "time")


@pytest.mark.parametrize("field", ["from", "to"])
@pytest.mark.parametrize("bad", OUT_OF_RANGE + OUT_OF_FORM, ids=repr)
def test_an_exports_bound_out_of_range_or_form_is_refused_naming_it(
    env: ApiEnv, station: Station, field: str, bad: str
) -> None:
    r = env.client.get(
        f"/v1/stations/{station.code}/readings", params=_export_params(station, **{field: bad})
    )
    _problem(r, field)


def test_the_ends_of_the_range_are_accepted(env: ApiEnv, station: Station) -> None:
    """As wide a window as RFC 3339 writes: cut to what is sealed, and it says so."""
    r = env.client.get(
        f"/v1/stations/{station.code}/readings",
        params={"from": "0001-01-01T00:00:00Z", "to": "9999-12-31T23:59:59Z", "format": "json"},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["format"] == FORMAT_V2
    assert (body["from"], body["to"]) == (
        format_time(station.since),
        format_time(station.sealed_until),
    )
    assert body["requested"] == {
        "from": "0001-01-01T00:00:00Z",
        "to": "9999-12-31T23:59:59Z",
        "endsEarly": "not-sealed",
    }
    r = env.client.get(
        f"/v1/stations/{station.code}/readings/proof",
        params={"parameter": "COD", "time": "9999-12-31T23:59:59Z"},
    )
    assert r.status_code == 404, r.text


def test_unix_seconds_are_seconds(env: ApiEnv, station: Station) -> None:
    r = env.client.get(
        f"/v1/stations/{station.code}/readings/proof",
        params={"parameter": "COD", "time": str(station.reading_time)},
    )
    assert r.status_code == 200, r.text
    assert r.json()["reading"]["time"] == format_time(station.reading_time)


def test_a_time_between_seconds_has_no_reading(env: ApiEnv, station: Station) -> None:
    at = format_time(station.reading_time).replace("Z", ".5Z")
    r = env.client.get(
        f"/v1/stations/{station.code}/readings/proof", params={"parameter": "COD", "time": at}
    )
    assert r.status_code == 404, r.text


# -- windows -----------------------------------------------------------------------------


@pytest.mark.parametrize("offset", [0, -LENGTH, -86_400 * 365])
def test_a_reversed_or_empty_window_is_refused(env: ApiEnv, station: Station, offset: int) -> None:
    params = _export_params(station, to=format_time(station.since + offset))
    _problem(env.client.get(f"/v1/stations/{station.code}/readings", params=params), "to")


def test_a_window_in_the_future_is_empty_and_says_why(env: ApiEnv, station: Station) -> None:
    future = station.sealed_until + 86_400
    params = {"from": format_time(future), "to": format_time(future + LENGTH)}
    r = env.client.get(f"/v1/stations/{station.code}/readings", params=params)
    assert r.status_code == 200, r.text
    export = parse_export(r.content)
    assert export.intervals == () and export.ends_early is not None
    assert export.ends_early.reason == "not-sealed"


def test_a_window_over_the_readings_limit_is_refused_before_anything_is_sent(
    env: ApiEnv, station: Station, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = env.client.get(f"/v1/stations/{station.code}/readings", params=_export_params(station))
    held = parse_export(r.content)
    per_interval = max(len(i.rows) for i in held.intervals)
    monkeypatch.setattr(window, "MAX_EXPORT_READINGS", 3 * per_interval)
    r = env.client.get(f"/v1/stations/{station.code}/readings", params=_export_params(station))
    body = _problem(r, "to")
    assert "narrow the window" in str(body["detail"]) and f"{held.reading_count:,}" in str(
        body["detail"]
    )
    fits = str(body["detail"]).split("up to to=")[1].split(" ")[0]
    r = env.client.get(
        f"/v1/stations/{station.code}/readings", params=_export_params(station, to=fits)
    )
    assert r.status_code == 200, r.text
    assert parse_export(r.content).reading_count <= 3 * per_interval
    monkeypatch.setattr(window, "MAX_EXPORT_READINGS", 1)
    one = {"from": format_time(station.since), "to": format_time(station.since + LENGTH)}
    r = env.client.get(f"/v1/stations/{station.code}/readings", params=one)
    assert r.status_code == 200, r.text  # a single interval always exports, however large


def test_an_unknown_or_malformed_station_is_not_found_or_refused(env: ApiEnv) -> None:
    params = {"from": "2026-03-01T00:00:00Z", "to": "2026-03-02T00:00:00Z"}
    assert env.client.get("/v1/stations/NOPE-404/readings", params=params).status_code == 404
    proof = {"parameter": "COD", "time": "2026-03-01T00:00:00Z"}
    assert env.client.get("/v1/stations/NOPE-404/readings/proof", params=proof).status_code == 404
    for bad in ("-leading-dash", "x" * 65, "sp%20ace", "%00"):
        r = env.client.get(f"/v1/stations/{bad}/readings", params=params)
        assert r.status_code in (404, 422), (bad, r.status_code)


@pytest.mark.parametrize("parameter", ["", "x" * 33])
def test_a_proofs_parameter_out_of_form_is_refused(
    env: ApiEnv, station: Station, parameter: str
) -> None:
    r = env.client.get(
        f"/v1/stations/{station.code}/readings/proof",
        params={"parameter": parameter, "time": format_time(station.reading_time)},
    )
    _problem(r, "parameter")


def test_an_unknown_format_is_refused(env: ApiEnv, station: Station) -> None:
    r = env.client.get(
        f"/v1/stations/{station.code}/readings", params=_export_params(station, format="xlsx")
    )
    _problem(r, "format")


def test_a_key_changes_nothing_in_a_public_export(env: ApiEnv, station: Station) -> None:
    """Another issuer's key, a revoked-looking key, or none: the same bytes, never a 401/403."""
    other = env.new_issuer()
    path = f"/v1/stations/{station.code}/readings"
    params = _export_params(station)
    plain = env.client.get(path, params=params)
    assert plain.status_code == 200
    for headers in (other.headers, {"Authorization": "Bearer not-a-key"}, station.issuer.headers):
        r = env.client.get(path, params=params, headers=headers)
        assert (r.status_code, r.content) == (200, plain.content)


def test_a_duplicated_parameter_takes_its_last_value(env: ApiEnv, station: Station) -> None:
    first, last = format_time(station.since), format_time(station.since + 2 * LENGTH)
    query = f"from={first}&from={last}&to={format_time(station.sealed_until)}"
    r = env.client.get(f"/v1/stations/{station.code}/readings?{query}")
    assert r.status_code == 200, r.text
    assert parse_export(r.content).start == station.since + 2 * LENGTH
    r = env.client.get(f"/v1/stations/{station.code}/readings?{query}&format=json&format=csv")
    assert r.status_code == 200 and r.content.startswith(b"record,")


# -- over a real socket -----------------------------------------------------------------


@pytest.fixture(scope="module")
def served(env: ApiEnv) -> Iterator[int]:
    """The same store served by uvicorn: what a client's connection sees."""
    port = free_port()
    with serve(env.settings, port):
        yield port


def _exchange(s: socket.socket, path: str) -> tuple[bytes, bytes]:
    """One GET on an open keep-alive connection: (head, body)."""
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: test\r\n\r\n".encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        assert chunk, "the server closed the connection"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").lower().split("\r\n")
    if "transfer-encoding: chunked" in lines:
        while not body.endswith(b"\r\n0\r\n\r\n"):
            chunk = s.recv(65536)
            assert chunk, "the server closed the connection"
            body += chunk
        return head, _dechunk(body)
    length = next(int(line.split(":")[1]) for line in lines if line.startswith("content-length"))
    while len(body) < length:
        body += s.recv(65536)
    return head, body


def _dechunk(body: bytes) -> bytes:
    """An HTTP/1.1 chunked body's content."""
    out, at = b"", 0
    while True:
        end = body.index(b"\r\n", at)
        size = int(body[at:end], 16)
        if size == 0:
            return out
        out += body[end + 2 : end + 2 + size]
        at = end + 4 + size


@pytest.mark.parametrize("bad", ["0001-01-01T00:00:00%2B01:00", "9999-12-31T23:59:59-01:00"])
def test_a_refused_time_keeps_the_connection(station: Station, served: int, bad: str) -> None:
    with socket.create_connection(("127.0.0.1", served), timeout=10) as s:
        head, _ = _exchange(
            s, f"/v1/stations/{station.code}/readings/proof?parameter=COD&time={bad}"
        )
        assert head.startswith(b"HTTP/1.1 422"), head
        assert b"connection: close" not in head.lower()
        head, _ = _exchange(s, "/healthz")  # the same connection still answers
        assert head.startswith(b"HTTP/1.1 200"), head


def test_an_export_is_streamed(station: Station, served: int) -> None:
    """Sent in chunks as it is written (no length known up front), and it reads back whole."""
    query = f"from={format_time(station.since)}&to={format_time(station.sealed_until)}"
    with socket.create_connection(("127.0.0.1", served), timeout=10) as s:
        head, body = _exchange(s, f"/v1/stations/{station.code}/readings?{query}")
    assert head.startswith(b"HTTP/1.1 200"), head
    assert b"transfer-encoding: chunked" in head.lower()
    assert b"content-length" not in head.lower()
    export = parse_export(body)
    assert (export.start, export.end) == (station.since, station.sealed_until)
    assert export.reading_count == 2 * 9 * LENGTH // 15


def test_exports_at_once_take_turns_and_each_comes_whole(station: Station, served: int) -> None:
    """Several at once (they write a chunk each in turn): each the same bytes as alone."""
    query = f"from={format_time(station.since)}&to={format_time(station.sealed_until)}"
    path = f"/v1/stations/{station.code}/readings?{query}"

    def one(_: int) -> bytes:
        with socket.create_connection(("127.0.0.1", served), timeout=30) as s:
            head, body = _exchange(s, path)
        assert head.startswith(b"HTTP/1.1 200"), head
        return body

    alone = one(0)
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(one, range(4)))
    assert together == [alone] * 4
