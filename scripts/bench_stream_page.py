"""Monitoring page benchmark: a station-day's export checked in headless Chromium.

    .venv/bin/python scripts/bench_stream_page.py                 # 288 intervals of 100 readings
    .venv/bin/python scripts/bench_stream_page.py --per-interval 10 --runs 5

Starts its own Anvil (always stopped), deploys a registry and serves the app with uvicorn
on SQLite (the stack of tests/browser: tests/browser/stack.py), registers a station of
5-minute intervals whose last day is over, sends it a day of readings, seals and anchors
its 288 intervals, downloads the CSV export, then measures, over --runs fresh page loads
of /verify/stream (each a cold browser context), the time from the file chosen to the
verdict shown (the page's `stream` measure: reading, parsing, every leaf and root by Web
Crypto and keccak, every receipt's details and signature, and the registry's check() for
each interval in batches of 24, 4 at a time), and how much of it was the chain. For
comparison, the same file checked by `check_export` (what `notary verify-stream` runs, one
eth_call per interval) in this process. Prints a table, then as the very LAST line one
JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the stack the browser tests use lives in tests/browser

from playwright.sync_api import Browser, ViewportSize, sync_playwright  # noqa: E402

from notary.chain import Registry  # noqa: E402
from notary.chain.connection import connect  # noqa: E402
from notary.core.receipts import Receipt  # noqa: E402
from notary.ops.anvil import start_anvil  # noqa: E402
from notary.streams.export import parse_export  # noqa: E402
from notary.streams.verify import check_export  # noqa: E402
from notary.verify import Outcome  # noqa: E402
from notary.verify.onchain import verify_on_chain  # noqa: E402
from tests.browser.stack import deploy, launch, site  # noqa: E402
from tests.browser.streams import make_day  # noqa: E402

VIEWPORT: ViewportSize = {"width": 390, "height": 844}


def page_run(browser: Browser, url: str, path: Path) -> dict[str, float]:
    """One cold load of the page and one check of the file: ms of each phase."""
    context = browser.new_context(viewport=VIEWPORT, locale="en-GB")
    try:
        page = context.new_page()
        page.goto(f"{url}/verify/stream")
        page.wait_for_selector("#main[data-ready]")
        page.set_input_files("#file", str(path))
        page.wait_for_selector('#main[data-state="done"]', timeout=120_000)
        verdict = page.locator("article.card").first.get_attribute("data-verdict")
        assert verdict == "VALID", page.locator("#results").inner_text()
        marks = dict(
            page.evaluate("performance.getEntriesByType('mark').map(m => [m.name, m.startTime])")
        )
        return {
            "total_ms": marks["stream-verdict"] - marks["stream-start"],
            "parse_ms": marks["stream-parsed"] - marks["stream-start"],
            "data_ms": marks["stream-data"] - marks["stream-parsed"],
            "receipts_and_chain_ms": marks["stream-verdict"] - marks["stream-data"],
        }
    finally:
        context.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-interval", type=int, default=100, help="readings per interval")
    parser.add_argument("--runs", type=int, default=5, help="page loads to measure")
    args = parser.parse_args(argv)
    node = start_anvil()
    try:
        w3 = connect(node.url)
        chain = deploy(w3)
        with (
            tempfile.TemporaryDirectory() as tmp,
            site(Path(tmp), w3, chain, rpc_url=node.url) as served,
            sync_playwright() as pw,
        ):
            issuer = served.env.new_issuer("Sở Tài nguyên và Môi trường Đồng Nai")
            served.env.drain()
            started = time.perf_counter()
            _, data = make_day(served.env, issuer, args.per_interval)
            prepare_s = time.perf_counter() - started
            path = Path(tmp) / "station-day.csv"
            path.write_bytes(data)
            export = parse_export(data)

            def on_chain(receipt: Receipt) -> Outcome:
                assert receipt.anchor is not None
                return verify_on_chain(
                    receipt, Registry(w3, receipt.anchor.contract), required_confirmations=0
                )

            started = time.perf_counter()
            report = check_export(parse_export(data), on_chain)
            cli_s = time.perf_counter() - started
            assert report.verdict.value == "VALID", report.summary()
            browser = launch(pw)
            try:
                runs = [page_run(browser, served.url, path) for _ in range(args.runs)]
            finally:
                browser.close()
    finally:
        node.stop()
    figures: dict[str, Any] = {
        "intervals": len(export.intervals),
        "readings": export.reading_count,
        "export_bytes": len(data),
        "prepare_s": round(prepare_s, 1),
        "cli_check_export_ms": round(cli_s * 1000),
        "runs": args.runs,
    }
    for name in ("total_ms", "parse_ms", "data_ms", "receipts_and_chain_ms"):
        values = [r[name] for r in runs]
        figures[f"page_{name}_median"] = round(statistics.median(values))
        figures[f"page_{name}_max"] = round(max(values))
    width = max(map(len, figures))
    for name, value in figures.items():
        print(f"{name:<{width}}  {value}")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
