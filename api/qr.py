"""QR codes of verification URLs, with the URL printed under the code in readable form.

A reader sees where the code leads (the host, before trusting a scan) and can type it
when no camera works; every QR image the service makes carries it.
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

import segno

ERROR_LEVEL = "m"
BORDER = 2
"""Quiet zone, in modules, around the code."""
TEXT_SIZE = 2.4
"""Font size of the URL, in modules: about 1.5 mm when a code is printed 3 cm wide."""
CHAR_ADVANCE = 0.6
"""Width of one monospace glyph, in em (DejaVu Sans Mono, Liberation Mono, Courier)."""
LINE_HEIGHT = 1.25
"""Line pitch, in em."""


def make(url: str) -> segno.QRCode:
    """The QR code of `url`."""
    return segno.make(url, error=ERROR_LEVEL, micro=False)


def url_lines(url: str, per_line: int) -> list[str]:
    """`url` cut into lines of at most `per_line` characters for printing.

    Up to the last `/` on a line of its own when it fits (it names the host), the rest in
    equal parts, so a 66-character leaf is not left with a two-character tail.
    """
    if per_line < 1:
        raise ValueError("per_line must be at least 1")
    head, slash, tail = url.rpartition("/")
    head += slash
    if not head or not tail or len(head) > per_line:
        return _even(url, per_line)
    return [head, *_even(tail, per_line)]


def _even(text: str, per_line: int) -> list[str]:
    if not text:
        return []
    count = -(-len(text) // per_line)
    size = -(-len(text) // count)
    return [text[i : i + size] for i in range(0, len(text), size)]


def svg_with_url(url: str, scale: int) -> bytes:
    """An SVG document: the code of `url` and, under it, `url` as `<text>` fitted to its width."""
    code = make(url)
    width = code.symbol_size(border=BORDER)[0]
    per_line = max(1, int(width / (CHAR_ADVANCE * TEXT_SIZE)))
    lines = url_lines(url, per_line)
    pitch = TEXT_SIZE * LINE_HEIGHT
    height = width + pitch * len(lines) + BORDER / 2
    symbol = code.svg_inline(scale=1, border=BORDER)
    spans = "".join(
        f'<tspan x="{width / 2:g}" y="{width + pitch * i + TEXT_SIZE:g}" '
        # textLength holds each line to the advance computed here, whatever the font.
        f'textLength="{len(line) * CHAR_ADVANCE * TEXT_SIZE:g}" '
        f'lengthAdjust="spacingAndGlyphs">{escape(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    svg = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width * scale:g}" '
        f'height="{height * scale:g}" viewBox="0 0 {width:g} {height:g}">'
        f"<title>{escape(url)}</title>{symbol}"
        f'<text font-family="monospace" font-size="{TEXT_SIZE:g}" text-anchor="middle">'
        f"{spans}</text></svg>\n"
    )
    return svg.encode("utf-8")


def png(url: str, scale: int) -> bytes:
    """A PNG of the code of `url` alone (no Pillow here to set text in a bitmap)."""
    out = io.BytesIO()
    make(url).save(out, kind="png", scale=scale, border=BORDER)
    return out.getvalue()


def inline_svg(url: str) -> str:
    """The code of `url` as an `<svg>` element for an HTML page, sized by its CSS."""
    return str(make(url).svg_inline(scale=1, border=BORDER, omitsize=True))
