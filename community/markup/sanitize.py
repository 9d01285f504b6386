"""The second layer: nh3 (Rust ammonia) with the project's one allow-list.

Whatever the first layer emits is parsed again as HTML, the way a browser
would, and everything not on the list below is dropped. Every link gets
``rel="nofollow ugc noopener"`` (:data:`.urls.LINK_REL`).
"""

from __future__ import annotations

import functools
import re

import nh3

from .urls import (
    IMAGE_URL_SCHEMES,
    LINK_REL,
    LINK_URL_SCHEMES,
    is_allowed_image_src,
    is_safe_link,
)

__all__ = ["ALLOWED_ATTRIBUTES", "ALLOWED_TAGS", "sanitize_html"]

# --------------------------------------------------------------------------
# The allow-list. Keep it small: markdown-it cannot produce anything else
# anyway, so every extra entry is pure risk.
# --------------------------------------------------------------------------

#: Tags that survive sanitising. ``h1`` is absent on purpose: headings are
#: shifted down one level (``#`` -> ``<h2>``) because the page's own ``<h1>``
#: is the topic title. No ``span``/``div``/``aside``: nothing we generate
#: uses them.
ALLOWED_TAGS: frozenset[str] = frozenset(
    {
        "a",
        "blockquote",
        "br",
        "code",
        "del",
        "em",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "img",
        "li",
        "ol",
        "p",
        "pre",
        "s",
        "strong",
        "table",
        "tbody",
        "td",
        "th",
        "thead",
        "tr",
        "ul",
    }
)

#: Attributes per tag. ``rel`` on ``a`` is set by nh3 itself (:data:`.urls.LINK_REL`)
#: and must not be listed. ``class`` values are filtered further in
#: :func:`_attribute_filter`: ``a.mention``, ``code.language-xxx``,
#: ``th/td.text-left|center|right`` (table alignment, instead of ``style``).
#: ``ol start`` keeps "3. item" lists numbered from 3.
ALLOWED_ATTRIBUTES: dict[str, frozenset[str]] = {
    "a": frozenset({"href", "title", "class"}),
    "img": frozenset({"src", "alt", "title"}),
    "code": frozenset({"class"}),
    "ol": frozenset({"start"}),
    "th": frozenset({"class"}),
    "td": frozenset({"class"}),
}

_CLASS_RULES: dict[str, re.Pattern[str]] = {
    "a": re.compile(r"mention"),
    "code": re.compile(r"language-[A-Za-z0-9_+#.\-]{1,40}"),
    "th": re.compile(r"text-(?:left|center|right)"),
    "td": re.compile(r"text-(?:left|center|right)"),
}


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    """Per-value checks nh3's static allow-list cannot express."""
    if attribute == "href":
        return value if value.strip() and is_safe_link(value) else None
    if attribute == "src":
        return value if tag == "img" and is_allowed_image_src(value) else None
    if attribute == "class":
        rule = _CLASS_RULES.get(tag)
        if rule is None:
            return None
        kept = [name for name in value.split() if rule.fullmatch(name)]
        return " ".join(kept) or None
    if attribute == "start":
        return value if value.isascii() and value.isdigit() and len(value) <= 9 else None
    return value


@functools.cache
def _cleaner() -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=set(ALLOWED_TAGS),
        # Dropped *with* their content if they ever show up.
        clean_content_tags={"script", "style", "template", "iframe", "object", "noscript"},
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_attribute_filter,
        strip_comments=True,
        link_rel=LINK_REL,
        generic_attribute_prefixes=set(),
        url_schemes=set(LINK_URL_SCHEMES | IMAGE_URL_SCHEMES),
    )


def sanitize_html(html_fragment: str) -> str:
    """Clean an HTML fragment with the project's single allow-list."""
    return _cleaner().clean(html_fragment)
