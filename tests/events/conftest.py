"""Factories and fixtures of the events tests."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.utils import timezone

from community import realtime
from events.actions import event_create


@pytest.fixture
def make_event(manager):
    def make(*, actor=None, publish: bool = True, starts_in: timedelta = timedelta(days=3),
             duration: timedelta = timedelta(hours=2), **fields):
        start = fields.pop("starts_at", None) or timezone.now() + starts_in
        fields.setdefault("title", "Community meetup")
        fields.setdefault("ends_at", start + duration)
        return event_create(actor=actor or manager, starts_at=start, publish=publish, **fields)

    return make


@pytest.fixture
def event(make_event):
    return make_event(capacity=10)


@pytest.fixture
def online_event(make_event):
    return make_event(title="Webinar", format="online", join_url="https://meet.example.com/secret-room-42",
                      capacity=3)


@pytest.fixture
def live_events(monkeypatch):
    """Every live event the events app publishes, as (stream, event) pairs."""
    captured: list[tuple[str, dict]] = []
    monkeypatch.setattr(realtime, "publish_on_commit", lambda stream, event: captured.append((stream, event)))
    return captured


@pytest.fixture
def notifications(monkeypatch):
    """Every in-app notification the events app asks for."""
    sent: list[dict] = []

    def fake_notify(**kwargs):
        sent.append(kwargs)

    monkeypatch.setattr("events.actions._common.notify", fake_notify)
    return sent


@pytest.fixture
def recorded(monkeypatch):
    """Every metrics.record / undo call of the events app, as (op, kind, member)."""
    calls: list[tuple[str, str, object]] = []
    for module in ("events.actions.rsvp", "events.actions.hosting", "events.actions.feedback"):
        monkeypatch.setattr(f"{module}.record",
                            lambda *, member, kind, subject=None, **kw: calls.append(("record", kind, member)))
        if module != "events.actions.feedback":
            monkeypatch.setattr(f"{module}.undo",
                                lambda *, member, kind, subject=None, **kw: calls.append(("undo", kind, member)))
    return calls


def png_bytes(size=(40, 20)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()

