"""Resource limits on member text, and the error for text that is too long.

The limits are structural, not time based (deterministic, no threads or
signals). ``docs/markup.md`` records the measurements behind these numbers.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

__all__ = [
    "MAX_LENGTH",
    "MAX_LINK_ATTEMPTS",
    "MAX_MENTIONS",
    "MAX_NESTING",
    "MarkupTooLong",
    "check_length",
]

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


def check_length(text: str) -> None:
    """Raise :class:`MarkupTooLong` if ``text`` is over :data:`MAX_LENGTH`."""
    if len(text) > MAX_LENGTH:
        raise MarkupTooLong(len(text))
