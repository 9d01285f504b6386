"""The after-event survey and the hosts' NPS and CSAT."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from events.actions import checkin_mark, feedback_submit, rsvp_set, attendance_close
from events.errors import AlreadyAnswered, EventError, EventPermissionDenied
from events.models import RSVP, Event, EventFeedback
from events.selectors import feedback_summary

pytestmark = pytest.mark.django_db


@pytest.fixture
def finished(make_event, make_member):
    event = make_event(capacity=None)
    attendees = [make_member() for _ in range(10)]
    for m in attendees:
        rsvp_set(member=m, event=event, status="going")
    Event.objects.filter(pk=event.pk).update(starts_at=timezone.now() - timedelta(hours=3),
                                             ends_at=timezone.now() - timedelta(hours=1))
    event.refresh_from_db()
    return event, attendees


def test_nps_and_csat(finished):
    event, attendees = finished
    scores = [(10, 5), (9, 4), (9, 5), (8, 4), (7, 3), (6, 2), (3, 1), (10, 4), (5, 3), (0, 1)]
    for member, (nps, sat) in zip(attendees, scores):
        feedback_submit(member=member, event=event, nps=nps, satisfaction=sat)
    summary = feedback_summary(event=event)
    # promoters 4 (10, 9, 9, 10), detractors 4 (6, 3, 5, 0): NPS 0; satisfied (4-5): 5 of 10
    assert summary == {"count": 10, "nps": 0, "csat": 50, "promoters": 4, "passives": 2, "detractors": 4}


def test_nps_hand_computed_small(finished):
    event, attendees = finished
    for member, nps in zip(attendees[:3], (10, 10, 2)):
        feedback_submit(member=member, event=event, nps=nps, satisfaction=5)
    assert feedback_summary(event=event)["nps"] == 33  # (2 - 1) / 3
    assert feedback_summary(event=event)["csat"] == 100


def test_once_per_attendee(finished, recorded):
    event, attendees = finished
    feedback_submit(member=attendees[0], event=event, nps=9, satisfaction=5, comment="Great")
    with pytest.raises(AlreadyAnswered):
        feedback_submit(member=attendees[0], event=event, nps=1, satisfaction=1)
    assert EventFeedback.objects.get().nps == 9
    assert recorded == [("record", "survey.answered", attendees[0])]


def test_only_attendees_after_the_event(make_event, finished, member, manager):
    event, attendees = finished
    with pytest.raises(EventPermissionDenied):
        feedback_submit(member=member, event=event, nps=9, satisfaction=5)
    upcoming = make_event()
    rsvp_set(member=member, event=upcoming, status="going")
    with pytest.raises(EventPermissionDenied):
        feedback_submit(member=member, event=upcoming, nps=9, satisfaction=5)
    # a no-show cannot answer
    checkin_mark(actor=manager, rsvp=RSVP.objects.get(member=attendees[0], event=event))
    attendance_close(event=event)
    with pytest.raises(EventPermissionDenied):
        feedback_submit(member=attendees[1], event=event, nps=9, satisfaction=5)


@pytest.mark.parametrize("nps,sat", [(11, 3), (-1, 3), (5, 0), (5, 6)])
def test_ranges(finished, nps, sat):
    event, attendees = finished
    with pytest.raises(EventError):
        feedback_submit(member=attendees[0], event=event, nps=nps, satisfaction=sat)


def test_survey_page_and_host_summary(finished, manager, login):
    event, attendees = finished
    browser = login(attendees[0])
    assert browser.get(f"/events/{event.pk}/feedback/").status_code == 200
    response = browser.post(f"/events/{event.pk}/feedback/", {"nps": "10", "satisfaction": "5",
                                                              "comment": "<b>Loved</b> it"})
    assert response.status_code == 302
    again = browser.post(f"/events/{event.pk}/feedback/", {"nps": "0", "satisfaction": "1"})
    assert "already answered" in again.content.decode()
    assert EventFeedback.objects.get().nps == 10
    page = login(manager).get(f"/events/{event.pk}/manage/").content.decode()
    assert "100%" in page and "&lt;b&gt;Loved&lt;/b&gt;" in page


def test_survey_page_refuses_non_attendees(finished, member, login):
    event, _attendees = finished
    assert login(member).get(f"/events/{event.pk}/feedback/").status_code == 403
