"""Plain text from HTML: for excerpts, ``<title>``, meta and og tags, subjects.

Everything here returns *text*, not HTML: the template's autoescaping makes
it harmless. Never mark it ``|safe``.
"""

from __future__ import annotations

from html.parser import HTMLParser

from .render import render_markdown

__all__ = ["excerpt", "render_plain", "to_plain_text"]

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
