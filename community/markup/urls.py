"""URL policy, shared by both layers (the markdown-it parser and nh3).

A link may use http, https, mailto or be relative; an image may load only
over https or from under our own ``settings.MEDIA_URL``. Every check looks at
the URL in every decoding a browser might apply, so obfuscated schemes
(``JaVaScRiPt:``, ``&#106;avascript:``, ``%6Aavascript:``...) are caught.
"""

from __future__ import annotations

import html
import re
from urllib.parse import unquote

__all__ = [
    "IMAGE_URL_SCHEMES",
    "LINK_REL",
    "LINK_URL_SCHEMES",
    "is_allowed_image_src",
    "is_safe_link",
    "url_decodings",
    "url_schemes",
]

#: Schemes a link (``<a href>``) may use. Relative URLs are allowed too.
LINK_URL_SCHEMES: frozenset[str] = frozenset({"http", "https", "mailto"})

#: Schemes an image may be loaded from; besides these only relative URLs under
#: ``settings.MEDIA_URL`` are allowed (see :func:`is_allowed_image_src`).
IMAGE_URL_SCHEMES: frozenset[str] = frozenset({"https"})

#: Added by nh3 to every ``<a>``: no SEO credit for member links (nofollow,
#: ugc) and no ``window.opener`` for the target page (noopener).
LINK_REL = "nofollow ugc noopener"

# Characters browsers ignore or strip inside a URL scheme (C0 controls, space,
# DEL, C1 controls) and Unicode spaces / zero-width characters that can hide a
# scheme from a naive check. Removed before looking at the scheme.
_URL_IGNORED_RE = re.compile(
    "[\x00-\x20\x7f-\x9f\u00a0\u00ad\u1680\u180e\u2000-\u200f\u2028-\u202f"
    "\u205f-\u206f\u3000\ufeff]"
)
_SCHEME_RE = re.compile(r"([a-z][a-z0-9+.\-]*):")


def url_decodings(url: str) -> list[str]:
    """The URL as a browser might end up reading it, in every decoding we know.

    Values reaching us are already entity-decoded once (by markdown-it or by
    nh3's HTML parser); we also undo a further round of HTML entities and of
    percent-encoding (twice), strip ignored characters and lower-case, so
    obfuscations like ``JaVaScRiPt:``, ``java\\tscript:``, ``&#106;avascript:``
    or ``%6Aavascript:`` all show their real scheme.
    """
    seen: list[str] = []
    value = url
    for _round in range(3):
        for candidate in (value, html.unescape(value)):
            cleaned = _URL_IGNORED_RE.sub("", candidate).lower()
            if cleaned not in seen:
                seen.append(cleaned)
        value = unquote(html.unescape(value))
    return seen


def url_schemes(url: str) -> set[str | None]:
    """Schemes found in any decoding of ``url`` (``None`` means relative)."""
    schemes: set[str | None] = set()
    for candidate in url_decodings(url):
        match = _SCHEME_RE.match(candidate)
        schemes.add(match.group(1) if match else None)
    return schemes


def is_safe_link(url: str) -> bool:
    """True if ``url`` may be an ``href``: http(s), mailto, or relative."""
    return all(
        scheme is None or scheme in LINK_URL_SCHEMES for scheme in url_schemes(url)
    )


def _media_url() -> str:
    # Read lazily so the package imports without configured settings.
    from django.conf import settings

    return str(getattr(settings, "MEDIA_URL", "") or "")


def is_allowed_image_src(url: str) -> bool:
    """True if an ``<img>`` may load ``url``.

    Only https (anywhere) or a path under our own ``MEDIA_URL``. Plain http
    would be mixed content; other relative URLs could make the reader's
    browser fire GET requests at our own endpoints (``/logout``...).
    """
    url = url.strip()
    if not url:
        return False
    schemes = url_schemes(url)
    if schemes and schemes <= IMAGE_URL_SCHEMES:
        return True
    if schemes != {None}:
        return False
    media = _media_url()
    if not media.startswith("/") or media.startswith("//"):
        # An absolute MEDIA_URL (https CDN) is already covered above.
        return False
    if url.startswith("//") or "\\" in url:
        return False  # protocol-relative: another host
    if not url.startswith(media):
        return False
    # No path tricks out of the media directory ("/media/../admin/", also
    # percent-encoded, also with backslashes, which browsers and some
    # servers read as slashes).
    decoded = unquote(unquote(url)).split("?", 1)[0].split("#", 1)[0].replace("\\", "/")
    return not any(part in {".", ".."} for part in decoded.split("/"))
