"""Status badges: shields.io-style flat SVGs, e.g. ``urls | 12 up`` in green."""

from __future__ import annotations

import hashlib
import re
from xml.sax.saxutils import escape, quoteattr

# Advance widths in pixels of Verdana at 11 px, the font shields.io measures its badges
# with, for printable ASCII from ' ' to '~' (the order of the rows below).
_WIDTHS = """
3.87 4.33 5.05 9.00 6.99 11.84 7.99 2.95
5.00 5.00 6.99 9.00 4.00 5.00 4.00 5.00
6.99 6.99 6.99 6.99 6.99 6.99 6.99 6.99
6.99 6.99 5.00 5.00 9.00 9.00 9.00 6.00
11.00 7.52 7.54 7.68 8.48 6.96 6.32 8.53
8.27 4.63 5.00 7.62 6.12 9.27 8.23 8.66
6.63 8.66 7.65 7.52 6.78 8.05 7.52 10.88
7.54 6.77 7.54 5.00 5.00 5.00 9.00 6.99
6.99 6.61 6.85 5.73 6.85 6.55 3.87 6.85
6.96 3.02 3.79 6.51 3.02 10.70 6.96 6.68
6.85 6.85 4.69 5.73 4.33 6.96 6.51 9.00
6.51 6.51 5.78 6.98 5.00 6.98 9.00
"""
VERDANA_11PX = {chr(32 + n): float(w) for n, w in enumerate(_WIDTHS.split())}
FALLBACK_WIDTH = VERDANA_11PX["m"]
"""For characters outside the table: as wide as an 'm', so that the text rather fits."""
PADDING = 5
"""Pixels of each half's background left and right of its text."""
HEIGHT = 20
LABEL_COLOR = "#555"
COLORS = {
    "brightgreen": "#4c1",
    "green": "#97ca00",
    "yellowgreen": "#a4a61d",
    "yellow": "#dfb317",
    "orange": "#fe7d37",
    "red": "#e05d44",
    "blue": "#007ec6",
    "grey": "#555",
    "lightgrey": "#9f9f9f",
}
"""shields.io's named colours."""
_HEX_RE = re.compile(r"^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


def text_width(text: str) -> float:
    """The width in pixels of `text` in Verdana 11 px, estimated from the table."""
    return sum(VERDANA_11PX.get(char, FALLBACK_WIDTH) for char in text)


def _color(color: str) -> str:
    named = COLORS.get(color.lower())
    if named is not None:
        return named
    match = _HEX_RE.match(color)
    if match is None:
        raise ValueError(f"{color!r} is not a colour: a name like red or a hex like #e05d44")
    return f"#{match.group(1).lower()}"


def badge_svg(label: str, message: str, color: str) -> str:
    """A flat badge: `label` on grey, `message` on `color` (a shields.io name or hex)."""
    fill = _color(color)
    label_text, message_text = round(text_width(label)), round(text_width(message))
    label_w, message_w = label_text + 2 * PADDING, message_text + 2 * PADDING
    width = label_w + message_w
    title = f"{label}: {message}"
    # Ids of its own, so that badges inlined in one page do not clip each other; the same
    # badge twice may share them.
    ids = hashlib.sha256(f"{label}\0{message}\0{fill}".encode()).hexdigest()[:8]

    def text(x: float, width: int, content: str) -> str:
        # textLength holds the text to the estimated width whatever font the viewer has;
        # the first copy, one pixel lower and dark, is the shadow.
        common = f'x="{x:g}" textLength="{width}" lengthAdjust="spacingAndGlyphs"'
        return (
            f'<text aria-hidden="true" {common} y="15" fill="#010101" fill-opacity=".3">'
            f"{escape(content)}</text>"
            f'<text {common} y="14">{escape(content)}</text>'
        )

    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{HEIGHT}"'
        f' role="img" aria-label={quoteattr(title)}>'
        f"<title>{escape(title)}</title>"
        f'<linearGradient id="s{ids}" x2="0" y2="100%">'
        '<stop offset="0" stop-color="#bbb" stop-opacity=".1"/>'
        '<stop offset="1" stop-opacity=".1"/>'
        "</linearGradient>"
        f'<clipPath id="r{ids}">'
        f'<rect width="{width}" height="{HEIGHT}" rx="3" fill="#fff"/></clipPath>'
        f'<g clip-path="url(#r{ids})">'
        f'<rect width="{label_w}" height="{HEIGHT}" fill="{LABEL_COLOR}"/>'
        f'<rect x="{label_w}" width="{message_w}" height="{HEIGHT}" fill="{fill}"/>'
        f'<rect width="{width}" height="{HEIGHT}" fill="url(#s{ids})"/>'
        "</g>"
        '<g fill="#fff" text-anchor="middle"'
        ' font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">'
        f"{text(label_w / 2, label_text, label)}"
        f"{text(label_w + message_w / 2, message_text, message)}"
        "</g>"
        "</svg>"
    )


def status_badge(up: int, down: int, *, label: str = "urls") -> str:
    """The badge of a set of URL lines: ``N down`` in red if any is down, else ``N up``."""
    if down:
        return badge_svg(label, f"{down} down", "red")
    return badge_svg(label, f"{up} up", "brightgreen")


def line_badge(state: str, *, label: str = "status") -> str:
    """The badge of one URL line: ``up`` in green or ``down`` in red."""
    return badge_svg(label, state, "brightgreen" if state == "up" else "red")
