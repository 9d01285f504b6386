"""Pages: the notifications list, opening one, marking read, the badge, and the signed unsubscribe."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Delivery, DigestFrequency, MemberSettings, NotificationPreference
from accounts.preferences import delivery_for
from community.notifications import mail
from community.notifications.models import Notification


def _make_notifications(recipient, actors, n):
    rows = [Notification(recipient=recipient, kind="reply", actor=actors[i % len(actors)], title=f"Topic {i}",
                         url=f"/t/topic-{i}/{i}/2", actor_ids=[actors[i % len(actors)].pk]) for i in range(n)]
    Notification.objects.bulk_create(rows)


@pytest.mark.parametrize("rows", [2, 20])
def test_list_page_queries_stay_constant(rows, member, member_client, make_member, django_assert_max_num_queries):
    actors = [make_member() for _ in range(3)]
    _make_notifications(member, actors, rows)
    member_client.get(reverse("notifications:list"))  # the first visit of the day writes the visit bookkeeping
    with django_assert_max_num_queries(8):
        response = member_client.get(reverse("notifications:list"))
    assert response.status_code == 200
    assert response.content.decode().count('class="notification ') == rows


def test_list_shows_unread_filter_and_badge(member, member_client, make_member):
    _make_notifications(member, [make_member(display_name="Ana")], 3)
    Notification.objects.filter(title="Topic 0").update(read_at="2026-01-01T00:00Z")
    page = member_client.get(reverse("notifications:list") + "?filter=unread").content.decode()
    assert page.count('class="notification unread"') == 2 and "Topic 0" not in page
    assert 'data-unread-notifications>2</span>' in page
    assert "Ana replied in" in page


def test_badge_is_empty_when_nothing_unread(member_client):
    page = member_client.get(reverse("notifications:list")).content.decode()
    assert "data-unread-notifications></span>" in page


def test_list_is_paginated(member, member_client, make_member):
    _make_notifications(member, [make_member()], 35)
    first = member_client.get(reverse("notifications:list")).content.decode()
    second = member_client.get(reverse("notifications:list") + "?page=2").content.decode()
    assert first.count('class="notification ') == 30 and second.count('class="notification ') == 5


def test_list_needs_login(client):
    response = client.get(reverse("notifications:list"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_opening_marks_read_and_lands_on_the_exact_post(member, member_client, make_member):
    _make_notifications(member, [make_member()], 1)
    n = Notification.objects.get()
    response = member_client.get(reverse("notifications:open", args=[n.pk]))
    assert response.status_code == 302 and response["Location"] == "/t/topic-0/0/2"
    assert Notification.objects.get(pk=n.pk).read_at is not None


def test_opening_never_redirects_off_site(member, member_client):
    n = Notification.objects.create(recipient=member, kind="reply", url="https://evil.example/phish")
    response = member_client.get(reverse("notifications:open", args=[n.pk]))
    assert response["Location"] == "/notifications/"


def test_another_members_notification_is_404(member, other_member, login, make_member):
    _make_notifications(member, [make_member()], 1)
    n = Notification.objects.get()
    client = login(other_member)
    assert client.get(reverse("notifications:open", args=[n.pk])).status_code == 404
    assert client.post(reverse("notifications:mark_read", args=[n.pk])).status_code == 404
    assert Notification.objects.get(pk=n.pk).read_at is None


def test_mark_one_and_mark_all_read(member, member_client, make_member):
    _make_notifications(member, [make_member()], 3)
    first = Notification.objects.first()
    member_client.post(reverse("notifications:mark_read", args=[first.pk]), {"next": "/notifications/"})
    assert Notification.objects.unread().count() == 2
    response = member_client.post(reverse("notifications:mark_all_read"))
    assert response.status_code == 302 and Notification.objects.unread().count() == 0


def test_mark_all_read_is_post_only(member, member_client, make_member):
    _make_notifications(member, [make_member()], 1)
    assert member_client.get(reverse("notifications:mark_all_read")).status_code == 405
    assert Notification.objects.unread().count() == 1


# --- unsubscribe ----------------------------------------------------------------------------------------

def _url(user, scope):
    return reverse("notifications:unsubscribe", args=[mail.unsubscribe_token(email=user.email, scope=scope)])


def test_get_only_shows_a_confirmation_and_changes_nothing(member, client):
    response = client.get(_url(member, "notify:reply"))
    assert response.status_code == 200 and b'method="post"' in response.content
    assert delivery_for(member, "reply") == Delivery.EMAIL
    assert not NotificationPreference.objects.exists()


def test_post_unsubscribes_the_kind_without_login(member):
    client = Client(enforce_csrf_checks=True)
    response = client.post(_url(member, "notify:reply"))
    assert response.status_code == 200 and b"unsubscribed" in response.content
    assert delivery_for(member, "reply") == Delivery.IN_APP
    assert delivery_for(member, "mention") == Delivery.EMAIL  # only that kind


def test_one_click_post_without_csrf_token(member):
    client = Client(enforce_csrf_checks=True)
    response = client.post(_url(member, "digest"), data="List-Unsubscribe=One-Click",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert MemberSettings.objects.get(user=member).digest_frequency == DigestFrequency.OFF


def test_newsletter_scope(member, client):
    MemberSettings.objects.filter(user=member).update(newsletter_opt_in=True)
    client.post(_url(member, "newsletter"))
    assert MemberSettings.objects.get(user=member).newsletter_opt_in is False


def test_already_unsubscribed_shows_the_same_success(member, client):
    url = _url(member, "notify:reply")
    first = client.post(url)
    second = client.post(url)
    assert first.status_code == second.status_code == 200
    assert b"You are unsubscribed" in second.content
    assert NotificationPreference.objects.filter(user=member, kind="reply").count() == 1


def test_already_off_stays_off(member, client, set_pref):
    set_pref(member, "reply", Delivery.OFF)
    assert client.post(_url(member, "notify:reply")).status_code == 200
    assert delivery_for(member, "reply") == Delivery.OFF


def test_tampered_token_is_refused_and_changes_nothing(member, client):
    token = mail.unsubscribe_token(email=member.email, scope="digest")
    bad = token[:-3] + ("xyz" if not token.endswith("xyz") else "abc")
    response = client.post(reverse("notifications:unsubscribe", args=[bad]))
    assert response.status_code == 400
    assert MemberSettings.objects.get(user=member).digest_frequency == DigestFrequency.WEEKLY


def test_a_members_token_only_affects_that_member(member, other_member, login):
    # The other member, signed in, uses the first member's link: only the first member is unsubscribed.
    login(other_member).post(_url(member, "digest"))
    assert MemberSettings.objects.get(user=member).digest_frequency == DigestFrequency.OFF
    assert MemberSettings.objects.get(user=other_member).digest_frequency == DigestFrequency.WEEKLY


def test_a_token_cannot_be_rewritten_for_someone_else(member, other_member, client):
    token = mail.unsubscribe_token(email=member.email, scope="digest")
    forged = token.replace(member.email, other_member.email)
    client.post(reverse("notifications:unsubscribe", args=[forged]))
    assert MemberSettings.objects.get(user=other_member).digest_frequency == DigestFrequency.WEEKLY


def test_unknown_scope_and_unknown_member(member, client):
    assert client.post(_url(member, "notify:nonsense")).status_code == 400
    token = mail.unsubscribe_token(email="gone@example.com", scope="digest")
    assert client.post(reverse("notifications:unsubscribe", args=[token])).status_code == 400


def test_emailed_unsubscribe_link_works_end_to_end(member, make_member, client, django_capture_on_commit_callbacks):
    from django.core import mail as djmail

    from community.notifications.actions import notify

    with django_capture_on_commit_callbacks(execute=True):
        notify(recipient=member, kind="mention", actor=make_member(), url="/t/x/1/2", data={"title": "Hi"})
    header = djmail.outbox[0].extra_headers["List-Unsubscribe"]
    path = header.strip("<>").split("://", 1)[1].split("/", 1)[1]
    assert client.post("/" + path, data="List-Unsubscribe=One-Click",
                       content_type="application/x-www-form-urlencoded").status_code == 200
    assert delivery_for(member, "mention") == Delivery.IN_APP


def test_another_app_registers_its_own_scope(member, client):
    from django.utils.translation import gettext_lazy

    calls = []
    mail.register_unsubscribe_scope("survey", lambda *, user, scope: calls.append((user.pk, scope)),
                                    label=gettext_lazy("event surveys"))
    url = _url(member, "survey:7")
    page = client.get(url)
    assert b"event surveys" in page.content and calls == []
    client.post(url)
    assert calls == [(member.pk, "survey:7")]


def test_newsletter_issue_scope_from_the_content_app(member, client):
    MemberSettings.objects.filter(user=member).update(newsletter_opt_in=True)
    assert b"newsletters" in client.get(_url(member, "newsletter:12")).content
    client.post(_url(member, "newsletter:12"))
    assert MemberSettings.objects.get(user=member).newsletter_opt_in is False
