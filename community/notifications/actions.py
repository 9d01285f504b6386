"""Writes of the notifications app.

CONTRACT (other apps call this, keep the signature): an action that should tell a member something calls,
inside its transaction,

    from community.notifications.actions import notify
    notify(recipient=user, kind="reply", actor=author, target=post, url=post.get_absolute_url())

`kind` is one of accounts.preferences.KINDS. The notifications app stores the in-app notification, collapses
similar ones, honours the member's preferences, and after commit sends email and the live badge update.

Optional `data` keys understood by community.notifications.texts: "title" (shown instead of the target's
title), "reaction", "message" (moderation, personal messages), "what" (events: "reminder", "updated",
"cancelled", "promoted"), "event" + "name"/"tier" (loyalty: "badge", "tier.up", "tier.down",
"personal_message"), "excerpt" (quoted in the email). "email_sent": True means the calling app already
mailed the member about it, so no notification email is sent.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from accounts.models import Delivery
from accounts.preferences import delivery_for
from community import realtime
from community.notifications.models import EmailDelivery, Notification

logger = logging.getLogger(__name__)

# Kinds whose notifications on the same target collapse into one unread row within the window.
COLLAPSIBLE_KINDS = {"reaction"}
COLLAPSE_WINDOW = timedelta(days=1)
# An email held back while the member is online is dropped after this long (see pending_notification_emails_send).
HOLD_BACK_MAX = timedelta(days=2)


def _target_ref(target: Any) -> tuple[ContentType | None, int | None]:
    if target is None or getattr(target, "_meta", None) is None or getattr(target, "pk", None) is None:
        return None, None
    return ContentType.objects.get_for_model(target), int(target.pk)


def _title_for(target: Any, data: dict) -> str:
    if data.get("title"):
        return str(data["title"])[:200]
    meta = getattr(target, "_meta", None)
    if target is None or (meta is not None and meta.label_lower == "accounts.user"):
        return ""
    for attr in ("title", "name"):
        value = getattr(target, attr, None)
        if value:
            return str(value)[:200]
    topic = getattr(target, "topic", None)  # a forum post: show its topic's title
    if topic is not None and getattr(topic, "title", None):
        return str(topic.title)[:200]
    return str(target)[:200]


def notify(*, recipient, kind: str, actor=None, target: Any = None, url: str = "",
           data: dict | None = None) -> Notification | None:
    """Tell one member about something; returns the stored (or collapsed-into) notification, or None.

    Never notifies the actor about their own act, nor a deleted member, nor a member who turned the kind off.
    """
    if recipient is None or recipient.pk is None:
        return None
    if actor is not None and actor.pk == recipient.pk:
        return None
    if getattr(recipient, "deleted_at", None) is not None:
        return None
    delivery = delivery_for(recipient, kind)
    if delivery == Delivery.OFF:
        return None
    data = dict(data or {})
    now = timezone.now()
    target_type, target_id = _target_ref(target)

    with transaction.atomic():
        notification = None
        created = True
        if kind in COLLAPSIBLE_KINDS and target_type is not None:
            notification = (
                Notification.objects.select_for_update()
                .filter(recipient=recipient, kind=kind, target_type=target_type, target_id=target_id,
                        read_at__isnull=True, created_at__gte=now - COLLAPSE_WINDOW)
                .order_by("-created_at")
                .first()
            )
        if notification is not None:
            created = False
            if actor is not None and actor.pk not in notification.actor_ids:
                notification.actor_ids = [*notification.actor_ids, actor.pk]
            if actor is not None:
                notification.actor = actor
            notification.count = max(len(notification.actor_ids), 1)
            notification.updated_at = now
            notification.data = {**notification.data, **data}
            notification.save(update_fields=["actor_ids", "actor", "count", "updated_at", "data"])
        else:
            notification = Notification.objects.create(
                recipient=recipient, kind=kind, actor=actor, target_type=target_type, target_id=target_id,
                title=_title_for(target, data), url=url or "", data=data, delivery=delivery,
                actor_ids=[actor.pk] if actor is not None else [], count=1, created_at=now, updated_at=now,
            )

        # The calling app may already have mailed the member about this (events' own reminder emails).
        if delivery == Delivery.EMAIL and created and not data.get("email_sent"):
            EmailDelivery.objects.create(notification=notification, recipient=recipient)
            notification_id = notification.pk
            transaction.on_commit(lambda: _enqueue_email(notification_id))

        _publish_badge(recipient=recipient, notification=notification, op="add" if created else "change")
    return notification


def _enqueue_email(notification_id: int) -> None:
    """After commit. If the queue is unreachable the delivery stays pending and the periodic sweep sends it."""
    from community.notifications import tasks

    try:
        tasks.send_notification_email.enqueue(notification_id=notification_id)
    except Exception:
        logger.exception("could not enqueue the email of notification %s; the sweep will send it", notification_id)


def _unread_count(recipient) -> int:
    return Notification.objects.filter(recipient=recipient, read_at__isnull=True).count()


def _publish_badge(*, recipient, notification: Notification | None, op: str) -> None:
    """Live badge (and a toast for a new or updated notification) on the member's own stream."""
    event: dict[str, Any] = {"type": "notifications.notification", "op": op, "unread": _unread_count(recipient)}
    if notification is not None:
        with translation.override(recipient.locale), timezone.override(recipient.zoneinfo):
            event["id"] = notification.pk
            event["html"] = render_to_string("notifications/_toast.html", {"notification": notification})
    realtime.publish_on_commit(realtime.member_stream(recipient.pk), event)


def notification_mark_read(*, member, notification_id: int) -> Notification:
    """Mark one of the member's own notifications read (idempotent); others' raise DoesNotExist."""
    notification = Notification.objects.get(pk=notification_id, recipient=member)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=notification.read_at)
        _publish_badge(recipient=member, notification=None, op="change")
    return notification


def notifications_mark_all_read(*, member) -> int:
    """Mark every unread notification of the member read; returns how many changed."""
    changed = Notification.objects.filter(recipient=member, read_at__isnull=True).update(read_at=timezone.now())
    if changed:
        realtime.publish_on_commit(
            realtime.member_stream(member.pk),
            {"type": "notifications.notification", "op": "change", "unread": 0},
        )
    return changed


# --- Email -----------------------------------------------------------------------------------------------


def _skip(delivery: EmailDelivery, reason: str) -> str:
    EmailDelivery.objects.filter(pk=delivery.pk, status=EmailDelivery.Status.PENDING).update(
        status=EmailDelivery.Status.SKIPPED, reason=reason
    )
    return EmailDelivery.Status.SKIPPED


def notification_email_send(*, notification_id: int, now: datetime | None = None) -> str:
    """Send the email of one notification at most once; returns the delivery's status afterwards.

    Safe to call any number of times (retried task, periodic sweep): the delivery row is claimed
    atomically (pending -> sending) before anything is sent, so only one caller can ever send.
    Held back (stays pending) while the member is online; skipped if the notification was read, the member
    is deleted or inactive, or the primary email is not verified.
    """
    from allauth.account.models import EmailAddress

    from community.notifications import mail, presence
    from community.notifications.emails import send_notification_email

    now = now or timezone.now()
    delivery = (
        EmailDelivery.objects.select_related("notification", "notification__actor", "recipient")
        .filter(notification_id=notification_id).first()
    )
    if delivery is None:
        return ""
    if delivery.status != EmailDelivery.Status.PENDING:
        return delivery.status
    notification, recipient = delivery.notification, delivery.recipient
    EmailDelivery.objects.filter(pk=delivery.pk).update(attempts=delivery.attempts + 1)
    if notification.read_at is not None:
        return _skip(delivery, "read")
    if not recipient.is_active or recipient.deleted_at is not None:
        return _skip(delivery, "inactive")
    primary = EmailAddress.objects.filter(user=recipient, primary=True).first()
    if primary is None or not primary.verified or primary.email.lower() != recipient.email.lower():
        return _skip(delivery, "unverified")
    if delivery_for(recipient, notification.kind) != Delivery.EMAIL:
        return _skip(delivery, "preference")
    if presence.is_online(recipient, now):
        return EmailDelivery.Status.PENDING  # held back; send_pending_notification_emails looks again

    claimed = EmailDelivery.objects.filter(pk=delivery.pk, status=EmailDelivery.Status.PENDING).update(
        status=EmailDelivery.Status.SENDING, claimed_at=now
    )
    if not claimed:
        return EmailDelivery.objects.get(pk=delivery.pk).status
    try:
        send_notification_email(notification=notification, recipient=recipient)
    except mail.HeaderInjection:
        logger.warning("notification email %s refused: control character in a header", notification.pk)
        EmailDelivery.objects.filter(pk=delivery.pk).update(status=EmailDelivery.Status.FAILED, reason="header")
        return EmailDelivery.Status.FAILED
    except Exception:
        logger.exception("notification email %s failed", notification.pk)
        EmailDelivery.objects.filter(pk=delivery.pk).update(status=EmailDelivery.Status.FAILED, reason="error")
        raise
    EmailDelivery.objects.filter(pk=delivery.pk).update(status=EmailDelivery.Status.SENT, sent_at=timezone.now())
    return EmailDelivery.Status.SENT


def pending_notification_emails_send(*, now: datetime | None = None, limit: int = 1000) -> dict[str, int]:
    """Look again at emails still pending (held back while the member was online); returns counts by status.

    An email held back for longer than HOLD_BACK_MAX is dropped ("stale"): the member has been around all
    along, and news that old is better left to the notifications page.
    """
    now = now or timezone.now()
    counts: dict[str, int] = {}
    stale = EmailDelivery.objects.filter(status=EmailDelivery.Status.PENDING, created_at__lt=now - HOLD_BACK_MAX)
    dropped = stale.update(status=EmailDelivery.Status.SKIPPED, reason="stale")
    if dropped:
        counts["stale"] = dropped
    ids = list(
        EmailDelivery.objects.filter(status=EmailDelivery.Status.PENDING)
        .order_by("created_at").values_list("notification_id", flat=True)[:limit]
    )
    for notification_id in ids:
        try:
            status = notification_email_send(notification_id=notification_id, now=now)
        except Exception:  # already logged and marked failed; keep going with the others
            status = EmailDelivery.Status.FAILED
        counts[status] = counts.get(status, 0) + 1
    return counts

