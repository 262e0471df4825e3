"""The verification page's check of an issuer's signature, in headless Chromium (Debian's).

    .venv/bin/python scripts/bench_page_signature.py             # 30 loads, 200 warm checks
    .venv/bin/python scripts/bench_page_signature.py --loads 10 --checks 50

Serves the app on its own Anvil (the stack of tests/browser, tests/browser/stack.py),
opens `/verify` in a fresh browser context for each of --loads loads (cold: nothing
cached) and gives it the notary-receipt-v2 example (tests/vectors/receipts/
anchored-v2.receipt.json). The page checks the issuer's signature before it shows the
verdict: the document's path to the signed root, the EIP-712 digest, and the secp256k1
recovery; @noble/curves is fetched while `/verify` waits for a file (when the browser is
idle), or on /v/{leaf} as soon as the service's answer names a signature, in parallel with
the rest. Measured, each on its own fresh page:
1. `first_check`: the first check once the library is loaded (its code not yet run: what a
   reader's device does when the service's answer takes longer than the library, as over
   any real network);
2. `page_flow`: the page's own `issuer-signature` measure when given the receipt file the
   moment the page is ready (it waits for whatever of the library's loading is left);
3. `library`: fetching and compiling the library alone;
4. `warm`: --checks more checks in one page.
Target (issue 22): the whole check <= 20 ms. Prints a table, then as the very LAST line
one JSON object with every figure (names carry their units).
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
from tests.browser.stack import deploy, launch, site  # noqa: E402

RECEIPT = ROOT / "tests" / "vectors" / "receipts" / "anchored-v2.receipt.json"
VIEWPORT = {"width": 360, "height": 780}
FIRST = """async (receipt) => {
  const loading = performance.now();
  await import('/static/vendor/@noble/curves/secp256k1.js');
  const loaded = performance.now();
  const { checkIssuerSignature } = await import('/static/js/core/issuer-signature.js');
  const start = performance.now();
  if (!(await checkIssuerSignature(receipt)).ok) throw new Error('the signature did not check out');
  return [loaded - loading, performance.now() - start];
}"""
WARM = """async ([count, receipt]) => {
  const { checkIssuerSignature } = await import('/static/js/core/issuer-signature.js');
  if (!(await checkIssuerSignature(receipt)).ok) throw new Error('the signature did not check out');
  const times = [];
  for (let i = 0; i < count; i += 1) {
    const start = performance.now();
    await checkIssuerSignature(receipt);
    times.push(performance.now() - start);
  }
  return times;
}"""


def first_ms(browser: Browser, base: str) -> tuple[float, float]:
    """A fresh page: ms to fetch and compile the library, then ms of the first check."""
    context = browser.new_context(viewport=VIEWPORT, locale="en-GB")
    try:
        page = context.new_page()
        page.goto(f"{base}/verify")
        page.wait_for_selector("#main[data-ready]")
        library, check = page.evaluate(FIRST, json.loads(RECEIPT.read_text("utf-8")))
        return float(library), float(check)
    finally:
        context.close()


def flow_ms(browser: Browser, base: str) -> float:
    """A fresh page of /verify given the v2 receipt: its `issuer-signature` measure."""
    context = browser.new_context(viewport=VIEWPORT, locale="en-GB")
    try:
        page = context.new_page()
        page.goto(f"{base}/verify")
        page.wait_for_selector("#main[data-ready]")
        page.set_input_files("#file", str(RECEIPT))
        page.wait_for_selector('#main[data-state="done"]')
        measured = page.evaluate(
            "performance.getEntriesByName('issuer-signature').map(m => m.duration)"
        )
        if len(measured) != 1:
            raise RuntimeError(f"expected one issuer-signature measure, got {measured}")
        return float(measured[0])
    finally:
        context.close()


def warm_ms(browser: Browser, base: str, count: int) -> list[float]:
    """`count` checks in one page, the library loaded."""
    context = browser.new_context(viewport=VIEWPORT, locale="en-GB")
    try:
        page = context.new_page()
        page.goto(f"{base}/verify")
        page.wait_for_selector("#main[data-ready]")
        receipt = json.loads(RECEIPT.read_text("utf-8"))
        return [float(t) for t in page.evaluate(WARM, [count, receipt])]
    finally:
        context.close()


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def measure(base: str, loads: int, checks: int) -> dict[str, Any]:
    with sync_playwright() as p:
        browser = launch(p)
        try:
            flow_ms(browser, base)  # the server's first bundle and answer
            first = [first_ms(browser, base) for _ in range(loads)]
            flow = [flow_ms(browser, base) for _ in range(loads)]
            warm = warm_ms(browser, base, checks)
        finally:
            browser.close()
    checks_ms, library_ms = [c for _, c in first], [lib for lib, _ in first]
    return {
        "loads": loads,
        "first_check_median_ms": round(statistics.median(checks_ms), 2),
        "first_check_p95_ms": round(p95(checks_ms), 2),
        "page_flow_median_ms": round(statistics.median(flow), 2),
        "page_flow_p95_ms": round(p95(flow), 2),
        "library_median_ms": round(statistics.median(library_ms), 2),
        "checks": checks,
        "warm_median_ms": round(statistics.median(warm), 3),
        "warm_p95_ms": round(p95(warm), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=30)
    parser.add_argument("--checks", type=int, default=200)
    args = parser.parse_args()
    node = start_anvil()
    try:
        w3 = connect(node.url)
        with tempfile.TemporaryDirectory() as tmp, site(Path(tmp), w3, deploy(w3), node.url) as web:
            figures: dict[str, Any] = {"cpu_count": os.cpu_count()}
            figures["load_1min_before"] = round(os.getloadavg()[0], 2)
            figures |= measure(web.url, args.loads, args.checks)
            figures["load_1min_after"] = round(os.getloadavg()[0], 2)
    finally:
        node.stop()
    targets = {"first_check_median_ms": "<= 20", "page_flow_median_ms": "<= 20"}
    targets["warm_median_ms"] = "<= 20"
    print(f"{'figure':<24} {'value':>10}  target")
    for name, value in figures.items():
        print(f"{name:<24} {value!s:>10}  {targets.get(name, '')}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
