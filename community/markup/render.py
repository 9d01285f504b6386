"""Markdown source in, sanitised HTML (or the mentioned handles) out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .limits import check_length
from .parser import ENV_MENTION_URL, ENV_MENTIONS, parser
from .sanitize import sanitize_html

__all__ = ["extract_mentions", "render_markdown"]


def render_markdown(
    text: str, *, mention_url: Callable[[str], str | None] | None = None
) -> str:
    """Render member Markdown to sanitised HTML, safe to mark ``|safe``.

    ``mention_url(handle)`` -- when given -- returns the profile URL for a
    handle, or ``None`` for an unknown one (which then stays plain text).
    Raises :class:`MarkupTooLong` above :data:`MAX_LENGTH` characters.
    """
    check_length(text)
    env: dict[str, Any] = {}
    if mention_url is not None:
        env[ENV_MENTION_URL] = mention_url
    return sanitize_html(parser().render(text, env))


def extract_mentions(text: str) -> list[str]:
    """Distinct ``@handles`` of ``text``, lower-cased, in order of appearance.

    Uses the same parser as :func:`render_markdown`, so exactly the handles
    that rendering would link are returned: none inside code spans or code
    blocks, link texts or image alt texts, nor escaped as ``\\@handle``; at
    most :data:`MAX_MENTIONS`.
    """
    check_length(text)
    mentions: list[str] = []
    parser().parse(text, {ENV_MENTIONS: mentions})
    return mentions
