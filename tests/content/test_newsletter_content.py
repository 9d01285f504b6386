"""What an issue shows from the other apps: picked articles, upcoming public events, top forum topics."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from community.content.compose import IssueComposer
from community.content.models import ArticleStatus


@pytest.mark.django_db
def test_an_issue_shows_picked_articles_events_and_topics(make_issue, make_article):
    from community.forum.models import Category, Topic
    from events.models import Event

    now = timezone.now()
    Event.objects.create(title="Spring meetup", slug="spring", starts_at=now + timedelta(days=3),
                         ends_at=now + timedelta(days=3, hours=2), status="published", visibility="public")
    Event.objects.create(title="Members dinner", slug="dinner", starts_at=now + timedelta(days=4),
                         ends_at=now + timedelta(days=4, hours=2), status="published", visibility="members")
    Event.objects.create(title="Draft event", slug="draft", starts_at=now + timedelta(days=5),
                         ends_at=now + timedelta(days=5, hours=2), status="draft", visibility="public")
    category = Category.objects.create(name="General", slug="general")
    private = Category.objects.create(name="Staff room", slug="staff", access_level="members")
    Topic.objects.create(category=category, title="Most liked question", slug="liked", like_count=9)
    Topic.objects.create(category=private, title="Private chatter", slug="private", like_count=99)
    picked = make_article(title="Picked tip")
    draft = make_article(title="Unpublished tip", status=ArticleStatus.DRAFT)
    issue = make_issue()
    issue.include_events = issue.include_topics = True
    issue.save()
    issue.articles.set([picked, draft])

    html = IssueComposer(issue, tracking_enabled=False).preview_html(language="en")
    assert "Picked tip" in html and "Unpublished tip" not in html
    assert "Spring meetup" in html and "Members dinner" not in html and "Draft event" not in html
    assert "Most liked question" in html and "Private chatter" not in html


@pytest.mark.django_db
def test_switching_events_and_topics_off(make_issue):
    from events.models import Event

    now = timezone.now()
    Event.objects.create(title="Spring meetup", slug="spring", starts_at=now + timedelta(days=3),
                         ends_at=now + timedelta(days=3, hours=2), status="published", visibility="public")
    html = IssueComposer(make_issue(), tracking_enabled=False).preview_html(language="en")
    assert "Spring meetup" not in html
