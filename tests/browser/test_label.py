"""The printable label in real Chromium: one A6 page, a QR code that reads back as the
URL printed under it, no CSP violation and no request to another host."""

from __future__ import annotations

import re

from playwright.sync_api import Browser

from tests.api.conftest import Issuer
from tests.browser.offline import watch
from tests.browser.stack import Site

MM_TO_PT = 72 / 25.4
A6_PT = (105 * MM_TO_PT, 148 * MM_TO_PT)
JSQR = "/static/vendor/jsqr/dist/jsQR.js"
# The label's own QR code, drawn on a canvas and read by jsQR (loaded from /static, which
# the page's script-src allows).
READ_QR = """async () => {
  const svg = document.querySelector(".qr svg");
  const blob = new Blob([new XMLSerializer().serializeToString(svg)], {type: "image/svg+xml"});
  const img = new Image();
  img.src = URL.createObjectURL(blob);
  await img.decode();
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 360;
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, 360, 360);
  ctx.drawImage(img, 0, 0, 360, 360);
  const found = jsQR(ctx.getImageData(0, 0, 360, 360).data, 360, 360);
  return found ? found.data : null;
}"""


def test_label_prints_on_one_a6_page_and_its_code_reads_as_its_url(
    web: Site, browser: Browser, issuer: Issuer
) -> None:
    body = web.env.notarise(issuer, {"documentNumber": "BG-VT-2026/0117"})
    context = browser.new_context(extra_http_headers=issuer.headers)
    try:
        watched = watch(context)
        page = watched.page
        response = page.goto(f"{web.url}/v/{body['leaf']}/label")
        assert response is not None and response.status == 200
        printed = "".join(page.locator(".url span").all_inner_texts())
        assert printed == body["links"]["verify"] == f"{web.url}/v/{body['leaf']}"
        page.add_script_tag(url=JSQR)
        assert page.evaluate(READ_QR) == printed
        pdf = page.pdf(prefer_css_page_size=True)
        boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
        pages = re.findall(rb"/Type\s*/Page\b(?!s)", pdf)
        assert len(pages) == 1, "the label runs over one page"
        width, height = (float(v) for v in boxes[0])
        assert abs(width - A6_PT[0]) < 1.5 and abs(height - A6_PT[1]) < 1.5
        assert watched.off_host == []
        assert watched.violations() == []
        assert watched.console_errors == []
    finally:
        context.close()
