"""The one door to the channel layer.

CONTRACT (actions call this, keep the signatures): events have one shape everywhere,
`{"type": "<app>.<noun>", "op": "add|change|remove", ...}`, and are published only after commit:

    from community import realtime
    realtime.publish_on_commit(realtime.topic_stream(topic.pk), {"type": "forum.post", "op": "add", ...})

Stream names: topic_stream(topic_id), category_stream(category_id), latest_stream(), member_stream(user_id),
event_stream(event_id).
"""

from __future__ import annotations


def topic_stream(topic_id: int) -> str:
    return f"topic.{topic_id}"


def category_stream(category_id: int) -> str:
    return f"category.{category_id}"


def latest_stream() -> str:
    return "latest"


def member_stream(user_id: int) -> str:
    return f"member.{user_id}"


def event_stream(event_id: int) -> str:
    return f"event.{event_id}"


def publish_on_commit(stream: str, event: dict) -> None:
    """Publish `event` on `stream` once the current transaction commits (placeholder until realtime lands)."""
    return None
