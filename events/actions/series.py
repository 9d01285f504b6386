"""Editing an occurrence of a series together with the occurrences after it ("this and following events")."""

from __future__ import annotations

import zoneinfo
from datetime import timezone as dt_timezone
from typing import Any

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from events.actions.manage import EDITABLE_FIELDS, event_update
from events.errors import EventError, EventPermissionDenied
from events.models import Event
from events.permissions import can_manage_event
from events.selectors import later_occurrences

_TIME_FIELDS = {"starts_at", "ends_at", "time_zone"}


def _state(event: Event) -> dict[str, Any]:
    return {**{name: getattr(event, name) for name in EDITABLE_FIELDS},
            "hosts": set(event.hosts.values_list("pk", flat=True)), "tags": sorted(event.tags.names()),
            "roles": set(event.roles.values_list("pk", flat=True)), "cover": event.cover.name or "",
            "discussion_category_id": event.discussion_category_id}


@transaction.atomic
def series_update_following(*, actor: User, event: Event, hosts: list[User] | None = None,
                            tags: list[str] | None = None, roles: list | None = None, cover=None,
                            remove_cover: bool = False, discussion_category=None, **fields: Any) -> list[Event]:
    """Edit one occurrence of a series as event_update does, then carry what changed to the later ones.

    Each later occurrence (not cancelled, not over) gets only what changed on this one, so what was set on one
    occurrence alone stays. A new start moves each by the same change of local wall-clock time, in its own
    time zone (so a series stays at its local hour across daylight-saving changes, as series_create made it).
    When the time or the RSVP deadline changed, each deadline is as far before its start as on this one.
    Attendees of each occurrence hear about changed logistics as with event_update. All or nothing; returns
    the occurrences edited, this one first.
    """
    if event.series_id is None:
        raise EventError(_("This event is not part of a series."))
    later = list(later_occurrences(event).select_for_update())
    if not all(can_manage_event(actor, other) for other in later):
        raise EventPermissionDenied(_("You cannot edit every later occurrence of this series."))
    before = _state(event)
    local_start_before = event.starts_at.astimezone(event.zoneinfo).replace(tzinfo=None)
    event = event_update(actor=actor, event=event, hosts=hosts, tags=tags, roles=roles, cover=cover,
                         remove_cover=remove_cover, discussion_category=discussion_category, **fields)
    after = _state(event)
    changed = {name for name in after if after[name] != before[name]}
    if not changed:
        return [event]
    shift = event.starts_at.astimezone(event.zoneinfo).replace(tzinfo=None) - local_start_before
    length = event.ends_at - event.starts_at
    deadline_before_start = event.starts_at - event.rsvp_deadline if event.rsvp_deadline else None
    relations = {
        "hosts": list(event.hosts.all()) if "hosts" in changed else None,
        "tags": after["tags"] if "tags" in changed else None,
        "roles": list(event.roles.all()) if "roles" in changed else None,
        "discussion_category": event.discussion_category if "discussion_category_id" in changed else None,
    }
    edited = [event]
    for other in later:
        values = {name: getattr(event, name) for name in changed & set(EDITABLE_FIELDS) - _TIME_FIELDS
                  - {"rsvp_deadline"}}
        if changed & _TIME_FIELDS:
            zone_name = event.time_zone if "time_zone" in changed else other.time_zone
            local = other.starts_at.astimezone(other.zoneinfo).replace(tzinfo=None) + shift
            start = local.replace(tzinfo=zoneinfo.ZoneInfo(zone_name)).astimezone(dt_timezone.utc)
            values.update(starts_at=start, ends_at=start + length, time_zone=zone_name)
        if "rsvp_deadline" in changed or changed & _TIME_FIELDS:  # as far before each start as on this one
            start = values.get("starts_at", other.starts_at)
            values["rsvp_deadline"] = start - deadline_before_start if deadline_before_start else None
        try:
            edited.append(event_update(actor=actor, event=other, **relations, **values))
        except EventError as exc:  # nothing is saved: say which occurrence refused
            when = formats.date_format(other.starts_at.astimezone(other.zoneinfo), "DATE_FORMAT")
            raise EventError(_("The occurrence of %(date)s: %(error)s"), date=when,
                             error=str(exc)) from exc
        if "cover" in changed:  # the same stored image: one upload serves the series
            Event.objects.filter(pk=other.pk).update(cover=after["cover"])
    return edited
