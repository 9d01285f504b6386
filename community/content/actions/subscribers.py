"""Writes about newsletter recipients: double opt-in, preferences, unsubscribing, bounces, opens and clicks."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.actions import audit
from community.content import tracking
from community.content.models import (
    DeliveryStatus,
    NewsletterClick,
    NewsletterDelivery,
    Subscriber,
    SubscriberStatus,
    Suppression,
    SuppressionReason,
)
from community.metrics.actions import record
from community.notifications import mail

log = logging.getLogger(__name__)

CONFIRM_SALT = "community.content.subscriber.confirm"
CONFIRM_MAX_AGE = timedelta(days=7)
RESEND_AFTER = timedelta(minutes=5)


class SubscriberError(ValueError):
    """Bad input or an invalid link; the message is safe to show."""


def _normal_email(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
        mail.safe_header(email)
    except (ValidationError, mail.HeaderInjection) as exc:
        raise SubscriberError(_("Enter a valid email address.")) from exc
    return email


def is_suppressed(email: str) -> bool:
    return Suppression.objects.filter(email=email.strip().lower()).exists()


# --- Double opt-in ----------------------------------------------------------------------------------------


def subscriber_signup(*, email: str, name: str = "", language: str = "en",
                      now: datetime | None = None) -> Subscriber | None:
    """Sign-up form: store a pending subscriber and mail a confirmation link.

    The caller shows the same answer whatever happened (new, pending, already subscribed, suppressed), so the
    form reveals nothing about who is subscribed.
    """
    now = now or timezone.now()
    email = _normal_email(email)
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    if is_suppressed(email):
        return None
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().filter(email__iexact=email).first()
        if subscriber is None:
            subscriber = Subscriber.objects.create(email=email, name=" ".join(name.split())[:120], language=language)
        elif subscriber.status == SubscriberStatus.CONFIRMED:
            return subscriber
        else:
            subscriber.name = " ".join(name.split())[:120] or subscriber.name
            subscriber.language = language
            subscriber.status = SubscriberStatus.PENDING
        if subscriber.confirmation_sent_at and now - subscriber.confirmation_sent_at < RESEND_AFTER:
            subscriber.save()
            return subscriber
        subscriber.confirmation_sent_at = now
        subscriber.save()
        from community.content.tasks import subscriber_confirmation_send

        subscriber_id = subscriber.pk
        transaction.on_commit(lambda: subscriber_confirmation_send.enqueue(subscriber_id))
    return subscriber


def confirmation_token(subscriber: Subscriber) -> str:
    """Signed, timestamped, and tied to the latest confirmation mail (an older link stops working)."""
    sent = subscriber.confirmation_sent_at.isoformat() if subscriber.confirmation_sent_at else ""
    return signing.dumps({"s": subscriber.pk, "e": subscriber.email, "t": sent}, salt=CONFIRM_SALT)


def subscriber_confirmation_email(*, subscriber_id: int) -> bool:
    subscriber = Subscriber.objects.filter(pk=subscriber_id, status=SubscriberStatus.PENDING).first()
    if subscriber is None or is_suppressed(subscriber.email):
        return False
    url = settings.SITE_URL + reverse("content:subscriber_confirm", kwargs={"token": confirmation_token(subscriber)})
    context = {"subscriber": subscriber, "confirm_url": url, "SITE_NAME": settings.SITE_NAME,
               "SITE_URL": settings.SITE_URL}
    with translation.override(subscriber.language):
        subject = render_to_string("content/email/confirm_subscription.subject.txt", context).strip()
        text = render_to_string("content/email/confirm_subscription.txt", context)
        html = render_to_string("content/email/confirm_subscription.html", context)
    mail.build_message(to=subscriber.email, subject=subject, text=text, html=html).send()
    return True


def _subscriber_from_token(token: str) -> Subscriber:
    try:
        payload = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise SubscriberError(_("This confirmation link has expired. Please sign up again.")) from exc
    except signing.BadSignature as exc:
        raise SubscriberError(_("This confirmation link is not valid.")) from exc
    if not isinstance(payload, dict):
        raise SubscriberError(_("This confirmation link is not valid."))
    subscriber = Subscriber.objects.filter(pk=payload.get("s"), email__iexact=str(payload.get("e", ""))).first()
    sent = subscriber.confirmation_sent_at.isoformat() if subscriber and subscriber.confirmation_sent_at else ""
    if subscriber is None or payload.get("t") != sent:
        raise SubscriberError(_("This confirmation link is not valid any more."))
    return subscriber


def subscriber_for_confirmation(*, token: str) -> Subscriber:
    """Who a confirmation link names (GET shows a button; mail scanners follow links, so only POST confirms)."""
    return _subscriber_from_token(token)


def subscriber_confirm(*, token: str, now: datetime | None = None) -> Subscriber:
    subscriber = _subscriber_from_token(token)
    if is_suppressed(subscriber.email):
        raise SubscriberError(_("This address cannot receive our newsletter."))
    if subscriber.status != SubscriberStatus.CONFIRMED:
        subscriber.status = SubscriberStatus.CONFIRMED
        subscriber.confirmed_at = now or timezone.now()
        subscriber.unsubscribed_at = None
        subscriber.save(update_fields=["status", "confirmed_at", "unsubscribed_at"])
    return subscriber


# --- Preferences and unsubscribing ------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    """Who an unsubscribe/preferences token names: a member, a subscriber, or (already erased) nobody."""

    email: str
    scope: str
    member: object | None
    subscriber: Subscriber | None

    @property
    def delivery_id(self) -> int | None:
        tail = self.scope.split(":", 1)[1] if ":" in self.scope else ""
        return int(tail) if tail.isdigit() else None

    @property
    def subscribed(self) -> bool:
        if self.member is not None:
            settings_row = getattr(self.member, "settings", None)
            return bool(settings_row and settings_row.newsletter_opt_in)
        return bool(self.subscriber and self.subscriber.status == SubscriberStatus.CONFIRMED)


def recipient_from_token(token: str) -> Recipient:
    """The recipient a newsletter unsubscribe token names; raises SubscriberError if tampered."""
    from accounts.models import User

    try:
        email, scope = mail.read_unsubscribe_token(token)
    except mail.BadUnsubscribeToken as exc:
        raise SubscriberError(_("This link is not valid.")) from exc
    if scope != "newsletter" and not scope.startswith("newsletter:"):
        raise SubscriberError(_("This link is not valid."))
    member = User.objects.select_related("settings").filter(email__iexact=email, deleted_at__isnull=True).first()
    subscriber = Subscriber.objects.filter(email__iexact=email).first()
    return Recipient(email=email, scope=scope, member=member, subscriber=subscriber)


def _member_opt_out(member) -> None:
    handler = mail.unsubscribe_handler_for("newsletter")  # the notifications app owns MemberSettings' flag
    if handler is not None:
        handler(user=member, scope="newsletter")
    else:
        from accounts.models import MemberSettings

        MemberSettings.objects.update_or_create(user=member, defaults={"newsletter_opt_in": False})


def newsletter_unsubscribe(*, token: str, now: datetime | None = None) -> Recipient:
    """One-click unsubscribe (POST only): the signed token is the authorisation. Idempotent.

    Unsubscribes exactly the address the token names (a member's or a subscriber's), and counts the
    unsubscribe on the issue it came from.
    """
    now = now or timezone.now()
    found = recipient_from_token(token)
    with transaction.atomic():
        if found.member is not None:
            _member_opt_out(found.member)
        if found.subscriber is not None and found.subscriber.status != SubscriberStatus.UNSUBSCRIBED:
            found.subscriber.status = SubscriberStatus.UNSUBSCRIBED
            found.subscriber.unsubscribed_at = now
            found.subscriber.save(update_fields=["status", "unsubscribed_at"])
        if found.delivery_id:
            NewsletterDelivery.objects.filter(
                pk=found.delivery_id, email=found.email, unsubscribed_at__isnull=True
            ).update(unsubscribed_at=now)
        audit(actor=found.member, action="content.newsletter.unsubscribe", target=found.subscriber or found.member,
              email_domain=found.email.rsplit("@", 1)[-1])
    return found


def member_newsletter_set(*, member, opt_in: bool) -> None:
    """The member's own choice on the preferences page."""
    from accounts.models import MemberSettings

    if opt_in:
        MemberSettings.objects.update_or_create(user=member, defaults={"newsletter_opt_in": True})
    else:
        _member_opt_out(member)


def subscriber_update(*, token: str, subscribed: bool, name: str | None = None,
                      language: str | None = None, now: datetime | None = None) -> Recipient:
    """Preferences page reached from a newsletter link (no sign-in): language, name, subscribed or not."""
    now = now or timezone.now()
    found = recipient_from_token(token)
    if not subscribed:
        return newsletter_unsubscribe(token=token, now=now)
    with transaction.atomic():
        if found.member is not None:
            member_newsletter_set(member=found.member, opt_in=True)
        subscriber = found.subscriber
        if subscriber is not None:
            if name is not None:
                subscriber.name = " ".join(name.split())[:120]
            if language in dict(settings.LANGUAGES):
                subscriber.language = language
            if subscriber.status == SubscriberStatus.UNSUBSCRIBED and not is_suppressed(subscriber.email):
                # They had confirmed their address before; coming back from our own signed link is consent.
                subscriber.status = SubscriberStatus.CONFIRMED
                subscriber.unsubscribed_at = None
            subscriber.save()
    return recipient_from_token(token)


# --- Bounces and complaints -------------------------------------------------------------------------------

BOUNCE_KINDS = {"hard_bounce": SuppressionReason.HARD_BOUNCE, "complaint": SuppressionReason.COMPLAINT}


def bounce_record(*, email: str, kind: str, detail: str = "") -> Suppression | None:
    """A hard bounce or a complaint: the address is suppressed and never mailed a newsletter again.
    Soft bounces are ignored (the next send tries again)."""
    reason = BOUNCE_KINDS.get(kind)
    if reason is None:
        return None
    email = _normal_email(email)
    with transaction.atomic():
        suppression, _created = Suppression.objects.get_or_create(
            email=email, defaults={"reason": reason, "detail": detail[:300]}
        )
        Subscriber.objects.filter(email__iexact=email).exclude(status=SubscriberStatus.UNSUBSCRIBED).update(
            status=SubscriberStatus.UNSUBSCRIBED, unsubscribed_at=timezone.now()
        )
        NewsletterDelivery.objects.filter(email=email, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.SKIPPED, error=f"Suppressed: {reason}"
        )
        if reason == SuppressionReason.COMPLAINT:
            from accounts.models import User

            member = User.objects.filter(email__iexact=email).first()
            if member is not None:
                _member_opt_out(member)
    return suppression


# --- Opens and clicks -------------------------------------------------------------------------------------


def _tracked_delivery(delivery_id: int) -> NewsletterDelivery | None:
    delivery = NewsletterDelivery.objects.select_related("issue", "member").filter(pk=delivery_id).first()
    if delivery is None or not delivery.issue.tracking_enabled:
        return None
    return delivery


def _record_first(delivery: NewsletterDelivery, kind: str) -> None:
    if delivery.member is not None and delivery.member.is_active:
        record(member=delivery.member, kind=kind, subject=delivery.issue)


def track_open(*, token: str, now: datetime | None = None) -> bool:
    """The tracking pixel was loaded. The first open is participation for members."""
    now = now or timezone.now()
    delivery = _tracked_delivery(tracking.read_open_token(token))
    if delivery is None:
        return False
    with transaction.atomic():
        first = NewsletterDelivery.objects.filter(pk=delivery.pk, opened_at__isnull=True).update(opened_at=now)
        NewsletterDelivery.objects.filter(pk=delivery.pk).update(open_count=F("open_count") + 1)
        if first:
            _record_first(delivery, "newsletter.opened")
    return bool(first)


class ForeignURL(SubscriberError):
    """A tracked-link request named a URL that is not the one signed into its token."""


def track_click(*, token: str, requested_url: str | None = None, now: datetime | None = None) -> str:
    """A tracked link was followed: returns the only URL we redirect to, the one inside the signed token."""
    now = now or timezone.now()
    click = tracking.read_click_token(token)
    if requested_url is not None and requested_url != click.url:
        raise ForeignURL(_("This link does not lead there."))
    delivery = _tracked_delivery(click.delivery_id)
    if delivery is None:
        return click.url
    with transaction.atomic():
        NewsletterClick.objects.create(delivery=delivery, url=click.url[:2000], clicked_at=now)
        first = NewsletterDelivery.objects.filter(pk=delivery.pk, clicked_at__isnull=True).update(clicked_at=now)
        NewsletterDelivery.objects.filter(pk=delivery.pk).update(click_count=F("click_count") + 1)
        # A click proves the mail was opened even when its images (and so the pixel) were blocked.
        opened = NewsletterDelivery.objects.filter(pk=delivery.pk, opened_at__isnull=True).update(opened_at=now)
        if opened:
            _record_first(delivery, "newsletter.opened")
        if first:
            _record_first(delivery, "newsletter.clicked")
    return click.url
