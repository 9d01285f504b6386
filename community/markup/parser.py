"""The first layer: the markdown-it parser and our rules on top of it.

CommonMark preset with raw HTML *disabled* (member text can never contain
tags of its own, only the small set the Markdown grammar produces), plus
tables, strikethrough and linkify. Link and image URLs are checked while
parsing (:mod:`.urls`), so a rejected link simply stays text. Our rules:

* inline ``linkify`` replaced by a version with a bounded scheme scan;
* inline ``link`` / ``image`` wrapped with the :data:`MAX_LINK_ATTEMPTS` budget;
* core rules for the image policy, ``@mentions``, heading levels and table
  alignment.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from markdown_it import MarkdownIt, rules_inline
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

from .limits import MAX_LINK_ATTEMPTS, MAX_MENTIONS, MAX_NESTING
from .urls import is_allowed_image_src, is_safe_link

__all__ = ["ENV_MENTIONS", "ENV_MENTION_URL", "MENTION_RE", "parser"]

#: A mention: ``@`` + 2..30 of ``[A-Za-z0-9_]``, not glued to a preceding word
#: character, ``@``, ``/``, ``:`` or ``.`` (so ``a@b.c``, ``host/@x`` and
#: ``x.@y`` are not mentions) and not followed by another word character.
MENTION_RE = re.compile(r"(?<![\w@/:.])@([A-Za-z0-9_]{2,30})(?![\w@])")

# Keys of the per-render ``env`` dict our rules read and write.
#: ``mention_url(handle)`` callable: link mentions.
ENV_MENTION_URL = "community_mention_url"
#: A list to collect mentioned handles into (lower-cased, distinct).
ENV_MENTIONS = "community_mentions"
_ENV_MENTION_CACHE = "community_mention_cache"
_ENV_LINK_ATTEMPTS = "community_link_attempts"

# Longest scheme the inline linkify rule needs to find before "://".
# linkify-it only knows http, https, ftp (and "//"), so 32 is plenty.
_MAX_SCHEME_LENGTH = 32
_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.+-")


# --------------------------------------------------------------------------
# Inline rules
# --------------------------------------------------------------------------


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


# --------------------------------------------------------------------------
# Core rules (on the token stream)
# --------------------------------------------------------------------------


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
                if not is_allowed_image_src(src):
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
    mention_url: Callable[[str], str | None] | None = state.env.get(ENV_MENTION_URL)
    collected: list[str] | None = state.env.get(ENV_MENTIONS)
    if mention_url is None and collected is None:
        return
    cache: dict[str, str | None] = state.env.setdefault(_ENV_MENTION_CACHE, {})

    def lookup(handle: str) -> str | None:
        key = handle.lower()
        if key not in cache:
            if len(cache) >= MAX_MENTIONS:
                return None
            url = mention_url(handle) if mention_url is not None else None
            cache[key] = url if url and is_safe_link(url) else None
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


# --------------------------------------------------------------------------
# The parser
# --------------------------------------------------------------------------


@functools.cache
def parser() -> MarkdownIt:
    """The one configured parser (built once; rendering keeps state in ``env``)."""
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
    md.validateLink = is_safe_link  # type: ignore[method-assign]
    md.inline.ruler.at("linkify", _linkify_inline)
    md.inline.ruler.at("link", _budgeted(rules_inline.link, "["))
    md.inline.ruler.at("image", _budgeted(rules_inline.image, "!"))
    md.core.ruler.after("linkify", "community_links_images", _links_and_images_rule)
    md.core.ruler.before("text_join", "community_mentions", _mention_rule)
    md.core.ruler.push("community_headings", _headings_rule)
    md.core.ruler.push("community_table_align", _table_align_rule)
    return md
