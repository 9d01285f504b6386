"""The /ws/ endpoint through the real ASGI stack: every event, permissions, catch-up, abuse."""

from __future__ import annotations

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.utils import timezone

from community import realtime
from community.forum import actions as forum
from community.forum.models import Category, Post
from community.live import presence
from community.live.models import StreamEvent

pytestmark = pytest.mark.django_db(transaction=True)

db = database_sync_to_async


def kinds(frames):
    return [(frame["event"]["type"], frame["event"].get("op")) for frame in frames]


# --- Connecting -----------------------------------------------------------------------------------------

async def test_a_disallowed_origin_is_rejected(connect):
    assert (await connect(origin=b"http://evil.example", expect_accept=False))[0] is False
    assert (await connect(origin=None, expect_accept=False))[0] is False
    socket = await connect(origin=b"http://testserver")
    await socket.send({"type": "ping"})
    assert await socket.recv() == {"type": "pong"}


async def test_a_suspended_member_cannot_connect(connect, member):
    member.suspended_until = timezone.now() + timedelta(days=1)
    await db(member.save)()
    connected, code = await connect(member, expect_accept=False)
    assert connected is False


# --- Topic stream: every event ----------------------------------------------------------------------------

async def test_topic_stream_carries_replies_edits_deletions_reactions_answers_and_state(
        connect, make_topic, areply, moderator, member):
    qa = await db(Category.objects.create)(name="Questions", slug="questions", qa_mode=True)
    topic = await db(make_topic)(qa)
    stream = realtime.topic_stream(topic.pk)
    socket = await connect()  # anonymous: the category is public
    frames = await socket.subscribe(stream)
    assert frames[-1]["type"] == "subscribed"
    start = frames[-1]["last_id"]

    post = await areply(topic, "Try **vinegar**.", member)
    [added] = await socket.events(1)  # one frame per reply: the post carries the topic's new counts
    assert added["id"] == start + 1
    assert added["stream"] == stream
    assert added["event"] | {"html": None} == {"type": "forum.post", "op": "add", "topic_id": topic.pk,
                                               "post_id": post.pk, "number": 2, "html": None, "reply_count": 1,
                                               "last_post_number": 2}
    assert "<strong>vinegar</strong>" in added["event"]["html"]
    assert await socket.nothing(0.3)  # no forum.topic frame follows on the topic stream

    await db(forum.post_edit)(editor=member, post=post, raw="Try **lemon**.")
    edited = await socket.frame_of(lambda f: f.get("event", {}).get("type") == "forum.post")
    assert edited["event"]["op"] == "change" and "lemon" in edited["event"]["html"]

    await db(forum.reaction_toggle)(user=moderator, post=post, kind="like")
    reaction = await socket.frame_of(lambda f: f.get("event", {}).get("type") == "forum.reaction")
    assert reaction["event"]["counts"] == {"like": 1} and reaction["event"]["post_id"] == post.pk

    await db(forum.answer_accept)(actor=moderator, post=post)
    accepted = await socket.frame_of(lambda f: f.get("event", {}).get("type") == "forum.topic")
    assert accepted["event"]["accepted_answer_id"] == post.pk

    await db(forum.topic_lock)(actor=moderator, topic=topic)
    locked = await socket.frame_of(lambda f: f.get("event", {}).get("type") == "forum.topic")
    assert locked["event"]["locked"] is True

    await db(forum.topic_close)(actor=moderator, topic=topic)
    closed = await socket.frame_of(lambda f: f.get("event", {}).get("type") == "forum.topic")
    assert closed["event"]["closed"] is True

    await db(forum.post_delete)(actor=moderator, post=await db(Post.objects.get)(pk=post.pk))
    removed = await socket.frame_of(lambda f: f.get("event", {}).get("type") == "forum.post")
    assert removed["event"]["op"] == "remove" and removed["event"]["post_id"] == post.pk

    # Ids on the stream went up by one each time, with nothing skipped.
    ids = [added["id"], edited["id"], reaction["id"], accepted["id"], locked["id"], closed["id"], removed["id"]]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    stored = await db(lambda: list(StreamEvent.objects.filter(stream=stream).values_list("seq", flat=True)))()
    assert stored == list(range(1, stored[-1] + 1)) and set(ids) <= set(stored)


async def test_ephemeral_events_have_no_id_and_are_not_kept(connect, make_topic, public_category):
    topic = await db(make_topic)(public_category)
    stream = realtime.topic_stream(topic.pk)
    socket = await connect()
    await socket.subscribe(stream)
    await realtime.apublish(stream, {"type": "forum.notice", "op": "add", "text": "Maintenance at noon"})
    frame = await socket.frame_of(lambda f: f.get("event", {}).get("type") == "forum.notice")
    assert frame["id"] is None
    assert not await db(StreamEvent.objects.filter(payload__type="forum.notice").exists)()


async def test_event_stream_carries_seats(connect, member):
    from events.models import Event

    now = timezone.now()
    event = await db(Event.objects.create)(title="Tasting", slug="tasting", starts_at=now + timedelta(days=2),
                                           ends_at=now + timedelta(days=2, hours=2), status="published",
                                           visibility="public", capacity=10)
    draft = await db(Event.objects.create)(title="Secret", slug="secret", starts_at=now + timedelta(days=2),
                                           ends_at=now + timedelta(days=2, hours=2), status="draft")
    socket = await connect(member)
    assert (await socket.subscribe(realtime.event_stream(draft.pk)))[-1]["code"] == "forbidden"
    await socket.subscribe(realtime.event_stream(event.pk))
    await db(realtime.publish_on_commit)(realtime.event_stream(event.pk),
                                         {"type": "events.seats", "op": "change", "event_id": event.pk,
                                          "seats_left": 9})
    frame = (await socket.events(1))[0]
    assert frame["event"]["seats_left"] == 9 and frame["stream"] == f"event.{event.pk}"


# --- Permissions ------------------------------------------------------------------------------------------

async def test_anonymous_sockets_only_get_public_topics(connect, make_topic, public_category, members_category,
                                                        restricted_category, member, make_member, insiders):
    public = await db(make_topic)(public_category)
    members_only = await db(make_topic)(members_category)
    restricted = await db(make_topic)(restricted_category)
    anonymous = await connect()
    assert (await anonymous.subscribe(f"topic.{public.pk}"))[-1]["type"] == "subscribed"
    assert (await anonymous.subscribe(f"topic.{members_only.pk}"))[-1] == {
        "type": "error", "code": "forbidden", "stream": f"topic.{members_only.pk}"}
    assert (await anonymous.subscribe(f"topic.{restricted.pk}"))[-1]["code"] == "forbidden"
    assert (await anonymous.subscribe(f"category.{restricted_category.pk}"))[-1]["code"] == "forbidden"
    assert (await anonymous.subscribe("topic.999999"))[-1]["code"] == "forbidden"

    signed_in = await connect(member)
    assert (await signed_in.subscribe(f"topic.{members_only.pk}"))[-1]["type"] == "subscribed"
    assert (await signed_in.subscribe(f"topic.{restricted.pk}"))[-1]["code"] == "forbidden"

    insider = await db(make_member)()
    await db(insider.groups.add)(insiders)
    inside = await connect(insider)
    assert (await inside.subscribe(f"topic.{restricted.pk}"))[-1]["type"] == "subscribed"


async def test_member_streams_are_only_for_the_member(connect, member, other_member):
    anonymous = await connect()
    assert (await anonymous.subscribe(f"member.{member.pk}"))[-1]["code"] == "forbidden"
    other = await connect(other_member)
    assert (await other.subscribe(f"member.{member.pk}"))[-1]["code"] == "forbidden"
    await db(realtime.publish_on_commit)(f"member.{member.pk}", {"type": "notifications.notification", "op": "add",
                                                                 "unread": 1})
    assert await other.nothing()
    assert await anonymous.nothing()


async def test_access_revoked_while_connected_stops_within_seconds(connect, make_topic, restricted_category, areply,
                                                                     make_member, insiders):
    topic = await db(make_topic)(restricted_category)
    insider = await db(make_member)()
    await db(insider.groups.add)(insiders)
    socket = await connect(insider)
    await socket.subscribe(f"topic.{topic.pk}")
    await areply(topic, "Before")
    assert len(await socket.events(1)) == 1

    await db(insider.groups.remove)(insiders)  # the role is taken away, nobody tells the socket
    revoked = await socket.frame_of(lambda f: f["type"] == "revoked", timeout=3)
    assert revoked == {"type": "revoked", "stream": f"topic.{topic.pk}"}
    await areply(topic, "After")
    assert await socket.nothing(0.5)


async def test_access_changed_event_rechecks_at_once(connect, settings, make_topic, public_category, member,
                                                     moderator):
    settings.REALTIME_RECHECK_SECONDS = 60  # only the event can explain a prompt reaction
    topic = await db(make_topic)(public_category)
    socket = await connect(member)
    await socket.subscribe(f"topic.{topic.pk}")
    await db(forum.member_suspend)(actor=moderator, member=member, days=3, reason="Spam")
    await db(realtime.publish_on_commit)(realtime.member_stream(member.pk), {"type": "access.changed"})
    assert (await socket.frame_of(lambda f: f["type"] == "error"))["code"] == "not_allowed"
    closing = await socket.output()
    assert closing == {"type": "websocket.close", "code": 4003}


async def test_list_streams_drop_events_the_member_may_not_see(connect, make_topic, public_category,
                                                               restricted_category, areply, member):
    public = await db(make_topic)(public_category)
    restricted = await db(make_topic)(restricted_category)
    socket = await connect(member)
    await socket.subscribe("latest")
    await socket.subscribe(f"category.{public_category.pk}")
    await areply(restricted, "Hidden from the member")
    await areply(public, "Seen by the member")
    first, second = await socket.events(2)
    assert {first["stream"], second["stream"]} == {"latest", f"category.{public_category.pk}"}
    assert first["event"]["topic_id"] == second["event"]["topic_id"] == public.pk
    assert await socket.nothing()


# --- No lost updates ------------------------------------------------------------------------------------

async def test_catch_up_after_reconnect_delivers_exactly_the_visible_posts_in_order_once(
        connect, make_topic, public_category, members_category, restricted_category, reply, member):
    topics = [await db(make_topic)(category) for category in
              (public_category, members_category, public_category, restricted_category, members_category)]
    socket = await connect(member)
    last_id = (await socket.subscribe("latest"))[-1]["last_id"]
    await socket.close()  # offline

    for index, topic in enumerate(topics):  # five posts, one in a category the member cannot see
        await db(reply)(topic, f"Post {index}")

    socket = await connect(member)
    frames = await socket.subscribe("latest", last_id=last_id)
    events = [frame for frame in frames if frame["type"] == "event"]
    visible = [topic.pk for topic in topics if topic.category_id != restricted_category.pk]
    assert [frame["event"]["topic_id"] for frame in events] == visible
    assert [frame["id"] for frame in events] == sorted(frame["id"] for frame in events)
    assert frames[-1] == {"type": "subscribed", "stream": "latest", "last_id": last_id + 5}
    assert await socket.nothing()

    # A live event afterwards continues the sequence without repeating anything.
    await db(reply)(topics[0], "Live again")
    (live,) = await socket.events(1)
    assert live["id"] == last_id + 6 and live["event"]["topic_id"] == topics[0].pk


async def test_catch_up_on_a_topic_after_being_offline(connect, make_topic, public_category, reply):
    topic = await db(make_topic)(public_category)
    stream = f"topic.{topic.pk}"
    socket = await connect()
    last_id = (await socket.subscribe(stream))[-1]["last_id"]
    await socket.close()  # nobody in this process listens to the stream now: the events only reach the backlog
    posts = [await db(reply)(topic, f"Reply {n}") for n in range(3)]

    socket = await connect()
    frames = await socket.subscribe(stream, last_id=last_id)
    added = [frame["event"]["post_id"] for frame in frames
             if frame["type"] == "event" and frame["event"]["type"] == "forum.post"]
    assert added == [post.pk for post in posts]
    # one event per reply on the topic stream, none skipped
    assert [frame["id"] for frame in frames if frame["type"] == "event"] == list(range(last_id + 1, last_id + 4))


async def test_too_far_behind_gets_an_explicit_resync(connect, settings, make_topic, public_category, reply):
    settings.REALTIME_BACKLOG = 3
    topic = await db(make_topic)(public_category)
    for n in range(4):
        await db(reply)(topic, f"Reply {n}")  # 8 events on the topic stream; the backlog keeps 3
    socket = await connect()
    frames = await socket.subscribe(f"topic.{topic.pk}", last_id=1)
    head = await db(lambda: StreamEvent.objects.filter(stream=f"topic.{topic.pk}").order_by("-seq").first().seq)()
    assert frames == [{"type": "resync", "stream": f"topic.{topic.pk}", "last_id": head},
                      {"type": "subscribed", "stream": f"topic.{topic.pk}", "last_id": head}]


async def test_duplicates_are_dropped_and_gaps_are_filled_from_the_backlog(connect, monkeypatch, make_topic,
                                                                            public_category):
    topic = await db(make_topic)(public_category)
    stream = f"topic.{topic.pk}"
    socket = await connect()
    start = (await socket.subscribe(stream))[-1]["last_id"]

    sent = []
    monkeypatch.setattr(realtime, "_send", sent.append)  # the pub/sub messages get lost in transit
    for n in range(3):
        await db(realtime.publish_on_commit)(stream, {"type": "forum.post", "op": "add", "n": n})
    monkeypatch.undo()
    layer = get_channel_layer()
    # Only the third arrives, then the first again: the consumer fetches 1-2 from the backlog, drops the repeat.
    await layer.group_send(realtime.group_name(stream), sent[2])
    await layer.group_send(realtime.group_name(stream), sent[0])
    frames = await socket.events(3)
    assert [frame["event"]["n"] for frame in frames] == [0, 1, 2]
    assert [frame["id"] for frame in frames] == [start + 1, start + 2, start + 3]
    assert await socket.nothing()


# --- Member stream ----------------------------------------------------------------------------------------

async def test_notifications_reach_every_tab_of_the_member(connect, make_topic, public_category, areply, member,
                                                           other_member):
    from community.notifications.models import Notification

    topic = await db(make_topic)(public_category, author=member)
    unread_before = await db(Notification.objects.filter(recipient=member, read_at__isnull=True).count)()
    tabs = [await connect(member), await connect(member)]
    for tab in tabs:
        await tab.subscribe(f"member.{member.pk}")
        snapshot = await tab.frame_of(lambda f: f["type"] == "event")
        assert snapshot["event"] == {"type": "notifications.notification", "op": "change", "unread": unread_before}
    await areply(topic, f"Hello @{member.handle}", other_member)
    unread_after = await db(Notification.objects.filter(recipient=member, read_at__isnull=True).count)()
    assert unread_after > unread_before
    for tab in tabs:
        frame = await tab.frame_of(lambda f: f.get("event", {}).get("type") == "notifications.notification"
                                   and f["event"]["unread"] == unread_after)
        assert frame["id"] is not None and frame["event"]["html"]


async def test_counts_are_resynced_on_reconnect(connect, make_topic, public_category, areply, member, other_member):
    from community.notifications.models import Notification

    topic = await db(make_topic)(public_category, author=member)
    await areply(topic, "A reply while the member is away", other_member)
    unread = await db(Notification.objects.filter(recipient=member, read_at__isnull=True).count)()
    assert unread >= 1
    socket = await connect(member)
    await socket.subscribe(f"member.{member.pk}")
    snapshot = await socket.frame_of(lambda f: f["type"] == "event")
    assert snapshot["id"] is None and snapshot["event"]["unread"] == unread


# --- Presence and typing ----------------------------------------------------------------------------------

async def test_readers_are_counted(connect, monkeypatch, make_topic, public_category, member):
    monkeypatch.setattr(presence, "ANNOUNCE_INTERVAL", 0.1)
    topic = await db(make_topic)(public_category)
    stream = f"topic.{topic.pk}"
    first = await connect(member)
    await first.subscribe(stream)
    second = await connect()
    await second.subscribe(stream)
    readers = await first.frame_of(lambda f: f.get("event", {}).get("type") == "live.readers"
                                   and f["event"]["count"] == 2)
    assert readers["id"] is None
    await second.close()
    assert (await first.frame_of(lambda f: f.get("event", {}).get("type") == "live.readers"
                                 and f["event"]["count"] == 1))


async def test_typing_is_shown_to_others_and_rate_limited(connect, make_topic, public_category, member,
                                                          other_member):
    topic = await db(make_topic)(public_category)
    stream = f"topic.{topic.pk}"
    writer, reader, anonymous = await connect(member), await connect(other_member), await connect()
    for socket in (writer, reader, anonymous):
        await socket.subscribe(stream)
    await writer.send({"type": "typing", "stream": stream})
    typing = await reader.frame_of(lambda f: f.get("event", {}).get("type") == "live.typing")
    assert typing["event"] | {"name": None} == {"type": "live.typing", "op": "add", "member_id": member.pk,
                                                "name": None, "expires_in": 6}
    assert typing["event"]["name"] == member.name
    await writer.send({"type": "typing", "stream": stream})
    assert (await writer.frame_of(lambda f: f["type"] == "error")) == {"type": "error", "code": "rate_limited",
                                                                        "stream": stream}
    await anonymous.send({"type": "typing", "stream": stream})
    assert (await anonymous.frame_of(lambda f: f["type"] == "error"))["code"] == "forbidden"
    own = []
    while not await writer.nothing(0.3):
        own.append(await writer.recv())
    assert not [f for f in own if f.get("event", {}).get("type") == "live.typing"]  # not echoed to the writer


# --- Abuse ------------------------------------------------------------------------------------------------

async def test_frames_over_64_kb_are_refused(connect):
    socket = await connect()
    await socket.send('{"type":"ping","pad":"' + "x" * (64 * 1024) + '"}')
    assert await socket.output() == {"type": "websocket.close", "code": 1009}


async def test_bad_frames_get_error_frames_and_the_socket_lives_on(connect):
    socket = await connect()
    for frame, code in [
        ("{not json", "malformed"),
        ("[1, 2]", "malformed"),
        ('{"no": "type"}', "malformed"),
        ('{"type": "launch"}', "unknown_type"),
        ('{"type": "subscribe", "stream": "../../etc"}', "unknown_stream"),
        ('{"type": "subscribe", "stream": "latest", "last_id": "7"}', "malformed"),
        ('{"type": "subscribe", "stream": "latest", "last_id": -1}', "malformed"),
        ('{"type": "unsubscribe", "stream": "latest"}', "not_subscribed"),
    ]:
        await socket.send(frame)
        reply = await socket.recv()
        assert reply["type"] == "error" and reply["code"] == code, (frame, reply)
        assert "Traceback" not in str(reply)
    await socket.send({"type": "ping"})
    assert await socket.recv() == {"type": "pong"}


async def test_a_flood_of_client_frames_is_rate_limited_then_closed(connect):
    socket = await connect()
    for _ in range(80):
        await socket.send({"type": "ping"})
    codes = []
    while True:
        output = await socket.output()
        if output["type"] == "websocket.close":
            assert output["code"] == 1008
            break
        codes.append(output["text"])
    assert any('"rate_limited"' in text for text in codes)
    assert sum('"pong"' in text for text in codes) <= 30


async def test_unsubscribe_stops_the_stream(connect, make_topic, public_category, areply):
    topic = await db(make_topic)(public_category)
    socket = await connect()
    await socket.subscribe(f"topic.{topic.pk}")
    await socket.send({"type": "unsubscribe", "stream": f"topic.{topic.pk}"})
    assert (await socket.frame_of(lambda f: f["type"] == "unsubscribed"))["stream"] == f"topic.{topic.pk}"
    await areply(topic)
    assert await socket.nothing(0.4)


async def test_many_streams_on_one_socket_are_capped(connect, monkeypatch, make_topic, public_category):
    from community.live import consumers

    monkeypatch.setattr(consumers, "MAX_STREAMS", 2)
    socket = await connect()
    topic = await db(make_topic)(public_category)
    assert (await socket.subscribe(f"event.{topic.pk + 1000}"))[-1]["code"] == "forbidden"  # does not count
    assert (await socket.subscribe(f"topic.{topic.pk}"))[-1]["type"] == "subscribed"
    assert (await socket.subscribe("latest"))[-1]["type"] == "subscribed"
    assert (await socket.subscribe(f"category.{public_category.pk}"))[-1]["code"] == "too_many_streams"
    assert (await socket.subscribe("latest"))[-1]["code"] == "already_subscribed"
