"""Two ASGI server processes on one Redis share the fan-out: a reply posted through A reaches a socket on B.

Runs with `make test-browser` (REDIS_URL set, Redis started if it is not running). Both server processes serve one file
database (tests.livesite), as production's workers share PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import urllib.parse
import urllib.request

import pytest

from tests.livesite import LiveSite

pytestmark = pytest.mark.multiprocess

# The processes share fan-out through Redis; `make test-browser` sets REDIS_URL and starts Redis if needed.
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")

SETUP = """
import json
from datetime import timedelta
from allauth.account.models import EmailAddress
from django.test import Client
from django.utils import timezone
from accounts.models import MemberSettings, User
from community.forum.actions import topic_create
from community.forum.models import Category

user = User.objects.create_user("writer@example.com", "correct horse battery staple", handle="writer",
                                handle_skeleton="writer", display_name="Writer",
                                date_joined=timezone.now() - timedelta(days=30))
EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
MemberSettings.objects.create(user=user)
category = Category.objects.create(name="Kitchen", slug="kitchen")
topic = topic_create(author=user, category=category, title="Which blender for smoothies?", raw="Any advice?")
client = Client()
client.force_login(user)
print(json.dumps({"session": client.cookies["sessionid"].value, "topic": topic.pk, "slug": topic.slug}))
"""


def post_reply(base: str, data: dict, raw: str) -> float:
    """POST a reply through the server at `base`; returns the time the response arrived."""
    csrf = "a" * 32
    body = urllib.parse.urlencode({"raw": raw, "csrfmiddlewaretoken": csrf}).encode()
    request = urllib.request.Request(
        f"{base}/t/{urllib.parse.quote(data['slug'])}/{data['topic']}/reply", data=body, method="POST",
        headers={"Cookie": f"sessionid={data['session']}; csrftoken={csrf}", "X-CSRFToken": csrf,
                 "Content-Type": "application/x-www-form-urlencoded"},
    )

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        response = opener.open(request, timeout=10)
        status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    arrived = time.monotonic()
    assert status == 302, f"reply refused with HTTP {status}"
    return arrived


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    site = LiveSite.create(tmp_path_factory.mktemp("multiprocess"), redis_url=REDIS_URL)
    try:
        data = json.loads(site.shell(SETUP).strip().splitlines()[-1])
        a = site.start()
        b = site.start()
        yield site, a, b, data
    finally:
        site.close()


def test_a_reply_posted_through_process_a_reaches_a_client_on_process_b_within_a_second(site):
    import websockets

    _site, a, b, data = site
    assert a != b
    stream = f"topic.{data['topic']}"

    async def scenario() -> float:
        ws_url = b.replace("http://", "ws://") + "/ws/"
        async with websockets.connect(ws_url, origin=b, open_timeout=10) as socket:
            await socket.send(json.dumps({"type": "subscribe", "stream": stream}))
            while json.loads(await asyncio.wait_for(socket.recv(), 5))["type"] != "subscribed":
                pass
            replied = await asyncio.to_thread(post_reply, a, data, "The one with the glass jar, through A.")
            while True:
                frame = json.loads(await asyncio.wait_for(socket.recv(), 5))
                if frame.get("type") == "event" and frame["event"].get("type") == "forum.post":
                    assert frame["event"]["op"] == "add" and "glass jar" in frame["event"]["html"]
                    return time.monotonic() - replied

    latency = asyncio.run(scenario())
    assert latency < 1.0, f"the reply reached process B after {latency:.3f} s"


def test_a_client_reconnecting_to_the_other_process_catches_up(site):
    """Offline from B, two replies through A, reconnect to A with the last id: both, in order, once."""
    import websockets

    _site, a, b, data = site
    stream = f"topic.{data['topic']}"

    async def last_id_on(base: str) -> int:
        async with websockets.connect(base.replace("http://", "ws://") + "/ws/", origin=base) as socket:
            await socket.send(json.dumps({"type": "subscribe", "stream": stream}))
            while True:
                frame = json.loads(await asyncio.wait_for(socket.recv(), 5))
                if frame["type"] == "subscribed":
                    return frame["last_id"]

    async def catch_up(base: str, last_id: int) -> list[dict]:
        async with websockets.connect(base.replace("http://", "ws://") + "/ws/", origin=base) as socket:
            await socket.send(json.dumps({"type": "subscribe", "stream": stream, "last_id": last_id}))
            frames = []
            while True:
                frame = json.loads(await asyncio.wait_for(socket.recv(), 5))
                frames.append(frame)
                if frame["type"] == "subscribed":
                    return frames

    last_id = asyncio.run(last_id_on(b))
    post_reply(a, data, "First while away.")
    post_reply(a, data, "Second while away.")
    frames = asyncio.run(catch_up(a, last_id))
    posts = [f["event"]["html"] for f in frames if f["type"] == "event" and f["event"]["type"] == "forum.post"]
    assert len(posts) == 2 and "First" in posts[0] and "Second" in posts[1]
    ids = [f["id"] for f in frames if f["type"] == "event"]
    assert ids == list(range(last_id + 1, last_id + 1 + len(ids)))
