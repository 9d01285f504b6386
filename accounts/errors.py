"""Domain errors of the accounts app.

`AccountError` is both a Django ValidationError (so a view can hand it to `form.add_error(None, exc)` and each
message lands on its field) and a ValueError (the house rule for domain errors).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError


class AccountError(ValidationError, ValueError):
    """A member's request that cannot be carried out, with a clear, translatable message.

    Build it with a message (`AccountError(_("..."))`) or with messages per form field
    (`AccountError({"handle": _("...")})`).
    """


class AvatarError(AccountError):
    """The uploaded avatar was refused (not an image, too large, too many pixels)."""
