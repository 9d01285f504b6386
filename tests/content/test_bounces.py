"""The bounce and complaint webhook: shared secret, suppression, never mailed again."""

from __future__ import annotations

import json

import pytest

from community.content import sending
from community.content.models import IssueStatus, Subscriber, SubscriberStatus, Suppression

SECRET = "s3cret-webhook-value"
URL = "/newsletters/webhooks/bounce"


@pytest.fixture(autouse=True)
def webhook_secret(settings):
    settings.NEWSLETTER_WEBHOOK_SECRET = SECRET


def _post(client, payload, secret=SECRET):
    headers = {"HTTP_X_WEBHOOK_SECRET": secret} if secret is not None else {}
    return client.post(URL, data=json.dumps(payload), content_type="application/json", **headers)


@pytest.mark.django_db
@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET + "x", SECRET[:-1]])
def test_a_wrong_or_missing_secret_is_refused(client, secret):
    response = _post(client, {"email": "gone@example.org", "type": "hard_bounce"}, secret=secret)
    assert response.status_code == 403
    assert not Suppression.objects.exists()


@pytest.mark.django_db
def test_without_a_configured_secret_the_webhook_is_closed(client, settings):
    settings.NEWSLETTER_WEBHOOK_SECRET = ""
    assert _post(client, {"email": "gone@example.org", "type": "hard_bounce"}, secret="").status_code == 403


@pytest.mark.django_db
def test_get_is_not_allowed(client):
    assert client.get(URL, HTTP_X_WEBHOOK_SECRET=SECRET).status_code == 405


@pytest.mark.django_db
def test_hard_bounces_and_complaints_suppress_soft_bounces_do_not(client, opted_in, make_subscriber):
    member = opted_in()
    subscriber = make_subscriber("reader@example.org")
    response = _post(client, {"events": [
        {"email": "Reader@Example.org", "type": "hard_bounce", "detail": "550 no such user"},
        {"email": member.email, "type": "complaint"},
        {"email": "busy@example.org", "type": "soft_bounce"},
        {"email": "not an address", "type": "hard_bounce"},
        "garbage",
    ]})
    assert response.status_code == 200
    assert response.json() == {"suppressed": 2, "ignored": 3}
    assert set(Suppression.objects.values_list("email", flat=True)) == {"reader@example.org", member.email}
    subscriber.refresh_from_db()
    member.settings.refresh_from_db()
    assert subscriber.status == SubscriberStatus.UNSUBSCRIBED
    assert member.settings.newsletter_opt_in is False  # a complaint also turns the member's newsletter off


@pytest.mark.django_db
def test_invalid_json_is_a_bad_request(client):
    response = client.post(URL, data="{not json", content_type="application/json", HTTP_X_WEBHOOK_SECRET=SECRET)
    assert response.status_code == 400


@pytest.mark.django_db
def test_suppressed_addresses_are_never_mailed_again(client, opted_in, make_issue, outbox):
    bouncing, fine = opted_in(), opted_in()
    _post(client, {"email": bouncing.email, "type": "hard_bounce"})
    # Even if the member turns newsletters back on, or signs up as a subscriber:
    bouncing.settings.newsletter_opt_in = True
    bouncing.settings.save()
    Subscriber.objects.create(email=bouncing.email, status=SubscriberStatus.CONFIRMED)
    issue = make_issue()
    issue.status = IssueStatus.SENDING
    issue.save()
    sending.deliveries_prepare(issue)
    sending.deliver(issue.pk)
    assert [m.to[0] for m in outbox] == [fine.email]


@pytest.mark.django_db
def test_a_bounce_during_a_send_skips_the_rows_not_yet_sent(client, opted_in, make_issue, outbox):
    members = [opted_in() for _ in range(4)]
    issue = make_issue()
    issue.status = IssueStatus.SENDING
    issue.save()
    sending.deliveries_prepare(issue)
    _post(client, {"email": members[3].email, "type": "hard_bounce"})
    sending.deliver(issue.pk)
    assert sorted(m.to[0] for m in outbox) == sorted(m.email for m in members[:3])
