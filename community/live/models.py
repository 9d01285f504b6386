"""The live layer's tables: a bounded, durable backlog of events per stream.

Every event published with `community.realtime.publish_on_commit` gets the next id of its stream
(`StreamCounter`), allocated inside the publishing transaction so that ids become visible in commit order,
and is kept as a `StreamEvent` row so that a client that reconnects (network drop, restart, deploy, another
worker) can ask for everything after the last id it saw. Rows beyond settings.REALTIME_BACKLOG per stream are
pruned.
"""

from __future__ import annotations

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


class StreamCounter(models.Model):
    """The last id given out on one stream; bumped with one atomic upsert per published event."""

    stream = models.CharField(max_length=100, primary_key=True, help_text="Stream name, e.g. topic.12 or latest.")
    last_seq = models.BigIntegerField(default=0, help_text="The id of the newest event published on the stream.")

    def __str__(self) -> str:
        return f"{self.stream}@{self.last_seq}"


class StreamEventQuerySet(models.QuerySet):
    def on_stream(self, stream: str) -> StreamEventQuerySet:
        return self.filter(stream=stream)

    def after(self, stream: str, seq: int) -> StreamEventQuerySet:
        """Events of `stream` newer than `seq`, oldest first."""
        return self.filter(stream=stream, seq__gt=seq).order_by("seq")


class StreamEvent(models.Model):
    """One published event, kept for catch-up after a reconnect."""

    stream = models.CharField(max_length=100, help_text="Stream name, e.g. topic.12, latest, member.7.")
    seq = models.BigIntegerField(help_text="Per-stream increasing id, the `id` clients send back as last_id.")
    payload = models.JSONField(encoder=DjangoJSONEncoder, help_text="The event as published: {type, op, ...}.")
    category_id = models.BigIntegerField(
        null=True, blank=True,
        help_text="Forum category the event is about: list streams drop it for members who may not read it.")
    topic_id = models.BigIntegerField(
        null=True, blank=True,
        help_text="Forum topic the event is about, checked when the event names no category.")
    created_at = models.DateTimeField(default=timezone.now)

    objects = StreamEventQuerySet.as_manager()

    class Meta:
        ordering = ["stream", "seq"]
        constraints = [models.UniqueConstraint(fields=["stream", "seq"], name="live_streamevent_stream_seq_unique")]

    def __str__(self) -> str:
        return f"{self.stream}#{self.seq}"
