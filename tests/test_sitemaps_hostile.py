"""urlcheck.sitemaps against hostile input: entity bombs, DTDs, XXE and gzip bombs fail fast
in bounded memory, and no bytes at all raise anything but a SitemapError."""

from __future__ import annotations

import gzip
import json
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from urlcheck.sitemaps import MAX_SITEMAP_BYTES, SitemapError, looks_like_sitemap, parse_sitemap

from .sitemap_docs import (
    ROOT,
    XMLNS,
    MiB,
    billion_laughs,
    bounded,
    fails_with,
    gzip_bomb,
    quadratic_blowup,
    urlset,
)

DTD_REFUSED = (
    "refused: a DTD (<!DOCTYPE urlset>); a sitemap needs none, and a DTD can hold entity bombs"
    " and references to files"
)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (billion_laughs("urlset"), DTD_REFUSED),
        (billion_laughs("lolz"), DTD_REFUSED.replace("urlset", "lolz")),
        (quadratic_blowup(), DTD_REFUSED),
        (f"<!DOCTYPE urlset><urlset {XMLNS}/>".encode(), DTD_REFUSED),  # a DTD alone
        (b'<!DOCTYPE urlset PUBLIC "-//x//DTD x//EN" "x.dtd"><urlset/>', DTD_REFUSED),
    ],
    ids=["billion-laughs", "billion-laughs-lolz", "quadratic-blowup", "dtd-alone", "public-dtd"],
)
def test_entity_bombs_and_dtds_are_refused_fast_in_bounded_memory(
    data: bytes, message: str
) -> None:
    for each in (data, gzip.compress(data)):
        elapsed, peak = bounded(fails_with(each, message))
        assert elapsed < 0.5
        assert peak < 2 * MiB


XXE_PROBE = r"""
import json, sys
from pathlib import Path

secrets = str(Path(sys.argv[1]).parent)
seen = []


def hook(event, args):
    # Every open of a file beside the secret, and any network use: what an XXE would need.
    if event == "open" and str(args[0]).startswith(secrets):
        seen.append(f"open {args[0]}")
    elif event in ("urllib.Request", "socket.connect", "socket.getaddrinfo"):
        seen.append(f"{event} {args[:2]}")


sys.addaudithook(hook)
from urlcheck.sitemaps import SitemapError, parse_sitemap

answers = []
for doc in json.loads(sys.stdin.read()):
    try:
        answers.append(repr(parse_sitemap(doc.encode())))
    except SitemapError as exc:
        answers.append(str(exc))
ours = list(seen)

# The control: a plain SAX reader that follows external entities reads the file through the
# first document, and the hook sees it do so.
import io
import xml.sax
from xml.sax.handler import ContentHandler, feature_external_ges


class Text(ContentHandler):
    text = ""

    def characters(self, content):
        Text.text += content


reader = xml.sax.make_parser()
reader.setFeature(feature_external_ges, True)
reader.setContentHandler(Text())
reader.parse(io.BytesIO(json.loads(sys.argv[2]).encode()))
print(json.dumps({"answers": answers, "ours": ours, "naive": seen[len(ours):], "text": Text.text}))
"""


def test_an_xxe_is_refused_and_opens_nothing(tmp_path: Path, refused_url: str) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    (tmp_path / "secret.dtd").write_text(f'<!ENTITY leak SYSTEM "{secret.as_uri()}">')
    file_entity = (
        f'<!DOCTYPE urlset [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>'
        f"<urlset {XMLNS}><url><loc>https://example.org/&xxe;</loc></url></urlset>"
    )
    docs = [
        file_entity,
        f'<!DOCTYPE urlset SYSTEM "{(tmp_path / "secret.dtd").as_uri()}"><urlset>&leak;</urlset>',
        f'<!DOCTYPE urlset [<!ENTITY % p SYSTEM "{(tmp_path / "secret.dtd").as_uri()}"> %p;]>'
        "<urlset><url><loc>&leak;</loc></url></urlset>",
        f'<!DOCTYPE urlset [<!ENTITY web SYSTEM "{refused_url}x">]><urlset>&web;</urlset>',
    ]
    proc = subprocess.run(
        [sys.executable, "-c", XXE_PROBE, str(secret), json.dumps(file_entity)],
        input=json.dumps(docs),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    probe = json.loads(proc.stdout)
    assert probe["answers"] == [DTD_REFUSED] * len(docs)
    assert probe["ours"] == []
    assert probe["naive"]  # the hook would have seen a read…
    assert "TOP-SECRET" in probe["text"]  # …and the document is a real XXE


@pytest.mark.parametrize("repeat", [1, 7, 10, 64])
def test_the_gzip_bomb_builder_makes_real_gzip(repeat: int) -> None:
    bomb = gzip_bomb(b"<urlset>", b" \n" * 1000, repeat, b"</urlset>")
    assert gzip.decompress(bomb) == b"<urlset>" + b" \n" * 1000 * repeat + b"</urlset>"


@pytest.mark.parametrize(
    ("prefix", "block", "message"),
    [
        # 10 GiB of white space in a urlset: XML all the way, so only the limit stops it.
        (
            f"<urlset {XMLNS}>".encode(),
            b" " * MiB,
            f"gzip that inflates past the limit of {MAX_SITEMAP_BYTES:,} bytes",
        ),
        # 10 GiB of zeros, the classic: no XML from its first byte.
        (b"", bytes(MiB), "not XML at line 1, column 1: not well-formed (invalid token)"),
    ],
    ids=["white-space", "zeros"],
)
def test_a_10_gib_gzip_bomb_fails_fast_in_bounded_memory(
    prefix: bytes, block: bytes, message: str
) -> None:
    bomb = gzip_bomb(prefix, block, 10 * 1024, b"</urlset>")
    assert len(bomb) < 12 * MiB  # ~1,000:1, deflate's best
    assert struct.unpack("<I", bomb[-4:])[0] == (len(prefix) + 10 * 1024 * MiB + 9) % 2**32
    elapsed, peak = bounded(fails_with(bomb, message))
    assert elapsed < 2
    assert peak < 8 * MiB  # a few CHUNKs in and out, and expat's buffer: not the 50 MiB


# -- any bytes -----------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=300),
        st.builds(lambda tail: urlset(["https://a.test/"])[:40] + tail, st.binary(max_size=100)),
        st.builds(lambda cut: gzip.compress(urlset(["https://a.test/"]))[:cut], st.integers(0, 80)),
    )
)
def test_any_bytes_give_a_sitemap_or_a_sitemap_error(data: bytes) -> None:
    try:
        sitemap = parse_sitemap(data)
    except SitemapError as exc:
        message = str(exc)
    else:
        message = sitemap.kind
    assert message
    assert "\n" not in message
    assert looks_like_sitemap(data, None) in (True, False)
