"""The monitoring page (/verify/stream): a station's export, checked on the device.

A real station on a real Anvil seals and anchors its intervals; its CSV and JSON exports and
a reading's proof go through the page untouched and tampered with every way
(tests/browser/streams.py), and for every file the page's answer is held against
`check_export`'s (what `notary verify-stream` prints), difference by difference.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from web3 import Web3

from notary.chain import Registry
from notary.core.errors import FormatError
from notary.core.receipts import Receipt
from notary.core.signing import public_key_from_hex
from notary.core.streams import format_time
from notary.streams.export import parse_export
from notary.streams.sealer import seal_due_intervals
from notary.streams.verify import StreamReport, check_export
from notary.verify import Outcome
from notary.verify.onchain import verify_on_chain
from tests.browser.conftest import (
    fits_phone,
    new_context,
    serious_violations,
    shoot,
    shoot_both,
)
from tests.browser.offline import watch
from tests.browser.stack import Chain, Site, sibling, site
from tests.browser.streams import (
    CASES,
    ENDS_EARLY,
    LENGTH,
    Case,
    Window,
    csv_of,
    export,
    make_day,
    make_window,
    new_station,
    post_readings,
    rows_of,
)

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "vectors" / "stream-interval.json"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def stations(
    w3: Web3, page_chain: Chain, anvil: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    """This module's own app and store: a station seals an interval every LENGTH seconds for
    as long as it exists, which would keep the session site's drains busy."""
    with site(tmp_path_factory.mktemp("stations"), w3, page_chain, rpc_url=anvil.url) as served:
        yield served


@pytest.fixture(scope="module")
def window(stations: Site) -> Window:
    issuer = stations.env.new_issuer("Sở Tài nguyên và Môi trường Hà Nội")
    stations.env.drain()
    return make_window(stations.env, issuer)


def python_report(stations: Site, w3: Web3, data: bytes) -> StreamReport:
    """What `notary verify-stream` finds in `data`: check_export on the same node, with the
    service's published keys (so signatures are checked, as the page checks them)."""
    published = stations.env.client.get("/v1/service").json()["keys"]
    keys = {k["keyId"]: public_key_from_hex(k["publicKey"]) for k in published}

    def on_chain(receipt: Receipt) -> Outcome:
        registry = Registry(w3, receipt.anchor.contract) if receipt.anchor else None
        return verify_on_chain(receipt, registry, required_confirmations=0, public_keys=keys)

    return check_export(parse_export(data), on_chain)


def python_findings(report: StreamReport) -> set[tuple[str, str]]:
    """(interval start or "window", kind) of every difference, and (start, verdict) of every
    interval whose receipt is not VALID."""
    found = {
        ("window" if i is None else format_time(i.start), d.kind) for i, d in report.differences
    }
    for interval in report.intervals:
        if interval.verdict is not None and interval.verdict.value != "VALID":
            found.add((format_time(interval.start), interval.verdict.value))
    return found


def open_page(page: Page, url: str) -> None:
    page.goto(f"{url}/verify/stream")
    page.wait_for_selector("#main[data-ready]")


def give(page: Page, data: bytes, name: str = "export.csv") -> str | None:
    """Choose `data` as a file on the page; the verdict once it is shown (None: no card)."""
    page.evaluate("document.getElementById('main').dataset.state = 'idle'")
    kind = "application/json" if name.endswith(".json") else "text/csv"
    page.set_input_files("#file", files=[{"name": name, "mimeType": kind, "buffer": data}])
    page.wait_for_selector('#main[data-state="done"]', timeout=30_000)
    card = page.locator("article.card")
    return str(card.first.get_attribute("data-verdict")) if card.count() else None


def page_findings(page: Page) -> set[tuple[str, str]]:
    """(interval, kind) of every difference the page lists, (interval, verdict) of every
    receipt it could not back."""
    items = page.locator("li.diff").evaluate_all(
        "items => items.map(i => [i.dataset.kind, i.dataset.interval, i.dataset.verdict || ''])"
    )
    found = set()
    for kind, intervals, verdict in items:
        for interval in intervals.split():
            found.add((interval, verdict if kind == "receipt" else kind))
    return found


def banner(page: Page) -> str:
    return page.locator("article.card .verdict").first.inner_text()


def test_an_untouched_export_is_complete_and_unaltered(
    stations: Site, window: Window, page: Page, w3: Web3
) -> None:
    open_page(page, stations.url)
    assert give(page, window.csv) == "VALID"
    intervals = (window.end - window.start) // LENGTH
    readings = parse_export(window.csv).reading_count
    lead = banner(page)
    assert "Complete and unaltered" in lead
    assert re.search(
        rf"Readings from .+ to .+ at station {window.code}: {intervals} intervals, "
        rf"{readings} readings \(1 late\), complete and unaltered\.",
        lead,
    ), lead
    assert "Sở Tài nguyên và Môi trường Hà Nội wrote to the blockchain" in lead  # the chain's name
    assert "the service vouches for it" in lead and "its own key" not in lead  # no signing key
    expect(page.locator("li.diff")).to_have_count(0)
    expect(page.locator('.intervals .step[data-state="ok"]')).to_have_count(intervals)
    expect(page.locator(".intervals summary")).to_contain_text(f"{intervals} of {intervals} match")
    assert python_report(stations, w3, window.csv).verdict.value == "VALID"
    fits_phone(page)  # at 360 px
    page.set_viewport_size(PHONE)
    shoot(page, "stream-valid-phone-en")
    page.set_viewport_size(DESKTOP)
    shoot(page, "stream-valid-desktop-en")


def test_a_file_dropped_anywhere_on_the_page_is_checked(
    stations: Site, window: Window, page: Page
) -> None:
    open_page(page, stations.url)
    page.evaluate("document.getElementById('main').dataset.state = 'idle'")
    dropped = page.evaluate_handle(
        """text => {
            const data = new DataTransfer();
            data.items.add(new File([text], 'dropped.csv', { type: 'text/csv' }));
            return data;
        }""",
        window.csv.decode("utf-8"),
    )
    page.dispatch_event("body", "dragover", {"dataTransfer": dropped})
    assert page.evaluate("document.body.classList.contains('dragging')")
    page.dispatch_event("body", "drop", {"dataTransfer": dropped})
    page.wait_for_selector('#main[data-state="done"]', timeout=30_000)
    assert page.locator("article.card").first.get_attribute("data-verdict") == "VALID"
    assert not page.evaluate("document.body.classList.contains('dragging')")


def test_the_json_export_verifies_the_same(stations: Site, window: Window, page: Page) -> None:
    open_page(page, stations.url)
    assert give(page, window.json, "export.json") == "VALID"
    intervals = (window.end - window.start) // LENGTH
    assert f"{intervals} intervals" in banner(page) and "complete and unaltered" in banner(page)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_a_tampered_export_names_the_interval_and_how(
    stations: Site, window: Window, page: Page, w3: Web3, case: Case
) -> None:
    data, interval = case.apply(window)
    expected = python_findings(python_report(stations, w3, data))
    assert (interval, case.kind) in expected  # the case does what it says (CLI's reading)
    open_page(page, stations.url)
    assert give(page, data) == "INVALID"
    assert page_findings(page) == expected
    item = page.locator(f'li.diff[data-kind="{case.kind}"][data-interval="{interval}"]').first
    expect(item).to_be_visible()  # the list comes before the collapsed details
    assert "NOT as recorded" in banner(page) and "NOT as written to the blockchain" in banner(page)
    fits_phone(page)
    if case.name in ("value-changed", "late-moved"):
        shoot_both(page, f"stream-{case.name}")


def test_the_kinds_read_in_plain_words(stations: Site, window: Window, page: Page) -> None:
    """What a phone user reads for each kind: the row, the reading and what happened."""
    open_page(page, stations.url)
    words = {
        "value-changed": "at least one was changed",
        "row-removed": "1 missing",
        "row-added": "was not written to the blockchain with this interval: it was added",
        "rows-reordered": "the rows were reordered",
        "late-moved": "arrived late and was written to the blockchain with the interval",
        "late-flag": "is marked late, but its time lies inside this interval",
    }
    for case in CASES:
        data, interval = case.apply(window)
        give(page, data)
        item = page.locator(f'li.diff[data-kind="{case.kind}"][data-interval="{interval}"]')
        expect(item.first).to_contain_text(words[case.name])


def test_a_forged_receipt_signature_is_found(
    stations: Site, window: Window, page: Page, w3: Web3
) -> None:
    rows = rows_of(window.csv)
    i = next(i for i, r in enumerate(rows) if r[0] == "interval")
    receipt = json.loads(rows[i][10])
    signature = receipt["service"]["signature"]
    receipt["service"]["signature"] = signature[:-2] + ("00" if signature[-2:] != "00" else "01")
    rows[i][10] = json.dumps(receipt, ensure_ascii=False, separators=(",", ":"))
    data = csv_of(rows)
    expected = python_findings(python_report(stations, w3, data))
    assert expected == {(rows[i][2], "INVALID")}
    open_page(page, stations.url)
    assert give(page, data) == "INVALID"
    assert page_findings(page) == expected
    expect(page.locator('li.diff[data-verdict="INVALID"]')).to_contain_text(
        "not signed by this service"
    )


def test_a_readings_proof(stations: Site, window: Window, page: Page) -> None:
    open_page(page, stations.url)
    assert give(page, window.proof, "reading.proof.json") == "VALID"
    assert "Arrived late: recorded with the interval" in banner(page)
    assert "PM2.5" in banner(page) and "99 µg/m³" in banner(page)
    shoot(page, "stream-proof-en")
    proof = json.loads(window.proof)
    proof["reading"]["value"] = "98"
    assert give(page, json.dumps(proof).encode(), "reading.proof.json") == "INVALID"
    assert "does not match its proof" in banner(page)
    proof["reading"]["value"], proof["line"] = "98", proof["line"].replace("\t99\t", "\t98\t")
    assert give(page, json.dumps(proof).encode(), "reading.proof.json") == "INVALID"
    assert "does not lead to its interval's record" in banner(page)


def _edit_first_reading(data: bytes, column: int, value: str) -> bytes:
    rows = rows_of(data)
    i = next(i for i, r in enumerate(rows) if r[0] == "reading")
    rows[i][column] = value
    return csv_of(rows)


def _edit_requested(data: bytes, column: int, value: str) -> bytes:
    rows = rows_of(data)
    assert rows[2][0] == "requested"
    rows[2][column] = value
    return csv_of(rows)


def bad_files(window: Window) -> list[tuple[str, bytes, str]]:
    """Files that are not exports: (name, bytes, what the message must say)."""
    text = window.csv.decode("utf-8")
    rows = rows_of(window.early_csv)
    requested_later = csv_of([*rows[:2], rows[3], rows[2], *rows[4:]])
    v1_saying_requested = json.loads(window.early_json)
    v1_saying_requested["format"] = "notary-stream-export-v1"
    return [
        ("empty", b"", "Row 1: expected the header row"),
        ("not-csv", b"hello, world\n", "Row 1: expected the header row"),
        ("pdf", b"%PDF-1.7\n\xff\xfe binary", "not UTF-8"),
        (
            "non-canonical",
            _edit_first_reading(window.csv, 6, "30.50"),
            "(“30.5”): the file was edited",
        ),
        ("bad-quality", _edit_first_reading(window.csv, 8, "ok"), "column “quality”"),
        ("unclosed-quote", (text + 'reading,"unclosed\n').encode(), "never closed"),
        ("json-garbage", b'{"format": "x"', "not valid JSON"),
        ("receipt", json.dumps(json.loads(rows_of(window.csv)[2][10])).encode(), "receipt"),
        (
            "requested-not-later",
            _edit_requested(window.early_csv, 3, rows_of(window.early_csv)[1][3]),
            "must come after the end of the file's period",
        ),
        (
            "requested-reason",
            _edit_requested(window.early_csv, 10, "tired"),
            "expected one of not-sealed, interval-limit",
        ),
        ("requested-row-later", requested_later, "right after the window row"),
        (
            "v1-saying-requested",
            json.dumps(v1_saying_requested).encode(),
            "a field the format does not have",
        ),
    ]


def test_a_bad_file_gets_a_clear_message(stations: Site, window: Window, page: Page) -> None:
    open_page(page, stations.url)
    for name, data, words in bad_files(window):
        assert give(page, data, f"{name}.csv") is None, name
        message = page.locator("#message")
        expect(message).to_be_visible()
        expect(message).to_have_attribute("role", "alert")
        expect(message).to_contain_text("This file cannot be checked")
        expect(message).to_contain_text(words)
        with pytest.raises(FormatError):  # and `notary verify-stream` refuses it too
            parse_export(data)
    shoot(page, "stream-bad-file-en")


def test_the_csv_reader_is_rfc_4180(stations: Site, page: Page) -> None:
    """Quoted commas, doubled quotes, line breaks in quotes, CRLF, blank lines: read as
    Python's csv module reads them (which `notary verify-stream` uses)."""
    open_page(page, stations.url)
    samples = [
        'a,"b,c","say ""hi""",\r\nd,"line\nbreak",e\n',
        "x\n\ny\n",
        '"",,""\n',
        'data,"{""receipt"":{""name"":""Sở, \\""TN&MT\\""""}}"\n',
        'tail,"no newline"',
        'in"side,quote\n',
    ]
    for sample in samples:
        ours = page.evaluate(
            "([url, text]) => import(url).then(m => m.parseCsv(text))",
            [f"{stations.url}/static/js/core/csv.js", sample],
        )
        theirs = list(csv.reader(io.StringIO(sample, newline=""), strict=True))
        assert ours == theirs, sample
    for broken in ('"open\n', '"closed"x\n'):
        error = page.evaluate(
            "([url, text]) => import(url).then(m => { try { m.parseCsv(text); return null; }"
            " catch (e) { return e.reason; } })",
            [f"{stations.url}/static/js/core/csv.js", broken],
        )
        assert error in ("unclosed", "afterQuote"), broken
        with pytest.raises(csv.Error):
            list(csv.reader(io.StringIO(broken, newline=""), strict=True))


def test_leaves_and_roots_match_the_known_answers(stations: Site, page: Page) -> None:
    """The page's lines, leaves (Web Crypto) and roots (keccak tree) are the vectors'."""
    open_page(page, stations.url)
    vectors = json.loads(VECTORS.read_text("utf-8"))["intervals"]
    got = page.evaluate(
        """async ([url, vectors]) => {
          const f = await import(url);
          const hex = (b) => '0x' + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
          const out = [];
          for (const v of vectors) {
            const start = f.parseTime(v.intervalStart, {});
            const readings = v.readings.map((r) => ({ ...r, time: f.parseTime(r.time, {}) }));
            const leaves = await f.readingLeaves(v.station, start, readings);
            out.push({ lines: readings.map((r) => f.readingLine(v.station, r, start)),
                       leaves: leaves.map(hex), root: f.rootOf(leaves) });
          }
          return out;
        }""",
        [f"{stations.url}/static/js/core/stream-format.js", vectors],
    )
    assert len(vectors) >= 3
    for vector, ours in zip(vectors, got, strict=True):
        assert ours["lines"] == vector["lines"], vector["title"]
        assert ours["leaves"] == vector["leaves"], vector["title"]
        assert ours["root"] == vector["root"], vector["title"]


def test_the_file_never_leaves_the_device(
    stations: Site, window: Window, browser: Browser, anvil: Any
) -> None:
    """No request carries the file; the only POSTs are JSON-RPC batches to the public node;
    nothing off 127.0.0.1 is asked and the page's CSP is never violated."""
    context = new_context(browser)
    try:
        seen = watch(context)
        posts: list[tuple[str, bytes]] = []
        seen.page.on(
            "request",
            lambda r: (
                posts.append((r.url, r.post_data_buffer or b"")) if r.method != "GET" else None
            ),
        )
        open_page(seen.page, stations.url)
        assert give(seen.page, window.csv) == "VALID"
        assert posts and all(url.rstrip("/") == anvil.url.rstrip("/") for url, _ in posts)
        rows = [line for line in window.csv.split(b"\n") if line.startswith(b"reading,")]
        for _, body in posts:
            assert b"eth_call" in body
            assert not any(row[:60] in body for row in rows)
        assert seen.off_host == [] and seen.violations() == [] and seen.console_errors == []
        # nor does it say, as the document pages do, that the file's fingerprint is sent
        expect(seen.page.locator('[data-i18n="footer.privacy"]')).to_have_count(0)
        expect(seen.page.locator('[data-i18n="stream.privacy"]')).to_be_visible()
    finally:
        context.close()


def test_a_station_day_is_batched_and_fast(stations: Site, browser: Browser) -> None:
    """288 intervals: a handful of JSON-RPC batches, not 288 requests, and a progress line."""
    issuer = stations.env.new_issuer("Sở Tài nguyên và Môi trường Đồng Nai")
    stations.env.drain()
    code, data = make_day(stations.env, issuer, per_interval=10)
    assert len(parse_export(data).intervals) == 288
    context = new_context(browser)
    try:
        page = context.new_page()
        posts: list[str] = []
        page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
        open_page(page, stations.url)
        labels: list[str] = []
        page.expose_function("noteProgress", lambda text: labels.append(text))
        page.evaluate(
            "new MutationObserver(() => noteProgress(document.getElementById('progress-label')"
            ".textContent)).observe(document.getElementById('progress-label'),"
            " {childList: true, characterData: true, subtree: true})"
        )
        started = time.monotonic()
        assert give(page, data, f"{code}.csv") == "VALID"
        took = time.monotonic() - started
        assert "288 intervals, 2,880 readings, complete and unaltered" in banner(page)
        assert len(posts) <= math.ceil(288 / 24), posts  # check() calls go in batches of 24
        assert any("Asking the blockchain" in label for label in labels), labels
        assert any("interval 288 of 288" in label for label in labels), labels
        expect(page.locator("#progress-line")).to_be_hidden()
        assert took < 20, f"{took:.1f} s for a station-day"
    finally:
        context.close()


def test_a_node_that_does_not_answer_is_not_a_failure(
    stations: Site, window: Window, page: Page
) -> None:
    with sibling(stations, public_rpc_url="http://127.0.0.1:9") as url:
        open_page(page, url)
        assert give(page, window.csv) == "UNVERIFIABLE"
        assert "This does not mean the data was altered" in banner(page)
        expect(page.locator(".diffs-title")).to_have_text("Not confirmed yet")  # no "difference"
        expect(page.locator(".intervals summary")).to_contain_text(
            "7 not confirmed".replace("7", str((window.end - window.start) // LENGTH))
        )
        expect(page.locator('li.diff[data-verdict="UNVERIFIABLE"]')).to_contain_text(
            "could not reach the blockchain node"
        )
        shoot(page, "stream-unverifiable-en")
    with sibling(stations, public_rpc_url=None) as url:  # no public node named at all
        open_page(page, url)
        assert give(page, window.csv) == "UNVERIFIABLE"
        expect(page.locator('li.diff[data-verdict="UNVERIFIABLE"]')).to_contain_text(
            "names no public blockchain node"
        )
        expect(page.locator(".tech .command")).to_contain_text("notary verify-stream")


def test_in_vietnamese(stations: Site, window: Window, browser: Browser) -> None:
    context = new_context(browser, "vi-VN")
    try:
        page = context.new_page()
        open_page(page, stations.url)
        assert page.locator("h1").inner_text() == "Kiểm tra số liệu quan trắc"
        assert give(page, window.csv) == "VALID"
        assert "Đầy đủ, không bị thay đổi" in banner(page)
        assert f"tại trạm {window.code}" in banner(page)
        shoot_both(page, "stream-valid")  # and in English after the switch
        assert "Complete and unaltered" in banner(page)
    finally:
        context.close()


def test_linked_from_the_verification_page_and_accessible(
    stations: Site, window: Window, browser: Browser
) -> None:
    context = new_context(browser, bypass_csp=True)  # axe goes in as an inline script
    try:
        page = context.new_page()
        page.goto(f"{stations.url}/verify")
        page.click('a[href="/verify/stream"]')
        page.wait_for_selector("#main[data-ready]")
        tampered, _ = CASES[0].apply(window)
        for data in (None, window.csv, tampered):
            if data is not None:
                give(page, data)
            serious = serious_violations(page)
            assert not serious, serious
        expect(page.locator("article.card .verdict")).to_have_attribute("role", "status")
        expect(page.locator("#file")).to_have_accessible_name(re.compile("Choose the export file"))
    finally:
        context.close()


def test_intervals_cut_out_of_the_window_read_as_one_line(
    stations: Site, window: Window, page: Page, w3: Web3
) -> None:
    rows = rows_of(window.csv)
    cut = {format_time(window.start + k * LENGTH) for k in (1, 2)}
    data = csv_of([r for r in rows if r[0] == "record" or r[0] == "window" or r[2] not in cut])
    expected = python_findings(python_report(stations, w3, data))
    assert expected == {("window", "missing")}
    open_page(page, stations.url)
    assert give(page, data) == "INVALID"
    assert page_findings(page) == expected
    expect(page.locator("li.diff")).to_have_count(1)
    expect(page.locator("li.diff")).to_contain_text("2 intervals in a row")
    assert "2 differences" in banner(page)  # each interval counts, as the CLI counts them


def test_the_first_load_is_small(stations: Site, browser: Browser) -> None:
    """One module, its styles and catalogue: under the verification page's 150 KB budget."""
    context = new_context(browser)
    try:
        page = context.new_page()
        finished: list[Any] = []
        page.on("requestfinished", lambda r: finished.append(r))
        open_page(page, stations.url)
        page.wait_for_load_state("networkidle")
        sizes = {r.url: r.sizes() for r in finished}
        total = sum(s["responseBodySize"] + s["responseHeadersSize"] for s in sizes.values())
        assert total <= 150_000, f"{total} bytes: {sorted(sizes)}"
        scripts = [u for u in sizes if u.endswith(".js")]
        assert len(scripts) == 1 and scripts[0].endswith("/build/stream.js"), scripts
    finally:
        context.close()


def test_intervals_sealed_but_not_anchored_yet_are_pending(
    stations: Site, page: Page, w3: Web3
) -> None:
    issuer = stations.env.new_issuer("Sở Tài nguyên và Môi trường Bắc Ninh")
    stations.env.drain()
    now = int(time.time())
    start = now - now % LENGTH - 3 * LENGTH
    code = f"BN-{issuer.address[2:8]}"
    new_station(stations.env, issuer, code, LENGTH, start)
    lines = [{"time": format_time(t), "parameter": "SO2", "value": 0.5} for t in range(start, now)]
    post_readings(stations.env, issuer, code, lines)
    seal_due_intervals(stations.env.store)  # sealed: documents accepted, not yet anchored
    data = export(stations.env, code, start, start + 2 * LENGTH, "csv")
    try:
        assert python_report(stations, w3, data).verdict.value == "PENDING"
        open_page(page, stations.url)
        assert give(page, data) == "PENDING"
        assert "Not all on the blockchain yet" in banner(page)
        expect(page.locator('li.diff[data-verdict="PENDING"]')).to_contain_text(
            "not written to the blockchain yet"
        )
        expect(page.locator(".diffs-title")).to_have_text("Not confirmed yet")
    finally:
        stations.env.drain()  # leave nothing pending


@pytest.mark.parametrize("kind", ["csv", "json"])
def test_an_export_that_ends_early_says_where_and_why_as_the_cli_does(
    stations: Site, window: Window, browser: Browser, w3: Web3, kind: str
) -> None:
    """Asked a day past what is sealed: the file says so, and both verifiers repeat it
    (they used to call the shorter window complete, without a word)."""
    data = window.early_csv if kind == "csv" else window.early_json
    report = python_report(stations, w3, data)
    assert report.verdict.value == "VALID"
    assert report.ends_early is not None and report.ends_early.reason == ENDS_EARLY
    assert report.ends_early.requested_end == window.asked_end
    assert "; it ends before the end asked for" in report.summary()
    assert "were not sealed yet when it was exported" in report.summary()
    for locale, words in (
        ("en-US", ("It ends before the end asked for", "were not sealed yet when it was exported")),
        (
            "vi-VN",
            ("Tệp kết thúc trước thời điểm được yêu cầu", "chưa được niêm phong khi xuất tệp"),
        ),
    ):
        context = new_context(browser, locale)
        try:
            page = context.new_page()
            open_page(page, stations.url)
            assert give(page, data, f"export.{kind}") == "VALID"
            expect(page.locator("article.card")).to_have_attribute("data-ends-early", ENDS_EARLY)
            lead = banner(page)
            assert all(w in lead for w in words), lead
            assert page_findings(page) == python_findings(report)
            if locale == "en-US":
                expect(page.locator(".facts")).to_contain_text("Asked for")
                if kind == "csv":
                    shoot(page, "stream-ends-early-en")
        finally:
            context.close()
