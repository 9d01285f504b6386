"""Unsubscribing from a signed link: the built-in scopes and the action the view calls.

Scopes: "notify:<kind>" turns that kind's email into in-app only; "digest" turns the digest off;
"newsletter" clears MemberSettings.newsletter_opt_in. Other apps add scopes with
`community.notifications.mail.register_unsubscribe_scope(prefix, handler)`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from community.notifications import mail


class UnsubscribeError(ValueError):
    """The link is not valid (tampered, unknown scope) or its member no longer exists."""


@dataclass(frozen=True)
class Unsubscription:
    user: object
    scope: str

    @property
    def description(self) -> str:
        return str(describe_scope(self.scope))


def describe_scope(scope: str) -> str:
    from accounts.preferences import KIND_BY_KEY

    if scope.startswith("notify:"):
        kind = KIND_BY_KEY.get(scope.split(":", 1)[1])
        label = kind.label if kind else scope.split(":", 1)[1]
        return _("emails about: %(kind)s") % {"kind": label}
    if scope == "digest":
        return _("the digest emails")
    label = mail.unsubscribe_label_for(scope)
    if label is not None:
        return label
    if scope == "newsletter" or scope.startswith("newsletter:"):
        return _("newsletters")
    return _("these emails")


def _settings_for(user):
    from accounts.models import MemberSettings

    settings_row, _created = MemberSettings.objects.get_or_create(user=user)
    return settings_row


def unsubscribe_notify_kind(*, user, scope: str) -> None:
    from accounts.models import Delivery, NotificationPreference
    from accounts.preferences import KIND_BY_KEY, delivery_for

    kind = scope.split(":", 1)[1] if ":" in scope else ""
    if kind not in KIND_BY_KEY:
        raise UnsubscribeError(_("This unsubscribe link is not valid."))
    if delivery_for(user, kind) == Delivery.EMAIL:
        NotificationPreference.objects.update_or_create(user=user, kind=kind, defaults={"delivery": Delivery.IN_APP})


def unsubscribe_digest(*, user, scope: str) -> None:
    from accounts.models import DigestFrequency

    row = _settings_for(user)
    if row.digest_frequency != DigestFrequency.OFF:
        row.digest_frequency = DigestFrequency.OFF
        row.save(update_fields=["digest_frequency"])


def unsubscribe_newsletter(*, user, scope: str) -> None:
    row = _settings_for(user)
    if row.newsletter_opt_in:
        row.newsletter_opt_in = False
        row.save(update_fields=["newsletter_opt_in"])


def register_builtin_scopes() -> None:
    mail.register_unsubscribe_scope("notify", unsubscribe_notify_kind)
    mail.register_unsubscribe_scope("digest", unsubscribe_digest)
    mail.register_unsubscribe_scope("newsletter", unsubscribe_newsletter)


def unsubscription_read(*, token: str) -> Unsubscription:
    """Who and what a token names, without changing anything (for the GET confirmation page)."""
    from accounts.models import User

    try:
        email, scope = mail.read_unsubscribe_token(token)
    except mail.BadUnsubscribeToken as exc:
        raise UnsubscribeError(_("This unsubscribe link is not valid.")) from exc
    if mail.unsubscribe_handler_for(scope) is None:
        raise UnsubscribeError(_("This unsubscribe link is not valid."))
    user = User.objects.filter(email__iexact=email, deleted_at__isnull=True).first()
    if user is None:
        raise UnsubscribeError(_("This unsubscribe link is no longer valid."))
    return Unsubscription(user=user, scope=scope)


def unsubscribe_apply(*, token: str) -> Unsubscription:
    """Unsubscribe the member the token names from its scope; idempotent. The signature is the authorisation."""
    from accounts.actions import audit

    found = unsubscription_read(token=token)
    handler = mail.unsubscribe_handler_for(found.scope)
    with transaction.atomic():
        handler(user=found.user, scope=found.scope)
        audit(actor=found.user, action="notifications.unsubscribe", target=found.user, scope=found.scope)
    return found
