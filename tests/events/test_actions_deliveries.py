"""Reminders (exactly once, in the member's language and zone), update emails, host messages, surveys."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone, translation

from events.actions import (
    attendees_message,
    checkin_mark,
    event_update,
    reminders_claim_due,
    rsvp_set,
    surveys_claim_due,
)
from events.errors import HeaderInjection
from events.models import RSVP, Event, ReminderDelivery

pytestmark = pytest.mark.django_db


@pytest.fixture
def rendered(monkeypatch):
    """Language and time zone active while each email template is rendered."""
    import events.emails

    seen: list[tuple[str, str, str]] = []
    original = events.emails.render_to_string

    def spy(template_name, context=None, *args, **kwargs):
        seen.append((template_name, translation.get_language(), timezone.get_current_timezone_name()))
        return original(template_name, context, *args, **kwargs)

    monkeypatch.setattr(events.emails, "render_to_string", spy)
    return seen


def test_reminders_sent_once_when_command_runs_twice(make_event, make_member, django_capture_on_commit_callbacks,
                                                     notifications):
    event = make_event(starts_in=timedelta(hours=23), capacity=5)
    attendees = [make_member() for _ in range(3)]
    for m in attendees:
        rsvp_set(member=m, event=event, status="going")
    rsvp_set(member=make_member(), event=event, status="interested")  # no reminder for "interested"
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_event_reminders")
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_event_reminders")
    with django_capture_on_commit_callbacks(execute=True):
        reminders_claim_due()

    assert sorted(m.to[0] for m in mail.outbox) == sorted(a.email for a in attendees)
    assert ReminderDelivery.objects.filter(sent_at__isnull=False).count() == 3
    reminders = [n for n in notifications if n["data"]["change"] == "reminder"]
    assert len(reminders) == 3 and all(n["data"]["email_sent"] for n in reminders)
    message = mail.outbox[0]
    assert "Reminder: Community meetup" in message.subject
    assert message.alternatives and message.alternatives[0][1] == "text/html"


def test_each_offset_once_and_closest_only_when_both_due(make_event, member, django_capture_on_commit_callbacks):
    soon = make_event(starts_in=timedelta(minutes=30))
    rsvp_set(member=member, event=soon, status="going")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        queued = reminders_claim_due()
    assert len(queued) == 1 and len(mail.outbox) == 1
    offsets = dict(ReminderDelivery.objects.values_list("offset_minutes", "skipped"))
    assert offsets == {60: False, 1440: True}


def test_1h_reminder_follows_the_24h_one(make_event, member, django_capture_on_commit_callbacks):
    event = make_event(starts_in=timedelta(hours=23))
    rsvp_set(member=member, event=event, status="going")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reminders_claim_due()
    with django_capture_on_commit_callbacks(execute=True):
        reminders_claim_due(now=event.starts_at - timedelta(minutes=50))
        reminders_claim_due(now=event.starts_at - timedelta(minutes=40))
    assert len(mail.outbox) == 2


def test_reminder_offsets_are_configurable(make_event, member, settings, django_capture_on_commit_callbacks):
    settings.EVENT_REMINDER_OFFSETS = [timedelta(hours=48)]
    event = make_event(starts_in=timedelta(hours=47))
    rsvp_set(member=member, event=event, status="going")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reminders_claim_due()
    assert list(ReminderDelivery.objects.values_list("offset_minutes", flat=True)) == [2880]
    assert len(mail.outbox) == 1


def test_reminder_in_member_language_and_time_zone(make_event, make_member, rendered,
                                                   django_capture_on_commit_callbacks):
    event = make_event(starts_in=timedelta(hours=2), time_zone="Europe/Riga")
    member = make_member(locale="sw", time_zone="Africa/Nairobi")
    rsvp_set(member=member, event=event, status="going")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reminders_claim_due()
    assert {(lang, tz) for name, lang, tz in rendered if "reminder" in name} == {("sw", "Africa/Nairobi")}
    local = event.starts_at.astimezone(ZoneInfo("Africa/Nairobi"))
    body = mail.outbox[0].body
    assert local.strftime("%H:%M") in body and "EAT" in body
    riga = event.starts_at.astimezone(ZoneInfo("Europe/Riga"))
    assert f"{riga:%H:%M}" in body and "Europe/Riga" in body


def test_join_link_in_reminder_only_for_confirmed(online_event, make_member, django_capture_on_commit_callbacks):
    Event.objects.filter(pk=online_event.pk).update(starts_at=timezone.now() + timedelta(hours=2),
                                                    ends_at=timezone.now() + timedelta(hours=3), capacity=1)
    going, waiting = make_member(), make_member()
    rsvp_set(member=going, event=online_event, status="going")
    rsvp_set(member=waiting, event=online_event, status="going")
    assert RSVP.objects.get(member=waiting).status == "waitlisted"
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reminders_claim_due()
    assert [m.to[0] for m in mail.outbox] == [going.email]
    assert online_event.join_url in mail.outbox[0].body
    assert online_event.join_url in mail.outbox[0].alternatives[0][0]


def test_member_who_turned_event_emails_off_gets_none(make_event, member, django_capture_on_commit_callbacks,
                                                      notifications):
    from accounts.models import NotificationPreference

    NotificationPreference.objects.create(user=member, kind="event", delivery="in_app")
    event = make_event(starts_in=timedelta(hours=2))
    rsvp_set(member=member, event=event, status="going")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reminders_claim_due()
    assert mail.outbox == []
    assert [n["data"] for n in notifications if n["data"]["change"] == "reminder"] == [
        {"change": "reminder", "email_sent": False}]


def test_update_email_when_time_place_or_link_changes(online_event, make_member, manager,
                                                      django_capture_on_commit_callbacks):
    going, waiting, interested = make_member(), make_member(), make_member()
    Event.objects.filter(pk=online_event.pk).update(capacity=1)
    rsvp_set(member=going, event=online_event, status="going")
    rsvp_set(member=waiting, event=online_event, status="going")
    rsvp_set(member=interested, event=online_event, status="interested")
    mail.outbox.clear()

    new_link = "https://meet.example.com/new-room-99"
    with django_capture_on_commit_callbacks(execute=True):
        event_update(actor=manager, event=online_event, join_url=new_link)

    by_member = {m.to[0]: m for m in mail.outbox}
    assert set(by_member) == {going.email, waiting.email}
    assert new_link in by_member[going.email].body
    assert new_link not in by_member[waiting.email].body
    assert new_link not in by_member[waiting.email].alternatives[0][0]

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        event_update(actor=manager, event=online_event, body="A new description")
    assert mail.outbox == []  # not time, place or link


def test_host_message_to_attendees(event, make_member, manager, django_capture_on_commit_callbacks):
    going = [make_member() for _ in range(2)]
    for m in going:
        rsvp_set(member=m, event=event, status="going")
    rsvp_set(member=make_member(), event=event, status="interested")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        message = attendees_message(actor=manager, event=event, subject="Bring a laptop", body="**Please** do.")
    assert message.recipients_count == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted(m.email for m in going)
    assert "Bring a laptop" in mail.outbox[0].subject
    assert "<strong>Please</strong>" in mail.outbox[0].alternatives[0][0]


@pytest.mark.parametrize("subject", ["Hi\nBcc: victim@example.com", "Hi\r\nX: y", "Hi\r"])
def test_message_subject_refuses_line_breaks(event, manager, subject):
    with pytest.raises(HeaderInjection):
        attendees_message(actor=manager, event=event, subject=subject, body="x")


def test_event_title_with_line_break_refused(make_event):
    from events.errors import EventError

    with pytest.raises(EventError):
        make_event(title="Meetup\nBcc: a@example.com")


def test_members_cannot_message_attendees(event, member):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        attendees_message(actor=member, event=event, subject="Hi", body="x")


def test_survey_after_event_to_attendees_once_and_no_shows_recorded(make_event, make_member, manager,
                                                                   django_capture_on_commit_callbacks):
    event = make_event(starts_in=timedelta(days=1))
    came, missed = make_member(), make_member()
    for m in (came, missed):
        rsvp_set(member=m, event=event, status="going")
    Event.objects.filter(pk=event.pk).update(starts_at=timezone.now() - timedelta(hours=4),
                                             ends_at=timezone.now() - timedelta(hours=2))
    checkin_mark(actor=manager, rsvp=RSVP.objects.get(member=came))
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_event_reminders")
        call_command("send_event_reminders")

    assert [m.to[0] for m in mail.outbox] == [came.email]
    assert f"/events/{event.pk}/feedback/" in mail.outbox[0].body
    assert RSVP.objects.get(member=missed).attendance == "no_show"
    assert RSVP.objects.get(member=came).attendance == "attended"


def test_survey_to_all_confirmed_when_check_in_unused(make_event, make_member, django_capture_on_commit_callbacks):
    event = make_event(starts_in=timedelta(days=1))
    members = [make_member() for _ in range(2)]
    for m in members:
        rsvp_set(member=m, event=event, status="going")
    Event.objects.filter(pk=event.pk).update(starts_at=timezone.now() - timedelta(hours=4),
                                             ends_at=timezone.now() - timedelta(hours=2))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert len(surveys_claim_due()) == 2
        assert surveys_claim_due() == []
    assert len(mail.outbox) == 2
    assert not RSVP.objects.filter(attendance="no_show").exists()


def test_reminder_task_running_twice_sends_once(make_event, member, django_capture_on_commit_callbacks):
    from events import tasks

    event = make_event(starts_in=timedelta(hours=2))
    rsvp_set(member=member, event=event, status="going")
    with django_capture_on_commit_callbacks(execute=False):
        [delivery_id] = reminders_claim_due()
    mail.outbox.clear()
    tasks.send_event_reminder.enqueue(delivery_id=delivery_id)
    tasks.send_event_reminder.enqueue(delivery_id=delivery_id)
    assert len(mail.outbox) == 1
    assert ReminderDelivery.objects.get(pk=delivery_id).sent_at is not None


def test_no_reminder_for_member_who_cancelled_meanwhile(make_event, member, django_capture_on_commit_callbacks):
    from events.actions import reminder_deliver, rsvp_cancel

    event = make_event(starts_in=timedelta(hours=2))
    rsvp_set(member=member, event=event, status="going")
    with django_capture_on_commit_callbacks(execute=False):
        [delivery_id] = reminders_claim_due()
    rsvp_cancel(member=member, event=event)
    mail.outbox.clear()
    assert reminder_deliver(delivery_id=delivery_id) is False
    assert mail.outbox == []


def test_member_text_is_escaped_in_html_email(make_event, member, django_capture_on_commit_callbacks):
    event = make_event(title="<img src=x onerror=alert(1)> night", starts_in=timedelta(hours=2))
    rsvp_set(member=member, event=event, status="going")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reminders_claim_due()
    html = mail.outbox[0].alternatives[0][0]
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt; night" in html
    assert "<img src=x onerror=alert(1)> night" in mail.outbox[0].body  # plain text part stays plain text
