"""Digest selection, permissions, emptiness, activity, time-zone scheduling and exactly-once sending."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Group
from django.core import mail as djmail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Delivery, DigestFrequency, MemberSettings
from community.forum.models import AccessLevel, Subscription, SubscriptionLevel
from community.notifications.digest import build_digest, build_digests, send_due_digests
from community.notifications.models import DigestDelivery, Notification

# Monday 23 November 2026, 04:30 UTC = 07:30 in Nairobi (UTC+3) = 23:30 Sunday in New York (UTC-5).
NAIROBI_MORNING = datetime(2026, 11, 23, 4, 30, tzinfo=UTC)
# Monday 12:30 UTC = 07:30 in New York, 15:30 in Nairobi.
NEW_YORK_MORNING = datetime(2026, 11, 23, 12, 30, tzinfo=UTC)
NOW = NAIROBI_MORNING


@pytest.fixture
def away(make_member):
    """A member in Nairobi who last visited ten days ago."""
    def make(**fields):
        fields.setdefault("time_zone", "Africa/Nairobi")
        return make_member(last_seen_at=NOW - timedelta(days=10), **fields)

    return make


@pytest.fixture
def reader(away):
    return away(display_name="Amani")


@pytest.fixture
def category(make_category):
    return make_category(name="Speakers")


@pytest.fixture
def recent():
    return NOW - timedelta(days=1)


def _titles(digest):
    return [t.title for t in digest.topics] if digest else []


def test_unread_topics_of_watched_categories_only(reader, category, make_category, make_topic, watch, read_topic,
                                                  recent):
    watch(reader, category)
    unread = make_topic(category=category, title="Unread", replies=2, at=recent)
    read = make_topic(category=category, title="Read already", replies=2, at=recent)
    read_topic(reader, read)
    partly = make_topic(category=category, title="Partly read", replies=3, at=recent)
    read_topic(reader, partly, number=2)
    make_topic(category=make_category(), title="Not followed", replies=5, at=recent)
    make_topic(category=category, title="Too old", replies=5, at=NOW - timedelta(days=30))
    gone = make_topic(category=category, title="Deleted", replies=5, at=recent)
    gone.deleted_at = recent
    gone.save()
    muted = make_topic(category=category, title="Muted", replies=5, at=recent)
    Subscription.objects.create(user=reader, topic=muted, level=SubscriptionLevel.MUTED)
    make_topic(category=category, title="My own", author=reader, at=recent)

    digest = build_digest(reader, NOW)
    assert sorted(_titles(digest)) == ["Partly read", "Unread"]
    partly_item = next(t for t in digest.topics if t.title == "Partly read")
    assert partly_item.unread_posts == 2 and partly_item.url.endswith("/3")


def test_best_topics_first(reader, category, make_topic, watch, recent):
    watch(reader, category)
    make_topic(category=category, title="Quiet", replies=1, at=recent)
    make_topic(category=category, title="Busy", replies=6, at=recent)
    make_topic(category=category, title="Loved", replies=1, like_count=10, at=recent)
    assert _titles(build_digest(reader, NOW)) == ["Loved", "Busy", "Quiet"]


def test_followed_tags_bring_topics_from_other_categories(reader, make_category, make_topic, recent):
    from taggit.models import Tag

    from community.content.models import TagFollow

    make_topic(category=make_category(), title="Tagged", tags=["bluetooth"], at=recent, replies=1)
    make_topic(category=make_category(), title="Other tag", tags=["battery"], at=recent, replies=1)
    TagFollow.objects.create(member=reader, tag=Tag.objects.get(name="bluetooth"))
    assert _titles(build_digest(reader, NOW)) == ["Tagged"]


def test_a_topic_in_a_category_the_member_cannot_see_never_appears(reader, away, make_category, make_topic, watch,
                                                                  recent):
    insiders = Group.objects.create(name="Insiders")
    secret = make_category(name="Secret", access_level=AccessLevel.ROLES, groups=[insiders])
    make_topic(category=secret, title="Secret plans", replies=3, at=recent)
    insider = away()
    insider.groups.add(insiders)
    for member in (reader, insider):
        watch(member, secret)  # a stale subscription must not leak anything
    assert build_digest(reader, NOW) is None
    assert _titles(build_digest(insider, NOW)) == ["Secret plans"]


def test_bulk_visibility_matches_the_forum_rule(away, moderator, make_category):
    from community.forum.permissions import visible_category_ids
    from community.notifications.digest.builder import DigestBuilder

    insiders = Group.objects.create(name="Insiders")
    make_category(access_level=AccessLevel.PUBLIC)
    make_category(access_level=AccessLevel.MEMBERS)
    make_category(access_level=AccessLevel.ROLES, groups=[insiders])
    category_moderated = make_category(access_level=AccessLevel.ROLES)
    plain, insider, local_mod = away(), away(), away()
    insider.groups.add(insiders)
    category_moderated.moderators.add(local_mod)
    members = [plain, insider, local_mod, moderator]
    builder = DigestBuilder(members, NOW)
    builder.build()
    for member in members:
        expected = visible_category_ids(member)
        from community.forum.models import Category

        expected = set(Category.objects.values_list("id", flat=True)) if expected is None else expected
        assert builder.visible[member.pk] == expected, member


def test_answers_to_my_questions(reader, category, make_topic, read_topic, recent):
    question = make_topic(category=category, author=reader, title="My question", replies=2, at=recent)
    digest = build_digest(reader, NOW)
    assert [(a.title, a.count) for a in digest.answers] == [("My question", 2)]
    assert digest.answers[0].url.endswith("/2")
    read_topic(reader, question)
    assert build_digest(reader, NOW) is None


def test_digest_notifications_are_included(reader, make_member, set_pref):
    from community.notifications.actions import notify

    set_pref(reader, "watching", Delivery.DIGEST)
    notify(recipient=reader, kind="watching", actor=make_member(display_name="Ana"), url="/t/x/1",
           data={"title": "New speaker firmware"})
    Notification.objects.update(created_at=NOW - timedelta(hours=2), updated_at=NOW - timedelta(hours=2))
    digest = build_digest(reader, NOW)
    assert [n.title for n in digest.notifications] == ["New speaker firmware"]
    Notification.objects.update(read_at=NOW)
    assert build_digest(reader, NOW) is None


def test_nothing_worth_sending_sends_nothing(reader):
    assert build_digest(reader, NOW) is None
    counts = send_due_digests(NOW)
    assert counts == {DigestDelivery.Status.EMPTY: 1}
    assert djmail.outbox == []
    assert MemberSettings.objects.get(user=reader).last_digest_at is None


def test_upcoming_events_near_the_members_time_zone_and_new_tips(reader, category, make_topic, watch, recent):
    from community.content.models import Article
    from events.models import Event, Format, Status

    watch(reader, category)
    make_topic(category=category, title="Something", replies=1, at=recent)
    start = NOW + timedelta(days=3)
    Event.objects.create(title="Nairobi meetup", slug="nbo", starts_at=start, ends_at=start + timedelta(hours=2),
                         time_zone="Africa/Nairobi", status=Status.PUBLISHED)
    Event.objects.create(title="Webinar", slug="web", starts_at=start, ends_at=start + timedelta(hours=1),
                         time_zone="America/Los_Angeles", format=Format.ONLINE, status=Status.PUBLISHED)
    Event.objects.create(title="Seattle meetup", slug="sea", starts_at=start, ends_at=start + timedelta(hours=2),
                         time_zone="America/Los_Angeles", status=Status.PUBLISHED)
    Event.objects.create(title="Draft", slug="draft", starts_at=start, ends_at=start + timedelta(hours=2),
                         time_zone="Africa/Nairobi")
    Article.objects.create(title="Pairing tips", slug="pairing", body="b", body_html="<p>b</p>", language="en",
                           status="published", publish_at=recent)
    Article.objects.create(title="Vidokezo", slug="vidokezo", body="b", body_html="<p>b</p>", language="sw",
                           status="published", publish_at=recent)
    digest = build_digest(reader, NOW)
    assert sorted(e.title for e in digest.events) == ["Nairobi meetup", "Webinar"]
    assert [t.title for t in digest.tips] == ["Pairing tips"]


def test_not_sent_to_active_members(reader, away, category, make_topic, watch, recent):
    active = away()
    active.last_seen_at = NOW - timedelta(hours=3)
    active.save()
    for member in (reader, active):
        watch(member, category)
    make_topic(category=category, replies=2, at=recent)
    send_due_digests(NOW)
    assert [m.to for m in djmail.outbox] == [[reader.email]]


def test_not_sent_to_members_who_visited_since_the_last_digest(reader, category, make_topic, watch, recent):
    watch(reader, category)
    make_topic(category=category, replies=2, at=recent)
    MemberSettings.objects.filter(user=reader).update(last_digest_at=NOW - timedelta(days=7, hours=1))
    reader.last_seen_at = NOW - timedelta(days=2)
    reader.save()
    assert send_due_digests(NOW) == {}
    assert djmail.outbox == []


def test_digest_off_unverified_and_deleted_members_get_nothing(away, category, make_topic, watch, recent):
    off, unverified, deleted = away(), away(verified=False), away()
    MemberSettings.objects.filter(user=off).update(digest_frequency=DigestFrequency.OFF)
    deleted.deleted_at = NOW
    deleted.save()
    for member in (off, unverified, deleted):
        watch(member, category)
    make_topic(category=category, replies=2, at=recent)
    assert send_due_digests(NOW) == {}
    assert djmail.outbox == []


def test_each_time_zone_gets_its_digest_in_its_own_morning(away, category, make_topic, watch, recent):
    nairobi = away(display_name="Amani", time_zone="Africa/Nairobi")
    new_york = away(display_name="Maria", time_zone="America/New_York")
    for member in (nairobi, new_york):
        watch(member, category)
    make_topic(category=category, replies=2, at=recent)

    send_due_digests(NAIROBI_MORNING)
    assert [m.to for m in djmail.outbox] == [[nairobi.email]]
    send_due_digests(NAIROBI_MORNING + timedelta(hours=4))  # 11:30 in Nairobi, 03:30 in New York
    assert len(djmail.outbox) == 1
    send_due_digests(NEW_YORK_MORNING)
    assert [m.to for m in djmail.outbox] == [[nairobi.email], [new_york.email]]


def test_daily_digest_each_morning(reader, category, make_topic, watch):
    MemberSettings.objects.filter(user=reader).update(digest_frequency=DigestFrequency.DAILY)
    watch(reader, category)
    make_topic(category=category, replies=1, at=NOW - timedelta(hours=5))
    send_due_digests(NOW)
    tuesday = NOW + timedelta(days=1)
    make_topic(category=category, replies=1, at=tuesday - timedelta(hours=5))
    send_due_digests(tuesday)
    assert len(djmail.outbox) == 2
    assert DigestDelivery.objects.filter(member=reader).count() == 2


def test_weekly_digest_waits_for_the_weekday(reader, category, make_topic, watch, recent):
    watch(reader, category)
    make_topic(category=category, replies=2, at=recent)
    assert send_due_digests(NOW + timedelta(days=1)) == {}  # Tuesday morning
    assert len(djmail.outbox) == 0


def test_running_again_never_double_sends(reader, category, make_topic, watch, recent):
    watch(reader, category)
    make_topic(category=category, replies=2, at=recent)
    send_due_digests(NOW)
    send_due_digests(NOW)
    send_due_digests(NOW + timedelta(minutes=15))
    call_command("send_digests", now=(NOW + timedelta(minutes=20)).isoformat(), stdout=open("/dev/null", "w"))
    assert len(djmail.outbox) == 1
    assert DigestDelivery.objects.get(member=reader).status == DigestDelivery.Status.SENT
    assert MemberSettings.objects.get(user=reader).last_digest_at == NOW


def test_a_claimed_period_is_never_sent_again_even_after_a_crash(reader, category, make_topic, watch, recent):
    from community.notifications.digest.schedule import period_key

    watch(reader, category)
    make_topic(category=category, replies=2, at=recent)
    local = NOW.astimezone(reader.zoneinfo)
    DigestDelivery.objects.create(member=reader, period=period_key("weekly", local),
                                  status=DigestDelivery.Status.SENDING)
    send_due_digests(NOW)
    assert djmail.outbox == []


def test_digest_email_addressed_by_name_in_the_members_language(away, category, make_topic, watch, recent):
    amani = away(display_name="Amani", locale="sw")
    watch(amani, category)
    make_topic(category=category, title="Spika mpya", replies=2, at=recent)
    send_due_digests(NOW)
    message = djmail.outbox[0]
    assert "Amani" in message.subject and "Amani" in message.body
    assert "Spika mpya" in message.body and "Spika mpya" in message.alternatives[0][0]
    assert 'lang="sw"' in message.alternatives[0][0]
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    from community.notifications import mail

    token = message.extra_headers["List-Unsubscribe"].strip("<>").rstrip("/").rsplit("/", 1)[1]
    assert mail.read_unsubscribe_token(token) == (amani.email, "digest")


def test_a_display_name_with_cr_lf_sends_nothing(away, category, make_topic, watch, recent):
    evil = away(display_name="Eve\r\nBcc: victim@example.org")
    watch(evil, category)
    make_topic(category=category, replies=2, at=recent)
    assert send_due_digests(NOW) == {DigestDelivery.Status.FAILED: 1}
    assert djmail.outbox == []


# --- queries ------------------------------------------------------------------------------------------------

def _queries(fn):
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def test_queries_per_digest_constant_in_followed_categories_and_tags(away, make_category, make_topic, watch, recent):
    from taggit.models import Tag

    from community.content.models import TagFollow

    few, many = away(), away()
    first = make_category()
    watch(few, first)
    make_topic(category=first, replies=1, at=recent, tags=["t0"])
    TagFollow.objects.create(member=few, tag=Tag.objects.get(name="t0"))
    for i in range(12):
        category = make_category()
        watch(many, category)
        make_topic(category=category, replies=2, at=recent, tags=[f"t{i}"])
        TagFollow.objects.create(member=many, tag=Tag.objects.get(name=f"t{i}"))
    build_digest(few, NOW)  # warm the content-type cache
    q_few = _queries(lambda: build_digest(few, NOW))
    q_many = _queries(lambda: build_digest(many, NOW))
    assert q_few == q_many <= 20
    assert len(build_digest(many, NOW).topics) == 5


def test_a_chunk_of_members_costs_the_same_queries_as_one(away, category, make_topic, watch, recent):
    members = [away() for _ in range(10)]
    for member in members:
        watch(member, category)
    make_topic(category=category, replies=2, at=recent)
    build_digests(members[:1], NOW)
    one = _queries(lambda: build_digests(members[:1], NOW))
    two = _queries(lambda: build_digests(members[:2], NOW))
    ten = _queries(lambda: build_digests(members, NOW))
    assert two == ten <= 20
    assert one <= ten  # one member: read states come with the topics
    assert all(d is not None for d in build_digests(members, NOW).values())


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_schedulers_racing_send_one_digest(reader, category, make_topic, watch, recent):
    import threading

    from django.db import connections

    watch(reader, category)
    make_topic(category=category, replies=2, at=recent)
    barrier = threading.Barrier(3)

    def worker():
        try:
            barrier.wait()
            send_due_digests(NOW)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(djmail.outbox) == 1
    assert DigestDelivery.objects.filter(member=reader).count() == 1
