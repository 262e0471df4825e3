"""Verification page benchmark in headless Chromium (Debian's), against the real stack.

    .venv/bin/python scripts/bench_page.py              # 50 loads, a 200 MB file
    .venv/bin/python scripts/bench_page.py --loads 20 --hash-mb 100

Starts its own Anvil (always stopped), deploys a registry, serves the app with uvicorn on
SQLite (the same stack as tests/browser: tests/browser/stack.py; the chain polled every
0.5 s as by default, not on every request as in the tests), notarises and anchors one
document, then measures:
1. time from navigation to the verdict shown on `/v/{leaf}` (the page's `verdict-shown`
   mark, from navigation start), over --loads loads, each in a fresh browser context (cold
   cache, as a phone that scans the QR once): median and p95. The service's verdict is
   shown once the device has checked the proof, with the node's check marked as running;
   `node_confirmed` is when the node's own `eth_call` (NOTARY_PUBLIC_RPC_URL) is in and
   the verdict judged again (it turns into "cannot verify" if they disagree);
2. bytes transferred by the first load of `/v/{leaf}` (bodies and headers);
3. hashing on the device: a --hash-mb MB file (random, in a temporary folder, removed
   after) chosen on `/verify`, hashed in the page's worker: MB/s (10^6 bytes per second).
Targets (issue 13): verdict <= 300 ms median; <= 150 KB; >= 200 MB/s. Prints a table, then
as the very LAST line one JSON object with every figure (names carry their units).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the stack the browser tests use lives in tests/browser

from playwright.sync_api import Browser, sync_playwright  # noqa: E402

from notary.chain.connection import connect  # noqa: E402
from notary.ops.anvil import start_anvil  # noqa: E402
from tests.browser.stack import Site, deploy, launch, site  # noqa: E402

VIEWPORT = {"width": 360, "height": 780}
CHUNK = 8 << 20


def verdict_ms(browser: Browser, url: str) -> tuple[dict[str, float], int]:
    """One cold load of `url`: ms from navigation start to each of the page's marks
    (service-answer, verdict-shown, verdict-final), bytes transferred."""
    context = browser.new_context(viewport=VIEWPORT, locale="en-GB")
    try:
        page = context.new_page()
        finished: list[Any] = []
        page.on("requestfinished", lambda r: finished.append(r))
        page.goto(url)
        page.wait_for_selector('#main[data-state="done"]')
        ms = {
            str(name): float(at)
            for name, at in page.evaluate(
                "performance.getEntriesByType('mark').map(m => [m.name, m.startTime])"
            )
        }
        page.wait_for_load_state("networkidle")
        sizes = [r.sizes() for r in finished]
        transferred = sum(s["responseBodySize"] + s["responseHeadersSize"] for s in sizes)
        return ms, transferred
    finally:
        context.close()


def hashing_mb_s(browser: Browser, base: str, megabytes: int) -> dict[str, float]:
    """Hash a random file of `megabytes` MB in the page's worker."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.bin"
        with path.open("wb") as out:
            for _ in range(0, megabytes * 10**6, CHUNK):
                out.write(os.urandom(CHUNK))
            out.truncate(megabytes * 10**6)
        context = browser.new_context(viewport=VIEWPORT, locale="en-GB")
        try:
            page = context.new_page()
            page.goto(f"{base}/verify")
            page.wait_for_selector("#main[data-ready]")
            page.set_input_files("#file", str(path))
            page.wait_for_selector('#main[data-state="done"]', timeout=300_000)
            m = page.evaluate(
                "(() => { const m = performance.getEntriesByName('hash')[0];"
                " return {duration: m.duration, ...m.detail}; })()"
            )
        finally:
            context.close()
    return {
        "hash_mb": megabytes,
        "hash_mb_per_s": round(m["bytes"] / m["workerMs"] / 1000, 1),
        "hash_page_mb_per_s": round(m["bytes"] / m["duration"] / 1000, 1),
        "hash_engine": m["engine"],
        "hash_read_ms": round(m["readMs"], 1) if m.get("readMs") is not None else None,
        "hash_total_ms": round(m["workerMs"], 1),
    }


def measure(web: Site, leaf: str, loads: int, megabytes: int) -> dict[str, Any]:
    with sync_playwright() as p:
        browser = launch(p)
        try:
            url = f"{web.url}/v/{leaf}"
            verdict_ms(browser, url)  # warm the server (first receipt signed, caches)
            runs = [verdict_ms(browser, url) for _ in range(loads)]
            times = sorted(ms["verdict-shown"] for ms, _ in runs)
            final = sorted(ms["verdict-final"] for ms, _ in runs)
            answer = sorted(ms["service-answer"] for ms, _ in runs)
            figures: dict[str, Any] = {
                "loads": loads,
                "verdict_median_ms": round(statistics.median(times), 1),
                "verdict_p95_ms": round(times[min(len(times) - 1, int(len(times) * 0.95))], 1),
                "node_confirmed_median_ms": round(statistics.median(final), 1),
                "service_answer_median_ms": round(statistics.median(answer), 1),
                "first_load_bytes": runs[0][1],
            }
            figures |= hashing_mb_s(browser, web.url, megabytes)
        finally:
            browser.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=50)
    parser.add_argument("--hash-mb", type=int, default=200)
    args = parser.parse_args()
    node = start_anvil()
    try:
        w3 = connect(node.url)
        with (
            tempfile.TemporaryDirectory() as tmp,
            site(Path(tmp), w3, deploy(w3), node.url, chain_poll_interval=0.5) as web,
        ):
            issuer = web.env.new_issuer("Chi cục Kiểm dịch thực vật vùng I (benchmark)")
            web.env.drain()
            metadata = {"documentType": "phytosanitary-certificate", "documentNumber": "B-1"}
            leaf = web.notarise_bytes(issuer, os.urandom(4096), metadata)["leaf"]
            web.env.drain()
            load_before = os.getloadavg()[0]
            figures = {"cpu_count": os.cpu_count(), "load_1min_before": round(load_before, 2)}
            figures |= measure(web, leaf, args.loads, args.hash_mb)
            figures["load_1min_after"] = round(os.getloadavg()[0], 2)
    finally:
        node.stop()
    targets = {"verdict_median_ms": "<= 300", "first_load_bytes": "<= 150000"}
    targets["hash_mb_per_s"] = ">= 200"
    print(f"{'figure':<24} {'value':>12}  target")
    for name, value in figures.items():
        print(f"{name:<24} {value!s:>12}  {targets.get(name, '')}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
