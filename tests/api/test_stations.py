"""Monitoring streams end to end on a real Anvil: register, ingest, seal, anchor, export,
verify with `notary verify-stream`, then tamper with the CSV every way and see it named."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3

from notary.chain import Registry
from notary.cli import main
from notary.core.streams import format_time, parse_time
from notary.pipeline.batcher import pending_count
from notary.streams.export import parse_export
from notary.streams.verify import check_export

from .conftest import ApiEnv, Issuer, app_env

pytestmark = pytest.mark.anvil
LENGTH = 2  # seconds per interval: the test waits for real intervals to close
PARAMETERS = [{"name": "PM2.5", "unit": "µg/m³"}, {"name": "SO2", "unit": "mg/Nm³"}]


@pytest.fixture(scope="module")
def api(
    w3: Web3, api_chain: tuple[Registry, LocalAccount], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ApiEnv]:
    """This module's own app and store: its stations seal an interval every LENGTH seconds
    for as long as they exist, which would keep the session store's worker busy for
    every later test."""
    with app_env(w3, api_chain, tmp_path_factory.mktemp("stations")) as env:
        yield env


@dataclass
class Window:
    """A station whose first intervals are sealed and anchored, and its export."""

    code: str
    issuer: Issuer
    start: int
    end: int
    late_time: int
    csv: bytes


def _post_readings(api: ApiEnv, issuer: Issuer, code: str, lines: list[dict[str, object]]) -> dict:  # type: ignore[type-arg]
    body = "\n".join(json.dumps(x) for x in lines).encode()
    r = api.client.post(
        f"/v1/stations/{code}/readings",
        content=body,
        headers={**issuer.headers, "content-type": "application/x-ndjson"},
    )
    assert r.status_code == 200, r.text
    result: dict = r.json()  # type: ignore[type-arg]
    return result


def _wait_past(seconds: int) -> None:
    time.sleep(max(0.0, seconds - time.time() + 0.05))


@pytest.fixture(scope="module")
def window(api: ApiEnv) -> Window:
    issuer = api.new_issuer("Sở Tài nguyên và Môi trường Hà Nội")
    now = int(time.time())
    start = now - now % LENGTH - 6 * LENGTH  # six intervals already over
    code = f"HN-{issuer.address[2:8]}"
    r = api.client.post(
        "/v1/stations",
        json={
            "id": code,
            "name": "Trạm Nguyễn Văn Cừ",
            "kind": "ambient-air",
            "location": {"latitude": 21.0485, "longitude": 105.8795},
            "parameters": PARAMETERS,
            "intervalSeconds": LENGTH,
            "graceSeconds": 0,
            "since": format_time(start),
        },
        headers=issuer.headers,
    )
    assert r.status_code == 201, r.text
    late_time = start + LENGTH + 1  # held back, sent after its interval is sealed
    lines: list[dict[str, object]] = []
    for t in range(start, start + 6 * LENGTH):
        if start + 3 * LENGTH <= t < start + 4 * LENGTH:
            continue  # the fourth interval stays empty: a visible gap
        lines.append({"time": format_time(t), "parameter": "SO2", "value": 0.4 + t % 7 / 10})
        if t != late_time:
            lines.append({"time": format_time(t), "parameter": "PM2.5", "value": 30 + t % 11})
    assert _post_readings(api, issuer, code, lines)["created"] == len(lines)
    again = _post_readings(api, issuer, code, lines[:5])
    assert (again["created"], again["existing"], again["conflicts"]) == (0, 5, [])
    api.drain()
    late = _post_readings(
        api, issuer, code, [{"time": format_time(late_time), "parameter": "PM2.5", "value": 99}]
    )
    assert late["late"] == 1
    end = (int(time.time()) // LENGTH + 1) * LENGTH  # the interval open now will hold it
    _wait_past(end)
    api.drain()
    time.sleep(0.01)  # the last interval's document waits its batch interval (1 ms here)
    api.drain()
    r = api.client.get(
        f"/v1/stations/{code}/readings",
        params={"from": format_time(start), "to": format_time(end), "format": "csv"},
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    return Window(code, issuer, start, end, late_time, r.content)


def _verify(
    api: ApiEnv,
    tmp_path: Path,
    data: bytes,
    capsys: pytest.CaptureFixture[str],
    keys: tuple[str, ...] = ("--service", "http://testserver"),
) -> tuple[int, str]:
    path = tmp_path / "export.csv"
    path.write_bytes(data)
    rpc = ["--rpc-url", api.settings.rpc_url]
    code = main(["verify-stream", str(path), *rpc, *keys], http=api.client)
    return code, capsys.readouterr().out


def test_the_window_is_complete_and_unaltered(
    api: ApiEnv, window: Window, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _verify(api, tmp_path, window.csv, capsys)
    assert code == 0, out
    intervals = (window.end - window.start) // LENGTH
    assert f"at station {window.code}: {intervals} intervals" in out
    assert "(1 late)" in out and "complete and unaltered" in out
    export = parse_export(window.csv)
    empty = [i for i in export.intervals if not i.rows]
    assert any(i.start == window.start + 3 * LENGTH for i in empty)  # the gap is sealed too
    assert all(i.receipt["status"] == "anchored" for i in export.intervals)


def test_without_the_service_keys_it_says_signatures_were_not_checked(
    api: ApiEnv, window: Window, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _verify(api, tmp_path, window.csv, capsys, keys=())
    assert code == 0, out
    assert out.count("signature was NOT checked") == 1  # once, not once per interval


def test_an_interval_receipt_with_a_forged_signature_is_invalid(
    api: ApiEnv, window: Window, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = _rows(window.csv)
    i = next(i for i, r in enumerate(rows) if r[0] == "interval")
    receipt = json.loads(rows[i][10])
    signature = receipt["service"]["signature"]
    receipt["service"]["signature"] = signature[:-2] + ("00" if signature[-2:] != "00" else "01")
    rows[i][10] = json.dumps(receipt, ensure_ascii=False)
    code, out = _verify(api, tmp_path, _csv(rows), capsys)
    assert code == 1, out
    assert f"INVALID   interval {rows[i][2]}" in out and "signature" in out


def test_json_export_verifies_the_same(api: ApiEnv, window: Window) -> None:
    r = api.client.get(
        f"/v1/stations/{window.code}/readings",
        params={"from": format_time(window.start), "to": format_time(window.end), "format": "json"},
    )
    from notary.cli.stream import ChainChecker
    from notary.cli.verify import ServiceKeys

    keys = ServiceKeys(None, "http://testserver", api.client)
    check = ChainChecker(api.settings.rpc_url, 0, 10, keys)
    report = check_export(parse_export(r.content), check)
    assert check.notes == []  # every interval's signature was checked
    assert report.verdict.value == "VALID", report.differences
    assert report.readings == parse_export(window.csv).reading_count


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"))))


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def _reading_rows(rows: list[list[str]]) -> list[int]:
    return [i for i, row in enumerate(rows) if row[0] == "reading"]


def test_an_edited_value_is_named_changed(
    api: ApiEnv, window: Window, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = _rows(window.csv)
    i = _reading_rows(rows)[3]
    rows[i][6] = "12.5" if rows[i][6] != "12.5" else "13"
    code, out = _verify(api, tmp_path, _csv(rows), capsys)
    assert code == 1
    assert f"CHANGED   interval {rows[i][2]}" in out and "NOT as anchored" in out


def test_a_removed_reading_is_named_missing(
    api: ApiEnv, window: Window, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = _rows(window.csv)
    i = _reading_rows(rows)[0]
    interval = rows[i][2]
    del rows[i]
    code, out = _verify(api, tmp_path, _csv(rows), capsys)
    assert code == 1
    assert f"MISSING   interval {interval}" in out and "1 missing" in out


def test_an_inserted_reading_is_named_added_with_its_row(
    api: ApiEnv, window: Window, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = _rows(window.csv)
    gap = window.start + 3 * LENGTH  # the empty interval: a reading slipped in there
    forged = list(rows[_reading_rows(rows)[0]])
    forged[2], forged[3], forged[4] = format_time(gap), format_time(gap + LENGTH), format_time(gap)
    at = next(i for i, r in enumerate(rows) if r[0] == "interval" and r[2] == format_time(gap))
    rows.insert(at + 1, forged)
    code, out = _verify(api, tmp_path, _csv(rows), capsys)
    assert code == 1
    assert f"ADDED     interval {format_time(gap)}" in out and f": row {at + 2} (" in out


def test_reordered_rows_are_named_reordered(
    api: ApiEnv, window: Window, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = _rows(window.csv)
    a, b = _reading_rows(rows)[:2]
    rows[a], rows[b] = rows[b], rows[a]
    code, out = _verify(api, tmp_path, _csv(rows), capsys)
    assert code == 1
    assert f"REORDERED interval {rows[a][2]}" in out and f": row {b + 1} (" in out


def test_a_late_reading_moved_into_its_own_interval_is_named_late(
    api: ApiEnv, window: Window, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = _rows(window.csv)
    late = next(i for i, r in enumerate(rows) if r[0] == "reading" and r[9] == "1")
    moved = list(rows.pop(late))
    own = window.late_time - window.late_time % LENGTH
    moved[2], moved[3], moved[9] = format_time(own), format_time(own + LENGTH), "0"
    rows.append(moved)
    rows[2:] = sorted(rows[2:], key=lambda r: (r[2], r[0] != "interval", r[4], r[5].encode()))
    code, out = _verify(api, tmp_path, _csv(rows), capsys)
    assert code == 1
    assert f"LATE      interval {format_time(own)}" in out and "arrived late" in out
    assert "MISSING" not in out


def test_one_readings_proof_verifies_on_chain(
    api: ApiEnv, window: Window, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    r = api.client.get(
        f"/v1/stations/{window.code}/readings/proof",
        params={"parameter": "PM2.5", "time": format_time(window.late_time)},
    )
    assert r.status_code == 200, r.text
    proof = r.json()
    assert proof["reading"]["late"] is True and proof["reading"]["value"] == "99"
    path = tmp_path / "reading.proof.json"
    path.write_text(json.dumps(proof))
    assert main(["verify-stream", str(path), "--rpc-url", api.settings.rpc_url]) == 0
    assert "VALID" in capsys.readouterr().out
    proof["reading"]["value"] = "98"
    path.write_text(json.dumps(proof))
    assert main(["verify-stream", str(path), "--rpc-url", api.settings.rpc_url]) == 1


def test_stations_are_public_and_intake_is_the_owners(api: ApiEnv, window: Window) -> None:
    listed = api.client.get("/v1/stations").json()["stations"]
    mine = next(s for s in listed if s["id"] == window.code)
    assert mine["issuer"] == window.issuer.address and mine["intervalSeconds"] == LENGTH
    assert api.client.get(f"/v1/stations/{window.code}").json() == mine
    assert api.client.get("/v1/stations/NOPE-404").status_code == 404
    other = api.new_issuer()
    r = api.client.post(
        f"/v1/stations/{window.code}/readings",
        json=[{"time": format_time(int(time.time())), "parameter": "SO2", "value": 1}],
        headers=other.headers,
    )
    assert r.status_code == 403
    bad = api.client.post(
        f"/v1/stations/{window.code}/readings",
        json=[{"time": format_time(int(time.time())), "parameter": "NO2", "value": 1}],
        headers=window.issuer.headers,
    )
    assert bad.status_code == 422 and bad.json()["field"] == "readings[0].parameter"


def test_demo_stream_runs_end_to_end(
    api: ApiEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import threading

    from notary.pipeline.operations import WorkerConfig
    from notary.worker.daemon import build_worker

    key_file = tmp_path / "admin.key"
    key_file.write_text(api.admin["Authorization"].removeprefix("Bearer "))
    stop = threading.Event()
    worker = build_worker(api.settings, api.store, config=WorkerConfig(idle_sleep_s=0.05))
    thread = threading.Thread(target=worker.run, args=(stop.is_set,), daemon=True)
    thread.start()
    out = tmp_path / "demo.csv"
    try:
        code = main(
            [
                "demo-stream",
                "--intervals",
                "2",
                "--interval",
                "2",
                "--out",
                str(out),
                "--server",
                "http://testserver",
                "--api-key-file",
                str(key_file),
                "--rpc-url",
                api.settings.rpc_url,
            ],
            http=api.client,
        )
    finally:
        stop.set()
        thread.join(10)
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert (
        "exceedance: SO2" in printed
        and "2 intervals, 8 readings, complete and unaltered" in printed
    )
    assert parse_export(out.read_bytes()).reading_count == 8


def test_an_export_asked_past_what_is_sealed_says_so_and_why(
    api: ApiEnv, window: Window, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """It used to be cut silently, and verify-stream called the shorter window complete."""
    _settle(api)  # the intervals sealed since (one every LENGTH s) anchored too
    asked = window.end + 86_400
    r = api.client.get(
        f"/v1/stations/{window.code}/readings",
        params={"from": format_time(window.start), "to": format_time(asked)},
    )
    assert r.status_code == 200, r.text
    rows = _rows(r.content)
    sealed_until = parse_time(rows[1][3])
    assert rows[2][:4] == ["requested", window.code, format_time(window.start), format_time(asked)]
    assert rows[2][10] == "not-sealed"
    code, out = _verify(api, tmp_path, r.content, capsys)
    assert code == 0, out
    assert "complete and unaltered; it ends before the end asked for, " + _when(asked) in out, out
    assert f"because the intervals after {_when(sealed_until)}" in out
    assert "were not sealed yet when it was exported" in out
    path = tmp_path / "export.json"
    path.write_bytes(
        api.client.get(
            f"/v1/stations/{window.code}/readings",
            params={"from": format_time(window.start), "to": format_time(asked), "format": "json"},
        ).content
    )
    code = main(["verify-stream", str(path), "--rpc-url", api.settings.rpc_url, "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["verdict"] == "VALID"
    assert report["requested"] == {
        "from": format_time(window.start),
        "to": format_time(asked),
        "endsEarly": "not-sealed",
    }
    assert "it ends before the end asked for" in report["summary"]


def _settle(api: ApiEnv, tries: int = 10) -> None:
    """Drain until no document waits: a drain that takes long (anchoring on Anvil) lets the
    next LENGTH s interval fall due, and the drain after it seals that one, whose document
    then waits its batch interval (1 ms here) for yet another drain."""
    for _ in range(tries):
        api.drain()  # it ends with nothing in flight: every batch sealed is anchored
        if pending_count(api.store) == 0:
            return
        time.sleep(0.01)
    raise AssertionError(f"documents still waited after {tries} drains")


def _when(seconds: int) -> str:
    """A time as verify-stream writes it: ``2026-03-01 02:10 UTC``, seconds when not zero."""
    text = format_time(seconds).replace("T", " ")
    return (text[:-4] if text.endswith(":00Z") else text[:-1]) + " UTC"
