"""`{% live_streams %}`: the value of a page's data-live-streams attribute, with each stream's current id.

    {% load live %}
    <main data-live-streams="{% live_streams topic=topic.pk %}">          -> "topic.12@41"
    <section data-live-streams="{% live_streams latest=True %}">          -> "latest@977"
    <section data-live-streams="{% live_streams category=category.pk %}"> -> "category.3@120"

The id after @ is the newest event the page already reflects, so static/js/live.js subscribes from there and
nothing published between rendering and connecting is lost. One query for all the streams of the tag.
"""

from __future__ import annotations

from django import template

from community import realtime
from community.live.selectors import stream_heads

register = template.Library()


@register.simple_tag
def live_streams(*, topic=None, category=None, latest: bool = False, event=None) -> str:
    streams = []
    if topic:
        streams.append(realtime.topic_stream(int(topic)))
    if category:
        streams.append(realtime.category_stream(int(category)))
    if latest:
        streams.append(realtime.latest_stream())
    if event:
        streams.append(realtime.event_stream(int(event)))
    if not streams:
        return ""
    heads = stream_heads(streams)
    return " ".join(f"{stream}@{heads[stream]}" for stream in streams)
