"""Forum factories and a test double that captures live events and notifications."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.utils import timezone

from community.forum import actions
from community.forum.models import AccessLevel, Category, Post, Topic

_n = itertools.count(1)


@dataclass
class Published:
    events: list[tuple[str, dict]] = field(default_factory=list)

    def of(self, type_: str, op: str | None = None, stream: str | None = None) -> list[dict]:
        return [e for s, e in self.events
                if e.get("type") == type_ and (op is None or e.get("op") == op) and (stream is None or s == stream)]

    def streams(self) -> set[str]:
        return {s for s, _e in self.events}

    def clear(self) -> None:
        self.events.clear()


@pytest.fixture
def published(monkeypatch) -> Published:
    """Every realtime.publish_on_commit(stream, event) call, in order (recorded at call time)."""
    box = Published()

    def capture(stream: str, event: dict) -> None:
        box.events.append((stream, event))

    monkeypatch.setattr("community.realtime.publish_on_commit", capture)
    return box


@dataclass
class Notified:
    calls: list[dict] = field(default_factory=list)

    def kinds_for(self, user) -> list[str]:
        return [c["kind"] for c in self.calls if c["recipient"].pk == user.pk]


@pytest.fixture(autouse=True)
def notified(monkeypatch, request) -> Notified:
    """notify(...) calls of the forum actions (autouse: forum tests do not depend on the notifications app;
    a test module with `REAL_DOORS = True` runs against the real notifications and metrics apps)."""
    box = Notified()
    if getattr(request.module, "REAL_DOORS", False):
        return box

    def capture(**kwargs) -> None:
        box.calls.append(kwargs)

    monkeypatch.setattr("community.forum.actions._common.notify", capture)
    return box


@pytest.fixture(autouse=True)
def recorded(monkeypatch, request) -> list[tuple[str, str, object]]:
    """metrics.record / undo calls as (what, kind, member) (autouse: the ledger is the metrics app's to test)."""
    calls: list[tuple[str, str, object]] = []
    if getattr(request.module, "REAL_DOORS", False):
        return calls
    for module in ("posting", "engagement"):
        monkeypatch.setattr(f"community.forum.actions.{module}.record",
                            lambda *, member, kind, subject=None, **kw: calls.append(("record", kind, member)))
        monkeypatch.setattr(f"community.forum.actions.{module}.undo",
                            lambda *, member, kind, subject=None, **kw: calls.append(("undo", kind, member)))
    return calls


@pytest.fixture
def settled_member(make_member):
    """A member who joined long ago (no new-member limits)."""
    def make(**kwargs):
        kwargs.setdefault("date_joined", timezone.now() - timezone.timedelta(days=60))
        return make_member(**kwargs)
    return make


@pytest.fixture
def author(settled_member):
    return settled_member()


@pytest.fixture
def reader(settled_member):
    return settled_member()


@pytest.fixture
def make_category(db, staff_member) -> Callable[..., Category]:
    def make(**kwargs) -> Category:
        n = next(_n)
        kwargs.setdefault("name", f"Category {n}")
        kwargs.setdefault("slug", f"category-{n}")
        return actions.category_create(actor=staff_member, **kwargs)
    return make


@pytest.fixture
def category(make_category) -> Category:
    return make_category(name="General", slug="general")


@pytest.fixture
def members_only(make_category) -> Category:
    return make_category(name="Members lounge", slug="lounge", access_level=AccessLevel.MEMBERS)


@pytest.fixture
def make_topic(category, author) -> Callable[..., Topic]:
    def make(*, by=None, cat=None, title: str | None = None, raw: str = "The first post of this topic.",
             **kwargs) -> Topic:
        return actions.topic_create(author=by or author, category=cat or category,
                                    title=title or f"Topic number {next(_n)}", raw=raw, **kwargs)
    return make


@pytest.fixture
def topic(make_topic) -> Topic:
    return make_topic(title="How do I reset my device?")


@pytest.fixture
def add_replies(settled_member) -> Callable[..., list[Post]]:
    """n replies by a few different settled members (new-member limits do not interfere)."""
    def add(topic: Topic, n: int, *, by=None) -> list[Post]:
        authors = [by] if by else [settled_member() for _ in range(min(n, 3))]
        return [actions.reply_create(author=authors[i % len(authors)], topic=topic, raw=f"Reply {i + 1} here.")
                for i in range(n)]
    return add
