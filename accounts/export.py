"""A member's data: export it all, erase what is personal.

EXTENSION POINT (other apps add theirs; keep the names): any installed app may provide a module
`<app>/export.py` with either or both of

    def member_data(user) -> dict:
        '''Everything this app stores that the member created or that is about them (JSON-serialisable;
        datetimes, dates, decimals and UUIDs are fine).'''

    def member_erase(user) -> None:
        '''Erase this app's personal data about the member (e.g. RSVP notes, newsletter deliveries);
        contributions (posts, topics) stay and show the author as "deleted member".'''

`export_member(user)` puts each app's `member_data` under its app label; `erase_member(user)` calls each
`member_erase` before the account itself is erased (see `accounts.actions.account_delete`). This module is
also the accounts app's own provider.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Iterator

from allauth.account.models import EmailAddress
from django.apps import apps
from django.utils import timezone

from accounts.models import AuditLog, MemberSettings, NotificationPreference, User
from accounts.preferences import KINDS

FORMAT_VERSION = 1


def _providers(function_name: str, module: str = "export") -> Iterator[tuple[str, Callable]]:
    """(app label, function) for every installed app whose `<module>` module defines `function_name`."""
    for app_config in apps.get_app_configs():
        module_name = f"{app_config.name}.{module}"
        try:
            found = importlib.util.find_spec(module_name) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            continue
        provider = importlib.import_module(module_name)  # a broken provider fails loudly, not silently
        function = getattr(provider, function_name, None)
        if callable(function):
            yield app_config.label, function


def export_member(user: User) -> dict:
    """The whole export document: one section per providing app."""
    sections = {label: member_data_fn(user) for label, member_data_fn in _providers("member_data")}
    return {
        "format": "brand-community-member-export",
        "version": FORMAT_VERSION,
        "generated_at": timezone.now(),
        "member_id": user.pk,
        "sections": sections,
    }


def erase_member(user: User) -> None:
    """Let every app erase its personal data about the member (accounts' own erasure is the action's)."""
    for label, member_erase_fn in _providers("member_erase"):
        if label == "accounts":
            continue
        member_erase_fn(user)


# --- The accounts app's own section ----------------------------------------------------------------------


def member_data(user: User) -> dict:
    """Profile, email addresses, connected accounts, roles, preferences, settings and audit entries about them."""
    from allauth.socialaccount.models import SocialAccount

    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "delivery"))
    settings_row = MemberSettings.objects.filter(user=user).first()
    audit_entries = AuditLog.objects.filter(target_type=User._meta.label_lower, target_id=str(user.pk))
    return {
        "profile": {
            "id": user.pk,
            "email": user.email,
            "handle": user.handle,
            "display_name": user.display_name,
            "bio": user.bio,
            "avatar": user.avatar.url if user.avatar else None,
            "language": user.locale,
            "time_zone": user.time_zone,
            "date_joined": user.date_joined,
            "last_login": user.last_login,
            "last_seen_at": user.last_seen_at,
            "is_staff": user.is_staff,
            "silenced_until": user.silenced_until,
            "suspended_until": user.suspended_until,
            "moderation_reason": user.moderation_reason,
        },
        "email_addresses": [
            {"email": address.email, "verified": address.verified, "primary": address.primary}
            for address in EmailAddress.objects.filter(user=user).order_by("email")
        ],
        "connected_accounts": [
            {"provider": account.provider, "uid": account.uid, "date_joined": account.date_joined,
             "last_login": account.last_login, "extra_data": account.extra_data}
            for account in SocialAccount.objects.filter(user=user).order_by("provider")
        ],
        "roles": sorted(user.groups.values_list("name", flat=True)),
        "notification_preferences": {kind.key: chosen.get(kind.key, kind.default) for kind in KINDS},
        "settings": None if settings_row is None else {
            "digest_frequency": settings_row.digest_frequency,
            "newsletter_opt_in": settings_row.newsletter_opt_in,
            "show_in_attendee_lists": settings_row.show_in_attendee_lists,
            "last_digest_at": settings_row.last_digest_at,
        },
        "audit_entries_about_me": [
            {"at": entry.created_at, "action": entry.action, "by_me": entry.actor_id == user.pk,
             "data": entry.data}
            for entry in audit_entries.order_by("created_at", "pk")
        ],
    }
