"""Reads about members that other apps rely on."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts.models import MemberSettings, NotificationPreference, User
from accounts.preferences import KINDS

_VERIFIED_CACHE = "_accounts_has_verified_email"


def has_verified_email(user: User) -> bool:
    """Whether the member's primary email address is verified (one query, remembered on the user object)."""
    if not getattr(user, "is_authenticated", False) or user.pk is None:
        return False
    cached = getattr(user, _VERIFIED_CACHE, None)
    if cached is None:
        cached = EmailAddress.objects.filter(user=user, primary=True, verified=True).exists()
        setattr(user, _VERIFIED_CACHE, cached)
    return cached


def participation_refusal(user) -> str | None:
    """Why this member may not post, reply, react or RSVP right now; None when they may.

    The forum and events call this in their actions and show the message; `can_participate` is its yes/no.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return _("Please log in to take part.")
    if user.is_deleted or not user.is_active:
        return _("This account is closed.")
    now = timezone.now()
    if user.is_suspended(now):
        message = _("Your account is suspended until %(until)s.") % {"until": _when(user.suspended_until)}
        return _with_reason(message, user)
    if user.is_silenced(now):
        message = _("You can read, but not take part, until %(until)s.") % {"until": _when(user.silenced_until)}
        return _with_reason(message, user)
    if not has_verified_email(user):
        return _("Please confirm your email address before you take part. "
                 "We sent you a link; you can send it again from your email settings.")
    return None


def can_participate(user) -> bool:
    """Verified primary email, active, not deleted, not suspended, not silenced."""
    return participation_refusal(user) is None


def _when(moment) -> str:
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def _with_reason(message: str, user: User) -> str:
    if user.moderation_reason:
        return _("%(message)s Reason: %(reason)s") % {"message": message, "reason": user.moderation_reason}
    return message


def member_settings(user: User) -> MemberSettings:
    """The member's settings row, or unsaved defaults when they never saved any."""
    try:
        return MemberSettings.objects.get(user=user)
    except MemberSettings.DoesNotExist:
        return MemberSettings(user=user)


def notification_choices(user: User) -> list[tuple]:
    """(kind, chosen delivery) for every kind, in the order of accounts.preferences.KINDS. One query."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "delivery"))
    return [(kind, chosen.get(kind.key, kind.default)) for kind in KINDS]


def account_overview(user: User) -> dict:
    """What the account page shows: email addresses and social connections. Two queries."""
    from allauth.socialaccount.models import SocialAccount

    emails = list(EmailAddress.objects.filter(user=user).order_by("-primary", "email"))
    connections = list(SocialAccount.objects.filter(user=user).order_by("provider"))
    return {
        "emails": emails,
        "primary_email": next((e for e in emails if e.primary), None),
        "connections": connections,
    }


def profile_sections(member: User) -> dict:
    """Sections other apps add to a public profile: `<app>.selectors.profile_section(member=)` returns the
    context for `templates/<app label>/_profile_section.html` (keys prefixed by the app, e.g. loyalty_*)."""
    from accounts.export import _providers

    context: dict = {"profile_templates": []}
    for label, section in _providers("profile_section", module="selectors"):
        context.update(section(member=member))
        context["profile_templates"].append(f"{label}/_profile_section.html")
    return context
