"""Validation of member-chosen names: display names and @handles."""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Bidirectional controls can make a name read backwards ("U+202E"); zero-width characters hide text.
FORBIDDEN_CODEPOINTS = {
    "\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u2060", "\ufeff",
    "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",
    "\u2066", "\u2067", "\u2068", "\u2069",
}


def clean_display_name(value: str) -> str:
    """NFKC-normalise and refuse control, bidi and zero-width characters."""
    value = unicodedata.normalize("NFKC", value).strip()
    for char in value:
        if char in FORBIDDEN_CODEPOINTS or unicodedata.category(char) in {"Cc", "Cf", "Co", "Cs"}:
            raise ValidationError(_("Display names may not contain invisible or direction-changing characters."),
                                  code="display_name_control")
    if len(value) > 60:
        raise ValidationError(_("Display names may be at most 60 characters long."), code="display_name_long")
    return re.sub(r"\s+", " ", value)


HANDLE_RE = re.compile(r"^[a-z0-9_]{2,30}$")
# Characters that look alike in common fonts fold to one representative.
_SKELETON = str.maketrans({"0": "o", "1": "l", "i": "l", "5": "s", "2": "z", "8": "b", "_": ""})


def handle_skeleton(handle: str) -> str:
    """The look-alike-folded form; two handles with one skeleton could be mistaken for each other."""
    skeleton = handle.lower().translate(_SKELETON)
    return re.sub(r"rn", "m", re.sub(r"vv", "w", skeleton))


def clean_handle(value: str) -> str:
    """Handles are ASCII only, so that no Cyrillic or Greek letter can pass for a Latin one."""
    value = unicodedata.normalize("NFKC", value).strip().lstrip("@").lower()
    if not HANDLE_RE.fullmatch(value):
        raise ValidationError(
            _("Handles are 2 to 30 characters: letters a-z, digits and underscores."), code="handle_invalid"
        )
    return value
