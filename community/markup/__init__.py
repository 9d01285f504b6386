"""The one and only door that turns member text (Markdown) into HTML.

Every piece of member-written text that ends up in a page -- posts, replies,
event descriptions, tips, profile bios -- goes through :func:`render_markdown`.
Nothing else in the project may produce HTML from member input, and templates
may mark only its output ``|safe``. Import from ``community.markup`` itself:
the submodules are its parts, not further doors.

Two independent layers, so that a bug in one is not an XSS hole:

1. **markdown-it-py** (CommonMark preset) with raw HTML *disabled*: member
   text can never contain tags of its own, only the small set the Markdown
   grammar produces. Link and image URLs are checked while parsing
   (:func:`.urls.is_safe_link`, :func:`.urls.is_allowed_image_src`), so a
   rejected link simply stays text.
2. **nh3** (Rust ammonia) with one explicit allow-list (the ``ALLOWED_*``
   constants in :mod:`.sanitize`): whatever the first layer emits is parsed
   again as HTML and everything not on the list is dropped. Every link gets
   ``rel="nofollow ugc noopener"``.

Resource limits are structural, not time based (deterministic, no threads or
signals): at most :data:`MAX_LENGTH` characters, at most :data:`MAX_NESTING`
levels of nesting, at most :data:`MAX_LINK_ATTEMPTS` link/image openings
tried, at most :data:`MAX_MENTIONS` distinct mentions looked up. The one
super-linear path found in markdown-it-py (scheme detection of its inline
linkify rule) is replaced by a bounded version. ``docs/markup.md`` records the
measurements behind these numbers.

The package is importable without Django settings; ``settings.MEDIA_URL`` and
translations are only touched while rendering or when an error is shown.

Layout:

* :mod:`.limits` -- the ``MAX_*`` limits and :class:`MarkupTooLong`;
* :mod:`.urls` -- the URL policy shared by both layers (schemes, safe links,
  allowed image sources, ``LINK_REL``);
* :mod:`.parser` -- layer 1: the markdown-it parser and our rules (linkify,
  link budget, images, mentions, headings, tables);
* :mod:`.sanitize` -- layer 2: the nh3 allow-list and :func:`sanitize_html`;
* :mod:`.render` -- :func:`render_markdown` and :func:`extract_mentions`;
* :mod:`.text` -- plain text: :func:`to_plain_text`, :func:`excerpt`,
  :func:`render_plain`.
"""

from __future__ import annotations

from .limits import MAX_LENGTH, MAX_LINK_ATTEMPTS, MAX_MENTIONS, MAX_NESTING, MarkupTooLong
from .parser import MENTION_RE
from .render import extract_mentions, render_markdown
from .sanitize import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, sanitize_html
from .text import excerpt, render_plain, to_plain_text
from .urls import IMAGE_URL_SCHEMES, LINK_REL, LINK_URL_SCHEMES

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
