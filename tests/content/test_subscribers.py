"""Subscribers who are not members: double opt-in, no enumeration, preferences from a newsletter link."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import signing
from django.utils import timezone

from community.content import actions
from community.content.actions.subscribers import CONFIRM_SALT, confirmation_token
from community.content.models import Subscriber, SubscriberStatus, Suppression
from community.notifications import mail as mail_helpers


def _confirm_path(message) -> str:
    return re.search(r"https?://[^/\s]+(/newsletters/confirm/[^/\s]+/)", message.body).group(1)


@pytest.mark.django_db
def test_double_opt_in(client, outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/newsletters/subscribe/", {"email": "Reader@Example.org", "name": "Reader",
                                                           "language": "lv"})
    assert response.status_code == 200
    subscriber = Subscriber.objects.get()
    assert (subscriber.email, subscriber.status, subscriber.language) == ("reader@example.org", "pending", "lv")
    assert [m.to for m in outbox] == [["reader@example.org"]]

    path = _confirm_path(outbox[0])
    assert client.get(path).status_code == 200  # a mail scanner following the link confirms nothing
    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.PENDING

    assert client.post(path).status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.CONFIRMED and subscriber.confirmed_at is not None


@pytest.mark.django_db
def test_pending_subscribers_receive_no_newsletter(make_subscriber):
    from community.content.models import Segment
    from community.content.segments import recipients

    make_subscriber("pending@example.org", status=SubscriberStatus.PENDING)
    confirmed = make_subscriber("confirmed@example.org")
    assert [r.email for r in recipients(Segment(kind="all"))] == [confirmed.email]


@pytest.mark.django_db
def test_tampered_or_foreign_confirmation_tokens_are_refused(client, make_subscriber):
    subscriber = make_subscriber(status=SubscriberStatus.PENDING)
    subscriber.confirmation_sent_at = timezone.now()
    subscriber.save()
    token = confirmation_token(subscriber)
    assert client.post(f"/newsletters/confirm/{token[:-2]}xx/").status_code == 400
    other_salt = signing.dumps({"s": subscriber.pk, "e": subscriber.email, "t": ""}, salt="something else")
    assert client.post(f"/newsletters/confirm/{other_salt}/").status_code == 400
    unsubscribe_token = mail_helpers.unsubscribe_token(email=subscriber.email, scope="newsletter")
    assert client.post(f"/newsletters/confirm/{unsubscribe_token}/").status_code == 400
    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.PENDING


@pytest.mark.django_db
def test_an_older_confirmation_link_stops_working_after_a_new_one(make_subscriber):
    subscriber = make_subscriber(status=SubscriberStatus.PENDING)
    subscriber.confirmation_sent_at = timezone.now() - timedelta(hours=1)
    subscriber.save()
    old = confirmation_token(subscriber)
    actions.subscriber_signup(email=subscriber.email)
    with pytest.raises(actions.SubscriberError):
        actions.subscriber_confirm(token=old)


@pytest.mark.django_db
def test_confirmation_links_expire(make_subscriber):
    subscriber = make_subscriber(status=SubscriberStatus.PENDING)
    subscriber.confirmation_sent_at = timezone.now()
    subscriber.save()
    token = signing.dumps({"s": subscriber.pk, "e": subscriber.email, "t": subscriber.confirmation_sent_at.isoformat()},
                          salt=CONFIRM_SALT)
    from unittest import mock

    with mock.patch("django.core.signing.time.time", return_value=timezone.now().timestamp() + 8 * 86400):
        with pytest.raises(actions.SubscriberError, match="expired"):
            actions.subscriber_confirm(token=token)


@pytest.mark.django_db
def test_the_form_reveals_nothing_about_who_is_subscribed(client, make_subscriber, outbox,
                                                          django_capture_on_commit_callbacks):
    make_subscriber("known@example.org")
    Suppression.objects.create(email="bounced@example.org", reason="hard_bounce")
    answers = []
    for email in ("known@example.org", "bounced@example.org", "new@example.org"):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/newsletters/subscribe/", {"email": email, "language": "en"})
        answers.append((response.status_code, response.templates[0].name,
                        re.search(r"<h1>(.*?)</h1>", response.content.decode()).group(1)))
    assert answers[0] == answers[1] == answers[2] == (200, "content/subscribe_sent.html", "Check your inbox")
    assert [m.to for m in outbox] == [["new@example.org"]]  # nothing to a subscriber or a suppressed address


@pytest.mark.django_db
def test_confirmation_mails_are_throttled(outbox, django_capture_on_commit_callbacks):
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            actions.subscriber_signup(email="eager@example.org")
    assert len(outbox) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("email", ["not-an-address", "a@b.c\r\nBcc: x@example.org", ""])
def test_bad_addresses_are_refused(email):
    with pytest.raises(actions.SubscriberError):
        actions.subscriber_signup(email=email)


@pytest.mark.django_db
def test_subscriber_preferences_from_a_newsletter_link(client, make_subscriber):
    subscriber = make_subscriber(language="en", name="Old")
    token = mail_helpers.unsubscribe_token(email=subscriber.email, scope="newsletter:0")
    page = client.get(f"/newsletters/preferences/{token}/")
    assert page.status_code == 200 and subscriber.email in page.content.decode()
    client.post(f"/newsletters/preferences/{token}/", {"subscribed": "on", "name": "New", "language": "hy"})
    subscriber.refresh_from_db()
    assert (subscriber.name, subscriber.language, subscriber.status) == ("New", "hy", "confirmed")
    client.post(f"/newsletters/preferences/{token}/", {"name": "New", "language": "hy"})
    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.UNSUBSCRIBED


@pytest.mark.django_db
def test_member_preferences_page(member, member_client):
    member_client.post("/newsletters/preferences/", {"subscribed": "on"})
    member.settings.refresh_from_db()
    assert member.settings.newsletter_opt_in is True
    member_client.post("/newsletters/preferences/", {})
    member.settings.refresh_from_db()
    assert member.settings.newsletter_opt_in is False


@pytest.mark.django_db
def test_signups_are_rate_limited_per_client(client, outbox, django_capture_on_commit_callbacks):
    from community.content.views.public import SIGNUPS_PER_HOUR

    for i in range(SIGNUPS_PER_HOUR):
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post("/newsletters/subscribe/", {"email": f"n{i}@example.org", "language": "en"}
                               ).status_code == 200
    assert client.post("/newsletters/subscribe/", {"email": "one.more@example.org", "language": "en"}
                       ).status_code == 429
    assert len(outbox) == SIGNUPS_PER_HOUR
    assert not Subscriber.objects.filter(email="one.more@example.org").exists()
