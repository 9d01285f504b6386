"""Reads of the live layer: stream heads and the backlog after a client's last id."""

from __future__ import annotations

from dataclasses import dataclass, field

from community.live.models import StreamCounter, StreamEvent


@dataclass
class StoredEvent:
    seq: int
    payload: dict
    category_id: int | None
    topic_id: int | None


@dataclass
class Backlog:
    """What a client that saw `last_id` missed: `events` in order, or `resync` when they are gone."""

    head: int
    events: list[StoredEvent] = field(default_factory=list)
    resync: bool = False


def stream_head(stream: str) -> int:
    """The id of the newest event published on `stream` (0 when none was)."""
    return StreamCounter.objects.filter(stream=stream).values_list("last_seq", flat=True).first() or 0


def stream_heads(streams: list[str]) -> dict[str, int]:
    """Heads of several streams in one query."""
    found = dict(StreamCounter.objects.filter(stream__in=streams).values_list("stream", "last_seq"))
    return {stream: found.get(stream, 0) for stream in streams}


def _rows(stream: str, after: int, before: int | None = None) -> list[StoredEvent]:
    qs = StreamEvent.objects.after(stream, after)
    if before is not None:
        qs = qs.filter(seq__lt=before)
    return [StoredEvent(seq, payload, category_id, topic_id)
            for seq, payload, category_id, topic_id in qs.values_list("seq", "payload", "category_id", "topic_id")]


def backlog_after(stream: str, last_id: int) -> Backlog:
    """Everything after `last_id`, checked to be complete (ids have no holes); else an explicit resync."""
    head = stream_head(stream)
    if last_id == head:
        return Backlog(head=head)
    if last_id > head:  # the client saw ids this database never gave out (restored or reset database)
        return Backlog(head=head, resync=True)
    events = _rows(stream, last_id)
    if not events or events[0].seq != last_id + 1:
        return Backlog(head=max(head, events[-1].seq if events else head), resync=True)
    return Backlog(head=max(head, events[-1].seq), events=events)


def events_between(stream: str, after: int, before: int) -> list[StoredEvent] | None:
    """Events after < seq < before, or None when some of them are no longer kept (the caller resyncs)."""
    events = _rows(stream, after, before)
    if [event.seq for event in events] != list(range(after + 1, before)):
        return None
    return events
