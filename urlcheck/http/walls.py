"""Bot walls: the page a CDN or a bot manager answers with in place of the site, told from
the response alone (its status, a few headers and the head of its body).

A wall is a response the protection layer in front of a site wrote itself: Cloudflare's
"Just a moment..." challenge, Akamai's "Access Denied", DataDome's captcha. A check that
meets one has learnt nothing about the link (the page may well be there), so it is reported
as blocked rather than as the 403, 429 or 503 it came with. Everything here is pure: the
HTTP client keeps the `WALL_HEADERS`, reads `SNIFF_BYTES` of the body when the status is one
of `SNIFF_STATUSES`, and `challenge` judges what came back.

The rules of evidence, one signature a row of `RULES`:

- Only a vendor's own mark on its wall counts: a header it documents (or always sends) on
  the wall, or markup only its wall pages carry. A vendor merely being in front of the site
  (``server: cloudflare``, Imperva's ``x-iinfo``, a DataDome cookie) is not a wall: the
  site's own 403 comes through the same CDN with the same headers.
- Body markup counts only on a status walls come with (403, 429, 503); for Cloudflare,
  Akamai and DDoS-Guard only with the vendor's ``server`` header too, so that a page which
  merely talks about the vendor, or quotes its markup, is not taken for its wall.
- A 2xx or 3xx is never a wall, save AWS WAF's challenge, documented as a 202; neither is
  any status a row does not name.
- Markup that the vendor also puts on the pages a site serves normally is no evidence:
  Cloudflare's passive JavaScript Detections script (``/cdn-cgi/challenge-platform/scripts/
  jsd/``) and a site's own Turnstile widget (``challenges.cloudflare.com``,
  ``cf-chl-widget``), Imperva's injected ``_Incapsula_Resource?SWJIYLWA`` script, and
  PerimeterX's sensor (``_pxAppId`` without its captcha).
- Header values are matched whole, ignoring case and surrounding blanks; body markup is
  searched ignoring case. The first row that matches names the wall.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

from ..record import record

# The sizes, from captured responses: Akamai 424-631 bytes (Content-Length in the WhatWaf
# captures), Incapsula's frame 655, AWS WAF's interstitial about 2,000, PerimeterX's block
# template 4.6 KB (perimeterx-node-core), Cloudflare's challenge 9,246 (Good-Native/hover PR
# #382), DDoS-Guard's check 11,632 (gallery-dl PR #3569) and its captcha 28,356 (WhatWaf
# issue #1005).
SNIFF_BYTES = 16 * 1024
"""How much of a body's head `challenge` reads: every wall page the rules were checked
against fits whole (Akamai's is under 1 KB, Cloudflare's about 9 KB with its ``_cf_chl_opt``
script near the end, DDoS-Guard's check 11.6 KB), save DDoS-Guard's 28 KB captcha, which
names itself in its ``<title>``, in its first hundred bytes. A quarter of what a check reads
for ``contains=``, and read only on `SNIFF_STATUSES`."""

WALL_STATUSES = frozenset({403, 429, 503})
"""The statuses wall pages come with: 403 (nearly all), 503 (Cloudflare's older "I'm Under
Attack" page, Incapsula), 429 (Cloudflare's rate-limiting challenges, PerimeterX, Vercel)."""


@record
class Wall:
    """A wall: whose it is, and what in the response said so (a header, or markup quoted)."""

    vendor: str
    evidence: str


@record
class Rule:
    """One signature: it holds when the status is one of `statuses`, the `header` (if any)
    has a value its pattern matches whole, and every `body` pattern is found in the head of
    the body (a rule with `body` patterns never holds when no body was read)."""

    vendor: str
    statuses: frozenset[int]
    header: tuple[str, str] | None
    """A lower-case name and the pattern its value must match whole, case aside."""
    body: tuple[str, ...]
    """Patterns, in lower case (matched against the body's head in lower case: 2.8x faster
    than ``re.IGNORECASE`` on 16 KiB), ``.`` matching newlines too."""

    def evidence(
        self, headers: Mapping[str, str], head: bytes | None, lowered: bytes | None
    ) -> str | None:
        """What in the response shows this rule holds (None: it does not); `lowered` is
        `head` in lower case (ASCII only: the same length, the same offsets)."""
        found = []
        if self.header is not None:
            name, wanted = self.header
            value = headers.get(name)
            if value is None or not _header_pattern(wanted).fullmatch(value.strip()):
                return None
            found.append(f"{name}: {_quote(value)}")
        if self.body:
            if head is None or lowered is None:
                return None
            quoted = []
            for marker in self.body:
                match = _body_pattern(marker).search(lowered)
                if match is None:
                    return None
                mark = head[match.start() : match.end()]  # quoted as the page wrote it
                quoted.append(f'"{_quote(mark.decode("utf-8", "replace"))}"')
            found.append("body " + ", ".join(quoted))
        return "; ".join(found)


def _rule(
    vendor: str,
    statuses: frozenset[int] = WALL_STATUSES,
    *,
    header: tuple[str, str] | None = None,
    body: tuple[str, ...] = (),
) -> Rule:
    if header is not None:
        assert header[0] == header[0].lower(), header  # the client hands names in lower case
    assert all(pattern == pattern.lower() for pattern in body), body  # see `Rule.body`
    return Rule(vendor, statuses, header, body)


# Compiled when a response first needs them: compiling them all took 1.5 ms of every run's
# start-up, and most runs never meet a 403, 429 or 503.


@functools.cache
def _header_pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


@functools.cache
def _body_pattern(pattern: str) -> re.Pattern[bytes]:
    return re.compile(pattern.encode(), re.DOTALL)


_MAX_QUOTE = 80


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_QUOTE else text[: _MAX_QUOTE - 1] + "…"


# Cloudflare's challenge page, in every version: the options script of today's pages (their
# custom, branded pages included), the orchestrator it loads (not the passive jsd/ script),
# the tokens of the challenge form, and the 2015-2021 "jschl" and captcha-bypass forms.
_CLOUDFLARE_CHALLENGE = (
    r"_cf_chl_opt"
    r"|/cdn-cgi/challenge-platform/(?:h/[a-z]/)?orchestrate/"
    r"|__cf_chl_[a-z]+_tk"
    r"|jschl[-_](?:answer|vc)"
    r'|name="captcha-bypass"'
)

# Akamai's error reference, as its pages write it (in entities) or a reader shows it.
_DOT = r"(?:\.|&#46;)"
_AKAMAI_REFERENCE = rf"reference(?:\s|&#32;)(?:#|&#35;)\d+{_DOT}[0-9a-f]+{_DOT}\d+{_DOT}[0-9a-f]+"

RULES: tuple[Rule, ...] = (
    # ---- a header alone says it: these hold on a HEAD, and before any body is read ----
    # Cloudflare docs, "Detect a Challenge Page response": every challenge page type sets
    # cf-mitigated, and "challenge" is its only valid value. The Good-Native/hover project
    # (PR #382) captured it on 429s as well, from Super Bot Fight Mode.
    _rule("Cloudflare", header=("cf-mitigated", "challenge")),
    # AWS WAF docs, "CAPTCHA and Challenge action behavior": a Challenge answers 202 with
    # x-amzn-waf-action: challenge, a CAPTCHA 405 with x-amzn-waf-action: captcha.
    _rule("AWS WAF", frozenset({202}), header=("x-amzn-waf-action", "challenge")),
    _rule("AWS WAF", frozenset({405}), header=("x-amzn-waf-action", "captcha")),
    # Vercel's Security Checkpoint (Attack Challenge Mode, WAF challenge rules): 403 or 429
    # with x-vercel-mitigated: challenge, as microlinkhq/is-antibot (providers.json) keys
    # it. "deny" is a firewall rule refusing a path, not a bot check: not a wall here.
    _rule("Vercel", frozenset({403, 429}), header=("x-vercel-mitigated", "challenge")),
    # DataDome's block type, sent on its challenge responses (scrapfly/Antibot-Detector,
    # detectors/antibot/detect-datadome.json; microlinkhq/is-antibot keys 1 and 2).
    _rule("DataDome", frozenset({403}), header=("x-dd-b", r"\d+")),
    # Sucuri's firewall names the rule that blocked (EVA079, XSS027...) in X-Sucuri-Block:
    # the WhatWaf captures (issues #1164, #1161, #312) of Sucuri and GoDaddy block pages.
    _rule("Sucuri", frozenset({403}), header=("x-sucuri-block", r"\S+")),
    # ---- the page says it: markup only the vendor's wall carries ----
    # cloudscraper (cloudflare.py, cloudflare_v3.py) and gallery-dl (util.detect_challenge):
    # server: cloudflare, 403/429/503, and the challenge's script or form.
    _rule(
        "Cloudflare",
        header=("server", r"cloudflare(?:-nginx)?"),
        body=(_CLOUDFLARE_CHALLENGE,),
    ),
    # Cloudflare's WAF block page (errors 1006-1020): "Sorry, you have been blocked"; the
    # newer title "... used Cloudflare to restrict access". cloudscraper's is_Firewall_Blocked
    # keys the 1020 code of the same page.
    _rule(
        "Cloudflare",
        frozenset({403}),
        header=("server", r"cloudflare(?:-nginx)?"),
        body=(r"sorry, you have been blocked|used cloudflare to restrict access",),
    ),
    # Akamai's edge "Access Denied": the WhatWaf captures (issues #1162, #1191, #1410) and the
    # netbird issue #3670: server: AkamaiGHost, the title, and the Reference #18.x.y.z that
    # errors.edgesuite.net explains, which the page writes in entities (Reference&#32;&#35;
    # 18&#46;...). Akamai's own 503 pages carry a Reference # too, but not this title: they
    # are an origin failing, not a wall.
    _rule(
        "Akamai",
        frozenset({403}),
        header=("server", "akamaighost"),
        body=(r"<title>\s*access denied\s*</title>", _AKAMAI_REFERENCE),
    ),
    # DataDome's block page loads its captcha from captcha-delivery.com (geo. for the frame,
    # ct. for c.js) and sets var dd={'rt':...}; an API call gets {"url": "https://geo.
    # captcha-delivery.com/captcha/?..."}. scrapfly/Antibot-Detector, detect-datadome.json.
    _rule(
        "DataDome",
        frozenset({403}),
        body=(r"(?:geo|ct)\.captcha-delivery\.com/|var dd=\{'rt':",),
    ),
    # PerimeterX (HUMAN) block template, perimeterx-node-core lib/templates/
    # block_template.mustache: <meta name="description" content="px-captcha">, the "Press &
    # Hold" captcha (var pxCaptchaSrc, captcha.px-cdn.net / px-cloud.net). Served as 403
    # (mod_perimeterx PR #19) and as 429 (Wayfair's storefronts, through Cloudflare).
    _rule(
        "PerimeterX",
        frozenset({403, 429}),
        body=(r"px-captcha|pxcaptchasrc|captcha\.px-(?:cdn|cloud)\.net/",),
    ),
    # Imperva (Incapsula): the block page's frame and its incident ID ("Request unsuccessful.
    # Incapsula incident ID: ..."), or Imperva's "Access denied / Error 15-16" page, as the
    # ziplokk1/incapsula-cracker issues and scrapfly/Antibot-Detector (detect-incapsula.json,
    # /_Incapsula_Resource) describe them. Not the ?SWJIYLWA script: good pages carry it.
    _rule(
        "Imperva",
        body=(r"/_incapsula_resource\?cwudnsai=|incapsula incident id:\s*\d",),
    ),
    _rule(
        "Imperva",
        frozenset({403}),
        body=(r"this request was blocked by our security service", r"imperva"),
    ),
    # Sucuri's block page without its X-Sucuri-Block header (sqlmap PR #2761's capture):
    # the title "Sucuri WebSite Firewall - Access Denied".
    _rule(
        "Sucuri",
        frozenset({403}),
        body=(r"sucuri website firewall - access denied|access denied - sucuri website firewall",),
    ),
    # DDoS-Guard: gallery-dl (util.detect_challenge) keys server: ddos-guard, 403 and the
    # /ddos-guard/js-challenge/ script; its captcha and check pages are titled "DDoS-Guard"
    # (gallery-dl PR #3569, WhatWaf issue #1005).
    _rule(
        "DDoS-Guard",
        frozenset({403, 429}),
        header=("server", "ddos-guard"),
        body=(r"/ddos-guard/js-challenge/|<title>\s*ddos-guard\s*</title>",),
    ),
)
"""The signatures, tried in order: those a header alone shows first, then those of a page."""

WALL_HEADERS = frozenset(rule.header[0] for rule in RULES if rule.header is not None)
"""The (lower-case) response headers the rules look at: the HTTP client keeps these."""

SNIFF_STATUSES = frozenset(status for rule in RULES if rule.body for status in rule.statuses)
"""The statuses whose body head is worth reading: those a rule with body markup names."""

_STATUSES = frozenset(status for rule in RULES for status in rule.statuses)


def challenge(status: int, headers: Mapping[str, str], body: bytes | None) -> Wall | None:
    """The wall a response is, or None when it is the site's own answer.

    `headers` maps lower-case names to the first value of each; `body` is the decoded head of
    the body (None when none was read: the rules a header shows still hold), of which only
    the first `SNIFF_BYTES` are read.
    """
    if status not in _STATUSES:
        return None
    head = None if body is None else body[:SNIFF_BYTES]
    lowered = None if head is None else head.lower()  # once, for every rule's patterns
    for rule in RULES:
        if status in rule.statuses:
            evidence = rule.evidence(headers, head, lowered)
            if evidence is not None:
                return Wall(rule.vendor, evidence)
    return None
