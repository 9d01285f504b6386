"""The one websocket endpoint, /ws/: subscribe to streams, catch up, receive live events.

Protocol (JSON text frames):

client -> server
    {"type": "subscribe", "stream": "topic.12", "last_id": 41}   last_id optional (null: from now on)
    {"type": "unsubscribe", "stream": "topic.12"}
    {"type": "typing", "stream": "topic.12"}                      members only, rate limited
    {"type": "ping"}

server -> client
    {"type": "event", "stream": "topic.12", "id": 42, "event": {"type": "forum.post", "op": "add", ...}}
        id is the stream's increasing id (null for ephemeral events: typing, readers, badge snapshots)
    {"type": "subscribed", "stream": "topic.12", "last_id": 45}   after the catch-up: the client is at 45
    {"type": "resync", "stream": "topic.12", "last_id": 990}      too far behind: reload, continue from 990
    {"type": "revoked", "stream": "topic.12"}                     access was taken away; no more events
    {"type": "error", "code": "forbidden|unknown_stream|malformed|unknown_type|rate_limited|...", ...}
    {"type": "pong"}

The consumer is thin: it authenticates (AuthMiddlewareStack), checks permission (community.live.access, in a
thread pool of its own, see read_db), joins groups and forwards. It never writes to the database. Catch-up
sends the backlog after last_id in order; live events that arrive meanwhile are buffered and everything is
de-duplicated by id, so each event arrives once. A live event whose id skips ahead (a lost or reordered
pub/sub message) makes the consumer fetch the missing ids from the backlog first.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial

from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.db import close_old_connections

from community import realtime
from community.live import access, presence, selectors
from community.live.hub import hub

log = logging.getLogger(__name__)

MAX_STREAMS = 20
TYPING_INTERVAL = 3.0  # seconds between two typing events of one socket on one stream
TYPING_TTL = 6  # seconds a client shows "X is typing..." without a new typing event
HEARTBEAT = 20.0  # seconds between presence refreshes
MEMBER_PRESENCE_TTL = 60
MESSAGE_BURST = 20  # client frames allowed at once ...
MESSAGE_RATE = 5.0  # ... refilled at this many per second
FLOOD_CLOSE_AFTER = 20  # rate-limited frames in a row before the socket is closed
ANONYMOUS_ACCESS_TTL = 2.0  # anonymous sockets share their permission checks for this long (per process)

CLOSE_TOO_BIG = 1009
CLOSE_POLICY = 1008
CLOSE_NOT_ALLOWED = 4003


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


@dataclass
class Subscription:
    stream: realtime.Stream
    category_ids: frozenset[int] | None = None
    cursor: int = 0
    catching_up: bool = True
    busy: bool = False  # a delivery waits for the database: later events queue behind it
    buffer: list[dict] = field(default_factory=list)
    topic_visibility: dict[int, bool] = field(default_factory=dict)


class _TokenBucket:
    __slots__ = ("tokens", "updated")

    def __init__(self) -> None:
        self.tokens = float(MESSAGE_BURST)
        self.updated = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(float(MESSAGE_BURST), self.tokens + (now - self.updated) * MESSAGE_RATE)
        self.updated = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


# Reads run in a small pool of threads of their own, not in the one thread that serves Django's sync views: a
# thousand sockets re-checking access must not queue in front of page requests. Each call runs in the worker
# thread's own context (no copied context), so its database connection is the thread's, reused or closed by
# close_old_connections() before and after every call exactly as Django does around a request.
_READS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="live-db")


def _read_in_thread(func, *args):
    close_old_connections()
    try:
        return func(*args)
    finally:
        close_old_connections()


def read_db(func):
    """`await read_db(selector)(args)`: a database read off the event loop."""

    async def call(*args):
        return await asyncio.get_running_loop().run_in_executor(_READS, partial(_read_in_thread, func, *args))

    return call


def _innermost_send(send):
    """The server's own send under channels' session and cookie wrappers. Those act only on HTTP responses
    (save the session, set cookies); a live frame skips them, which matters when one event goes to a
    thousand sockets."""
    for _depth in range(8):
        inner = getattr(getattr(send, "__self__", None), "real_send", None)
        if inner is None:
            break
        send = inner
    return send


# stream -> (expires, future of Access): anonymous sockets of one process share one check at a time.
_anonymous_access: dict[str, tuple[float, asyncio.Future]] = {}


class LiveConsumer(AsyncWebsocketConsumer):
    """One socket per browser tab, any number of streams on it.

    Sockets have no channel of their own: the process's Hub (community.live.hub) receives each stream's
    events once and calls `hub_deliver` on every local subscriber.
    """

    channel_layer_alias = "live-sockets-have-no-channel"  # not configured: no per-socket channel

    # --- connection -------------------------------------------------------------------------------------

    async def connect(self) -> None:
        from django.contrib.auth.models import AnonymousUser

        self.user = self.scope.get("user") or AnonymousUser()
        self.subs: dict[str, Subscription] = {}
        self.member_stream: str | None = None
        self.socket_id = secrets.token_hex(8)
        self.bucket = _TokenBucket()
        self.flood = 0
        self.typing_at: dict[str, float] = {}
        self.recheck_lock = asyncio.Lock()
        self.housekeeping: asyncio.Task | None = None
        self.closed = False
        if self.user.is_authenticated and not access.member_may_connect(self.user):
            await self.close(code=CLOSE_NOT_ALLOWED)
            return
        await self.accept()
        self.frame_send = _innermost_send(self.base_send)
        if self.user.is_authenticated:
            # Always on the member's own stream, for access.changed (the client may not subscribe to it).
            self.member_stream = realtime.member_stream(self.user.pk)
            await hub().join(self.member_stream, self)
            await presence.mark_member_online(self.user.pk, MEMBER_PRESENCE_TTL)
        self.housekeeping = asyncio.get_running_loop().create_task(self._housekeeping())

    async def disconnect(self, code) -> None:
        self.closed = True
        task = getattr(self, "housekeeping", None)
        if task is not None:
            task.cancel()
        for stream in list(getattr(self, "subs", {})):
            await self._drop(stream)
        if getattr(self, "member_stream", None):
            await hub().leave(self.member_stream, self)

    async def dispatch(self, message) -> None:
        # Channels closes old database connections before every message (a thread hop each); live events
        # never touch the database, and every database call here goes through read_db, which does that
        # itself. Unknown channel-layer messages are ignored rather than crashing the socket.
        handler = getattr(self, message.get("type", "").replace(".", "_"), None) if isinstance(message, dict) else None
        if handler is None or message["type"].startswith("_"):
            log.warning("live: ignored message of type %r", message.get("type") if isinstance(message, dict) else None)
            return
        await handler(message)

    # --- client frames ----------------------------------------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None) -> None:
        limit = int(getattr(settings, "REALTIME_MAX_FRAME_BYTES", 64 * 1024))
        size = len(bytes_data or b"") if text_data is None else len(text_data.encode("utf-8", "surrogatepass"))
        if size > limit:
            await self.close(code=CLOSE_TOO_BIG)
            return
        if not self.bucket.take():
            self.flood += 1
            if self.flood >= FLOOD_CLOSE_AFTER:
                await self.close(code=CLOSE_POLICY)
            else:
                await self._error("rate_limited")
            return
        self.flood = 0
        if text_data is None:
            await self._error("malformed", detail="text frames only")
            return
        try:
            message = json.loads(text_data)
        except ValueError:
            await self._error("malformed", detail="invalid JSON")
            return
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            await self._error("malformed", detail="a JSON object with a type is expected")
            return
        handler = {
            "subscribe": self._subscribe,
            "unsubscribe": self._unsubscribe,
            "typing": self._typing,
            "ping": self._ping,
        }.get(message["type"])
        if handler is None:
            await self._error("unknown_type")
            return
        try:
            await handler(message)
        except Exception:  # noqa: BLE001 - the client gets an error frame, never a traceback
            log.exception("live: %s failed", message["type"])
            await self._error("server_error")

    async def _ping(self, message: dict) -> None:
        await self._send_json({"type": "pong"})

    async def _subscribe(self, message: dict) -> None:
        stream = realtime.parse_stream(message.get("stream"))
        if stream is None:
            await self._error("unknown_stream")
            return
        last_id = message.get("last_id")
        if last_id is not None and (isinstance(last_id, bool) or not isinstance(last_id, int) or last_id < 0):
            await self._error("malformed", stream=stream.name, detail="last_id must be a whole number")
            return
        if stream.name in self.subs:
            await self._error("already_subscribed", stream=stream.name)
            return
        if len(self.subs) >= MAX_STREAMS:
            await self._error("too_many_streams", stream=stream.name)
            return
        allowed = await self._access(stream, fresh=False)
        if not allowed.allowed:
            await self._error("forbidden", stream=stream.name)
            return
        if stream.name in self.subs or self.closed:  # a second subscribe raced this one
            return
        sub = Subscription(stream=stream, category_ids=allowed.category_ids)
        self.subs[stream.name] = sub
        # Join first, then read the backlog: whatever commits in between arrives live and is de-duplicated.
        await hub().join(stream.name, self)
        if last_id is None:
            sub.cursor = await read_db(selectors.stream_head)(stream.name)
        else:
            backlog = await read_db(selectors.backlog_after)(stream.name, last_id)
            if self.subs.get(stream.name) is not sub:
                return
            if backlog.resync:
                sub.cursor = backlog.head
                await self._send_json({"type": "resync", "stream": stream.name, "last_id": backlog.head})
            else:
                sub.cursor = last_id
                for stored in backlog.events:
                    await self._deliver_stored(sub, stored)
        if self.subs.get(stream.name) is not sub:
            return
        await self._send_json({"type": "subscribed", "stream": stream.name, "last_id": sub.cursor})
        sub.buffer.sort(key=lambda m: (m.get("id") is not None, m.get("id") or 0))
        sub.catching_up = False
        sub.busy = True
        await self._drain(sub)
        await self._after_subscribe(sub)

    async def _after_subscribe(self, sub: Subscription) -> None:
        if sub.stream.kind == "topic":
            try:
                await presence.join(sub.stream.name, presence.reader_key(self.user, self.socket_id))
                await presence.announce_soon(sub.stream.name)
            except Exception:  # noqa: BLE001 - presence is best effort
                log.exception("live: presence join failed")
        elif sub.stream.kind == "member":
            unread = await read_db(access.unread_notifications)(self.user)
            if unread is not None:
                # Counts are re-synced on every (re)connect: a snapshot, not a stored event.
                snapshot = {"type": "notifications.notification", "op": "change", "unread": unread}
                await self.send(text_data=realtime.frame_text(sub.stream.name, None, json.dumps(snapshot)))

    async def _unsubscribe(self, message: dict) -> None:
        stream = message.get("stream")
        if not isinstance(stream, str) or stream not in self.subs:
            await self._error("not_subscribed")
            return
        await self._drop(stream)
        await self._send_json({"type": "unsubscribed", "stream": stream})

    async def _drop(self, stream: str) -> None:
        sub = self.subs.pop(stream, None)
        if sub is None:
            return
        # The member's own stream stays joined for access.changed while the socket is open.
        if stream != self.member_stream:
            await hub().leave(stream, self)
        if sub.stream.kind == "topic":
            try:
                await presence.leave(stream, presence.reader_key(self.user, self.socket_id))
                await presence.announce_soon(stream)
            except Exception:  # noqa: BLE001 - presence is best effort
                log.exception("live: presence leave failed")

    async def _typing(self, message: dict) -> None:
        stream = message.get("stream")
        sub = self.subs.get(stream) if isinstance(stream, str) else None
        if not self.user.is_authenticated or sub is None or sub.stream.kind != "topic" or self.user.is_silenced():
            await self._error("forbidden", stream=stream if isinstance(stream, str) and len(stream) <= 40 else None)
            return
        now = time.monotonic()
        if now - self.typing_at.get(stream, -TYPING_INTERVAL) < TYPING_INTERVAL:
            await self._error("rate_limited", stream=stream)
            return
        self.typing_at[stream] = now
        await realtime.apublish(stream, {
            "type": "live.typing", "op": "add", "member_id": self.user.pk, "name": self.user.name,
            "expires_in": TYPING_TTL,
        }, exclude_channel=self.socket_id)

    # --- events from the channel layer ------------------------------------------------------------------

    async def hub_deliver(self, message: dict) -> None:
        """An event of one of this socket's streams, from the process's Hub. The common case (the next id, a
        decision that needs no database) is sent at once; anything else queues behind a task."""
        stream = message.get("stream")
        if message.get("event_type") == realtime.ACCESS_CHANGED and stream == self.member_stream:
            asyncio.get_running_loop().create_task(self._recheck(fresh=True))
        sub = self.subs.get(stream)
        if sub is None:
            return
        if sub.catching_up or sub.busy:
            sub.buffer.append(message)
            return
        seq = message.get("id")
        if seq is None:
            if message.get("exclude") != self.socket_id:
                await self.frame_send({"type": "websocket.send", "text": message["text"]})
            return
        if seq <= sub.cursor:
            return  # already delivered (catch-up, or a duplicate)
        if seq == sub.cursor + 1:
            visible = self._visible_now(sub, message.get("category_id"), message.get("topic_id"))
            if visible is not None:
                sub.cursor = seq
                if visible:
                    await self.frame_send({"type": "websocket.send", "text": message["text"]})
                return
        sub.busy = True
        sub.buffer.append(message)
        asyncio.get_running_loop().create_task(self._drain(sub))

    async def _drain(self, sub: Subscription) -> None:
        """Deliver the queued events of `sub` one by one (they may need the database), then go fast again."""
        try:
            while sub.buffer and self.subs.get(sub.stream.name) is sub:
                await self._on_live(sub, sub.buffer.pop(0))
        except Exception:  # noqa: BLE001
            log.exception("live: delivery on %s failed", sub.stream.name)
        finally:
            sub.buffer.clear()
            sub.busy = False

    async def _on_live(self, sub: Subscription, message: dict) -> None:
        seq = message.get("id")
        if seq is None:  # ephemeral
            if message.get("exclude") != self.socket_id:
                await self.send(text_data=message["text"])
            return
        if seq <= sub.cursor:
            return  # already delivered (catch-up, or a duplicate)
        if seq > sub.cursor + 1:
            await self._fill_gap(sub, seq)
            if self.subs.get(sub.stream.name) is not sub or seq <= sub.cursor:
                return
        sub.cursor = seq
        if await self._visible(sub, message.get("category_id"), message.get("topic_id")):
            await self.send(text_data=message["text"])

    async def _fill_gap(self, sub: Subscription, seq: int) -> None:
        """Ids are gapless: a skipped id was lost or reordered in transit, and is in the backlog."""
        missing = await read_db(selectors.events_between)(sub.stream.name, sub.cursor, seq)
        if self.subs.get(sub.stream.name) is not sub:
            return
        if missing is None:
            sub.cursor = seq - 1
            await self._send_json({"type": "resync", "stream": sub.stream.name, "last_id": seq - 1})
            return
        for stored in missing:
            if stored.seq > sub.cursor:
                await self._deliver_stored(sub, stored)

    async def _deliver_stored(self, sub: Subscription, stored: selectors.StoredEvent) -> None:
        sub.cursor = max(sub.cursor, stored.seq)
        if await self._visible(sub, stored.category_id, stored.topic_id):
            text = json.dumps(stored.payload, separators=(",", ":"), ensure_ascii=False)
            await self.send(text_data=realtime.frame_text(sub.stream.name, stored.seq, text))

    @staticmethod
    def _visible_now(sub: Subscription, category_id: int | None, topic_id: int | None) -> bool | None:
        """May this socket see the event? None when only the database can tell."""
        if not sub.stream.is_list:
            return True
        if category_id is not None:
            return sub.category_ids is None or category_id in sub.category_ids
        if topic_id is not None:
            return sub.topic_visibility.get(topic_id)
        return True

    async def _visible(self, sub: Subscription, category_id: int | None, topic_id: int | None) -> bool:
        """List streams deliver only events about what this member may read."""
        known = self._visible_now(sub, category_id, topic_id)
        if known is None:
            known = await read_db(access.topic_visible)(self.user, topic_id)
            sub.topic_visibility[topic_id] = known
        return known

    # --- permission re-checks and heartbeats -----------------------------------------------------------

    async def _access(self, stream: realtime.Stream, *, fresh: bool) -> access.Access:
        if self.user.is_authenticated:
            return await read_db(access.stream_access)(self.user, stream)
        now = time.monotonic()
        loop = asyncio.get_running_loop()
        cached = _anonymous_access.get(stream.name)
        if not fresh and cached is not None and cached[0] > now and cached[1].get_loop() is loop:
            return await asyncio.shield(cached[1])
        if len(_anonymous_access) > 10_000:
            _anonymous_access.clear()
        pending = loop.create_future()
        _anonymous_access[stream.name] = (now + ANONYMOUS_ACCESS_TTL, pending)
        try:
            result = await read_db(access.stream_access)(self.user, stream)
        except BaseException as exc:
            _anonymous_access.pop(stream.name, None)
            if not pending.done():
                pending.set_exception(exc)
                pending.exception()  # retrieved: no "never retrieved" warning when nobody else waited
            raise
        pending.set_result(result)
        return result

    async def _housekeeping(self) -> None:
        interval = _setting("REALTIME_RECHECK_SECONDS", 5.0)
        next_heartbeat = time.monotonic() + HEARTBEAT
        while not self.closed:
            await asyncio.sleep(interval * random.uniform(0.8, 1.0))
            try:
                await self._recheck(fresh=False)
                if time.monotonic() >= next_heartbeat and not self.closed:
                    next_heartbeat = time.monotonic() + HEARTBEAT
                    await self._heartbeat()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - try again next time
                log.exception("live: housekeeping failed")

    async def _heartbeat(self) -> None:
        if self.user.is_authenticated:
            await presence.mark_member_online(self.user.pk, MEMBER_PRESENCE_TTL)
        for sub in list(self.subs.values()):
            if sub.stream.kind == "topic":
                await presence.join(sub.stream.name, presence.reader_key(self.user, self.socket_id))

    async def _recheck(self, *, fresh: bool) -> None:
        """Access again, for every stream: a member removed from a role or suspended stops receiving."""
        async with self.recheck_lock:
            if self.closed:
                return
            subs = dict(self.subs)
            if self.user.is_authenticated:
                result = await read_db(access.recheck)(self.user, [s.stream for s in subs.values()])
                if result is None:
                    self.closed = True
                    await self._send_json({"type": "error", "code": "not_allowed"})
                    await self.close(code=CLOSE_NOT_ALLOWED)
                    return
                self.user, results = result
            else:
                results = {name: await self._access(sub.stream, fresh=fresh) for name, sub in subs.items()}
            for name, sub in subs.items():
                if self.subs.get(name) is not sub:
                    continue
                current = results[name]
                if not current.allowed:
                    await self._drop(name)
                    await self._send_json({"type": "revoked", "stream": name})
                else:
                    sub.category_ids = current.category_ids
                    sub.topic_visibility.clear()

    # --- helpers ----------------------------------------------------------------------------------------

    async def _send_json(self, content: dict) -> None:
        if not self.closed or content.get("type") == "error":
            await self.send(text_data=json.dumps(content, separators=(",", ":")))

    async def _error(self, code: str, **extra) -> None:
        frame = {"type": "error", "code": code}
        frame.update({key: value for key, value in extra.items() if value is not None})
        await self._send_json(frame)
