"""Creating, editing, publishing and cancelling events (and recurring series)."""

from __future__ import annotations

import calendar
import logging
import secrets
import zoneinfo
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from community import markup
from events.actions._common import publish_seats, tell
from events.errors import EventError, EventPermissionDenied
from events.models import RSVP, Event, EventSeries, Format, Frequency, RSVPStatus, Status, Visibility
from events.permissions import can_manage_event, is_manager

logger = logging.getLogger(__name__)

#: Plain fields an event form may set (besides hosts, tags, roles, cover and the discussion category).
EDITABLE_FIELDS = (
    "title", "body", "starts_at", "ends_at", "time_zone", "format", "venue", "address", "map_url", "join_url",
    "capacity", "max_plus_ones", "rsvp_deadline", "visibility",
)
#: A change of any of these mails confirmed and waitlisted members an update.
LOGISTICS_FIELDS = ("starts_at", "ends_at", "time_zone", "format", "venue", "address", "map_url", "join_url")
MAX_OCCURRENCES = 52
COVER_FORMATS = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp", "GIF": ".gif"}


# --- validation -----------------------------------------------------------------------------------------

def _clean_single_line(value: str, *, field: str) -> str:
    value = (value or "").strip()
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise EventError(_("%(field)s must be one line of text."), field=field)
    return value


def _validate(event: Event) -> None:
    event.title = _clean_single_line(event.title, field=_("The title"))
    if not event.title:
        raise EventError(_("An event needs a title."))
    event.venue = _clean_single_line(event.venue, field=_("The venue"))
    event.address = _clean_single_line(event.address, field=_("The address"))
    try:
        zoneinfo.ZoneInfo(event.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise EventError(_("Unknown time zone.")) from exc
    for name in ("starts_at", "ends_at", "rsvp_deadline"):
        value = getattr(event, name)
        if value is not None and timezone.is_naive(value):
            raise EventError(_("Times must carry their time zone."))
        if value is not None and value.microsecond:
            setattr(event, name, value.replace(microsecond=0))  # calendars keep whole seconds
    if event.starts_at is None or event.ends_at is None:
        raise EventError(_("An event needs a start and an end."))
    if event.ends_at < event.starts_at:
        raise EventError(_("The event cannot end before it starts."))
    if event.rsvp_deadline and event.rsvp_deadline > event.starts_at:
        raise EventError(_("The RSVP deadline must be before the start."))
    if event.capacity is not None and event.capacity < 1:
        raise EventError(_("The capacity must be at least one seat, or empty for no limit."))
    if event.format not in Format.values:
        raise EventError(_("Unknown format."))
    if event.visibility not in Visibility.values:
        raise EventError(_("Unknown visibility."))
    for url in (event.map_url, event.join_url):
        if url and not url.lower().startswith(("https://", "http://")):
            raise EventError(_("Links must start with https:// or http://."))
    try:
        event.body_html = markup.render_markdown(event.body or "")
    except markup.MarkupTooLong as exc:
        raise EventError(str(exc)) from exc


def _check_hosts(hosts: list[User]) -> None:
    for host in hosts:
        if not is_manager(host):
            raise EventError(_("%(name)s cannot host events: hosts are community managers."), name=host.name)


def _slug_for(title: str) -> str:
    return (slugify(title, allow_unicode=True) or "event")[:200]


def _verified_cover(upload) -> tuple[str, Any]:
    """Check an uploaded cover with Pillow; returns a random file name and the file (rewound)."""
    from PIL import Image, UnidentifiedImageError

    max_bytes = getattr(settings, "EVENT_COVER_MAX_BYTES", 5 * 1024 * 1024)
    max_pixels = getattr(settings, "EVENT_COVER_MAX_PIXELS", 6000 * 6000)
    if upload.size is not None and upload.size > max_bytes:
        raise EventError(_("The cover image is too large (at most %(mb)s MB)."), mb=max_bytes // (1024 * 1024))
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            image_format = image.format
            width, height = image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise EventError(_("The cover must be a JPEG, PNG, WebP or GIF image.")) from exc
    if image_format not in COVER_FORMATS:
        raise EventError(_("The cover must be a JPEG, PNG, WebP or GIF image."))
    if width * height > max_pixels:
        raise EventError(_("The cover image has too many pixels."))
    upload.seek(0)
    return f"{secrets.token_hex(16)}{COVER_FORMATS[image_format]}", upload


def _set_relations(event: Event, *, hosts: list[User] | None, tags: list[str] | None, roles: list | None) -> None:
    if hosts is not None:
        _check_hosts(hosts)
        event.hosts.set(hosts)
    if tags is not None:
        event.tags.set([tag.strip()[:100] for tag in tags if tag.strip()], clear=True)
    if roles is not None:
        event.roles.set(roles)


# --- create ---------------------------------------------------------------------------------------------

@transaction.atomic
def event_create(*, actor: User, title: str, starts_at: datetime, ends_at: datetime, time_zone: str = "UTC",
                 hosts: list[User] | None = None, tags: list[str] | None = None, roles: list | None = None,
                 cover=None, discussion_category=None, series: EventSeries | None = None,
                 publish: bool = False, **fields: Any) -> Event:
    """Create a draft event (or publish it at once). `fields`: any of EDITABLE_FIELDS."""
    if not is_manager(actor):
        raise EventPermissionDenied(_("Only community managers can create events."))
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"event_create() got unexpected fields {sorted(unknown)}")
    now = timezone.now()
    event = Event(title=title, starts_at=starts_at, ends_at=ends_at, time_zone=time_zone, created_by=actor,
                  created_at=now, updated_at=now, series=series, discussion_category=discussion_category, **fields)
    _validate(event)
    if event.visibility == Visibility.ROLES and not roles:
        raise EventError(_("Choose at least one role that can see the event."))
    event.slug = _slug_for(event.title)
    if cover:
        name, upload = _verified_cover(cover)
        event.cover.save(name, upload, save=False)
    event.save()
    _set_relations(event, hosts=hosts if hosts else [actor], tags=tags, roles=roles)
    from accounts.actions import audit

    audit(actor=actor, action="events.event.create", target=event)
    if publish:
        event = event_publish(actor=actor, event=event)
    return event


def _shift(local_start: datetime, frequency: str, steps: int) -> datetime:
    """Same wall-clock time `steps` weeks or months later (kept across DST changes)."""
    if frequency == Frequency.WEEKLY:
        return local_start + timedelta(weeks=steps)
    month_index = local_start.month - 1 + steps
    year, month = local_start.year + month_index // 12, month_index % 12 + 1
    day = min(local_start.day, calendar.monthrange(year, month)[1])
    return local_start.replace(year=year, month=month, day=day)


def occurrence_starts(*, starts_at: datetime, time_zone: str, frequency: str, count: int,
                      interval: int = 1) -> list[datetime]:
    """Start times of a series: the same local time in the event's zone, each `interval` weeks/months."""
    tz = zoneinfo.ZoneInfo(time_zone)
    local = starts_at.astimezone(tz).replace(tzinfo=None)
    return [_shift(local, frequency, n * interval).replace(tzinfo=tz).astimezone(dt_timezone.utc)
            for n in range(count)]


@transaction.atomic
def series_create(*, actor: User, frequency: str, count: int, interval: int = 1, title: str,
                  starts_at: datetime, ends_at: datetime, time_zone: str = "UTC", hosts: list[User] | None = None,
                  tags: list[str] | None = None, roles: list | None = None, cover=None, discussion_category=None,
                  publish: bool = False, **fields: Any) -> EventSeries:
    """A weekly or monthly series: `count` occurrences, each an Event with its own RSVPs."""
    if not is_manager(actor):
        raise EventPermissionDenied(_("Only community managers can create events."))
    if frequency not in Frequency.values:
        raise EventError(_("Choose weekly or monthly."))
    if not 1 <= count <= MAX_OCCURRENCES:
        raise EventError(_("A series has between 1 and %(max)s occurrences."), max=MAX_OCCURRENCES)
    if not 1 <= interval <= 12:
        raise EventError(_("Repeat every 1 to 12 weeks or months."))
    series = EventSeries.objects.create(title=_clean_single_line(title, field=_("The title")), frequency=frequency,
                                        interval=interval, created_by=actor)
    duration = ends_at - starts_at
    deadline = fields.pop("rsvp_deadline", None)
    deadline_before = starts_at - deadline if deadline else None
    cover_name_upload = _verified_cover(cover) if cover else None
    for start in occurrence_starts(starts_at=starts_at, time_zone=time_zone, frequency=frequency, count=count,
                                   interval=interval):
        event = event_create(actor=actor, title=title, starts_at=start, ends_at=start + duration,
                             time_zone=time_zone, hosts=hosts, tags=tags, roles=roles, series=series,
                             discussion_category=discussion_category, publish=publish,
                             rsvp_deadline=start - deadline_before if deadline_before is not None else None,
                             **fields)
        if cover_name_upload:
            name, upload = cover_name_upload
            upload.seek(0)
            event.cover.save(f"{secrets.token_hex(16)}{Path(name).suffix}", upload, save=False)
            Event.objects.filter(pk=event.pk).update(cover=event.cover.name)
    return series


# --- discussion topic -----------------------------------------------------------------------------------

def _ensure_discussion_topic(event: Event, actor: User) -> None:
    """Start the event's discussion in its chosen category through the forum's own action (idempotent: the
    forum's token makes a second call return the same topic)."""
    if event.discussion_topic_id or not event.discussion_category_id:
        return
    from django.core.exceptions import PermissionDenied

    from community.forum.actions import topic_create

    url = f"{settings.SITE_URL}{event.get_absolute_url()}"
    intro = str(_("Talk about the event here before and after it: %(url)s")) % {"url": url}
    raw = f"{intro}\n\n{event.body}"[: markup.MAX_LENGTH]
    try:
        with transaction.atomic():
            topic = topic_create(author=actor, category=event.discussion_category, title=event.title[:200], raw=raw,
                                 token=f"event-{event.pk}")
    except (ValueError, PermissionDenied) as exc:  # a forum rule refused it: the event stands without a topic
        logger.warning("event %s: discussion topic not created: %s", event.pk, exc)
        return
    event.discussion_topic = topic
    Event.objects.filter(pk=event.pk).update(discussion_topic=topic)


# --- publish, update, cancel ----------------------------------------------------------------------------

def _locked(event: Event) -> Event:
    return Event.objects.select_for_update().get(pk=event.pk)


@transaction.atomic
def event_publish(*, actor: User, event: Event) -> Event:
    if not can_manage_event(actor, event):
        raise EventPermissionDenied()
    event = _locked(event)
    if event.status == Status.CANCELLED:
        raise EventError(_("A cancelled event cannot be published again."))
    if event.status != Status.PUBLISHED:
        event.status = Status.PUBLISHED
        event.published_at = timezone.now()
        event.sequence += 1
        event.updated_at = timezone.now()
        event.save(update_fields=["status", "published_at", "sequence", "updated_at"])
        from accounts.actions import audit

        audit(actor=actor, action="events.event.publish", target=event)
    _ensure_discussion_topic(event, actor)
    return event


def _audience_rsvps(event: Event):
    return (RSVP.objects.filter(event=event, status__in=[RSVPStatus.GOING, RSVPStatus.WAITLISTED])
            .select_related("member"))


@transaction.atomic
def event_update(*, actor: User, event: Event, hosts: list[User] | None = None, tags: list[str] | None = None,
                 roles: list | None = None, cover=None, remove_cover: bool = False,
                 discussion_category=None, **fields: Any) -> Event:
    """Edit an event. Every change bumps SEQUENCE; a change of time, place or link mails attendees."""
    if not can_manage_event(actor, event):
        raise EventPermissionDenied(_("Only the hosts and community managers can edit this event."))
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"event_update() got unexpected fields {sorted(unknown)}")
    event = _locked(event)
    hosts = hosts or None  # an empty choice keeps the current hosts
    if event.status == Status.CANCELLED:
        raise EventError(_("A cancelled event cannot be edited."))
    changed = [name for name, value in fields.items() if getattr(event, name) != value]
    for name in changed:
        setattr(event, name, fields[name])
    _validate(event)
    if "title" in changed:
        event.slug = _slug_for(event.title)
        changed.append("slug")
    if cover:
        name, upload = _verified_cover(cover)
        event.cover.save(name, upload, save=False)
        changed.append("cover")
    elif remove_cover and event.cover:
        event.cover = ""
        changed.append("cover")
    if discussion_category is not None and discussion_category.pk != event.discussion_category_id:
        event.discussion_category = discussion_category
        changed.append("discussion_category")
    if roles is not None and set(r.pk for r in roles) != set(event.roles.values_list("pk", flat=True)):
        changed.append("roles")
    if hosts is not None and set(h.pk for h in hosts) != set(event.hosts.values_list("pk", flat=True)):
        changed.append("hosts")
    if event.visibility == Visibility.ROLES and not (roles if roles is not None else list(event.roles.all())):
        raise EventError(_("Choose at least one role that can see the event."))
    if tags is not None:
        if sorted({tag.strip()[:100] for tag in tags if tag.strip()}) != sorted(event.tags.names()):
            changed.append("tags")
        else:
            tags = None
    _set_relations(event, hosts=hosts, tags=tags, roles=roles)
    relation_fields = {"roles", "hosts", "tags"}
    if not changed:
        return event
    event.sequence += 1
    event.updated_at = timezone.now()
    model_fields = [name for name in changed if name not in relation_fields]
    event.save(update_fields=[*model_fields, "body_html", "sequence", "updated_at"])
    from accounts.actions import audit

    audit(actor=actor, action="events.event.update", target=event, fields=changed)
    if "capacity" in changed or "max_plus_ones" in changed:
        from events.actions.rsvp import promote_waitlisted

        promote_waitlisted(event=event, actor=actor)
        publish_seats(event)
    logistics = [name for name in changed if name in LOGISTICS_FIELDS]
    if logistics and event.status == Status.PUBLISHED and not event.is_past():
        from events import tasks

        recipients = list(_audience_rsvps(event).values_list("pk", flat=True))
        for rsvp in _audience_rsvps(event):
            tell(recipient=rsvp.member, event=event, actor=actor, what="changed", email_sent=True)
        transaction.on_commit(lambda: [tasks.send_event_update.enqueue(rsvp_id=pk, changed=logistics)
                                       for pk in recipients])
    if event.status == Status.PUBLISHED:
        _ensure_discussion_topic(event, actor)
    return event


@transaction.atomic
def event_cancel(*, actor: User, event: Event, reason: str = "") -> Event:
    """Cancel: STATUS:CANCELLED in calendars, everyone who answered is told."""
    if not can_manage_event(actor, event):
        raise EventPermissionDenied()
    event = _locked(event)
    if event.status == Status.CANCELLED:
        return event
    was_published = event.status == Status.PUBLISHED
    event.status = Status.CANCELLED
    event.cancelled_at = timezone.now()
    event.sequence += 1
    event.updated_at = timezone.now()
    event.save(update_fields=["status", "cancelled_at", "sequence", "updated_at"])
    from accounts.actions import audit

    audit(actor=actor, action="events.event.cancel", target=event, reason=reason[:500])
    if was_published:
        for rsvp in RSVP.objects.filter(event=event).responded().select_related("member"):
            tell(recipient=rsvp.member, event=event, actor=actor, what="cancelled")
        publish_seats(event)
    return event
