"""Imitations of the responses bot walls answer with, and of the site's own refusals that look
like them: status, headers and a trimmed body carrying the markers the real pages carry (the
shapes described in the sources `urlcheck.http.walls` cites; no page is copied).

`WALLS` must each be told as their vendor's; `LOOK_ALIKES` must never be taken for a wall.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Page:
    """A response to serve: `vendor` is the wall it is (None: the site's own answer), and
    `evidence` a piece of what the verdict must quote."""

    name: str
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    vendor: str | None = None
    evidence: str = ""
    by_header: bool = False
    """The wall shows in a header: a HEAD, or a check that reads no body, still tells it."""
    content_type: str = field(default="text/html; charset=UTF-8")


RAY = "8f3a61c2de4b9e07"
# Today's challenge pages open with their title, then carry several KB of inline style and
# images before the options script near their end (a real one is about 9 KB).
_STYLE = (
    "<style>*{box-sizing:border-box;margin:0;padding:0}html{line-height:1.15;color:#313131}"
    + "".join(
        f".c{i}{{margin:{i}px;background:url(data:image/svg+xml;base64,PHN2Zy8+)}}"
        for i in range(90)
    )
    + "</style>"
)
CLOUDFLARE_CHALLENGE = (
    '<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>'
    '<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">'
    '<meta name="robots" content="noindex,nofollow">' + _STYLE + "</head><body>"
    '<div class="main-wrapper" role="main"><div class="main-content">'
    '<h1 class="zone-name-title h1">docs.example.org</h1>'
    '<h2 class="h2" id="challenge-running">Verifying you are human. This may take a few'
    " seconds.</h2>"
    '<div id="challenge-stage"></div></div></div>'
    "<noscript>Enable JavaScript and cookies to continue</noscript>"
    f"<script>(function(){{window._cf_chl_opt={{cvId: '3',cZone: \"docs.example.org\","
    f"cType: 'managed',cRay: '{RAY}',cH: 'q1Wv-1789650000-1.2.1.1-x',"
    "cUPMDTk: \"\\/guide\\/?__cf_chl_tk=Zx9.1789650000-1.0.1.1-y\",cFPWv: 'g'};"
    "var cpo = document.createElement('script');"
    f"cpo.src = '/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1?ray={RAY}';"
    "document.getElementsByTagName('head')[0].appendChild(cpo);}());</script>"
    "</body></html>"
).encode()
CLOUDFLARE_HEADERS = (
    ("Server", "cloudflare"),
    ("CF-RAY", f"{RAY}-FRA"),
    ("Cache-Control", "private, max-age=0, no-store, no-cache, must-revalidate"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)
CLOUDFLARE_IUAM = (
    b"<!DOCTYPE HTML><html><head><title>Just a moment...</title></head><body>"
    b'<div class="cf-browser-verification cf-im-under-attack">'
    b"<h1>Checking your browser before accessing docs.example.org.</h1>"
    b'<form id="challenge-form" action="/guide/?__cf_chl_jschl_tk__=pmd_1a2b" method="POST">'
    b'<input type="hidden" name="jschl_vc" value="8d8f..."/>'
    b'<input type="hidden" id="jschl-answer" name="jschl_answer"/></form>'
    b"<p>DDoS protection by Cloudflare</p></div></body></html>"
)
CLOUDFLARE_BLOCK = (
    '<!DOCTYPE html><html class="no-js" lang="en-US"><head>'
    "<title>Attention Required! | Cloudflare</title></head><body>"
    '<div id="cf-wrapper"><div class="cf-error-details-wrapper" id="cf-error-details">'
    '<h1 data-translate="block_headline">Sorry, you have been blocked</h1>'
    '<h2 class="cf-subheadline">You are unable to access docs.example.org</h2>'
    '<span class="cf-error-code">1020</span>'
    f'<p>Cloudflare Ray ID: <strong class="font-semibold">{RAY}</strong></p>'
    "</div></div></body></html>"
).encode()
AKAMAI_DENIED = (
    b"<HTML><HEAD>\n<TITLE>Access Denied</TITLE>\n</HEAD><BODY>\n<H1>Access Denied</H1>\n \n"
    b"You don't have permission to access \"http&#58;&#47;&#47;www&#46;example&#46;com&#47;"
    b'docs&#47;" on this server.<P>\nReference&#32;&#35;18&#46;4d5c1702&#46;1789650000&#46;2b6a23ca'
    b"\n<P>https&#58;&#47;&#47;errors&#46;edgesuite&#46;net&#47;18&#46;4d5c1702\n</BODY>\n</HTML>\n"
)
AKAMAI_DENIED_PLAIN = (
    b"<html><head>\n<title>Access Denied</title>\n</head><body>\n<h1>Access Denied</h1>\n \n"
    b'You don\'t have permission to access "http://www.example.com/docs/" on this server.<p>\n'
    b"Reference #18.4d5c1702.1789650000.2b6a23ca\n</p>\n"
    b"<p>https://errors.edgesuite.net/18.4d5c1702.1789650000.2b6a23ca</p></body>\n</html>\n"
)
AWS_CHALLENGE = (
    b'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title></title><script>'
    b"window.awsWafCookieDomainList = [];window.gokuProps = {"
    b'"key":"AQIDAHjcYu/GjX+QlghicBgQ/7bFaQZ+m5FKCMDnO+vTbNg96AH","iv":"D549qQCIVQAAA",'
    b'"context":"kE1VxPq2a7c"};</script><script src="https://1a2b3c4d5e6f.7a8b9c0d.eu-west-1'
    b'.token.awswaf.com/1a2b3c4d5e6f/0f1e2d3c4b5a/challenge.js"></script></head><body>'
    b'<div id="challenge-container"></div><script>AwsWafIntegration.saveReferrer();'
    b"AwsWafIntegration.getToken().then(() => window.location.reload(true));</script>"
    b"</body></html>"
)
AWS_CAPTCHA = AWS_CHALLENGE.replace(b"<title></title>", b"<title>Human Verification</title>")
DATADOME_PAGE = (
    b'<html lang="en"><head><title>example.com</title><style>#cmsg{animation: A 1.5s;}</style>'
    b'</head><body style="margin:0"><p id="cmsg">Please enable JS and disable any ad blocker</p>'
    b"<script data-cfasync=\"false\">var dd={'rt':'c','cid':'AHrlqAAAAAMAeX3x','hsh':"
    b"'2211F522B61E269B869FA6EAFFB5E1','t':'fe','s':45123,'e':'4f1a','host':"
    b"'geo.captcha-delivery.com','cookie':'Ab1~cd2'}</script>"
    b'<script data-cfasync="false" src="https://ct.captcha-delivery.com/c.js"></script>'
    b"</body></html>"
)
DATADOME_API = (
    b'{"url":"https://geo.captcha-delivery.com/captcha/?initialCid=AHrlqAAAAAMAeX3x&cid=Ab1'
    b"~cd2&referer=https%3A%2F%2Fapi.example.com%2Fv2%2Fsearch&hash=2211F522B61E269B869FA6"
    b'EAFFB5E1&t=fe&s=45123&e=4f1a"}'
)
PERIMETERX_BLOCK = (
    b'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
    b'<meta name="viewport" content="width=device-width, initial-scale=1">'
    b'<meta name="description" content="px-captcha">'
    b"<title>Access to this page has been denied</title></head><body><script>"
    b"window._pxVid = '';window._pxUuid = '5c1d2e3f-9a8b-11f1-b7c6-2d5e4f3a2b1c';"
    b"window._pxAppId = 'PXk4Tq82sN';window._pxHostUrl = '/k4Tq82sN/xhr';"
    b"window._pxJsClientSrc = '/k4Tq82sN/init.js';window._pxFirstPartyEnabled = true;"
    b"var pxCaptchaSrc = '/k4Tq82sN/captcha/captcha.js?a=c&u=5c1d2e3f&v=&m=0';"
    b"var script = document.createElement('script'); script.src = pxCaptchaSrc;"
    b"script.onerror = function () { script = document.createElement('script');"
    b"script.src = 'https://captcha.px-cloud.net/PXk4Tq82sN/captcha.js?a=c&m=0'; };"
    b"document.head.appendChild(script);</script>"
    b'<div class="px-captcha-error-header">Before we continue...</div>'
    b"<p>Press &amp; Hold to confirm you are a human (and not a bot).</p></body></html>"
)
INCAPSULA_BLOCK = (
    b'<html style="height:100%"><head><META NAME="ROBOTS" CONTENT="NOINDEX, NOFOLLOW">'
    b'<meta name="format-detection" content="telephone=no"></head><body style="margin:0px;'
    b'height:100%"><iframe id="main-iframe" src="/_Incapsula_Resource?CWUDNSAI=9&xinfo=12-'
    b"84315201-0%200NNN%20RT&incident_id=1284000980052119401-41731955&edet=12&cinfo=04000000"
    b'" frameborder=0 width="100%" height="100%">Request unsuccessful. Incapsula incident ID:'
    b" 1284000980052119401-41731955</iframe></body></html>"
)
IMPERVA_ERROR_16 = (
    b'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Access denied</title>'
    b'</head><body><main><h1>Access denied</h1><span class="code-label">Error 16</span>'
    b"<p>shop.example.com</p><p>2026-09-30 08:12:44 UTC</p><h2>What happened?</h2>"
    b"<p>This request was blocked by our security service</p>"
    b"<p>Your IP: 198.51.100.23</p><p>Proxy IP: 45.60.12.9 (ID 10570-100)</p>"
    b"<p>Incident ID: 570000600028606852-21529670364827394</p>"
    b'<footer><a href="https://www.imperva.com/">Powered by Imperva</a></footer></main>'
    b"</body></html>"
)
SUCURI_BLOCK = (
    b'<!DOCTYPE html><html lang="en" xmlns="http://www.w3.org/1999/xhtml"><head>'
    b'<link rel="stylesheet" href="https://cdn.sucuri.net/sucuri-firewall-block.css" />'
    b"<title>Sucuri WebSite Firewall - Access Denied</title></head><body>"
    b'<div id="main-container"><section class="app-content access-denied clearfix">'
    b'<h1 class="brand-font">Access Denied - Sucuri Website Firewall</h1>'
    b"<p>If you are the site owner (or you manage this site), please whitelist your IP.</p>"
    b"<table><tr><td>Block ID:</td><td>EVA079</td></tr><tr><td>Block reason:</td>"
    b"<td>Access from your area has been temporarily denied for security reasons.</td></tr>"
    b"</table></section></div></body></html>"
)
VERCEL_CHECKPOINT = (
    b'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
    b"<title>Vercel Security Checkpoint</title></head><body>"
    b'<div class="container"><p id="header-text">We\'re verifying your browser</p>'
    b"<noscript>Enable JavaScript to continue</noscript></div>"
    b'<script src="/.well-known/vercel/security/static/challenge.v2.min.js"></script>'
    b"</body></html>"
)
DDOS_GUARD_CHECK = (
    b'<!DOCTYPE html><html><head><title>DDoS-Guard</title><meta charset="utf-8">'
    b"<script>var DOMReady=function(t){var e=document;e.addEventListener"
    b'("DOMContentLoaded",t)};DOMReady(function(){var s=document.createElement("script");'
    b's.src="/.well-known/ddos-guard/js-challenge/index.js";document.head.appendChild(s)});'
    b'</script></head><body><div id="ddg-l"><div id="ddg-l-h">Checking your browser before'
    b" accessing example.ru</div></div></body></html>"
)
# Its captcha page is ~28 KB: larger than what is read, but it names itself up top.
DDOS_GUARD_CAPTCHA = (
    b'<!DOCTYPE html><html><head><title>DDOS-GUARD</title><meta charset="utf-8"/>'
    b'<script async defer src="https://www.recaptcha.net/recaptcha/api.js"></script><style>'
    + b"".join(b"#link-ddg a:hover{color:#3399e0}.c%d{margin:%dpx}" % (i, i) for i in range(600))
    + b'</style></head><body><div id="wrap-main"><div id="link-ddg">'
    b'<a href="https://ddos-guard.net/">DDoS-Guard</a></div></div></body></html>'
)

WALLS: tuple[Page, ...] = (
    Page(
        "cloudflare-managed",
        403,
        (*CLOUDFLARE_HEADERS, ("cf-mitigated", "challenge")),
        CLOUDFLARE_CHALLENGE,
        "Cloudflare",
        "cf-mitigated: challenge",
        by_header=True,
    ),
    Page(
        "cloudflare-429",
        429,
        (*CLOUDFLARE_HEADERS, ("Cf-Mitigated", "challenge")),
        CLOUDFLARE_CHALLENGE,
        "Cloudflare",
        "cf-mitigated: challenge",
        by_header=True,
    ),
    # A proxy or an old edge that drops cf-mitigated: the page still names itself.
    Page(
        "cloudflare-page-only",
        403,
        CLOUDFLARE_HEADERS,
        CLOUDFLARE_CHALLENGE,
        "Cloudflare",
        '"_cf_chl_opt"',
    ),
    Page(
        "cloudflare-under-attack",
        503,
        (("Server", "cloudflare"), ("CF-RAY", f"{RAY}-AMS"), ("Retry-After", "5")),
        CLOUDFLARE_IUAM,
        "Cloudflare",
        "__cf_chl_jschl_tk",
    ),
    Page(
        "cloudflare-blocked",
        403,
        CLOUDFLARE_HEADERS,
        CLOUDFLARE_BLOCK,
        "Cloudflare",
        "Sorry, you have been blocked",
    ),
    Page(
        "akamai-denied",
        403,
        (
            ("Server", "AkamaiGHost"),
            ("Mime-Version", "1.0"),
            ("Expires", "Wed, 30 Sep 2026 08:12:44 GMT"),
        ),
        AKAMAI_DENIED_PLAIN,
        "Akamai",
        "Reference #18.4d5c1702.1789650000.2b6a23ca",
    ),
    Page(
        "akamai-denied-entities",
        403,
        (("Server", "AkamaiGHost"), ("Mime-Version", "1.0")),
        AKAMAI_DENIED,
        "Akamai",
        "<TITLE>Access Denied</TITLE>",
    ),
    Page(
        "aws-challenge",
        202,
        (
            ("Server", "CloudFront"),
            ("x-amzn-waf-action", "challenge"),
            ("X-Cache", "Error from cloudfront"),
        ),
        AWS_CHALLENGE,
        "AWS WAF",
        "x-amzn-waf-action: challenge",
        by_header=True,
    ),
    Page(
        "aws-captcha",
        405,
        (("Server", "awselb/2.0"), ("x-amzn-waf-action", "captcha")),
        AWS_CAPTCHA,
        "AWS WAF",
        "x-amzn-waf-action: captcha",
        by_header=True,
    ),
    Page(
        "datadome-page",
        403,
        (
            ("X-DataDome", "protected"),
            ("X-DataDome-CID", "AHrlqAAAAAMAeX3x"),
            ("X-DD-B", "1"),
            ("Set-Cookie", "datadome=Ab1~cd2; Max-Age=31536000; Path=/; Secure; SameSite=Lax"),
        ),
        DATADOME_PAGE,
        "DataDome",
        "x-dd-b: 1",
        by_header=True,
    ),
    Page(
        "datadome-api",
        403,
        (("X-DataDome", "protected"), ("Via", "1.1 4a3b.cloudfront.net (CloudFront)")),
        DATADOME_API,
        "DataDome",
        "geo.captcha-delivery.com/",
        content_type="application/json;charset=utf-8",
    ),
    Page(
        "perimeterx-block",
        403,
        (("Server", "nginx"), ("Set-Cookie", "_pxhd=c1b2:5c1d2e3f; path=/")),
        PERIMETERX_BLOCK,
        "PerimeterX",
        '"px-captcha"',
    ),
    # Served through Cloudflare: the wall is PerimeterX's, not Cloudflare's.
    Page(
        "perimeterx-429-behind-cloudflare",
        429,
        (*CLOUDFLARE_HEADERS, ("Set-Cookie", "_pxhd=c1b2:5c1d2e3f; path=/")),
        PERIMETERX_BLOCK,
        "PerimeterX",
        "px-captcha",
    ),
    Page(
        "incapsula-block",
        403,
        (
            ("X-Iinfo", "12-84315201-0 0NNN RT(1789650000 0) q(0 -1 -1 -1) r(0 -1)"),
            ("X-CDN", "Imperva"),
            ("Set-Cookie", "visid_incap_2718281=Qk1x; path=/; Domain=.example.com"),
        ),
        INCAPSULA_BLOCK,
        "Imperva",
        "/_Incapsula_Resource?CWUDNSAI=",
    ),
    Page(
        "imperva-error-16",
        403,
        (("X-Iinfo", "9-3329847-0 0NNN RT(1789650000 0)"), ("X-CDN", "Imperva")),
        IMPERVA_ERROR_16,
        "Imperva",
        "This request was blocked by our security service",
    ),
    Page(
        "sucuri-block",
        403,
        (("Server", "Sucuri/Cloudproxy"), ("X-Sucuri-ID", "12013"), ("X-Sucuri-Block", "EVA079")),
        SUCURI_BLOCK,
        "Sucuri",
        "x-sucuri-block: EVA079",
        by_header=True,
    ),
    Page(
        "sucuri-block-no-header",
        403,
        (("Server", "nginx"), ("X-Sucuri-ID", "11016"), ("X-Sucuri-Cache", "MISS")),
        SUCURI_BLOCK,
        "Sucuri",
        "Sucuri WebSite Firewall - Access Denied",
    ),
    Page(
        "vercel-checkpoint",
        429,
        (
            ("Server", "Vercel"),
            ("X-Vercel-Id", "fra1::8xk2m-1789650000"),
            ("x-vercel-mitigated", "challenge"),
        ),
        VERCEL_CHECKPOINT,
        "Vercel",
        "x-vercel-mitigated: challenge",
        by_header=True,
    ),
    Page(
        "ddos-guard-check",
        403,
        (("Server", "ddos-guard"), ("Set-Cookie", "__ddg1_=Rz3k; Domain=.example.ru; Path=/")),
        DDOS_GUARD_CHECK,
        "DDoS-Guard",
        "<title>DDoS-Guard</title>",
    ),
    Page(
        "ddos-guard-captcha",
        403,
        (("Server", "ddos-guard"), ("Cache-Control", "no-cache, no-store, must-revalidate")),
        DDOS_GUARD_CAPTCHA,
        "DDoS-Guard",
        "<title>DDOS-GUARD</title>",
    ),
)

NGINX_403 = (
    b"<html>\r\n<head><title>403 Forbidden</title></head>\r\n<body>\r\n<center><h1>403 Forbidden"
    b"</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
APACHE_403 = (
    b'<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>403 Forbidden'
    b"</title>\n</head><body>\n<h1>Forbidden</h1>\n<p>You don't have permission to access this "
    b"resource.</p>\n<hr>\n<address>Apache/2.4.62 (Debian) Server at www.example.com Port 443"
    b"</address>\n</body></html>\n"
)
# The site's own 403 behind Cloudflare, with what Cloudflare injects into pages it serves:
# the passive Bot Management script, and the site's own Turnstile on its sign-in form.
SITE_403_BEHIND_CLOUDFLARE = (
    b"<!DOCTYPE html><html><head><title>Sign in required - Example Docs</title>"
    b'<script src="https://challenges.cloudflare.com/turnstile/v0/api.js" async defer>'
    b'</script></head><body><h1>This page is for members</h1><form action="/login">'
    b'<div class="cf-turnstile" data-sitekey="0x4AAAAAAAB1c2d3"></div>'
    b'<iframe id="cf-chl-widget-k3t9a" title="Widget containing a Cloudflare security '
    b'challenge"></iframe><button>Sign in</button></form>'
    b'<script>(function(){var a=document.createElement("script");a.src='
    b'"/cdn-cgi/challenge-platform/scripts/jsd/main.js";document.head.appendChild(a)})();'
    b"</script></body></html>"
)
MAINTENANCE_503 = (
    b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>"
    b"<h1>We'll be right back</h1><p>Example Docs is being upgraded; this takes a few "
    b"minutes. Thank you for your patience.</p></body></html>"
)
API_403 = b'{"error":"forbidden","message":"This token lacks the scope repo:read.","status":403}'
# A 403 article that talks about walls: quoting their words is not being one.
ARTICLE_ABOUT_CLOUDFLARE = (
    b"<!DOCTYPE html><html><head><title>Why your link checker sees 403s</title></head><body>"
    b'<article><p>Sites behind Cloudflare may answer a script with a "Just a moment..." '
    b"page, an interstitial served from /cdn-cgi/challenge-platform/, whose markup carries "
    b'cf-chl classes; or with "Attention Required! | Cloudflare". Akamai says Access Denied '
    b"and gives a Reference #. Imperva names an Incapsula incident ID. Cloudflare, Cloudflare, "
    b"Cloudflare.</p></article></body></html>"
)
IMPERVA_SITE_403 = (
    b"<html><head><title>Forbidden</title>"
    b'<script type="text/javascript" src="/_Incapsula_Resource?SWJIYLWA=719d34d31c8e3a6e6fffd4'
    b'25f7e032f3"></script></head><body><h1>You do not have access to this order</h1>'
    b"</body></html>"
)
AKAMAI_ORIGIN_503 = (
    b"<HTML><HEAD><TITLE>Service Unavailable</TITLE></HEAD><BODY><H1>Service Unavailable - "
    b"Zero size object</H1>The server is temporarily unable to service your request.  "
    b"Please try again later.<P>Reference&#32;&#35;18&#46;6f2a3b17&#46;1789650000&#46;9c1d2e3"
    b"</BODY></HTML>"
)

LOOK_ALIKES: tuple[Page, ...] = (
    Page("nginx-403", 403, (("Server", "nginx/1.26.2"),), NGINX_403),
    Page("apache-403", 403, (("Server", "Apache/2.4.62 (Debian)"),), APACHE_403),
    Page(
        "site-403-behind-cloudflare",
        403,
        (*CLOUDFLARE_HEADERS, ("Set-Cookie", "__cf_bm=Yq8w; path=/; HttpOnly; Secure")),
        SITE_403_BEHIND_CLOUDFLARE,
    ),
    Page(
        "maintenance-503-behind-cloudflare",
        503,
        (*CLOUDFLARE_HEADERS, ("Retry-After", "600")),
        MAINTENANCE_503,
    ),
    Page(
        "api-403-behind-cloudflare",
        403,
        CLOUDFLARE_HEADERS,
        API_403,
        content_type="application/json",
    ),
    Page("article-on-nginx", 403, (("Server", "nginx"),), ARTICLE_ABOUT_CLOUDFLARE),
    Page("article-behind-cloudflare", 403, CLOUDFLARE_HEADERS, ARTICLE_ABOUT_CLOUDFLARE),
    Page(
        "site-403-behind-imperva",
        403,
        (("X-Iinfo", "5-1120934-0 0NNN RT(1789650000 0)"), ("X-CDN", "Imperva")),
        IMPERVA_SITE_403,
    ),
    Page("akamai-origin-503", 503, (("Server", "AkamaiGHost"),), AKAMAI_ORIGIN_503),
    Page(
        "site-403-behind-datadome",
        403,
        (("X-DataDome", "protected"), ("Set-Cookie", "datadome=Ab1~cd2; Path=/")),
        API_403,
        content_type="application/json",
    ),
    Page(
        "site-403-behind-sucuri",
        403,
        (("Server", "Sucuri/Cloudproxy"), ("X-Sucuri-ID", "14034"), ("X-Sucuri-Cache", "HIT")),
        NGINX_403,
    ),
    # Vercel's firewall refusing a path outright: a rule, not a bot check.
    Page("vercel-deny", 403, (("Server", "Vercel"), ("x-vercel-mitigated", "deny")), b"Forbidden"),
    # A wall served as a 200 is no status failure: urlcheck does not second-guess a 200.
    Page("cloudflare-challenge-as-200", 200, CLOUDFLARE_HEADERS, CLOUDFLARE_CHALLENGE),
    Page("incapsula-block-as-200", 200, (("X-CDN", "Imperva"),), INCAPSULA_BLOCK),
    # AWS WAF's Block action: CloudFront's plain 403, with no header of the WAF's.
    Page(
        "cloudfront-403",
        403,
        (("Server", "CloudFront"), ("X-Cache", "Error from cloudfront")),
        b"<HTML><HEAD><TITLE>ERROR: The request could not be satisfied</TITLE></HEAD><BODY>"
        b"<H1>403 ERROR</H1><H2>The request could not be satisfied.</H2>Request blocked.</BODY>"
        b"</HTML>",
    ),
)
