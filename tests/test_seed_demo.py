"""`manage.py seed_demo` builds a demo community for every app, and running it again changes nothing."""

from __future__ import annotations

import io

import pytest
from django.apps import apps
from django.core.management import call_command

from accounts.demo import DEMO_MEMBERS, DEMO_PASSWORD

COUNTED = ["accounts.User", "forum.Topic", "forum.Post", "events.Event", "events.RSVP", "content.Article",
           "content.NewsletterIssue", "metrics.Participation", "loyalty.PointEntry", "notifications.Notification"]


def _counts() -> dict[str, int]:
    return {label: apps.get_model(label).objects.count() for label in COUNTED}


@pytest.mark.django_db(transaction=True)
def test_seed_demo_is_complete_and_idempotent(client):
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    first = _counts()
    assert all(first[label] > 0 for label in COUNTED), first
    for member in DEMO_MEMBERS:
        assert member.email in out.getvalue()
    call_command("seed_demo", stdout=io.StringIO())
    assert _counts() == first

    # The printed logins work.
    assert client.login(email="manager@example.com", password=DEMO_PASSWORD)
    assert client.get("/dashboard/").status_code == 200
    assert client.get("/").status_code == 200
    assert client.get("/events/").status_code == 200
    assert client.get("/blog/").status_code == 200
