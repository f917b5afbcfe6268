"""The monitor's status badges: shields.io-style flat SVGs, parsed back as XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from urlcheck.monitor import badge_svg, line_badge, status_badge
from urlcheck.monitor.badge import PADDING, text_width

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def test_the_flat_badge_structure() -> None:
    root = parse(badge_svg("urls", "12 up", "brightgreen"))
    assert root.get("height") == "20"
    assert root.get("role") == "img"
    assert root.get("aria-label") == "urls: 12 up"
    title = root.find(f"{SVG}title")
    assert title is not None
    assert title.text == "urls: 12 up"
    group = root.find(f"{SVG}g")
    assert group is not None
    clip = root.find(f"{SVG}clipPath")
    assert clip is not None
    assert group.get("clip-path") == f"url(#{clip.get('id')})"
    label_rect, message_rect, _gloss = group.iter(f"{SVG}rect")
    assert label_rect.get("fill") == "#555"
    assert message_rect.get("fill") == "#4c1"
    label_w, message_w = int(label_rect.get("width", "")), int(message_rect.get("width", ""))
    assert message_rect.get("x") == str(label_w)
    assert root.get("width") == str(label_w + message_w)
    # Each half is its text's Verdana 11px width and 5 px either side.
    assert label_w == round(text_width("urls")) + 2 * PADDING
    assert message_w == round(text_width("12 up")) + 2 * PADDING
    # Shadow and text for each half, centred on it.
    assert texts(root) == ["urls", "urls", "12 up", "12 up"]
    xs = [float(t.get("x", "")) for t in root.iter(f"{SVG}text")]
    assert xs == [label_w / 2, label_w / 2, label_w + message_w / 2, label_w + message_w / 2]


def test_widths_follow_the_verdana_table() -> None:
    assert text_width("") == 0
    assert text_width("i") < text_width("m") < text_width("mm")
    assert text_width("12 up") == pytest.approx(6.99 * 2 + 3.87 + 6.96 + 6.85)
    assert text_width("é") == text_width("m")  # outside the table: as wide as an 'm'
    wide = parse(badge_svg("urls", "WWWWWWWWWW", "red"))
    narrow = parse(badge_svg("urls", "iiiiiiiiii", "red"))
    assert int(wide.get("width", "")) > int(narrow.get("width", "")) + 50


def test_text_is_xml_escaped() -> None:
    svg = badge_svg('a<b & "c"', "</text><script>x</script>", "#E05D44")
    root = parse(svg)
    assert "<script>" not in svg
    assert texts(root)[0] == 'a<b & "c"'
    assert texts(root)[2] == "</text><script>x</script>"
    assert root.get("aria-label") == 'a<b & "c": </text><script>x</script>'
    assert '"#e05d44"' in svg


def test_badges_in_one_page_have_ids_of_their_own() -> None:
    ids = [parse(badge).find(f"{SVG}clipPath").get("id")  # type: ignore[union-attr]
           for badge in (status_badge(12, 0), status_badge(10, 2))]  # fmt: skip
    assert ids[0] != ids[1]


def test_status_badges() -> None:
    up = parse(status_badge(12, 0))
    assert texts(up)[::2] == ["urls", "12 up"]
    assert 'fill="#4c1"' in status_badge(12, 0)
    down = status_badge(10, 2)
    assert texts(parse(down))[::2] == ["urls", "2 down"]
    assert 'fill="#e05d44"' in down
    assert texts(parse(line_badge("down")))[::2] == ["status", "down"]


@pytest.mark.parametrize("color", ["url(#x)", "#12", "red; fill: blue", ""])
def test_a_colour_that_is_none_is_refused(color: str) -> None:
    with pytest.raises(ValueError, match="not a colour"):
        badge_svg("urls", "1 up", color)
