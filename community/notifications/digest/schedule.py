"""When digests go out, to whom, and sending them exactly once.

`send_due_digests(now)` runs every 15 minutes (the `run_digests` task or `manage.py send_digests` from cron):
it picks the time zones where it is now the digest hour (07:00-08:00 local by default; weekly digests on the
configured weekday, Monday by default), the members there whose digest is due, who have a verified primary
email and who have not visited since their last digest, builds their digests in chunks and sends each one
after claiming its `DigestDelivery(member, period)` row: running again in the same period sends nothing.

Settings: DIGEST_HOUR (7), DIGEST_WINDOW_HOURS (1), DIGEST_WEEKDAY (0 = Monday), DIGEST_CHUNK (500).
"""

from __future__ import annotations

import logging
import zoneinfo
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import DigestFrequency, MemberSettings, User
from community.notifications import mail
from community.notifications.digest.builder import Digest, build_digests, digest_since, period_for
from community.notifications.models import DigestDelivery

logger = logging.getLogger(__name__)

# A second digest never follows the previous one sooner than this (time-zone changes, clock skew).
MIN_GAP = {DigestFrequency.DAILY: timedelta(hours=20), DigestFrequency.WEEKLY: timedelta(days=6)}


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def period_key(frequency: str, local: datetime) -> str:
    if frequency == DigestFrequency.DAILY:
        return f"daily:{local.date().isoformat()}"
    year, week, _day = local.isocalendar()
    return f"weekly:{year}-W{week:02d}"


def due_time_zones(now: datetime, zones: list[str]) -> dict[str, datetime]:
    """The zones (of `zones`) where `now` falls in the digest hour, with the local time there."""
    start = _setting("DIGEST_HOUR", 7)
    hours = _setting("DIGEST_WINDOW_HOURS", 1)
    due = {}
    for name in zones:
        try:
            local = now.astimezone(zoneinfo.ZoneInfo(name))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            continue
        if start <= local.hour < start + hours:
            due[name] = local
    return due


def has_visited_since_last_digest(member: User, settings_row: MemberSettings | None, now: datetime) -> bool:
    """Active members get no digest: seen since their last digest (or within one period if none yet)."""
    if member.last_seen_at is None:
        return False
    frequency = settings_row.digest_frequency if settings_row else DigestFrequency.WEEKLY
    reference = (settings_row.last_digest_at if settings_row else None) or now - period_for(frequency)
    return member.last_seen_at >= reference


def due_members(now: datetime) -> list[tuple[User, str]]:
    """(member, period key) of everyone whose digest is due at `now` and not yet claimed."""
    weekday = _setting("DIGEST_WEEKDAY", 0)
    base = (
        User.objects.active()
        .filter(settings__digest_frequency__in=[DigestFrequency.DAILY, DigestFrequency.WEEKLY],
                emailaddress__primary=True, emailaddress__verified=True)
    )
    zones = list(base.values_list("time_zone", flat=True).distinct().order_by())
    due_zones = due_time_zones(now, zones)
    if not due_zones:
        return []
    candidates = []
    for member in base.filter(time_zone__in=list(due_zones)).select_related("settings").order_by("pk"):
        row = member.settings
        local = due_zones[member.time_zone]
        if row.digest_frequency == DigestFrequency.WEEKLY and local.weekday() != weekday:
            continue
        if row.last_digest_at and row.last_digest_at > now - MIN_GAP[row.digest_frequency]:
            continue
        if has_visited_since_last_digest(member, row, now):
            continue
        candidates.append((member, period_key(row.digest_frequency, local)))
    if not candidates:
        return []
    claimed = set(
        DigestDelivery.objects.filter(member_id__in=[m.pk for m, _k in candidates],
                                      period__in={k for _m, k in candidates}).values_list("member_id", "period")
    )
    return [(m, k) for m, k in candidates if (m.pk, k) not in claimed]


def _claim(member: User, key: str) -> DigestDelivery | None:
    try:
        with transaction.atomic():
            return DigestDelivery.objects.create(member=member, period=key, status=DigestDelivery.Status.SENDING)
    except IntegrityError:
        return None  # another run claimed it first


def send_digest_email(digest: Digest) -> None:
    member = digest.member
    token = mail.unsubscribe_token(email=member.email, scope="digest")
    unsubscribe_url = mail.unsubscribe_url(token)
    context = {
        "member": member,
        "digest": digest,
        "unsubscribe_url": unsubscribe_url,
        "preferences_url": settings.SITE_URL + reverse("accounts:account"),
    }
    subject, text, html = mail.render_email("digest", context, language=member.locale, time_zone=member.zoneinfo)
    mail.build_message(to=member.email, subject=subject, text=text, html=html,
                       unsubscribe_url=unsubscribe_url).send()


def digest_deliver(*, digest: Digest | None, member: User, key: str, now: datetime) -> str:
    """Claim the member's delivery for this period, then send (or record that there was nothing)."""
    delivery = _claim(member, key)
    if delivery is None:
        return "claimed"
    if digest is None:
        DigestDelivery.objects.filter(pk=delivery.pk).update(status=DigestDelivery.Status.EMPTY)
        return DigestDelivery.Status.EMPTY
    try:
        send_digest_email(digest)
    except mail.HeaderInjection:
        logger.warning("digest for member %s refused: control character in a header", member.pk)
        DigestDelivery.objects.filter(pk=delivery.pk).update(status=DigestDelivery.Status.FAILED)
        return DigestDelivery.Status.FAILED
    except Exception:
        logger.exception("digest for member %s failed", member.pk)
        DigestDelivery.objects.filter(pk=delivery.pk).update(status=DigestDelivery.Status.FAILED)
        return DigestDelivery.Status.FAILED
    DigestDelivery.objects.filter(pk=delivery.pk).update(
        status=DigestDelivery.Status.SENT, items=digest.item_count, sent_at=timezone.now()
    )
    MemberSettings.objects.filter(user=member).update(last_digest_at=now)
    return DigestDelivery.Status.SENT


def send_due_digests(now: datetime | None = None) -> dict[str, int]:
    """Send every digest due at `now`; returns how many ended in each status. Safe to run again."""
    now = now or timezone.now()
    counts: dict[str, int] = {}
    due = due_members(now)
    chunk = _setting("DIGEST_CHUNK", 500)
    for start in range(0, len(due), chunk):
        part = due[start:start + chunk]
        digests = build_digests([m for m, _k in part], now)
        for member, key in part:
            status = digest_deliver(digest=digests.get(member.pk), member=member, key=key, now=now)
            counts[status] = counts.get(status, 0) + 1
    return counts


__all__ = ["digest_since", "due_members", "period_key", "send_due_digests", "send_digest_email"]
