"""Domain errors of the events app: each carries a translatable message that views show as-is."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _


class EventError(ValueError):
    """A request the rules refuse (closed RSVPs, no seats for guests, bad dates...)."""

    default_message = _("This cannot be done.")

    def __init__(self, message=None, **params) -> None:
        self.message = message or self.default_message
        self.params = params
        super().__init__(str(self))

    def __str__(self) -> str:
        text = str(self.message)
        return text % self.params if self.params else text


class RSVPClosed(EventError):
    default_message = _("RSVPs for this event are closed.")


class NotEnoughSeats(EventError):
    default_message = _("There are not enough seats left for your guests.")


class HeaderInjection(EventError):
    default_message = _("Line breaks are not allowed here.")


class AlreadyAnswered(EventError):
    default_message = _("You have already answered this survey. Thank you!")


class EventPermissionDenied(PermissionDenied):
    def __init__(self, message=None) -> None:
        self.message = message or _("You are not allowed to do this.")
        super().__init__(str(self.message))


def refuse_line_breaks(value: str) -> str:
    """Text that ends up in an email header (subjects built from member input) must stay on one line."""
    if "\r" in value or "\n" in value:
        raise HeaderInjection()
    return value
