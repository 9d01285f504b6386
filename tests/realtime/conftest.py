"""Websocket clients against the real ASGI stack (Origin check, sessions, routing) and forum fixtures."""

from __future__ import annotations

import asyncio
import json

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client

from accounts.roles import Role, ensure_roles
from community.forum.models import AccessLevel, Category

ORIGIN = b"http://testserver"


def session_key(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


class Socket:
    """A WebsocketCommunicator that speaks JSON."""

    def __init__(self, communicator: WebsocketCommunicator) -> None:
        self.communicator = communicator

    async def send(self, message) -> None:
        if isinstance(message, str):
            await self.communicator.send_to(text_data=message)
        else:
            await self.communicator.send_json_to(message)

    async def recv(self, timeout: float = 2.0) -> dict:
        return json.loads(await self.communicator.receive_from(timeout=timeout))

    async def output(self, timeout: float = 2.0) -> dict:
        """The raw ASGI message (to see a close)."""
        return await self.communicator.receive_output(timeout=timeout)

    async def nothing(self, timeout: float = 0.3) -> bool:
        return await self.communicator.receive_nothing(timeout=timeout, interval=0.02)

    async def subscribe(self, stream: str, last_id: int | None = None) -> list[dict]:
        """Subscribe; returns every frame up to and including the `subscribed` (or `resync`) ack."""
        message: dict = {"type": "subscribe", "stream": stream}
        if last_id is not None:
            message["last_id"] = last_id
        await self.send(message)
        frames = []
        while True:
            frame = await self.recv()
            frames.append(frame)
            if frame.get("type") in ("subscribed", "error") and frame.get("stream", stream) == stream:
                return frames

    async def events(self, count: int, timeout: float = 2.0, *, skip_ephemeral: bool = True) -> list[dict]:
        """The next `count` stored events (frames of type event with an id)."""
        found = []
        while len(found) < count:
            frame = await self.recv(timeout)
            if frame["type"] == "event" and (frame["id"] is not None or not skip_ephemeral):
                found.append(frame)
        return found

    async def frame_of(self, predicate, timeout: float = 3.0) -> dict:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError("no matching frame arrived")
            frame = await self.recv(remaining)
            if predicate(frame):
                return frame

    async def close(self) -> None:
        await self.communicator.disconnect()


@pytest.fixture
async def connect():
    """`await connect(user=None, origin=ORIGIN)` -> Socket (or (False, code) with expect_accept=False)."""
    from config.asgi import application

    sockets: list[Socket] = []

    async def make(user=None, *, origin: bytes | None = ORIGIN, expect_accept: bool = True):
        headers = [(b"host", b"testserver")]
        if origin is not None:
            headers.append((b"origin", origin))
        if user is not None:
            key = await database_sync_to_async(session_key)(user)
            headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={key}".encode()))
        communicator = WebsocketCommunicator(application, "/ws/", headers=headers)
        connected, code = await communicator.connect(timeout=3)
        if not expect_accept:
            return connected, code
        assert connected, f"websocket refused ({code})"
        socket = Socket(communicator)
        sockets.append(socket)
        return socket

    yield make
    for socket in sockets:
        try:
            await socket.close()
        except Exception:  # noqa: BLE001 - already closed by the server
            pass
    layer = get_channel_layer()
    if hasattr(layer, "flush"):
        await layer.flush()


@pytest.fixture(autouse=True)
def _fast_forum(settings):
    """Members made by the tests are 'new': lift the new-member rate limits; re-check access quickly."""
    settings.FORUM_NEW_MEMBER_HOURS = 0
    settings.REALTIME_RECHECK_SECONDS = 0.5


@pytest.fixture
def public_category(db) -> Category:
    return Category.objects.create(name="Public", slug="public", access_level=AccessLevel.PUBLIC)


@pytest.fixture
def members_category(db) -> Category:
    return Category.objects.create(name="Members", slug="members", access_level=AccessLevel.MEMBERS)


@pytest.fixture
def insiders(db) -> Group:
    ensure_roles()
    return Group.objects.create(name="Insiders")


@pytest.fixture
def restricted_category(db, insiders) -> Category:
    category = Category.objects.create(name="Staff room", slug="staff-room", access_level=AccessLevel.ROLES)
    category.access_groups.add(insiders)
    return category


@pytest.fixture
def make_topic(db, moderator):
    from community.forum.actions import topic_create

    def make(category: Category, *, title: str = "A question about the blender", author=None):
        return topic_create(author=author or moderator, category=category, title=title,
                            raw="How do I clean the blade?")

    return make


@pytest.fixture
def reply(moderator):
    """Reply through the forum action (publishes after commit), from sync code."""
    from community.forum.actions import reply_create

    def make(topic, raw: str = "Rinse it with warm water.", author=None):
        return reply_create(author=author or moderator, topic=topic, raw=raw)

    return make


@pytest.fixture
def areply(reply):
    """The same from an async test."""

    async def make(topic, raw: str = "Rinse it with warm water.", author=None):
        return await database_sync_to_async(reply)(topic, raw, author)

    return make


__all__ = ["ORIGIN", "Role", "Socket"]
