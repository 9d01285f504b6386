"""Factories of the content tests: articles, segments, issues, subscribers, a mail backend that crashes, and
concurrent sending workers."""

from __future__ import annotations

import itertools
import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import connections
from django.utils import timezone

from community.content import sending
from community.content.models import (
    Article,
    ArticleStatus,
    IssueStatus,
    NewsletterIssue,
    Segment,
    SegmentKind,
    Subscriber,
    SubscriberStatus,
)
from community.markup import render_markdown

_n = itertools.count(1)


@pytest.fixture
def make_article(db, editor):
    def make(*, title: str | None = None, status: str = ArticleStatus.PUBLISHED, publish_at=None,
             members_only: bool = False, language: str = "en", tags=(), body: str = "Some **useful** tip.",
             summary: str = "A short summary.", authors=None) -> Article:
        n = next(_n)
        title = title or f"Tip number {n}"
        if publish_at is None and status in (ArticleStatus.PUBLISHED, ArticleStatus.SCHEDULED):
            publish_at = timezone.now() - timedelta(hours=1) if status == ArticleStatus.PUBLISHED else \
                timezone.now() + timedelta(hours=1)
        article = Article.objects.create(
            title=title, slug=f"tip-{n}", summary=summary, body=body, body_html=render_markdown(body),
            status=status, publish_at=publish_at, members_only=members_only, language=language, created_by=editor,
        )
        article.authors.set(authors or [editor])
        if tags:
            article.tags.set(list(tags))
        return article

    return make


@pytest.fixture
def opted_in(make_member):
    """A member who asked for newsletters."""
    def make(**fields):
        user = make_member(**fields)
        user.settings.newsletter_opt_in = True
        user.settings.save()
        return user

    return make


@pytest.fixture
def make_subscriber(db):
    def make(email: str | None = None, *, status: str = SubscriberStatus.CONFIRMED, language: str = "en",
             name: str = "") -> Subscriber:
        return Subscriber.objects.create(email=email or f"reader{next(_n)}@example.org", status=status,
                                         language=language, name=name)

    return make


@pytest.fixture
def segment_all(db) -> Segment:
    return Segment.objects.create(name="Everyone", kind=SegmentKind.ALL)


@pytest.fixture
def make_issue(db, editor, segment_all):
    def make(*, subject: str = "Our monthly tips", body: str = "Read [our guide](https://example.com/guide).",
             segment: Segment | None = None, status: str = IssueStatus.DRAFT, tracking: bool = True,
             from_name: str = "") -> NewsletterIssue:
        return NewsletterIssue.objects.create(
            subject=subject, body=body, body_html=render_markdown(body), segment=segment or segment_all,
            status=status, tracking=tracking, from_name=from_name, created_by=editor,
            include_events=False, include_topics=False,
        )

    return make


@pytest.fixture
def outbox():
    mail.outbox = []
    return mail.outbox


class CrashAfter(LocmemBackend):
    """A locmem backend that takes `limit` messages, then raises on the next one *before* taking it."""

    limit = 0
    error: type[BaseException] = ConnectionError

    def send_messages(self, messages):
        for message in messages:
            if CrashAfter.limit <= 0:
                raise CrashAfter.error("the connection to the mail server dropped")
            CrashAfter.limit -= 1
            super().send_messages([message])
        return len(messages)


def deliver_in_threads(issue_pk: int, *, workers: int, size: int) -> list[BaseException]:
    """Run `workers` concurrent sending workers (`sending.deliver(issue_pk, size=size)`), each in its own thread
    with its own database connection; wait for all of them and return the errors they raised."""
    errors: list[BaseException] = []

    def worker():
        try:
            sending.deliver(issue_pk, size=size)
        except Exception as exc:  # noqa: BLE001 - collected and asserted on by the caller
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors
