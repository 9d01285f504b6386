"""Who is reading a topic now ("N reading now") and whether a member is online.

Readers are kept in a Redis sorted set per stream (member -> expiry) when REDIS_URL is set, so that every
ASGI process counts the same readers; without Redis (one process) in this process's memory. A reader is a
member ("u<id>", several tabs count once) or an anonymous socket ("a<channel>"). Entries expire unless the
socket refreshes them (LiveConsumer's heartbeat), so a crashed process cannot leave readers behind for long.

The count is announced to the topic's group as an ephemeral `live.readers` event, at most once per
ANNOUNCE_INTERVAL per stream and process (a burst of joins makes one announcement, sent after the burst).
"""

from __future__ import annotations

import asyncio
import time
import weakref

from django.conf import settings
from django.core.cache import cache

from community import realtime

READER_TTL = 60  # seconds an entry lives without a heartbeat
ANNOUNCE_INTERVAL = 2.0


class _LocalReaders:
    def __init__(self) -> None:
        self.streams: dict[str, dict[str, float]] = {}

    async def join(self, stream: str, key: str, ttl: int) -> None:
        self.streams.setdefault(stream, {})[key] = time.time() + ttl

    async def leave(self, stream: str, key: str) -> None:
        readers = self.streams.get(stream)
        if readers is not None:
            readers.pop(key, None)
            if not readers:
                self.streams.pop(stream, None)

    async def count(self, stream: str) -> int:
        readers = self.streams.get(stream, {})
        now = time.time()
        for key in [key for key, expiry in readers.items() if expiry < now]:
            readers.pop(key, None)
        return len(readers)


class _RedisReaders:
    def __init__(self, url: str) -> None:
        from redis import asyncio as aioredis

        # A bounded pool that waits rather than fails when a thousand sockets join at once.
        pool = aioredis.BlockingConnectionPool.from_url(url, max_connections=20, timeout=10)
        self.redis = aioredis.Redis(connection_pool=pool)

    async def join(self, stream: str, key: str, ttl: int) -> None:
        name = realtime.readers_key(stream)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zadd(name, {key: time.time() + ttl})
            pipe.expire(name, ttl * 2)
            await pipe.execute()

    async def leave(self, stream: str, key: str) -> None:
        await self.redis.zrem(realtime.readers_key(stream), key)

    async def count(self, stream: str) -> int:
        name = realtime.readers_key(stream)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zremrangebyscore(name, "-inf", time.time())
            pipe.zcard(name)
            _removed, count = await pipe.execute()
        return int(count)


class _State:
    def __init__(self) -> None:
        url = getattr(settings, "REDIS_URL", None)
        self.readers = _RedisReaders(url) if url else _LocalReaders()
        self.last_announce: dict[str, float] = {}
        self.pending: set[str] = set()


_states: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _state() -> _State:
    """Per event loop: a Redis connection belongs to the loop that made it."""
    loop = asyncio.get_running_loop()
    state = _states.get(loop)
    if state is None:
        state = _states[loop] = _State()
    return state


def reader_key(user, channel_name: str) -> str:
    return f"u{user.pk}" if user.is_authenticated else f"a{channel_name}"


async def join(stream: str, key: str) -> None:
    await _state().readers.join(stream, key, READER_TTL)


async def leave(stream: str, key: str) -> None:
    await _state().readers.leave(stream, key)


async def count(stream: str) -> int:
    return await _state().readers.count(stream)


async def announce_soon(stream: str) -> None:
    """Tell the topic's readers how many they are, throttled; the announcement reads the count when sent."""
    state = _state()
    if stream in state.pending:
        return
    state.pending.add(stream)
    delay = max(0.0, state.last_announce.get(stream, 0.0) + ANNOUNCE_INTERVAL - time.monotonic())
    asyncio.get_running_loop().create_task(_announce_after(state, stream, delay))


async def _announce_after(state: _State, stream: str, delay: float) -> None:
    try:
        await asyncio.sleep(delay)
    finally:
        state.pending.discard(stream)
    state.last_announce[stream] = time.monotonic()
    await realtime.apublish(stream, {"type": "live.readers", "op": "change", "count": await count(stream)})


async def mark_member_online(member_id: int, ttl: int) -> None:
    """The cache key community.notifications.presence reads: set while a socket is open, refreshed by
    heartbeats, left to expire after the last socket closes (another tab may still be open)."""
    await cache.aset(realtime.member_presence_key(member_id), 1, ttl)
