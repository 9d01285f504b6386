"""Event times: in the viewer's zone, with the event's own zone alongside when it differs."""

from __future__ import annotations

from django import template
from django.utils import formats, timezone

register = template.Library()


def _format(value, tz, fmt: str) -> str:
    local = value.astimezone(tz)
    return f"{formats.date_format(local, fmt)} {local.tzname()}"


@register.inclusion_tag("events/partials/when.html", takes_context=True)
def event_when(context, event, fmt: str = "D j M Y, H:i"):
    """Start and end in the viewer's zone (the active one), and in the event's zone if that is different."""
    viewer_tz = timezone.get_current_timezone()
    event_tz = event.zoneinfo
    start_local = event.starts_at.astimezone(viewer_tz)
    end_local = event.ends_at.astimezone(viewer_tz)
    same_day = start_local.date() == end_local.date()
    differs = getattr(viewer_tz, "key", str(viewer_tz)) != event.time_zone
    event_start = event.starts_at.astimezone(event_tz)
    event_end = event.ends_at.astimezone(event_tz)
    return {
        "event": event,
        "start": _format(event.starts_at, viewer_tz, fmt),
        "end": _format(event.ends_at, viewer_tz, "H:i" if same_day else fmt),
        "viewer_zone": getattr(viewer_tz, "key", str(viewer_tz)),
        "show_event_zone": differs,
        "event_start": _format(event.starts_at, event_tz, fmt),
        "event_end": _format(event.ends_at, event_tz, "H:i" if event_start.date() == event_end.date() else fmt),
        "event_zone": event.time_zone,
        "iso_start": event.starts_at.isoformat(),
        "iso_end": event.ends_at.isoformat(),
    }
