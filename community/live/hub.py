"""One channel-layer subscription per stream and process, fanned out to that process's sockets.

Channels' usual pattern gives every socket its own channel (a Redis subscription, a receive task, a
deserialisation of every message) and adds it to the group. With a thousand readers on one topic that is a
thousand copies of each event crossing the channel layer's queues. Instead each ASGI process (each event
loop) has one `Hub`: it joins a stream's group once, when the first local socket subscribes, receives each
event once, and hands it to every local `LiveConsumer` of that stream in order (a direct call, no queue).
Redis pub/sub still carries every event to every process, so any number of processes share the fan-out.
"""

from __future__ import annotations

import asyncio
import logging
import weakref

from channels.layers import get_channel_layer

from community import realtime

log = logging.getLogger(__name__)

YIELD_EVERY = 100


class Hub:
    def __init__(self, layer) -> None:
        self.layer = layer
        self.channel: str | None = None
        self.streams: dict[str, dict] = {}  # stream -> {consumer: None} (an ordered set)
        self.joined: dict[str, asyncio.Future] = {}
        self.receiver: asyncio.Task | None = None
        self.channel_lock = asyncio.Lock()

    async def _ensure_channel(self) -> None:
        if self.channel is not None:
            return
        async with self.channel_lock:
            if self.channel is None:
                channel = await self.layer.new_channel(prefix="live-hub.")
                self.channel = channel
                self.receiver = asyncio.get_running_loop().create_task(self._receive())

    async def join(self, stream: str, consumer) -> None:
        """Deliver `stream`'s events to `consumer` from now on (returns once the group is joined)."""
        await self._ensure_channel()
        consumers = self.streams.get(stream)
        if consumers is None:
            consumers = self.streams[stream] = {}
            ready = self.joined[stream] = asyncio.get_running_loop().create_future()
            consumers[consumer] = None
            try:
                await self.layer.group_add(realtime.group_name(stream), self.channel)
            finally:
                ready.set_result(None)
        else:
            consumers[consumer] = None
            await self.joined[stream]

    async def leave(self, stream: str, consumer) -> None:
        consumers = self.streams.get(stream)
        if consumers is None or consumer not in consumers:
            return
        del consumers[consumer]
        if not consumers:
            del self.streams[stream]
            self.joined.pop(stream, None)
            await self.layer.group_discard(realtime.group_name(stream), self.channel)

    async def _receive(self) -> None:
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - a broken connection: the layer reconnects
                log.exception("live hub: receive failed")
                await asyncio.sleep(1)
                continue
            if not isinstance(message, dict) or message.get("type") != realtime.EVENT_MESSAGE:
                continue
            for index, consumer in enumerate(list(self.streams.get(message.get("stream"), ())), 1):
                try:
                    await consumer.hub_deliver(message)
                except Exception:  # noqa: BLE001 - one broken socket must not stop the others
                    log.exception("live hub: delivery failed")
                if index % YIELD_EVERY == 0:
                    await asyncio.sleep(0)  # let requests and other sockets run during a large fan-out


_hubs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def hub() -> Hub:
    """The hub of the running event loop (a server process has one; each test has its own)."""
    loop = asyncio.get_running_loop()
    current = _hubs.get(loop)
    if current is None:
        current = _hubs[loop] = Hub(get_channel_layer())
    return current
