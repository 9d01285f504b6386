"""Editing one occurrence of a series with the occurrences after it (events.actions.series)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from events.actions import event_cancel, event_update, rsvp_set, series_create, series_update_following
from events.errors import EventError

pytestmark = pytest.mark.django_db

RIGA = ZoneInfo("Europe/Riga")


@pytest.fixture
def weekly(manager):
    """Five Monday evenings in Riga, across the end of daylight-saving time (26 October 2031)."""
    start = datetime(2031, 10, 13, 18, 0, tzinfo=RIGA)
    series = series_create(actor=manager, frequency="weekly", count=5, title="Book club", starts_at=start,
                           ends_at=start + timedelta(hours=1), time_zone="Europe/Riga", venue="Library",
                           capacity=10, rsvp_deadline=start - timedelta(hours=3), publish=True)
    return list(series.events.order_by("starts_at"))


def fields_of(event, **changes) -> dict:
    """What the edit form sends for `event`, with `changes`."""
    values = {name: getattr(event, name) for name in (
        "title", "body", "starts_at", "ends_at", "time_zone", "format", "venue", "address", "map_url", "join_url",
        "capacity", "max_plus_ones", "rsvp_deadline", "visibility")}
    return {**values, **changes}


def local_times(events) -> list[str]:
    return [e.starts_at.astimezone(RIGA).strftime("%Y-%m-%d %H:%M") for e in events]


def test_a_new_time_moves_this_and_later_occurrences_by_the_same_local_hours(weekly, manager):
    third = weekly[2]
    starts = third.starts_at.astimezone(RIGA).replace(hour=19, minute=30)
    edited = series_update_following(actor=manager, event=third, **fields_of(
        third, starts_at=starts, ends_at=starts + timedelta(hours=2)))
    assert [e.pk for e in edited] == [e.pk for e in weekly[2:]]
    for event in weekly:
        event.refresh_from_db()
    # the first two stay; the rest are at 19:30 local time on both sides of the clock change
    assert local_times(weekly) == ["2031-10-13 18:00", "2031-10-20 18:00", "2031-10-27 19:30",
                                   "2031-11-03 19:30", "2031-11-10 19:30"]
    assert [e.ends_at - e.starts_at for e in weekly] == [timedelta(hours=1)] * 2 + [timedelta(hours=2)] * 3
    # deadlines: as far before each moved start as on the edited one (which kept its 15:00)
    assert [e.starts_at - e.rsvp_deadline for e in weekly] == \
        [timedelta(hours=3)] * 2 + [timedelta(hours=4, minutes=30)] * 3


def test_only_what_changed_is_carried_so_an_occurrences_own_values_stay(weekly, manager):
    fourth = weekly[3]
    event_update(actor=manager, event=fourth, **fields_of(fourth, venue="Town hall"))  # that week only
    second = weekly[1]
    series_update_following(actor=manager, event=second, **fields_of(second, title="Readers' club", capacity=12))
    for event in weekly:
        event.refresh_from_db()
    assert [e.title for e in weekly] == ["Book club"] + ["Readers' club"] * 4
    assert [e.capacity for e in weekly] == [10] + [12] * 4
    assert [e.venue for e in weekly] == ["Library", "Library", "Library", "Town hall", "Library"]
    assert local_times(weekly)[1:] == ["2031-10-20 18:00", "2031-10-27 18:00", "2031-11-03 18:00",
                                       "2031-11-10 18:00"]


def test_a_new_deadline_keeps_its_distance_from_each_start(weekly, manager):
    first = weekly[0]
    series_update_following(actor=manager, event=first, **fields_of(
        first, rsvp_deadline=first.starts_at - timedelta(days=1)))
    for event in weekly:
        event.refresh_from_db()
    assert [e.starts_at - e.rsvp_deadline for e in weekly] == [timedelta(days=1)] * 5


def test_cancelled_and_earlier_occurrences_are_left_alone(weekly, manager):
    event_cancel(actor=manager, event=weekly[3])
    edited = series_update_following(actor=manager, event=weekly[1], **fields_of(weekly[1], title="Renamed"))
    assert [e.pk for e in edited] == [weekly[1].pk, weekly[2].pk, weekly[4].pk]
    for event in weekly:
        event.refresh_from_db()
    assert [e.title for e in weekly] == ["Book club", "Renamed", "Renamed", "Book club", "Renamed"]


def test_attendees_of_each_moved_occurrence_are_told(weekly, manager, make_member, notifications):
    early, late = make_member(), make_member()
    rsvp_set(member=early, event=weekly[0], status="going")
    rsvp_set(member=late, event=weekly[4], status="going")
    third = weekly[2]
    series_update_following(actor=manager, event=third, **fields_of(third, venue="Café Riga"))
    told = [n["recipient"] for n in notifications if n["data"].get("change") == "changed"]
    assert told == [late]


def test_one_refusal_saves_nothing_and_names_the_occurrence(weekly, manager, monkeypatch):
    from events.actions import series as series_module

    real_update = series_module.event_update

    def refusing(*, event, **kwargs):
        if event.pk == weekly[3].pk:
            raise EventError("Not this one.")
        return real_update(event=event, **kwargs)

    monkeypatch.setattr(series_module, "event_update", refusing)
    with pytest.raises(EventError, match=r"The occurrence of .*2031: Not this one\."):
        series_update_following(actor=manager, event=weekly[0], **fields_of(weekly[0], title="Renamed"))
    for event in weekly:
        event.refresh_from_db()
    assert [e.title for e in weekly] == ["Book club"] * 5  # the first and second were rolled back too


def test_an_event_outside_a_series_is_refused(make_event, manager):
    single = make_event()
    with pytest.raises(EventError):
        series_update_following(actor=manager, event=single, **fields_of(single, title="x"))


def test_members_cannot(weekly, member):
    from events.errors import EventPermissionDenied

    with pytest.raises(EventPermissionDenied):
        series_update_following(actor=member, event=weekly[0], **fields_of(weekly[0], title="Mine"))


def test_the_edit_form_offers_and_applies_this_and_following(weekly, manager, login):
    browser = login(manager)
    page = browser.get(f"/events/{weekly[3].pk}/edit/").content.decode()
    assert 'name="apply_to"' in page and 'value="following"' in page
    response = browser.post(f"/events/{weekly[3].pk}/edit/", {
        "title": "Last two", "time_zone": "Europe/Riga", "starts_at": "2031-11-03T18:00",
        "ends_at": "2031-11-03T19:00", "format": "in_person", "max_plus_ones": "0", "visibility": "public",
        "capacity": "10", "venue": "Library", "rsvp_deadline": "2031-11-03T15:00", "apply_to": "following"},
        follow=True)
    assert "Event saved, and 1 later occurrence." in response.content.decode()
    assert [e.title for e in weekly[0].series.events.order_by("starts_at")] == ["Book club"] * 3 + ["Last two"] * 2


def test_the_last_occurrence_and_single_events_get_no_choice(weekly, make_event, manager, login):
    browser = login(manager)
    assert 'name="apply_to"' not in browser.get(f"/events/{weekly[4].pk}/edit/").content.decode()
    assert 'name="apply_to"' not in browser.get(f"/events/{make_event().pk}/edit/").content.decode()
