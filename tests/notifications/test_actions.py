"""notify(): kinds, preferences, collapsing, the actor rule, live badge, and exactly-once email delivery."""

from __future__ import annotations

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core import mail as djmail
from django.utils import timezone

from accounts.models import Delivery
from community import realtime
from community.notifications import actions, presence, tasks
from community.notifications.actions import notify
from community.notifications.models import EmailDelivery, Notification
from community.notifications.texts import notification_text


@pytest.fixture
def published(monkeypatch):
    events: list[tuple[str, dict]] = []
    monkeypatch.setattr(realtime, "publish_on_commit", lambda stream, event: events.append((stream, event)))
    return events


@pytest.fixture
def post(make_category, make_topic, member):
    topic = make_topic(category=make_category(), author=member, title="How do I pair the speaker?")
    return topic.posts.get(number=1)


@pytest.mark.parametrize("kind,data,expected", [
    ("reply", {}, "Ana replied in “How do I pair the speaker?”"),
    ("mention", {}, "Ana mentioned you in “How do I pair the speaker?”"),
    ("quote", {}, "Ana quoted you in “How do I pair the speaker?”"),
    ("accepted", {}, "Ana accepted your answer in “How do I pair the speaker?”"),
    ("moderation", {"message": "Off topic"}, "A moderator acted on your post in “How do I pair the speaker?”: Off topic"),
    ("watching", {}, "Ana posted in “How do I pair the speaker?”"),
])
def test_each_forum_kind_is_stored_with_its_sentence(kind, data, expected, member, make_member, post, published,
                                                     set_pref):
    actor = make_member(display_name="Ana")
    set_pref(member, kind, Delivery.IN_APP)
    n = notify(recipient=member, kind=kind, actor=actor, target=post, url=post.get_absolute_url(), data=data)
    stored = Notification.objects.get(pk=n.pk)
    assert (stored.recipient, stored.kind, stored.actor, stored.target) == (member, kind, actor, post)
    assert stored.url == post.get_absolute_url() and stored.read_at is None
    assert notification_text(stored) == expected


def test_event_and_loyalty_kinds(member, make_member, published):
    host = make_member(display_name="Maria")
    event_note = notify(recipient=member, kind="event", actor=host, target=None, url="/events/1/",
                        data={"title": "Meetup in Riga", "what": "reminder"})
    tier = notify(recipient=member, kind="loyalty", url="/points/", data={"event": "tier.up", "tier": "Gold"})
    badge = notify(recipient=member, kind="loyalty", url="/points/", data={"event": "badge", "name": "First answer"})
    assert notification_text(event_note) == "Reminder: “Meetup in Riga” is coming up"
    assert notification_text(tier) == "You reached the tier “Gold”"
    assert notification_text(badge) == "You earned the badge “First answer”"
    assert Notification.objects.filter(recipient=member).count() == 3


def test_event_kind_already_mailed_by_events_is_not_mailed_again(member, published, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipient=member, kind="event", url="/events/1/", data={"title": "Meetup", "what": "reminder",
                                                                       "email_sent": True})
    assert Notification.objects.filter(recipient=member).count() == 1
    assert not EmailDelivery.objects.exists() and djmail.outbox == []


def test_the_actor_is_never_notified_of_their_own_act(member, post, published):
    assert notify(recipient=member, kind="reply", actor=member, target=post, url="/x") is None
    assert not Notification.objects.exists() and published == []


def test_deleted_member_is_not_notified(member, make_member, post, published):
    member.deleted_at = timezone.now()
    member.save()
    assert notify(recipient=member, kind="reply", actor=make_member(), target=post) is None
    assert not Notification.objects.exists()


def test_reactions_collapse_into_one_unread_row(member, make_member, post, published):
    ana = make_member(display_name="Ana")
    others = [make_member() for _ in range(4)]
    for actor in [*others, ana]:
        notify(recipient=member, kind="reaction", actor=actor, target=post, url="/p", data={"reaction": "like"})
    notify(recipient=member, kind="reaction", actor=ana, target=post, url="/p")  # same actor again: no double count
    rows = list(Notification.objects.filter(recipient=member))
    assert len(rows) == 1
    assert rows[0].count == 5 and rows[0].actor == ana
    assert notification_text(rows[0]) == "Ana and 4 others liked your post in “How do I pair the speaker?”"
    assert [e["op"] for _s, e in published] == ["add", "change", "change", "change", "change", "change"]


def test_reactions_do_not_collapse_into_a_read_or_other_targets_row(member, make_member, post, make_topic,
                                                                      make_category, published):
    first = notify(recipient=member, kind="reaction", actor=make_member(), target=post)
    actions.notification_mark_read(member=member, notification_id=first.pk)
    notify(recipient=member, kind="reaction", actor=make_member(), target=post)
    other_post = make_topic(category=make_category(), author=member).posts.get(number=1)
    notify(recipient=member, kind="reaction", actor=make_member(), target=other_post)
    assert Notification.objects.filter(recipient=member).count() == 3


def test_reactions_outside_the_window_start_a_new_row(member, make_member, post, published):
    old = notify(recipient=member, kind="reaction", actor=make_member(), target=post)
    Notification.objects.filter(pk=old.pk).update(created_at=timezone.now() - actions.COLLAPSE_WINDOW - timedelta(1))
    notify(recipient=member, kind="reaction", actor=make_member(), target=post)
    assert Notification.objects.filter(recipient=member).count() == 2


def test_replies_never_collapse(member, make_member, post, published):
    notify(recipient=member, kind="reply", actor=make_member(), target=post)
    notify(recipient=member, kind="reply", actor=make_member(), target=post)
    assert Notification.objects.filter(recipient=member).count() == 2


# --- preferences ----------------------------------------------------------------------------------------

def test_preference_off_stores_nothing_and_sends_nothing(member, make_member, post, set_pref, published,
                                                        django_capture_on_commit_callbacks):
    set_pref(member, "reply", Delivery.OFF)
    with django_capture_on_commit_callbacks(execute=True):
        assert notify(recipient=member, kind="reply", actor=make_member(), target=post) is None
    assert not Notification.objects.exists() and djmail.outbox == [] and published == []


def test_preference_in_app_stores_and_publishes_but_sends_no_email(member, make_member, post, set_pref, published,
                                                                   django_capture_on_commit_callbacks):
    set_pref(member, "reply", Delivery.IN_APP)
    with django_capture_on_commit_callbacks(execute=True):
        n = notify(recipient=member, kind="reply", actor=make_member(), target=post, url="/t/a/1/2")
    assert n.delivery == Delivery.IN_APP
    assert djmail.outbox == [] and not EmailDelivery.objects.exists()
    stream, event = published[0]
    assert stream == realtime.member_stream(member.pk)
    assert event["type"] == "notifications.notification" and event["op"] == "add" and event["unread"] == 1
    assert f"/notifications/{n.pk}/" in event["html"]


def test_preference_email_sends_once_after_commit(member, make_member, post, set_pref, published,
                                                  django_capture_on_commit_callbacks):
    set_pref(member, "reply", Delivery.EMAIL)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        n = notify(recipient=member, kind="reply", actor=make_member(display_name="Ana"), target=post, url="/t/a/1/2")
    assert djmail.outbox == []  # nothing leaves before the commit
    for callback in callbacks:
        callback()
    assert len(djmail.outbox) == 1
    message = djmail.outbox[0]
    assert message.to == [member.email]
    assert message.subject == "Ana replied in “How do I pair the speaker?”"
    assert message.alternatives and message.alternatives[0][1] == "text/html"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.extra_headers["List-Unsubscribe"].startswith("<http")
    assert f"/notifications/{n.pk}/" in message.body
    assert EmailDelivery.objects.get(notification=n).status == EmailDelivery.Status.SENT


def test_preference_digest_stores_for_the_digest_without_email(member, make_member, post, set_pref, published,
                                                               django_capture_on_commit_callbacks):
    set_pref(member, "reply", Delivery.DIGEST)
    with django_capture_on_commit_callbacks(execute=True):
        n = notify(recipient=member, kind="reply", actor=make_member(), target=post)
    assert n.delivery == Delivery.DIGEST and djmail.outbox == []


def test_email_in_the_members_language(member, make_member, post, set_pref, published,
                                       django_capture_on_commit_callbacks):
    member.locale = "sw"
    member.save()
    set_pref(member, "reply", Delivery.EMAIL)
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipient=member, kind="reply", actor=make_member(), target=post)
    assert len(djmail.outbox) == 1
    assert 'lang="sw"' in djmail.outbox[0].alternatives[0][0]


# --- exactly once, hold-back, unsafe recipients ------------------------------------------------------------

@pytest.fixture
def emailed(member, make_member, post, set_pref, published):
    """A reply notification whose email is pending (the task has not run yet)."""
    set_pref(member, "reply", Delivery.EMAIL)
    return notify(recipient=member, kind="reply", actor=make_member(), target=post, url="/t/a/1/2")


def test_retried_task_sends_once(emailed):
    tasks.send_notification_email.call(notification_id=emailed.pk)
    tasks.send_notification_email.call(notification_id=emailed.pk)
    actions.pending_notification_emails_send()
    assert len(djmail.outbox) == 1
    assert EmailDelivery.objects.filter(notification=emailed).count() == 1


def test_crash_after_claiming_never_sends_twice(emailed, monkeypatch):
    from community.notifications import emails

    def crash(**kwargs):
        raise SystemExit("worker killed after the claim")

    monkeypatch.setattr(emails, "send_notification_email", crash)
    with pytest.raises(SystemExit):
        actions.notification_email_send(notification_id=emailed.pk)
    assert EmailDelivery.objects.get(notification=emailed).status == EmailDelivery.Status.SENDING
    monkeypatch.undo()
    assert actions.notification_email_send(notification_id=emailed.pk) == EmailDelivery.Status.SENDING
    actions.pending_notification_emails_send()
    assert djmail.outbox == []


def test_email_held_back_while_online_then_sent_by_the_sweep(emailed, member):
    presence.mark_present(member.pk)
    assert actions.notification_email_send(notification_id=emailed.pk) == EmailDelivery.Status.PENDING
    assert djmail.outbox == []
    from django.core.cache import cache

    cache.delete(presence.presence_key(member.pk))
    from django.core.management import call_command

    call_command("send_pending_notification_emails", stdout=open("/dev/null", "w"))
    assert len(djmail.outbox) == 1


def test_held_back_email_is_dropped_when_read_meanwhile(emailed, member):
    member.last_seen_at = timezone.now()
    member.save()
    assert actions.notification_email_send(notification_id=emailed.pk) == EmailDelivery.Status.PENDING
    actions.notification_mark_read(member=member, notification_id=emailed.pk)
    later = timezone.now() + presence.ONLINE_WINDOW + timedelta(minutes=1)
    actions.pending_notification_emails_send(now=later)
    delivery = EmailDelivery.objects.get(notification=emailed)
    assert (delivery.status, delivery.reason) == (EmailDelivery.Status.SKIPPED, "read") and djmail.outbox == []


def test_last_seen_long_ago_is_not_online(emailed, member):
    member.last_seen_at = timezone.now() - timedelta(hours=1)
    member.save()
    assert actions.notification_email_send(notification_id=emailed.pk) == EmailDelivery.Status.SENT


def test_never_to_an_unverified_email(emailed, member):
    EmailAddress.objects.filter(user=member).update(verified=False)
    assert actions.notification_email_send(notification_id=emailed.pk) == EmailDelivery.Status.SKIPPED
    assert djmail.outbox == []


def test_never_to_an_inactive_or_deleted_member(emailed, member):
    member.is_active = False
    member.save()
    assert actions.notification_email_send(notification_id=emailed.pk) == EmailDelivery.Status.SKIPPED
    assert EmailDelivery.objects.get(notification=emailed).reason == "inactive" and djmail.outbox == []


def test_switching_the_kind_away_from_email_before_sending(emailed, member, set_pref):
    set_pref(member, "reply", Delivery.IN_APP)
    assert actions.notification_email_send(notification_id=emailed.pk) == EmailDelivery.Status.SKIPPED
    assert djmail.outbox == []


def test_header_injection_in_a_display_name_sends_nothing(member, make_member, post, set_pref, published):
    set_pref(member, "reply", Delivery.EMAIL)
    evil = make_member(display_name="Ana\r\nBcc: victim@example.org")
    n = notify(recipient=member, kind="reply", actor=evil, target=post)
    assert actions.notification_email_send(notification_id=n.pk) == EmailDelivery.Status.FAILED
    assert EmailDelivery.objects.get(notification=n).reason == "header" and djmail.outbox == []


def test_header_injection_in_a_subject_sends_nothing(member, make_member, set_pref, published):
    set_pref(member, "event", Delivery.EMAIL)
    n = notify(recipient=member, kind="event", url="/e", data={"title": "Meetup\nBcc: victim@example.org",
                                                              "what": "updated"})
    assert actions.notification_email_send(notification_id=n.pk) == EmailDelivery.Status.FAILED
    assert djmail.outbox == []


# --- marking read -----------------------------------------------------------------------------------------

def test_mark_read_and_mark_all(member, make_member, post, published):
    a = notify(recipient=member, kind="reply", actor=make_member(), target=post)
    notify(recipient=member, kind="mention", actor=make_member(), target=post)
    actions.notification_mark_read(member=member, notification_id=a.pk)
    assert Notification.objects.unread().filter(recipient=member).count() == 1
    assert actions.notifications_mark_all_read(member=member) == 1
    assert not Notification.objects.unread().filter(recipient=member).exists()
    assert published[-1][1] == {"type": "notifications.notification", "op": "change", "unread": 0}


def test_cannot_mark_someone_elses_notification(member, other_member, make_member, post, published):
    n = notify(recipient=member, kind="reply", actor=make_member(), target=post)
    with pytest.raises(Notification.DoesNotExist):
        actions.notification_mark_read(member=other_member, notification_id=n.pk)
    assert Notification.objects.get(pk=n.pk).read_at is None


def test_an_email_held_back_for_days_is_dropped(emailed, member):
    member.last_seen_at = timezone.now()
    member.save()
    assert actions.notification_email_send(notification_id=emailed.pk) == EmailDelivery.Status.PENDING
    later = timezone.now() + actions.HOLD_BACK_MAX + timedelta(hours=1)
    assert actions.pending_notification_emails_send(now=later) == {"stale": 1}
    assert EmailDelivery.objects.get(notification=emailed).reason == "stale" and djmail.outbox == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_send_one_email(make_member, set_pref):
    import threading

    from django.db import connections

    recipient, actor = make_member(), make_member()
    set_pref(recipient, "mention", Delivery.EMAIL)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(realtime, "publish_on_commit", lambda stream, event: None)
        mp.setattr(actions, "_enqueue_email", lambda notification_id: None)  # the workers below do the sending
        n = notify(recipient=recipient, kind="mention", actor=actor, url="/t/x/1/2", data={"title": "Race"})
    barrier = threading.Barrier(4)
    results = []

    def worker():
        try:
            barrier.wait()
            results.append(actions.notification_email_send(notification_id=n.pk))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(djmail.outbox) == 1  # one claim won; the others saw it taken
    assert set(results) <= {EmailDelivery.Status.SENT, EmailDelivery.Status.SENDING} and len(results) == 4
    assert EmailDelivery.objects.get(notification=n).status == EmailDelivery.Status.SENT
