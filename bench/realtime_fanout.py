"""Fan-out benchmark of the live layer: one topic, 100 / 500 / 1,000 websocket subscribers.

    REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/python bench/realtime_fanout.py [--levels 100,500,1000]

Starts the production ASGI server as production runs it (uvicorn, one process, config.settings.production,
Redis channel layer and cache, a file database made for the run), opens websocket clients on one topic stream
(loopback only), posts replies over HTTP as a signed-in member and prints, per level:

- delivery latency p50 / p99 / max: from the HTTP response of the reply to each client's receipt of the
  forum.post event (a receipt before the response counts as 0 ms);
- deliveries per second: a burst of replies posted back to back, every event frame (one forum.post per
  reply) received by every client, divided by the time from the first POST to the last receipt;
- memory per idle connection: growth of the server's resident memory (VmRSS) while the level's new clients
  connected and subscribed, divided by their number.

Because the reply's own live events leave before its HTTP response is written, it also prints stricter
figures: from publishing (StreamEvent.created_at, inside the reply's transaction) to receipt, the spread
from the first to the last subscriber, from sending the POST to receipt, and CPU time per delivery of the
server and of the benchmark's clients (all on one machine: loopback only).

Targets (issue 4): p99 <= 100 ms at 1,000 subscribers, >= 5,000 deliveries/s, <= 100 KB per idle connection.
Everything is bounded: fixed counts, timeouts on every wait, the server is stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

SETUP = """
import json
from datetime import timedelta
from allauth.account.models import EmailAddress
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone
from accounts.models import MemberSettings, User
from community.forum.actions import topic_create
from community.forum.models import Category

user = User.objects.create_user("bench@example.com", "correct horse battery staple", handle="bench",
                                handle_skeleton="bench", display_name="Bench",
                                date_joined=timezone.now() - timedelta(days=30))
EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
MemberSettings.objects.create(user=user)
category = Category.objects.create(name="Bench", slug="bench")
topic = topic_create(author=user, category=category, title="Fan-out benchmark topic", raw="Replies follow.")
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "accounts.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
print(json.dumps({"session": session.session_key, "topic": topic.pk, "slug": topic.slug}))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def published_at(database: Path, stream: str) -> dict[int, float]:
    """When each forum.post event was published (StreamEvent.created_at, set in the reply's transaction just
    before it commits), by post number, as a Unix time."""
    import sqlite3
    from datetime import datetime, timezone

    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        rows = connection.execute(
            "SELECT payload, created_at FROM live_streamevent WHERE stream = ?", (stream,)).fetchall()
    found = {}
    for payload, created in rows:
        event = json.loads(payload)
        if event.get("type") == "forum.post" and event.get("op") == "add":
            moment = datetime.fromisoformat(created.replace(" ", "T"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=timezone.utc)
            found[event["number"]] = moment.timestamp()
    return found


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


class Server:
    def __init__(self, workdir: Path, redis_url: str) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
        self.env.update(
            DJANGO_SETTINGS_MODULE="config.settings.production",
            SECRET_KEY=secrets.token_urlsafe(60),
            ALLOWED_HOSTS="127.0.0.1,localhost",
            SECURE_SSL_REDIRECT="0",
            DATABASE_URL=f"sqlite:///{workdir / 'bench.sqlite3'}",
            DB_CONN_MAX_AGE="60",
            REDIS_URL=redis_url,
            CHANNEL_PREFIX=f"bench{os.getpid()}",
            CACHE_PREFIX=f"bench{os.getpid()}",
            LOG_LEVEL="WARNING",
            PYTHONUNBUFFERED="1",
        )
        self.proc: subprocess.Popen | None = None

    def manage(self, *args: str) -> str:
        out = subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True,
                             timeout=600)
        if out.returncode != 0:
            raise RuntimeError(f"manage.py {args[0]} failed:\n{out.stdout}\n{out.stderr}")
        return out.stdout

    def start(self) -> None:
        log = open(self.workdir / "server.log", "ab")
        self.proc = subprocess.Popen([PYTHON, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1",
                                      "--port", str(self.port), "--ws", "websockets-sansio", "--lifespan", "off",
                                      "--no-access-log"],
                                     cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError((self.workdir / "server.log").read_text()[-3000:])
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("the server did not answer within 60 s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def post_reply(server: Server, data: dict, raw: str) -> tuple[float, float]:
    csrf = "b" * 32
    body = urllib.parse.urlencode({"raw": raw, "csrfmiddlewaretoken": csrf}).encode()
    request = urllib.request.Request(
        f"{server.base}/t/{urllib.parse.quote(data['slug'])}/{data['topic']}/reply", data=body, method="POST",
        headers={"Cookie": f"sessionid={data['session']}; csrftoken={csrf}", "X-CSRFToken": csrf,
                 "Content-Type": "application/x-www-form-urlencoded"},
    )

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    sent = time.monotonic()
    try:
        status = urllib.request.build_opener(NoRedirect).open(request, timeout=30).status
    except urllib.error.HTTPError as exc:
        status = exc.code
    if status != 302:
        raise RuntimeError(f"reply refused: HTTP {status}")
    return sent, time.monotonic()


class Client:
    """One websocket subscriber; records when each reply (by post number) and each event frame arrived."""

    def __init__(self) -> None:
        self.ws = None
        self.posts: dict[int, float] = {}
        self.walls: dict[int, float] = {}
        self.frames = 0
        self.last_frame_at = 0.0
        self.task: asyncio.Task | None = None

    async def open(self, url: str, origin: str, stream: str) -> None:
        import websockets

        self.ws = await websockets.connect(url, origin=origin, compression=None, open_timeout=30,
                                           ping_interval=None, max_queue=None)
        await self.ws.send(json.dumps({"type": "subscribe", "stream": stream}))
        while json.loads(await asyncio.wait_for(self.ws.recv(), 30))["type"] != "subscribed":
            pass
        self.task = asyncio.get_running_loop().create_task(self.listen())

    async def listen(self) -> None:
        try:
            async for text in self.ws:
                now = time.monotonic()
                if '"type":"event"' not in text or '"id":null' in text:
                    continue  # ephemeral (readers count) or control frames
                self.frames += 1
                self.last_frame_at = now
                if '"forum.post"' in text:
                    number = json.loads(text)["event"]["number"]
                    self.posts[number] = now
                    self.walls[number] = time.time()
        except Exception:  # noqa: BLE001 - closed at the end
            pass

    async def close(self) -> None:
        if self.task:
            self.task.cancel()
        if self.ws:
            await self.ws.close()


async def wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(0.005)
    return predicate()


async def run(levels: list[int], replies: int, burst: int, concurrency: int, redis_url: str) -> list[dict]:
    results = []
    with tempfile.TemporaryDirectory(prefix="fanout-") as tmp:
        server = Server(Path(tmp), redis_url)
        print(f"preparing a database and starting uvicorn on {server.base} ...", flush=True)
        server.manage("migrate", "--no-input", "-v", "0")
        data = json.loads(server.manage("shell", "-c", SETUP).strip().splitlines()[-1])
        server.start()
        url = server.base.replace("http://", "ws://") + "/ws/"
        stream = f"topic.{data['topic']}"
        clients: list[Client] = []
        number = 1  # the topic's first post
        try:
            # Warm up code paths (one socket, one reply) so that memory growth is per connection only.
            warm = Client()
            await warm.open(url, server.base, stream)
            await asyncio.to_thread(post_reply, server, data, "warm-up")
            number += 1
            await wait_for(lambda: number in warm.posts, 5)
            await warm.close()
            await asyncio.sleep(1)
            for level in levels:
                new = level - len(clients)
                await asyncio.sleep(2.5)  # readers announcements of the previous level settle
                before = rss_kb(server.proc.pid)
                batch = [Client() for _ in range(new)]
                for start in range(0, new, 50):
                    await asyncio.gather(*(c.open(url, server.base, stream) for c in batch[start:start + 50]))
                clients.extend(batch)
                await asyncio.sleep(3)  # idle: presence announcements done
                after = rss_kb(server.proc.pid)
                per_connection_kb = (after - before) / new

                latencies: list[float] = []
                from_request: list[float] = []
                http_ms: list[float] = []
                early = 0
                for _ in range(replies):
                    sent, answered = await asyncio.to_thread(post_reply, server, data, f"Reply {number + 1}")
                    http_ms.append((answered - sent) * 1000)
                    number += 1
                    target = number
                    await wait_for(lambda: all(target in c.posts for c in clients), 10)
                    for client in clients:
                        at = client.posts.get(target)
                        if at is None:
                            continue
                        if at < answered:
                            early += 1
                        latencies.append(max(0.0, at - answered) * 1000)
                        from_request.append((at - sent) * 1000)
                    await asyncio.sleep(0.05)
                missing = replies * len(clients) - len(latencies)
                measured = list(range(number - replies + 1, number + 1))
                publish = published_at(server.workdir / "bench.sqlite3", stream)
                from_publish = [(c.walls[n] - publish[n]) * 1000 for n in measured if n in publish
                                for c in clients if n in c.walls]
                spread = [(max(c.posts[n] for c in clients) - min(c.posts[n] for c in clients)) * 1000
                          for n in measured if all(n in c.posts for c in clients)]

                # Throughput: the burst is posted by `concurrency` writers at once, as many members would.
                frames_before = sum(c.frames for c in clients)
                server_cpu = cpu_seconds(server.proc.pid)
                bench_cpu = cpu_seconds(os.getpid())
                first_sent = time.monotonic()
                numbers = list(range(number + 1, number + burst + 1))
                queue = list(numbers)

                def writer() -> None:
                    while queue:
                        post_reply(server, data, f"Burst {queue.pop()}")

                await asyncio.gather(*(asyncio.to_thread(writer) for _ in range(concurrency)))
                number += burst
                await wait_for(lambda: all(all(n in c.posts for n in numbers) for c in clients), 30)
                await asyncio.sleep(0.2)
                delivered = sum(c.frames for c in clients) - frames_before
                server_cpu = cpu_seconds(server.proc.pid) - server_cpu
                bench_cpu = cpu_seconds(os.getpid()) - bench_cpu
                last_at = max(c.last_frame_at for c in clients)
                rate = delivered / (last_at - first_sent) if last_at > first_sent else float("nan")

                result = {
                    "subscribers": len(clients),
                    "p50_ms": percentile(latencies, 0.50),
                    "request_p50_ms": percentile(from_request, 0.50),
                    "request_p99_ms": percentile(from_request, 0.99),
                    "http_p50_ms": percentile(http_ms, 0.50),
                    "publish_p50_ms": percentile(from_publish, 0.50),
                    "publish_p99_ms": percentile(from_publish, 0.99),
                    "publish_max_ms": max(from_publish) if from_publish else float("nan"),
                    "spread_p50_ms": percentile(spread, 0.50),
                    "spread_max_ms": max(spread) if spread else float("nan"),
                    "p99_ms": percentile(latencies, 0.99),
                    "max_ms": max(latencies) if latencies else float("nan"),
                    "deliveries_per_s": rate,
                    "burst_frames": delivered,
                    "kb_per_idle_connection": per_connection_kb,
                    "rss_mb": after / 1024,
                    "missing": missing,
                    "server_us_per_delivery": server_cpu / delivered * 1e6 if delivered else float("nan"),
                    "client_us_per_delivery": bench_cpu / delivered * 1e6 if delivered else float("nan"),
                    "before_response": early,
                }
                results.append(result)
                print(
                    f"{result['subscribers']:>5} subscribers | latency p50 {result['p50_ms']:6.1f} ms  "
                    f"p99 {result['p99_ms']:6.1f} ms  max {result['max_ms']:6.1f} ms | "
                    f"{result['deliveries_per_s']:8.0f} deliveries/s ({delivered} frames) | "
                    f"{per_connection_kb:5.1f} KB per idle connection (server RSS {after / 1024:.0f} MB) | "
                    f"missing {missing}, before the HTTP response {early}",
                    flush=True,
                )
                print(
                    f"{'':>5}             | from publish (commit) to receipt: p50 {result['publish_p50_ms']:6.1f} ms  "
                    f"p99 {result['publish_p99_ms']:6.1f} ms  max {result['publish_max_ms']:6.1f} ms | first to last "
                    f"subscriber: p50 {result['spread_p50_ms']:.1f} ms, max {result['spread_max_ms']:.1f} ms",
                    flush=True,
                )
                print(
                    f"{'':>5}             | from sending the POST: p50 {result['request_p50_ms']:6.1f} ms  "
                    f"p99 {result['request_p99_ms']:6.1f} ms (the reply's HTTP round trip alone: p50 "
                    f"{result['http_p50_ms']:.1f} ms) | CPU per delivery: server "
                    f"{result['server_us_per_delivery']:.0f} us, these clients {result['client_us_per_delivery']:.0f} us",
                    flush=True,
                )
        finally:
            await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)
            server.stop()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--levels", default="100,500,1000", help="subscriber counts, increasing")
    parser.add_argument("--replies", type=int, default=20, help="replies measured one by one per level")
    parser.add_argument("--burst", type=int, default=40, help="replies posted at once per level (throughput)")
    parser.add_argument("--concurrency", type=int, default=4, help="HTTP writers posting the burst")
    args = parser.parse_args()
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        print("REDIS_URL is required (the production channel layer), e.g. redis://127.0.0.1:6379/0")
        return 2
    levels = sorted(int(n) for n in args.levels.split(","))
    results = asyncio.run(run(levels, args.replies, args.burst, args.concurrency, redis_url))
    top = results[-1]
    print()
    print(f"targets at {top['subscribers']} subscribers: p99 {top['p99_ms']:.1f} ms (<= 100), "
          f"{max(r['deliveries_per_s'] for r in results):.0f} deliveries/s (>= 5000), "
          f"{max(r['kb_per_idle_connection'] for r in results):.1f} KB per idle connection (<= 100)")
    ok = top["p99_ms"] <= 100 and max(r["deliveries_per_s"] for r in results) >= 5000 and \
        max(r["kb_per_idle_connection"] for r in results) <= 100 and all(r["missing"] == 0 for r in results)
    print("all targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
