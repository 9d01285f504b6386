"""No overbooking under real concurrency (PostgreSQL row locks): threads with their own connections, released
together by a barrier."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from events.actions import rsvp_cancel, rsvp_set
from events.models import RSVP, Event

from .test_actions_rsvp import assert_counts_consistent

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_together(calls) -> tuple[list, list]:
    """Run each callable in its own thread (own DB connection), all released at the same moment."""
    barrier = threading.Barrier(len(calls))
    results, errors = [], []
    lock = threading.Lock()

    def worker(call):
        try:
            barrier.wait(timeout=30)
            value = call()
            with lock:
                results.append(value)
        except Exception as exc:  # noqa: BLE001 - collected and asserted on
            with lock:
                errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results, errors


def test_fifty_members_ten_seats(make_event, make_member):
    event = make_event(capacity=10)
    members = [make_member() for _ in range(50)]

    results, errors = run_together([lambda m=m: rsvp_set(member=m, event=event, status="going") for m in members])

    assert errors == []
    assert sorted(r.status for r in results).count("going") == 10
    assert RSVP.objects.filter(event=event, status="going").count() == 10
    assert RSVP.objects.filter(event=event, status="waitlisted").count() == 40
    assert_counts_consistent(event)
    event.refresh_from_db()
    assert (event.seats_taken, event.going_count, event.waitlist_count, event.seats_left) == (10, 10, 40, 0)
    # the waitlist is a strict order: all 40 have distinct places
    places = list(RSVP.objects.filter(event=event).waitlisted().values_list("waitlisted_at", "pk"))
    assert len(set(places)) == 40


def test_one_member_twenty_concurrent_rsvps_hold_one_seat(make_event, member):
    event = make_event(capacity=10, max_plus_ones=1)

    results, errors = run_together(
        [lambda: rsvp_set(member=member, event=event, status="going", plus_ones=1) for _ in range(20)]
    )

    assert errors == []
    assert len(results) == 20
    assert RSVP.objects.filter(event=event, member=member).count() == 1
    event.refresh_from_db()
    assert (event.going_count, event.seats_taken) == (1, 2)
    assert_counts_consistent(event)


def test_cancellation_promotes_exactly_one(make_event, make_member):
    event = make_event(capacity=5)
    going = [make_member() for _ in range(5)]
    waiting = [make_member() for _ in range(5)]
    for m in going + waiting:
        rsvp_set(member=m, event=event, status="going")
    leaver = going[0]
    newcomers = [make_member() for _ in range(10)]

    calls = [lambda: rsvp_cancel(member=leaver, event=event) for _ in range(10)]
    calls += [lambda m=m: rsvp_set(member=m, event=event, status="going") for m in newcomers]
    results, errors = run_together(calls)

    assert errors == []
    promoted = RSVP.objects.get(event=event, member=waiting[0])
    assert promoted.status == "going"
    assert RSVP.objects.filter(event=event, member__in=waiting[1:], status="waitlisted").count() == 4
    assert RSVP.objects.filter(event=event, member__in=newcomers, status="going").count() == 0
    assert RSVP.objects.get(event=event, member=leaver).status == "not_going"
    event.refresh_from_db()
    assert (event.going_count, event.seats_taken, event.waitlist_count) == (5, 5, 14)
    assert_counts_consistent(event)


def test_concurrent_cancellations_promote_in_order(make_event, make_member):
    event = make_event(capacity=3)
    going = [make_member() for _ in range(3)]
    waiting = [make_member() for _ in range(4)]
    for m in going + waiting:
        rsvp_set(member=m, event=event, status="going")

    results, errors = run_together([lambda m=m: rsvp_cancel(member=m, event=event) for m in going[:2]])

    assert errors == []
    statuses = [RSVP.objects.get(event=event, member=m).status for m in waiting]
    assert statuses == ["going", "going", "waitlisted", "waitlisted"]
    assert Event.objects.get(pk=event.pk).seats_taken == 3
    assert_counts_consistent(event)


def test_reminder_command_running_concurrently_sends_once(make_event, make_member):
    from datetime import timedelta

    from django.core import mail
    from django.core.management import call_command

    from events.models import ReminderDelivery

    event = make_event(starts_in=timedelta(hours=3), capacity=None)
    attendees = [make_member() for _ in range(5)]
    for m in attendees:
        rsvp_set(member=m, event=event, status="going")
    mail.outbox.clear()

    results, errors = run_together([lambda: call_command("send_event_reminders") for _ in range(6)])

    assert errors == []
    assert sorted(m.to[0] for m in mail.outbox) == sorted(a.email for a in attendees)
    assert ReminderDelivery.objects.filter(sent_at__isnull=False).count() == 5
