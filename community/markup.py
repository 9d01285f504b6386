"""The one and only door that turns member text (Markdown) into HTML.

Every piece of member-written text that ends up in a page -- posts, replies,
event descriptions, tips, profile bios -- goes through :func:`render_markdown`.
Nothing else in the project may produce HTML from member input, and templates
may mark only its output ``|safe``.

Two independent layers, so that a bug in one is not an XSS hole:

1. **markdown-it-py** (CommonMark preset) with raw HTML *disabled*: member
   text can never contain tags of its own, only the small set the Markdown
   grammar produces. Link and image URLs are checked while parsing
   (:func:`_is_safe_link`, :func:`_is_allowed_image_src`), so a rejected link
   simply stays text.
2. **nh3** (Rust ammonia) with one explicit allow-list (the ``ALLOWED_*``
   constants below): whatever the first layer emits is parsed again as HTML
   and everything not on the list is dropped. Every link gets
   ``rel="nofollow ugc noopener"``.

Resource limits are structural, not time based (deterministic, no threads or
signals): at most :data:`MAX_LENGTH` characters, at most :data:`MAX_NESTING`
levels of nesting, at most :data:`MAX_LINK_ATTEMPTS` link/image openings
tried, at most :data:`MAX_MENTIONS` distinct mentions looked up. The one
super-linear path found in markdown-it-py (scheme detection of its inline
linkify rule) is replaced by a bounded version. ``docs/markup.md`` records the
measurements behind these numbers.

The module is importable without Django settings; ``settings.MEDIA_URL`` and
translations are only touched while rendering or when an error is shown.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any
from urllib.parse import unquote

import nh3
from django.utils.translation import gettext_lazy as _
from markdown_it import MarkdownIt, rules_inline
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

__all__ = [
    "ALLOWED_ATTRIBUTES",
    "ALLOWED_TAGS",
    "IMAGE_URL_SCHEMES",
    "LINK_REL",
    "LINK_URL_SCHEMES",
    "MAX_LENGTH",
    "MAX_LINK_ATTEMPTS",
    "MAX_MENTIONS",
    "MAX_NESTING",
    "MENTION_RE",
    "MarkupTooLong",
    "excerpt",
    "extract_mentions",
    "render_markdown",
    "render_plain",
    "sanitize_html",
    "to_plain_text",
]

# --------------------------------------------------------------------------
# Limits
# --------------------------------------------------------------------------

#: Longest accepted source text, in characters (``len(text)``). Rendering
#: cost is linear in the length for every construct we measured, so this cap
#: is also what bounds the render time (worst case ~0.5 s CPU, see docs/markup.md).
MAX_LENGTH = 32_000

#: markdown-it ``maxNesting``: deepest nesting of block *and* inline
#: constructs (blockquote in list in blockquote..., emphasis in link...).
#: Content nested deeper is dropped. CommonMark's preset uses 20; the
#: per-character cost of the worst inputs (runs of ``[`` / ``![``) grows with
#: this number, so we keep it a little lower. 16 still renders a list nested
#: 7 deep with bold, italic and a link in every item.
MAX_NESTING = 16

#: At most this many link / image openings (``[`` or ``![``) are tried per
#: text; later brackets stay plain text. Each attempt scans ahead for the
#: closing ``]`` (recursively, up to MAX_NESTING), which made runs of 16,000
#: ``![`` the slowest input we found (0.6 s). A real post has a few dozen
#: links; 32,000 characters of ``[a](b)`` are 4,572.
MAX_LINK_ATTEMPTS = 5_000

#: At most this many *distinct* handles are looked up / linked per text;
#: later ones stay plain text. Bounds database look-ups and notification
#: fan-out ("@everyone" spam) per post.
MAX_MENTIONS = 50

# --------------------------------------------------------------------------
# The allow-list (the second layer). Keep it small: markdown-it cannot
# produce anything else anyway, so every extra entry is pure risk.
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

#: Attributes per tag. ``rel`` on ``a`` is set by nh3 itself (:data:`LINK_REL`)
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

#: Schemes a link (``<a href>``) may use. Relative URLs are allowed too.
LINK_URL_SCHEMES: frozenset[str] = frozenset({"http", "https", "mailto"})

#: Schemes an image may be loaded from; besides these only relative URLs under
#: ``settings.MEDIA_URL`` are allowed (see :func:`_is_allowed_image_src`).
IMAGE_URL_SCHEMES: frozenset[str] = frozenset({"https"})

#: Added by nh3 to every ``<a>``: no SEO credit for member links (nofollow,
#: ugc) and no ``window.opener`` for the target page (noopener).
LINK_REL = "nofollow ugc noopener"

#: A mention: ``@`` + 2..30 of ``[A-Za-z0-9_]``, not glued to a preceding word
#: character, ``@``, ``/``, ``:`` or ``.`` (so ``a@b.c``, ``host/@x`` and
#: ``x.@y`` are not mentions) and not followed by another word character.
MENTION_RE = re.compile(r"(?<![\w@/:.])@([A-Za-z0-9_]{2,30})(?![\w@])")

_CLASS_RULES: dict[str, re.Pattern[str]] = {
    "a": re.compile(r"mention"),
    "code": re.compile(r"language-[A-Za-z0-9_+#.\-]{1,40}"),
    "th": re.compile(r"text-(?:left|center|right)"),
    "td": re.compile(r"text-(?:left|center|right)"),
}

# Characters browsers ignore or strip inside a URL scheme (C0 controls, space,
# DEL, C1 controls) and Unicode spaces / zero-width characters that can hide a
# scheme from a naive check. Removed before looking at the scheme.
_URL_IGNORED_RE = re.compile(
    "[\x00-\x20\x7f-\x9f\u00a0\u00ad\u1680\u180e\u2000-\u200f\u2028-\u202f"
    "\u205f-\u206f\u3000\ufeff]"
)
_SCHEME_RE = re.compile(r"([a-z][a-z0-9+.\-]*):")


class MarkupTooLong(ValueError):
    """The source text is longer than :data:`MAX_LENGTH` characters.

    Like Django's ``ValidationError`` it keeps a lazy ``message`` and its
    ``params``, so forms can show it translated to the member's language.
    """

    def __init__(self, length: int, limit: int = MAX_LENGTH) -> None:
        self.length = length
        self.limit = limit
        self.message = _(
            "This text is too long: %(length)s characters, the limit is %(limit)s."
        )
        self.params = {"length": length, "limit": limit}
        super().__init__(length, limit)

    def __str__(self) -> str:
        return str(self.message) % self.params


def _check_length(text: str) -> None:
    if len(text) > MAX_LENGTH:
        raise MarkupTooLong(len(text))


# --------------------------------------------------------------------------
# URL policy (shared by both layers)
# --------------------------------------------------------------------------


def _url_decodings(url: str) -> list[str]:
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


def _url_schemes(url: str) -> set[str | None]:
    """Schemes found in any decoding of ``url`` (``None`` means relative)."""
    schemes: set[str | None] = set()
    for candidate in _url_decodings(url):
        match = _SCHEME_RE.match(candidate)
        schemes.add(match.group(1) if match else None)
    return schemes


def _is_safe_link(url: str) -> bool:
    """True if ``url`` may be an ``href``: http(s), mailto, or relative."""
    return all(
        scheme is None or scheme in LINK_URL_SCHEMES for scheme in _url_schemes(url)
    )


def _media_url() -> str:
    # Read lazily so the module imports without configured settings.
    from django.conf import settings

    return str(getattr(settings, "MEDIA_URL", "") or "")


def _is_allowed_image_src(url: str) -> bool:
    """True if an ``<img>`` may load ``url``.

    Only https (anywhere) or a path under our own ``MEDIA_URL``. Plain http
    would be mixed content; other relative URLs could make the reader's
    browser fire GET requests at our own endpoints (``/logout``...).
    """
    url = url.strip()
    if not url:
        return False
    schemes = _url_schemes(url)
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


# --------------------------------------------------------------------------
# markdown-it: parser and our rules
# --------------------------------------------------------------------------

_ENV_MENTION_URL = "community_mention_url"
_ENV_MENTIONS = "community_mentions"
_ENV_MENTION_CACHE = "community_mention_cache"
_ENV_LINK_ATTEMPTS = "community_link_attempts"

# Longest scheme the inline linkify rule needs to find before "://".
# linkify-it only knows http, https, ftp (and "//"), so 32 is plenty.
_MAX_SCHEME_LENGTH = 32
_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.+-")


def _linkify_inline(state: StateInline, silent: bool) -> bool:
    """markdown-it-py's inline ``linkify`` rule with a bounded scheme scan.

    Upstream runs ``re.search(r"...([a-z][a-z0-9.+-]*)$", state.pending)`` at
    every ``://``. ``pending`` (the text since the last token) can be the
    whole paragraph, so "http://ahttp://a..." took 3.4 s at 32,000
    characters (quadratic). Here we walk back at most
    ``_MAX_SCHEME_LENGTH`` characters instead; the result is the same for
    every scheme linkify-it can match.
    """
    if not state.md.options.linkify or state.linkLevel > 0:
        return False
    linkify = state.md.linkify
    if linkify is None:
        raise ModuleNotFoundError("Linkify enabled but not installed.")

    pos = state.pos
    src = state.src
    if pos + 3 > state.posMax or src[pos] != ":" or src[pos + 1] != "/" or src[pos + 2] != "/":
        return False

    pending = state.pending
    start = len(pending)
    while start > 0 and pending[start - 1] in _SCHEME_CHARS:
        start -= 1
        if len(pending) - start > _MAX_SCHEME_LENGTH:
            return False
    proto = pending[start:]
    if not proto or not proto[0].isascii() or not proto[0].isalpha():
        return False

    link = linkify.match_at_start(src[pos - len(proto) :])
    if not link:
        return False
    url: str = link.url.rstrip("*")  # '*' at the end conflicts with emphasis

    full_url = state.md.normalizeLink(url)
    if not state.md.validateLink(full_url):
        return False

    if not silent:
        state.pending = state.pending[: -len(proto)]
        token = state.push("link_open", "a", 1)
        token.attrs = {"href": full_url}
        token.markup = "linkify"
        token.info = "auto"
        token = state.push("text", "", 0)
        token.content = state.md.normalizeLinkText(url)
        token = state.push("link_close", "a", -1)
        token.markup = "linkify"
        token.info = "auto"

    state.pos += len(url) - len(proto)
    return True


InlineRule = Callable[[StateInline, bool], bool]


def _budgeted(rule: InlineRule, marker: str) -> InlineRule:
    """Wrap markdown-it's ``link`` / ``image`` rule with MAX_LINK_ATTEMPTS.

    The budget lives in the render's ``env``, so it is per text and
    thread-safe. Silent (look-ahead) attempts count too: they are the cost.
    """

    def rule_with_budget(state: StateInline, silent: bool) -> bool:
        if state.src[state.pos] != marker:
            return False
        used = state.env.get(_ENV_LINK_ATTEMPTS, 0)
        if used >= MAX_LINK_ATTEMPTS:
            return False
        state.env[_ENV_LINK_ATTEMPTS] = used + 1
        return rule(state, silent)

    rule_with_budget.__name__ = f"{rule.__name__}_with_budget"
    return rule_with_budget


def _inline_tokens(state: StateCore) -> list[Token]:
    return [t for t in state.tokens if t.type == "inline" and t.children]


def _text_token(content: str, level: int) -> Token:
    token = Token("text", "", 0)
    token.content = content
    token.level = level
    return token


def _links_and_images_rule(state: StateCore) -> None:
    """Apply the image policy and drop links that lost their URL.

    * An image whose source is not allowed (plain http, other sites' paths,
      our own non-media paths) is not embedded: it becomes a link to that
      URL with the alt text (or the URL) as text, so nothing is requested
      without a click; inside a link it becomes just the alt text. Its URL
      already passed the link check, or markdown-it would not have made it
      an image.
    * A link whose destination was rejected (``href=""``) becomes its text.
    """
    for inline in _inline_tokens(state):
        children: list[Token] = []
        drop_close = False
        in_link = False
        for token in inline.children or []:
            if token.type == "image":
                src = str(token.attrGet("src") or "")
                if not _is_allowed_image_src(src):
                    alt = state.md.renderer.renderInlineAsText(
                        token.children or [], state.md.options, state.env
                    )
                    if in_link or not src:
                        if alt:
                            children.append(_text_token(alt, token.level))
                        continue
                    link_open = Token("link_open", "a", 1)
                    link_open.attrs = {"href": src}
                    link_open.level = token.level
                    link_close = Token("link_close", "a", -1)
                    link_close.level = token.level
                    children += [link_open, _text_token(alt or src, token.level + 1), link_close]
                    continue
            elif token.type == "link_open":
                if not token.attrGet("href"):
                    drop_close = True
                    continue
                in_link = True
            elif token.type == "link_close":
                if drop_close:
                    drop_close = False
                    continue
                in_link = False
            children.append(token)
        inline.children = children


def _mention_rule(state: StateCore) -> None:
    """Turn ``@handle`` in plain text into mention links (or collect them).

    Runs on the token stream, so code spans, code blocks, link texts
    (including linkified URLs and e-mail addresses) and image alt texts are
    never touched. Runs before ``text_join`` so a backslash-escaped ``\\@bob``
    is not a mention either.
    """
    mention_url: Callable[[str], str | None] | None = state.env.get(_ENV_MENTION_URL)
    collected: list[str] | None = state.env.get(_ENV_MENTIONS)
    if mention_url is None and collected is None:
        return
    cache: dict[str, str | None] = state.env.setdefault(_ENV_MENTION_CACHE, {})

    def lookup(handle: str) -> str | None:
        key = handle.lower()
        if key not in cache:
            if len(cache) >= MAX_MENTIONS:
                return None
            url = mention_url(handle) if mention_url is not None else None
            cache[key] = url if url and _is_safe_link(url) else None
            if collected is not None and key not in collected:
                collected.append(key)
        return cache[key]

    for inline in _inline_tokens(state):
        children: list[Token] = []
        link_depth = 0
        for token in inline.children or []:
            if token.type == "link_open":
                link_depth += 1
            elif token.type == "link_close":
                link_depth -= 1
            elif token.type == "text" and link_depth == 0 and "@" in token.content:
                children.extend(_split_mentions(token, lookup, linking=mention_url is not None))
                continue
            children.append(token)
        inline.children = children


def _split_mentions(
    token: Token, lookup: Callable[[str], str | None], *, linking: bool
) -> list[Token]:
    out: list[Token] = []
    text = token.content
    last = 0
    for match in MENTION_RE.finditer(text):
        url = lookup(match.group(1))
        if not (linking and url):
            continue
        if match.start() > last:
            out.append(_text_token(text[last : match.start()], token.level))
        link_open = Token("link_open", "a", 1)
        link_open.attrs = {"href": url, "class": "mention"}
        link_open.level = token.level
        link_open.markup = "mention"
        out.append(link_open)
        out.append(_text_token(match.group(0), token.level + 1))
        link_close = Token("link_close", "a", -1)
        link_close.level = token.level
        link_close.markup = "mention"
        out.append(link_close)
        last = match.end()
    if not out:
        return [token]
    if last < len(text):
        out.append(_text_token(text[last:], token.level))
    return out


def _headings_rule(state: StateCore) -> None:
    """Shift headings down one level: the page's ``<h1>`` is the title."""
    for token in state.tokens:
        if token.type in {"heading_open", "heading_close"}:
            level = int(token.tag[1:])
            token.tag = f"h{min(level + 1, 6)}"


def _table_align_rule(state: StateCore) -> None:
    """Table alignment as a class: we allow no ``style`` attribute at all."""
    for token in state.tokens:
        if token.type in {"th_open", "td_open"} and token.attrs:
            style = str(token.attrs.pop("style", ""))
            align = style.removeprefix("text-align:")
            if align in {"left", "center", "right"}:
                token.attrs["class"] = f"text-{align}"


@functools.cache
def _parser() -> MarkdownIt:
    md = MarkdownIt(
        "commonmark",
        {
            "html": False,  # member text never contributes tags of its own
            "linkify": True,
            "typographer": False,
            "maxNesting": MAX_NESTING,
        },
    ).enable(["linkify", "table", "strikethrough"])
    # First layer of the URL policy: a rejected URL means "not a link".
    md.validateLink = _is_safe_link  # type: ignore[method-assign]
    md.inline.ruler.at("linkify", _linkify_inline)
    md.inline.ruler.at("link", _budgeted(rules_inline.link, "["))
    md.inline.ruler.at("image", _budgeted(rules_inline.image, "!"))
    md.core.ruler.after("linkify", "community_links_images", _links_and_images_rule)
    md.core.ruler.before("text_join", "community_mentions", _mention_rule)
    md.core.ruler.push("community_headings", _headings_rule)
    md.core.ruler.push("community_table_align", _table_align_rule)
    return md


# --------------------------------------------------------------------------
# nh3: the second layer
# --------------------------------------------------------------------------


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    """Per-value checks nh3's static allow-list cannot express."""
    if attribute == "href":
        return value if value.strip() and _is_safe_link(value) else None
    if attribute == "src":
        return value if tag == "img" and _is_allowed_image_src(value) else None
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


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------


def render_markdown(
    text: str, *, mention_url: Callable[[str], str | None] | None = None
) -> str:
    """Render member Markdown to sanitised HTML, safe to mark ``|safe``.

    ``mention_url(handle)`` -- when given -- returns the profile URL for a
    handle, or ``None`` for an unknown one (which then stays plain text).
    Raises :class:`MarkupTooLong` above :data:`MAX_LENGTH` characters.
    """
    _check_length(text)
    env: dict[str, Any] = {}
    if mention_url is not None:
        env[_ENV_MENTION_URL] = mention_url
    return sanitize_html(_parser().render(text, env))


def extract_mentions(text: str) -> list[str]:
    """Distinct ``@handles`` of ``text``, lower-cased, in order of appearance.

    Uses the same parser as :func:`render_markdown`, so exactly the handles
    that rendering would link are returned: none inside code spans or code
    blocks, link texts or image alt texts, nor escaped as ``\\@handle``; at
    most :data:`MAX_MENTIONS`.
    """
    _check_length(text)
    mentions: list[str] = []
    _parser().parse(text, {_ENV_MENTIONS: mentions})
    return mentions


# Tags after which plain text needs a separator, so "<p>a</p><p>b</p>" is
# "a b", not "ab".
_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "details", "div",
        "dl", "dt", "figcaption", "figure", "footer", "h1", "h2", "h3", "h4",
        "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre",
        "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead",
        "tr", "ul",
    }
)  # fmt: skip
# Never text, should they appear in input that did not come from us.
_SKIP_CONTENT_TAGS = frozenset(
    {"script", "style", "template", "noscript", "iframe", "object", "svg", "math", "title"}
)


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_CONTENT_TAGS:
            self.skipping += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_CONTENT_TAGS:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def to_plain_text(html_fragment: str) -> str:
    """Plain text of (sanitised) HTML, whitespace collapsed to single spaces.

    For excerpts, ``<title>``, meta and og tags, notification subjects:
    places that must never contain markup. The result is *text*, not HTML:
    ``&lt;script&gt;`` comes back as ``<script>``, and the template's
    autoescaping turns it back into harmless characters. Never mark it
    ``|safe``.
    """
    parser = _TextExtractor()
    parser.feed(html_fragment)
    parser.close()
    return " ".join("".join(parser.parts).split())


def render_plain(text: str) -> str:
    """Markdown source -> plain text (``to_plain_text(render_markdown(text))``)."""
    return to_plain_text(render_markdown(text))


def excerpt(html_fragment: str, length: int = 200) -> str:
    """Plain-text excerpt of at most ``length`` characters.

    Cuts on a word boundary when there is one in the second half of the
    allowed length, and ends a shortened text with "…" (counted in
    ``length``). Like :func:`to_plain_text`, the result is text, not HTML.
    """
    if length < 1:
        raise ValueError("length must be at least 1")
    text = to_plain_text(html_fragment)
    if len(text) <= length:
        return text
    cut = text[: length - 1]
    if not text[length - 1].isspace():
        space = cut.rfind(" ")
        if space >= length // 2:
            cut = cut[:space]
    cut = cut.rstrip(" \t\n,;:.-–—")
    return f"{cut}…"
