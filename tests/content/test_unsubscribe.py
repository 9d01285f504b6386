"""One-click unsubscribe (RFC 8058): POST unsubscribes, GET only asks; tokens are per recipient and signed."""

from __future__ import annotations

import pytest

from community.content import sending
from community.content.models import IssueStatus, NewsletterDelivery, SubscriberStatus
from community.content.selectors import issue_report


@pytest.fixture
def sent_issue(opted_in, make_subscriber, make_issue, outbox):
    alice, bob = opted_in(), opted_in()
    carol = make_subscriber("carol@example.org")
    issue = make_issue()
    issue.status = IssueStatus.SENDING
    issue.save()
    sending.deliveries_prepare(issue)
    sending.deliver(issue.pk)
    links = {m.to[0]: m.extra_headers["List-Unsubscribe"].strip("<>") for m in outbox}
    paths = {email: url.split("://", 1)[1].split("/", 1)[1] for email, url in links.items()}
    return {"issue": issue, "alice": alice, "bob": bob, "carol": carol,
            "path": {email: "/" + path for email, path in paths.items()}}


@pytest.mark.django_db
def test_one_click_post_unsubscribes_the_member_and_counts_on_the_issue(client, sent_issue):
    alice = sent_issue["alice"]
    response = client.post(sent_issue["path"][alice.email], {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    alice.settings.refresh_from_db()
    assert alice.settings.newsletter_opt_in is False
    delivery = NewsletterDelivery.objects.get(issue=sent_issue["issue"], email=alice.email)
    assert delivery.unsubscribed_at is not None
    assert issue_report(sent_issue["issue"]).unsubscribed == 1
    # Idempotent: a second POST (mail provider retry) changes nothing and still succeeds.
    assert client.post(sent_issue["path"][alice.email]).status_code == 200
    assert issue_report(sent_issue["issue"]).unsubscribed == 1


@pytest.mark.django_db
def test_get_only_shows_a_confirmation(client, sent_issue):
    alice = sent_issue["alice"]
    response = client.get(sent_issue["path"][alice.email])
    assert response.status_code == 200 and alice.email in response.content.decode()
    alice.settings.refresh_from_db()
    assert alice.settings.newsletter_opt_in is True


@pytest.mark.django_db
def test_subscribers_unsubscribe_too(client, sent_issue):
    carol = sent_issue["carol"]
    client.post(sent_issue["path"][carol.email])
    carol.refresh_from_db()
    assert carol.status == SubscriberStatus.UNSUBSCRIBED


@pytest.mark.django_db
def test_a_tampered_token_changes_nothing(client, sent_issue):
    alice = sent_issue["alice"]
    path = sent_issue["path"][alice.email]
    token = path.rstrip("/").rsplit("/", 1)[1]
    tampered = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    assert client.post(f"/newsletters/unsubscribe/{tampered}/").status_code == 400
    assert client.post("/newsletters/unsubscribe/not-a-token/").status_code == 400
    alice.settings.refresh_from_db()
    assert alice.settings.newsletter_opt_in is True


@pytest.mark.django_db
def test_a_token_unsubscribes_only_its_own_recipient(login, sent_issue):
    """Bob, signed in, follows Alice's link (forwarded mail): Alice is unsubscribed, never Bob; and Bob's
    session gives him no way to turn Alice's token into one for himself."""
    alice, bob = sent_issue["alice"], sent_issue["bob"]
    login(bob).post(sent_issue["path"][alice.email])
    alice.settings.refresh_from_db()
    bob.settings.refresh_from_db()
    assert (alice.settings.newsletter_opt_in, bob.settings.newsletter_opt_in) == (False, True)
    assert NewsletterDelivery.objects.get(email=bob.email).unsubscribed_at is None


@pytest.mark.django_db
def test_a_token_for_another_scope_is_refused(client, member):
    from community.notifications import mail as mail_helpers

    token = mail_helpers.unsubscribe_token(email=member.email, scope="digest")
    assert client.post(f"/newsletters/unsubscribe/{token}/").status_code == 400


@pytest.mark.django_db
def test_a_delivery_id_cannot_be_pinned_on_another_recipient(client, sent_issue):
    """A valid token for Alice naming Bob's delivery: Alice is unsubscribed, Bob's delivery is not counted."""
    from community.notifications import mail as mail_helpers

    alice, bob = sent_issue["alice"], sent_issue["bob"]
    bob_delivery = NewsletterDelivery.objects.get(email=bob.email)
    token = mail_helpers.unsubscribe_token(email=alice.email, scope=f"newsletter:{bob_delivery.pk}")
    client.post(f"/newsletters/unsubscribe/{token}/")
    bob_delivery.refresh_from_db()
    assert bob_delivery.unsubscribed_at is None


@pytest.mark.django_db
def test_an_unsubscribed_member_is_not_mailed_again(client, sent_issue, make_issue, outbox):
    alice = sent_issue["alice"]
    client.post(sent_issue["path"][alice.email])
    outbox.clear()
    issue = make_issue(subject="Next month")
    issue.status = IssueStatus.SENDING
    issue.save()
    sending.deliveries_prepare(issue)
    sending.deliver(issue.pk)
    assert alice.email not in {m.to[0] for m in outbox} and len(outbox) == 2
