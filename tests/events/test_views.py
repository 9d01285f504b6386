"""Pages: listings (query counts constant as rows grow), calendar, event page, time zones, permissions."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import MemberSettings
from events.actions import rsvp_set
from events.models import RSVP, Event

pytestmark = pytest.mark.django_db


LIST_QUERIES = 14  # session, member, permissions, groups, unread badge, count, events, hosts, tags (+ a few)


def own(captured) -> int:
    """Queries of the events app itself (other apps' middleware may add a visit or last-seen write now and
    then, e.g. when a minute passes between two requests)."""
    return sum(1 for q in captured.captured_queries if "events_" in q["sql"] or "taggit" in q["sql"])


def make_many(make_event, manager, n, **fields):
    tags = ["python", "meetup"]
    return [make_event(title=f"Event {i}", starts_in=timedelta(days=i + 1), tags=tags, hosts=[manager],
                       **fields) for i in range(n)]


@pytest.mark.parametrize("viewer", ["anonymous", "member", "manager"])
@pytest.mark.parametrize("url", ["/events/", "/events/?format=in_person&tag=python", "/events/calendar/2030/1/"])
def test_list_query_count_constant(viewer, url, make_event, manager, member, login, client,
                                   django_assert_max_num_queries):
    user = {"anonymous": None, "member": member, "manager": manager}[viewer]
    browser = login(user) if user else client

    def month_events(n):
        for i in range(n):
            start = datetime(2030, 1, 1 + i, 18, tzinfo=ZoneInfo("UTC"))
            make_event(title=f"Jan {i}", starts_at=start, tags=["python"], hosts=[manager])

    grow = (lambda n: month_events(n)) if "calendar" in url else (lambda n: make_many(make_event, manager, n))
    browser.get(url)  # warm-up: the day's first visit is recorded once by the metrics middleware
    grow(2)
    with django_assert_max_num_queries(LIST_QUERIES) as small:
        assert browser.get(url).status_code == 200
    grow(18)
    with django_assert_max_num_queries(LIST_QUERIES) as large:
        second = browser.get(url)
    assert second.status_code == 200
    assert second.content.decode().count("Jan " if "calendar" in url else "Event ") >= 20
    assert own(large) == own(small)


def test_past_list_query_count_constant(make_event, manager, member, login, django_assert_max_num_queries):
    browser = login(member)
    browser.get("/events/past/")
    counts = []
    for n in (2, 20):
        while Event.objects.count() < n:
            make_event(title=f"Old {Event.objects.count()}", starts_in=timedelta(days=-(Event.objects.count() + 2)),
                       tags=["x"])
        with django_assert_max_num_queries(LIST_QUERIES) as captured:
            response = browser.get("/events/past/")
        assert response.status_code == 200
        counts.append(own(captured))
    assert "Old 19" in response.content.decode()
    assert counts[0] == counts[1]


def test_upcoming_and_past_are_separate(make_event, client):
    make_event(title="Future thing")
    make_event(title="Old thing", starts_in=timedelta(days=-3))
    upcoming = client.get("/events/").content.decode()
    past = client.get("/events/past/").content.decode()
    assert "Future thing" in upcoming and "Old thing" not in upcoming
    assert "Old thing" in past and "Future thing" not in past


def test_filters(make_event, make_member, client):
    host2 = make_member(role=None, handle="otherhost")
    from accounts.roles import Role, add_role

    add_role(host2, Role.COMMUNITY_MANAGER)
    make_event(title="Online one", format="online", tags=["webinar"])
    make_event(title="Room one", format="in_person", tags=["meetup"], hosts=[host2])
    make_event(title="Both one", format="hybrid", tags=["meetup"])

    def titles(query):
        html = client.get(f"/events/?{query}").content.decode()
        return {t for t in ("Online one", "Room one", "Both one") if t in html}

    assert titles("format=online") == {"Online one", "Both one"}
    assert titles("format=in_person") == {"Room one", "Both one"}
    assert titles("tag=meetup") == {"Room one", "Both one"}
    assert titles("host=otherhost") == {"Room one"}


def test_calendar_month_places_events_on_viewer_day(make_event, make_member, login):
    # 23:30 in New York on 14 Jan is 15 Jan in Tokyo
    start = datetime(2030, 1, 14, 23, 30, tzinfo=ZoneInfo("America/New_York"))
    make_event(title="Late show", starts_at=start, time_zone="America/New_York")
    tokyo = login(make_member(time_zone="Asia/Tokyo"))
    html = tokyo.get("/events/calendar/2030/1/").content.decode()
    cell = html.split('<span class="day-number">15</span>')[1].split("</td>")[0]
    assert "Late show" in cell and "13:30" in cell
    assert tokyo.get("/events/calendar/2030/13/").status_code == 404
    assert tokyo.get("/events/calendar/").status_code == 302


def test_times_across_dst_change(make_event, make_member, login):
    """Riga switches to summer time on the last Sunday of March (29 March 2026), New York on 8 March."""
    riga = ZoneInfo("Europe/Riga")
    before = make_event(title="Before DST", starts_at=datetime(2026, 3, 22, 10, 0, tzinfo=riga),
                        ends_at=datetime(2026, 3, 22, 12, 0, tzinfo=riga), time_zone="Europe/Riga")
    after = make_event(title="After DST", starts_at=datetime(2026, 3, 29, 10, 0, tzinfo=riga),
                       ends_at=datetime(2026, 3, 29, 12, 0, tzinfo=riga), time_zone="Europe/Riga")
    viewer = login(make_member(time_zone="America/New_York"))

    page = viewer.get(after.get_absolute_url()).content.decode()
    assert "Sun 29 Mar 2026, 03:00 EDT" in page       # 10:00 EEST (UTC+3) = 07:00 UTC = 03:00 EDT
    assert "10:00 EEST" in page and "Europe/Riga" in page

    page = viewer.get(before.get_absolute_url()).content.decode()
    assert "Sun 22 Mar 2026, 04:00 EDT" in page       # 10:00 EET (UTC+2) = 08:00 UTC = 04:00 EDT
    assert "10:00 EET" in page

    same_zone = login(make_member(time_zone="Europe/Riga")).get(after.get_absolute_url()).content.decode()
    assert "Sun 29 Mar 2026, 10:00 EEST" in same_zone
    assert "in Europe/Riga" not in same_zone          # the event's zone is only added when it differs


def test_event_page_shows_hosts_listed_attendees_and_seats(make_event, make_member, manager, client):
    event = make_event(capacity=5)
    shown = make_member(display_name="Visible Vera")
    hidden = make_member(display_name="Private Paul")
    MemberSettings.objects.filter(user=hidden).update(show_in_attendee_lists=False)
    rsvp_set(member=shown, event=event, status="going")
    rsvp_set(member=hidden, event=event, status="going")
    html = client.get(event.get_absolute_url()).content.decode()
    assert manager.name in html
    assert "Visible Vera" in html
    assert "Private Paul" not in html
    assert "and 1 more" in html
    assert '<span data-seats-left>3</span>' in html


def test_event_page_query_count_constant(make_event, make_member, member, login, django_assert_max_num_queries):
    event = make_event(capacity=100)
    browser = login(member)
    browser.get(event.get_absolute_url())
    counts = []
    for n in (2, 20):
        while RSVP.objects.filter(event=event).count() < n:
            rsvp_set(member=make_member(), event=event, status="going")
        with django_assert_max_num_queries(20) as captured:
            assert browser.get(event.get_absolute_url()).status_code == 200
        counts.append(own(captured))
    assert counts[0] == counts[1]


def test_wrong_slug_redirects(event, client):
    response = client.get(f"/events/{event.pk}/wrong-slug/")
    assert response.status_code == 302 and response["Location"] == event.get_absolute_url()
    assert client.get(f"/events/{event.pk}/")["Location"] == event.get_absolute_url()


def test_discussion_link_shown(make_event, client):
    from community.forum.models import Category, Topic

    event = make_event()
    category = Category.objects.create(name="Events", slug="events-talk")
    topic = Topic.objects.create(category=category, title="About the meetup", slug="about-the-meetup")
    Event.objects.filter(pk=event.pk).update(discussion_topic=topic)
    html = client.get(event.get_absolute_url()).content.decode()
    assert topic.get_absolute_url() in html


# --- visibility and permissions ---------------------------------------------------------------------------

def test_invisible_events_are_404(make_event, member, moderator, manager, login, client):
    draft = make_event(publish=False, title="Secret draft")
    members_only = make_event(visibility="members", title="Members only")
    mods_only = make_event(visibility="roles", roles=[Group.objects.get(name="Moderator")], title="Mods only")

    assert client.get(draft.get_absolute_url()).status_code == 404
    assert client.get(members_only.get_absolute_url()).status_code == 404
    assert client.get(mods_only.get_absolute_url()).status_code == 404
    member_client = login(member)
    assert member_client.get(draft.get_absolute_url()).status_code == 404
    assert member_client.get(members_only.get_absolute_url()).status_code == 200
    assert member_client.get(mods_only.get_absolute_url()).status_code == 404
    assert member_client.post(f"/events/{mods_only.pk}/rsvp/", {"status": "going"}).status_code == 404
    assert login(moderator).get(mods_only.get_absolute_url()).status_code == 200
    for event in (draft, members_only, mods_only):
        assert login(manager).get(event.get_absolute_url()).status_code == 200

    listing = client.get("/events/").content.decode()
    assert "Secret draft" not in listing and "Members only" not in listing and "Mods only" not in listing
    listing = member_client.get("/events/").content.decode()
    assert "Members only" in listing and "Mods only" not in listing and "Secret draft" not in listing
    calendar = member_client.get(f"/events/calendar/{draft.starts_at.year}/{draft.starts_at.month}/")
    assert "Secret draft" not in calendar.content.decode()


@pytest.mark.parametrize("path", ["edit/", "manage/", "attendees.csv", "checkin/"])
def test_only_hosts_and_managers_reach_host_pages(path, event, member, manager, login, client):
    url = f"/events/{event.pk}/{path}"
    assert login(member).get(url).status_code == 404
    assert client.get(url).status_code == 302  # to log in
    assert login(manager).get(url).status_code == 200


@pytest.mark.parametrize("path", ["publish/", "cancel/"])
def test_members_cannot_publish_or_cancel(path, make_event, member, login):
    event = make_event(publish=False) if path == "publish/" else make_event()
    before = event.status
    assert login(member).post(f"/events/{event.pk}/{path}").status_code == 404
    event.refresh_from_db()
    assert event.status == before


def test_only_managers_create(member, manager, login):
    assert login(member).get("/events/new/").status_code == 403
    assert login(manager).get("/events/new/").status_code == 200


# --- writes through pages -----------------------------------------------------------------------------

def test_rsvp_post_and_htmx(event, member, login):
    browser = login(member)
    response = browser.post(f"/events/{event.pk}/rsvp/", {"status": "going"})
    assert response.status_code == 302
    assert RSVP.objects.get(member=member).status == "going"
    response = browser.post(f"/events/{event.pk}/rsvp/", {"status": "interested"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'class="rsvp-panel"' in response.content.decode()
    assert "<html" not in response.content.decode()
    assert RSVP.objects.get(member=member).status == "interested"


def test_rsvp_error_shown(make_event, member, login):
    event = make_event(max_plus_ones=0)
    response = login(member).post(f"/events/{event.pk}/rsvp/", {"status": "going", "plus_ones": "3"},
                                  HTTP_HX_REQUEST="true")
    assert "at most 0 guests" in response.content.decode()
    assert not RSVP.objects.exists()


def test_anonymous_rsvp_goes_to_login(event, client):
    response = client.post(f"/events/{event.pk}/rsvp/", {"status": "going"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_create_event_form_with_cover_and_zone(manager, login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .conftest import png_bytes

    response = login(manager).post("/events/new/", {
        "title": "Launch party", "body": "Come **celebrate**", "time_zone": "Europe/Riga",
        "starts_at": "2030-03-31T18:00", "ends_at": "2030-03-31T21:00", "format": "in_person",
        "venue": "Hall", "capacity": "50", "max_plus_ones": "1", "visibility": "public", "tags": "launch, party",
        "cover": SimpleUploadedFile("c.png", png_bytes(), content_type="image/png"), "publish": "1",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    event = Event.objects.get()
    assert event.status == "published"
    assert event.starts_at == datetime(2030, 3, 31, 18, 0, tzinfo=ZoneInfo("Europe/Riga"))
    assert event.body_html == "<p>Come <strong>celebrate</strong></p>\n"
    assert sorted(event.tags.names()) == ["launch", "party"]
    assert event.cover.name.startswith("events/covers/") and event.cover.name.endswith(".png")
    assert list(event.hosts.all()) == [manager]


def test_form_refuses_time_skipped_by_dst(manager, login):
    response = login(manager).post("/events/new/", {
        "title": "Ghost hour", "time_zone": "Europe/Riga", "starts_at": "2030-03-31T03:30",
        "ends_at": "2030-03-31T05:00", "format": "in_person", "max_plus_ones": "0", "visibility": "public"})
    assert response.status_code == 200
    assert "does not exist" in response.content.decode()
    assert not Event.objects.exists()


def test_create_weekly_series_from_form(manager, login):
    response = login(manager).post("/events/new/", {
        "title": "Weekly call", "time_zone": "UTC", "starts_at": "2030-01-07T17:00", "ends_at": "2030-01-07T18:00",
        "format": "online", "join_url": "https://meet.example.com/w", "max_plus_ones": "0", "visibility": "public",
        "repeat": "weekly", "occurrences": "4"})
    assert response.status_code == 302
    assert Event.objects.count() == 4
    assert len({e.series_id for e in Event.objects.all()}) == 1


def test_edit_form_round_trip(make_event, manager, login):
    riga = ZoneInfo("Europe/Riga")
    event = make_event(starts_at=datetime(2030, 5, 1, 18, 0, tzinfo=riga),
                       ends_at=datetime(2030, 5, 1, 20, 0, tzinfo=riga), time_zone="Europe/Riga")
    browser = login(manager)
    page = browser.get(f"/events/{event.pk}/edit/").content.decode()
    assert 'value="2030-05-01T18:00"' in page
    response = browser.post(f"/events/{event.pk}/edit/", {
        "title": "Renamed", "time_zone": "Europe/Riga", "starts_at": "2030-05-01T19:00",
        "ends_at": "2030-05-01T20:00", "format": "in_person", "max_plus_ones": "0", "visibility": "public"})
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.title == "Renamed" and event.slug == "renamed"
    assert event.starts_at == datetime(2030, 5, 1, 19, 0, tzinfo=riga)


def test_cancel_from_page_tells_attendees(event, make_member, manager, login, notifications):
    attendee = make_member()
    rsvp_set(member=attendee, event=event, status="going")
    assert login(manager).post(f"/events/{event.pk}/cancel/").status_code == 302
    event.refresh_from_db()
    assert event.status == "cancelled"
    assert [n["recipient"] for n in notifications if n["data"]["change"] == "cancelled"] == [attendee]


def test_csv_export_is_neutralised(event, make_member, manager, login):
    evil = make_member(display_name="=HYPERLINK(\"http://evil\")")
    rsvp_set(member=evil, event=event, status="going")
    response = login(manager).get(f"/events/{event.pk}/attendees.csv")
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode()
    assert "'=HYPERLINK" in text
    assert "\n=HYPERLINK" not in text and ",=HYPERLINK" not in text


def test_checkin_page_search_and_mark(event, make_member, manager, login, recorded):
    ann = make_member(display_name="Ann Arrival")
    bob = make_member(display_name="Bob Builder")
    for m in (ann, bob):
        rsvp_set(member=m, event=event, status="going")
    browser = login(manager)
    page = browser.get(f"/events/{event.pk}/checkin/?q=ann").content.decode()
    assert "Ann Arrival" in page and "Bob Builder" not in page
    rsvp = RSVP.objects.get(member=ann)
    response = browser.post(f"/events/{event.pk}/checkin/", {"rsvp": rsvp.pk, "attended": "1"},
                            HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "Undo check-in of Ann Arrival" in response.content.decode()
    assert RSVP.objects.get(member=ann).attendance == "attended"
    assert ("record", "event.attended", ann) in recorded
    browser.post(f"/events/{event.pk}/checkin/", {"rsvp": rsvp.pk, "attended": "1"})
    assert [c for c in recorded if c[1] == "event.attended"] == [("record", "event.attended", ann)]


def test_host_lists_query_count_constant(event, make_member, manager, login, django_assert_max_num_queries):
    from events.models import Event as EventModel

    EventModel.objects.filter(pk=event.pk).update(capacity=None)
    browser = login(manager)
    urls = (f"/events/{event.pk}/checkin/", f"/events/{event.pk}/manage/", f"/events/{event.pk}/attendees.csv")
    browser.get(urls[0])
    counts = {}
    for n in (2, 20):
        while RSVP.objects.filter(event=event).count() < n:
            rsvp_set(member=make_member(), event=event, status="going")
        for url in urls:
            with django_assert_max_num_queries(20) as captured:
                assert browser.get(url).status_code == 200
            counts.setdefault(url, []).append(own(captured))
    assert all(small == large for small, large in counts.values()), counts


def test_no_shows_recorded_after_the_event(make_event, make_member, manager, login):
    from events.actions import attendance_close, checkin_mark
    from events.errors import EventError

    event = make_event()
    came, missed = make_member(), make_member()
    for m in (came, missed):
        rsvp_set(member=m, event=event, status="going")
    checkin_mark(actor=manager, rsvp=RSVP.objects.get(member=came))
    with pytest.raises(EventError):
        attendance_close(actor=manager, event=event)  # not over yet
    Event.objects.filter(pk=event.pk).update(starts_at=timezone.now() - timedelta(hours=3),
                                             ends_at=timezone.now() - timedelta(hours=1))
    response = login(manager).post(f"/events/{event.pk}/close-attendance/")
    assert response.status_code == 302
    assert RSVP.objects.get(member=missed).attendance == "no_show"
    assert RSVP.objects.get(member=came).attendance == "attended"
    # a late check-in at the door still counts
    checkin_mark(actor=manager, rsvp=RSVP.objects.get(member=missed))
    assert RSVP.objects.get(member=missed).attendance == "attended"


def test_series_page_links_other_dates(manager, login, client):
    from events.actions import series_create

    start = timezone.now() + timedelta(days=2)
    series = series_create(actor=manager, frequency="weekly", count=3, title="Book club", starts_at=start,
                           ends_at=start + timedelta(hours=1), publish=True)
    first, second, third = series.events.order_by("starts_at")
    html = client.get(first.get_absolute_url()).content.decode()
    assert second.get_absolute_url() in html and third.get_absolute_url() in html
    section = html.split("Other dates in this series")[1].split("</section>")[0]
    assert first.get_absolute_url() not in section and second.get_absolute_url() in section


def test_pagination_keeps_filters_encoded(make_event, manager, client):
    for i in range(21):
        make_event(title=f"E{i}", tags=["a b"], starts_in=timedelta(days=i + 1))
    html = client.get("/events/?tag=a-b&host=x%26y").content.decode()
    assert "No upcoming events" in html  # no host x&y
    html = client.get("/events/?tag=a-b&format=in_person").content.decode()
    assert "?page=2&amp;format=in_person&amp;tag=a-b" in html


def test_my_events_lists_answers_with_constant_queries(make_event, member, login, django_assert_max_num_queries):
    browser = login(member)
    declined = make_event(title="Declined thing")
    rsvp_set(member=member, event=declined, status="not_going")
    browser.get("/events/mine/")
    counts = []
    for n in (2, 20):
        while member.event_rsvps.exclude(status="not_going").count() < n:
            rsvp_set(member=member, event=make_event(title=f"Mine {member.event_rsvps.count()}", tags=["t"]),
                     status="going")
        with django_assert_max_num_queries(LIST_QUERIES) as captured:
            response = browser.get("/events/mine/")
        counts.append(own(captured))
    html = response.content.decode()
    assert html.count("Mine ") == 20 and "Declined thing" not in html and "Going" in html
    assert counts[0] == counts[1]
