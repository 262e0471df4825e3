"""Read back the QR codes the service draws: segno's SVG path -> pixels -> npm `jsqr`.

jsqr is an independent decoder (pinned in package-lock.json, run in node), so a test that
decodes with it proves what a phone would read, not what segno believes it wrote.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DECODER = REPO / "tests" / "node" / "qr_decode.js"
PIXELS_PER_MODULE = 4
_PATH_D = re.compile(r'<path[^>]*class="qrline"[^>]*\sd="([^"]+)"')
_STEP = re.compile(r"([Mmh])(-?\d+(?:\.\d+)?)(?: (-?\d+(?:\.\d+)?))?")


def modules(svg: str) -> set[tuple[int, int]]:
    """The dark modules (column, row) drawn by the first segno path in `svg`."""
    found = _PATH_D.search(svg)
    assert found, "no segno QR path in the SVG"
    x = y = 0.0
    dark: set[tuple[int, int]] = set()
    for op, a, b in _STEP.findall(found.group(1)):
        if op == "M":
            x, y = float(a), float(b)
        elif op == "m":
            x, y = x + float(a), y + float(b)
        else:  # h: a horizontal run of dark modules on row y - 0.5 (stroke width 1)
            dark.update((int(x) + i, int(y)) for i in range(int(float(a))))
            x += float(a)
    return dark


def decode(svg: str) -> str | None:
    """The text a QR reader finds in the code drawn in `svg` (None if it finds none)."""
    node = shutil.which("node")
    if node is None or not (REPO / "node_modules" / "jsqr").is_dir():
        pytest.fail("node and node_modules/jsqr are required (npm ci)")
    dark = modules(svg)
    border = min(min(c, r) for c, r in dark)  # segno's quiet zone, mirrored right and below
    side = (max(max(c, r) for c, r in dark) + 1 + border) * PIXELS_PER_MODULE
    bits = [
        int((col // PIXELS_PER_MODULE, row // PIXELS_PER_MODULE) in dark)
        for row in range(side)
        for col in range(side)
    ]
    job = {"width": side, "height": side, "dark": bits}
    done = subprocess.run(
        [node, str(DECODER)],
        input=json.dumps([job]).encode(),
        cwd=REPO,
        capture_output=True,
        check=True,
        timeout=60,
    )
    texts: list[str | None] = json.loads(done.stdout)
    return texts[0]
