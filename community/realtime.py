"""The one door to the channel layer.

CONTRACT (actions call this, keep the signatures): events have one shape everywhere,
`{"type": "<app>.<noun>", "op": "add|change|remove", ...}`, and are published only after commit:

    from community import realtime
    realtime.publish_on_commit(realtime.topic_stream(topic.pk), {"type": "forum.post", "op": "add", ...})

Stream names: topic_stream(topic_id), category_stream(category_id), latest_stream(), member_stream(user_id),
event_stream(event_id). Every group name, stream name and presence key is built here and nowhere else.

How an event travels (Zulip's send_event_on_commit, with a durable backlog):

1. `publish_on_commit(stream, event)` is called by an action inside its transaction. The event gets the next
   id of its stream right away, inside that transaction (one atomic upsert on `live.StreamCounter`), and is
   stored as a `live.StreamEvent` row. A rollback takes both back; ids therefore become visible in commit
   order and have no holes, which is what lets a consumer fill any gap from the database.
2. After commit it is sent once to the stream's group through the channel layer (Redis pub/sub when REDIS_URL
   is set, so every ASGI process gets it; in-memory otherwise). A failed send loses nothing: clients fetch
   missing ids from the backlog.
3. `community.live.consumers.LiveConsumer` forwards it to the sockets subscribed to the stream, dropping what
   a member may not see (list streams carry `category_id`). A client that reconnects sends the last id it saw
   and gets everything after it, or `{"type": "resync"}` when it is older than the backlog
   (settings.REALTIME_BACKLOG events per stream).

Events may carry `category_id` and `topic_id`: they are stored beside the event as its audience, so list
streams (latest, category) deliver an event only to members who may read that category (or topic).

Access changes: an action that takes access away from a member (a role removed, a suspension, a category made
private) tells the member's open sockets to re-check at once:

    realtime.publish_on_commit(realtime.member_stream(user.pk), {"type": "access.changed"})

Sockets also re-check every settings.REALTIME_RECHECK_SECONDS (default 5) on their own.

`publish(stream, event)` / `apublish(...)` send an ephemeral event now (typing, presence): no id, not stored,
never replayed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, connections, transaction

log = logging.getLogger(__name__)

#: channel-layer message type of a live event; handled by LiveConsumer.live_event.
EVENT_MESSAGE = "live.event"
#: event type that makes a member's sockets re-check their access at once.
ACCESS_CHANGED = "access.changed"

_EVENT_TYPE = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_.]*$")
_STREAM = re.compile(r"^(?:(latest)|(topic|category|member|event)\.([1-9][0-9]{0,17}))$")


# --- Names ------------------------------------------------------------------------------------------------

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


def group_name(stream: str) -> str:
    """The channel-layer group of a stream (letters, digits, dots: valid for every layer)."""
    return f"live.{stream}"


def member_presence_key(member_id: int) -> str:
    """Cache key set while the member has a socket open (read by community.notifications.presence)."""
    return f"presence:member:{member_id}"


def readers_key(stream: str) -> str:
    """Redis sorted set of who is reading a topic now (community.live.presence)."""
    return f"{getattr(settings, 'REALTIME_KEY_PREFIX', 'community')}:live:readers:{stream}"


@dataclass(frozen=True)
class Stream:
    """A parsed stream name: kind is topic, category, latest, member or event."""

    name: str
    kind: str
    object_id: int | None = None

    @property
    def is_list(self) -> bool:
        return self.kind in ("latest", "category")


def parse_stream(stream: object) -> Stream | None:
    """The stream named by a client, or None when the name is not one of ours."""
    if not isinstance(stream, str) or len(stream) > 40:
        return None
    match = _STREAM.match(stream)
    if match is None:
        return None
    if match.group(1):
        return Stream(name=stream, kind="latest")
    return Stream(name=stream, kind=match.group(2), object_id=int(match.group(3)))


# --- Publishing -------------------------------------------------------------------------------------------

def _encode(event: dict) -> str:
    if not isinstance(event, dict) or not isinstance(event.get("type"), str) or not _EVENT_TYPE.match(event["type"]):
        raise ValueError(f"A live event is a dict with a type such as 'forum.post', not {event!r:.80}")
    return json.dumps(event, cls=DjangoJSONEncoder, separators=(",", ":"), ensure_ascii=False)


def _require_stream(stream: str) -> Stream:
    parsed = parse_stream(stream)
    if parsed is None:
        raise ValueError(f"Unknown live stream {stream!r}; build names with community.realtime.*_stream().")
    return parsed


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


def frame_text(stream: str, seq: int | None, event_text: str) -> str:
    """The websocket frame of one event: {"type": "event", "stream", "id", "event": {...}}."""
    return '{"type":"event","stream":%s,"id":%s,"event":%s}' % (
        json.dumps(stream), "null" if seq is None else int(seq), event_text)


def _message(stream: str, seq: int | None, event: dict, event_text: str, *, exclude: str | None = None) -> dict:
    return {
        "type": EVENT_MESSAGE,
        "stream": stream,
        "id": seq,
        "event_type": event.get("type"),
        "category_id": _int_or_none(event.get("category_id")),
        "topic_id": _int_or_none(event.get("topic_id")),
        "exclude": exclude,
        "text": frame_text(stream, seq, event_text),
    }


def _allocate(stream: str, using: str) -> int:
    """Next id of `stream`: one atomic upsert (PostgreSQL and SQLite >= 3.35), the row stays locked until commit."""
    from community.live.models import StreamCounter

    connection = connections[using]
    table = connection.ops.quote_name(StreamCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (stream, last_seq) VALUES (%s, 1) "
            f"ON CONFLICT (stream) DO UPDATE SET last_seq = {table}.last_seq + 1 RETURNING last_seq",
            [stream],
        )
        return int(cursor.fetchone()[0])


def backlog_size() -> int:
    return max(1, int(getattr(settings, "REALTIME_BACKLOG", 500)))


def _store(stream: str, event: dict, using: str) -> int:
    from community.live.models import StreamEvent

    seq = _allocate(stream, using)
    StreamEvent.objects.using(using).create(
        stream=stream, seq=seq, payload=event,
        category_id=_int_or_none(event.get("category_id")), topic_id=_int_or_none(event.get("topic_id")),
    )
    backlog = backlog_size()
    prune_every = max(1, min(50, backlog // 10))
    if seq > backlog and seq % prune_every == 0:
        StreamEvent.objects.using(using).filter(stream=stream, seq__lte=seq - backlog)._raw_delete(using)
    return seq


def publish_on_commit(stream: str, event: dict, *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Publish `event` on `stream` once the current transaction commits; it gets the stream's next id and is
    kept in the backlog for clients that reconnect. Outside a transaction it is stored and sent at once."""
    _require_stream(stream)
    text = _encode(event)
    payload = json.loads(text)
    if connections[using].in_atomic_block:
        seq = _store(stream, payload, using)
    else:
        with transaction.atomic(using=using):
            seq = _store(stream, payload, using)
    message = _message(stream, seq, payload, text)
    transaction.on_commit(lambda: _send(message), using=using)


def _send(message: dict) -> None:
    """Send after commit; failures are logged, never raised (the backlog still has the event).

    Inside the ASGI server (a view running in a worker thread) the send is handed to the server's event loop
    and the request does not wait for it: ids are gapless and consumers fill any gap from the backlog, so a
    send that is late or lost costs nothing but a database read. Elsewhere (management commands, task
    workers) it is sent before returning.
    """
    loop = _server_loop()
    if loop is not None:
        try:
            loop.call_soon_threadsafe(_spawn, message)
            return
        except RuntimeError:  # the loop closed meanwhile
            pass
    from asgiref.sync import async_to_sync

    try:
        async_to_sync(_group_send)(message)
    except Exception:  # noqa: BLE001 - a down channel layer must not fail the request that already committed
        log.exception("realtime: could not send %s#%s", message["stream"], message["id"])


def _server_loop():
    """The event loop of the ASGI server when called from one of its sync worker threads, else None."""
    from asgiref.sync import SyncToAsync

    local = SyncToAsync.threadlocal
    if getattr(local, "main_event_loop_pid", None) != os.getpid():
        return None
    loop = getattr(local, "main_event_loop", None)
    return loop if loop is not None and loop.is_running() and not loop.is_closed() else None


_in_flight: set = set()


def _spawn(message: dict) -> None:
    task = asyncio.get_running_loop().create_task(_safe_group_send(message))
    _in_flight.add(task)
    task.add_done_callback(_in_flight.discard)


async def _safe_group_send(message: dict) -> None:
    try:
        await _group_send(message)
    except Exception:  # noqa: BLE001
        log.exception("realtime: could not send %s#%s", message["stream"], message["id"])


async def _group_send(message: dict) -> None:
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if layer is not None:
        await layer.group_send(group_name(message["stream"]), message)


def publish(stream: str, event: dict) -> None:
    """Send an ephemeral event now (typing, presence): no id, not stored, not replayed. From sync code."""
    _require_stream(stream)
    text = _encode(event)
    _send(_message(stream, None, json.loads(text), text))


async def apublish(stream: str, event: dict, *, exclude_channel: str | None = None) -> None:
    """`publish` for async code (consumers); `exclude_channel` skips the sender's own socket."""
    _require_stream(stream)
    text = _encode(event)
    try:
        await _group_send(_message(stream, None, json.loads(text), text, exclude=exclude_channel))
    except Exception:  # noqa: BLE001
        log.exception("realtime: could not send an ephemeral event on %s", stream)
