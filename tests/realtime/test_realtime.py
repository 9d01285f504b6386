"""community.realtime: names, ids, the durable backlog, publishing only after commit."""

from __future__ import annotations

import pytest
from django.db import transaction

from community import realtime
from community.live import selectors
from community.live.models import StreamCounter, StreamEvent


def test_stream_names_are_built_and_parsed_in_one_place():
    assert realtime.topic_stream(12) == "topic.12"
    assert realtime.category_stream(3) == "category.3"
    assert realtime.latest_stream() == "latest"
    assert realtime.member_stream(7) == "member.7"
    assert realtime.event_stream(9) == "event.9"
    assert realtime.group_name("topic.12") == "live.topic.12"
    assert realtime.member_presence_key(7) == "presence:member:7"
    parsed = realtime.parse_stream("topic.12")
    assert (parsed.kind, parsed.object_id, parsed.is_list) == ("topic", 12, False)
    assert realtime.parse_stream("latest").is_list
    for bad in ("topic.", "topic.0", "topic.-1", "topic.1x", "room.1", "latest.1", "", None, 12, "topic.1 ", "x" * 50):
        assert realtime.parse_stream(bad) is None, bad


@pytest.mark.django_db(transaction=True)
def test_ids_increase_per_stream_and_events_are_kept():
    for n in range(3):
        realtime.publish_on_commit("topic.1", {"type": "forum.post", "op": "add", "n": n})
    realtime.publish_on_commit("topic.2", {"type": "forum.post", "op": "add", "n": 9})
    assert list(StreamEvent.objects.on_stream("topic.1").values_list("seq", "payload__n")) == [(1, 0), (2, 1), (3, 2)]
    assert selectors.stream_heads(["topic.1", "topic.2", "topic.3"]) == {"topic.1": 3, "topic.2": 1, "topic.3": 0}


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_event_takes_its_id_back():
    with pytest.raises(RuntimeError), transaction.atomic():
        realtime.publish_on_commit("topic.1", {"type": "forum.post", "op": "add"})
        raise RuntimeError("the action failed")
    assert not StreamEvent.objects.exists()
    assert selectors.stream_head("topic.1") == 0
    realtime.publish_on_commit("topic.1", {"type": "forum.post", "op": "add"})
    assert list(StreamEvent.objects.values_list("seq", flat=True)) == [1]


@pytest.mark.django_db(transaction=True)
def test_nothing_is_sent_before_commit(monkeypatch):
    sent = []
    monkeypatch.setattr(realtime, "_send", sent.append)
    with transaction.atomic():
        realtime.publish_on_commit("latest", {"type": "forum.topic", "op": "add", "topic_id": 4, "category_id": 2})
        assert sent == []
    assert len(sent) == 1
    message = sent[0]
    assert (message["stream"], message["id"], message["category_id"], message["topic_id"]) == ("latest", 1, 2, 4)
    assert message["type"] == realtime.EVENT_MESSAGE
    assert '"event":{"type":"forum.topic"' in message["text"]


@pytest.mark.django_db(transaction=True)
def test_backlog_is_bounded_and_reports_resync(settings):
    settings.REALTIME_BACKLOG = 5
    for n in range(12):
        realtime.publish_on_commit("topic.1", {"type": "forum.post", "op": "add", "n": n})
    kept = list(StreamEvent.objects.on_stream("topic.1").values_list("seq", flat=True))
    assert kept == [8, 9, 10, 11, 12]
    assert StreamCounter.objects.get(stream="topic.1").last_seq == 12

    caught_up = selectors.backlog_after("topic.1", 9)
    assert not caught_up.resync
    assert [event.seq for event in caught_up.events] == [10, 11, 12]
    complete = selectors.backlog_after("topic.1", 7)  # 8 is the oldest kept: after 7 nothing is missing
    assert not complete.resync and [event.seq for event in complete.events] == [8, 9, 10, 11, 12]
    behind = selectors.backlog_after("topic.1", 3)
    assert behind.resync and behind.head == 12
    assert selectors.backlog_after("topic.1", 12).events == []
    assert selectors.backlog_after("topic.1", 99).resync  # ids this database never gave out
    assert selectors.events_between("topic.1", 9, 12) is not None
    assert selectors.events_between("topic.1", 2, 9) is None


def test_events_must_have_the_one_shape():
    with pytest.raises(ValueError):
        realtime.publish_on_commit("topic.1", {"op": "add"})
    with pytest.raises(ValueError):
        realtime.publish_on_commit("topic.1", {"type": "Forum Post"})
    with pytest.raises(ValueError):
        realtime.publish_on_commit("nowhere.1", {"type": "forum.post", "op": "add"})


@pytest.mark.django_db
def test_live_streams_tag_gives_each_stream_its_current_id():
    from django.template import Context, Template

    realtime.publish_on_commit("topic.5", {"type": "forum.post", "op": "add"})
    realtime.publish_on_commit("topic.5", {"type": "forum.post", "op": "add"})
    html = Template('{% load live %}<main data-live-streams="{% live_streams topic=5 latest=True %}">').render(Context())
    assert html == '<main data-live-streams="topic.5@2 latest@0">'
