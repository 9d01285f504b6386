"""config.asgi_http: Django's HTTP requests under ASGI, each request's synchronous work on one reused thread."""

from __future__ import annotations

import asyncio
import io
import threading

import pytest
from asgiref.sync import async_to_sync
from django.core import signals
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from config.asgi_http import ThreadedASGIHandler

seen: dict[str, object] = {}


@csrf_exempt
def echo(request):
    seen["view_thread"] = threading.current_thread().name
    response = HttpResponse(b"got " + request.body, content_type="text/plain")
    response.set_cookie("flavour", "oat")
    return response


def stream(request):
    def parts():
        for n in range(3):
            seen.setdefault("part_threads", []).append(threading.current_thread().name)
            yield f"part {n};".encode()

    seen["view_thread"] = threading.current_thread().name
    return StreamingHttpResponse(parts(), content_type="text/plain")


def download(request):
    return FileResponse(io.BytesIO(b"x" * 200_000), as_attachment=True, filename="big.bin")


barrier = threading.Barrier(2, timeout=1)


def meet(request):
    """Returns only once a second request is in the view at the same time (or says it never came)."""
    try:
        barrier.wait()
    except threading.BrokenBarrierError:
        return HttpResponse("alone", status=503)
    return HttpResponse("met")


def loop_of_async_to_sync(request):
    async def which_loop():
        return asyncio.get_running_loop()

    seen["inner_loop"] = async_to_sync(which_loop)()
    return HttpResponse("ok")


def boom(request):
    raise RuntimeError("view failed")


urlpatterns = [path("echo", echo), path("stream", stream), path("download", download), path("meet", meet),
               path("loop", loop_of_async_to_sync), path("boom", boom)]


@pytest.fixture(autouse=True)
def _urls(settings):
    settings.ROOT_URLCONF = __name__
    settings.ALLOWED_HOSTS = ["testserver"]
    seen.clear()
    barrier.reset()


async def call(app, url: str, *, method: str = "GET", body: bytes = b"", disconnect: bool = False):
    """One request through the ASGI application: (status, headers, body)."""
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
             "path": url, "raw_path": url.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", b"testserver"), (b"content-length", str(len(body)).encode())],
             "client": ("127.0.0.1", 5000), "server": ("testserver", 80)}
    messages = [{"type": "http.disconnect"}] if disconnect else [
        {"type": "http.request", "body": body[:3], "more_body": True},
        {"type": "http.request", "body": body[3:], "more_body": False}]
    sent: list[dict] = []

    async def receive():
        if messages:
            return messages.pop(0)
        await asyncio.sleep(3600)

    async def send(message):
        sent.append(message)

    await app(scope, receive, send)
    if not sent:
        return None, [], b""
    assert sent[0]["type"] == "http.response.start"
    assert sent[-1].get("more_body", False) is False
    return sent[0]["status"], sent[0]["headers"], b"".join(m.get("body", b"") for m in sent[1:])


async def test_a_request_body_in_parts_reaches_the_view_on_a_handler_thread():
    app = ThreadedASGIHandler(threads=2)
    status, headers, body = await call(app, "/echo", method="POST", body=b"hello there")
    assert (status, body) == (200, b"got hello there")
    assert (b"Content-Type", b"text/plain") in headers
    assert any(name == b"Set-Cookie" and value.startswith(b"flavour=oat") for name, value in headers)
    assert seen["view_thread"].startswith("http-")


async def test_started_view_and_finished_happen_on_one_thread_before_the_response_goes_out():
    app = ThreadedASGIHandler(threads=2)
    events: list[tuple[str, str]] = []

    def started(**kwargs):
        events.append(("started", threading.current_thread().name))

    def finished(**kwargs):
        events.append(("finished", threading.current_thread().name))

    signals.request_started.connect(started)
    signals.request_finished.connect(finished)
    try:
        status, _headers, _body = await call(app, "/echo", method="POST", body=b"abc")
    finally:
        signals.request_started.disconnect(started)
        signals.request_finished.disconnect(finished)
    assert status == 200
    assert [name for name, _thread in events] == ["started", "finished"]
    assert {thread for _name, thread in events} == {seen["view_thread"]}


async def test_a_streaming_body_is_produced_on_the_request_thread_and_sent_in_parts():
    app = ThreadedASGIHandler(threads=3)
    finished: list[str] = []

    def on_finished(**kwargs):
        finished.append(threading.current_thread().name)

    signals.request_finished.connect(on_finished)
    try:
        status, _headers, body = await call(app, "/stream")
    finally:
        signals.request_finished.disconnect(on_finished)
    assert (status, body) == (200, b"part 0;part 1;part 2;")
    assert set(seen["part_threads"]) == {seen["view_thread"]}
    assert finished == [seen["view_thread"]]  # closed once, after the body, on the same thread


async def test_a_file_response_is_sent_whole():
    status, headers, body = await call(ThreadedASGIHandler(threads=1), "/download")
    assert status == 200
    assert body == b"x" * 200_000
    assert (b"Content-Disposition", b'attachment; filename="big.bin"') in headers


async def test_requests_run_at_once_up_to_the_thread_count():
    two = ThreadedASGIHandler(threads=2)
    results = await asyncio.gather(call(two, "/meet"), call(two, "/meet"))
    assert [(status, body) for status, _h, body in results] == [(200, b"met"), (200, b"met")]


async def test_requests_beyond_the_thread_count_wait_for_a_free_thread():
    one = ThreadedASGIHandler(threads=1)
    results = await asyncio.gather(call(one, "/meet"), call(one, "/meet"))
    # the second request only starts once the first has given up waiting for it
    assert sorted(body for _s, _h, body in results) == [b"alone", b"alone"]


async def test_async_to_sync_in_a_view_runs_on_the_servers_event_loop():
    app = ThreadedASGIHandler(threads=1)
    status, _headers, _body = await call(app, "/loop")
    assert status == 200
    assert seen["inner_loop"] is asyncio.get_running_loop()  # no new event loop (and thread) per call


async def test_a_failing_view_gives_a_500_and_frees_its_thread(settings):
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    app = ThreadedASGIHandler(threads=1)
    status, _headers, _body = await call(app, "/boom")
    assert status == 500
    status, _headers, body = await call(app, "/echo", method="POST", body=b"again")
    assert (status, body) == (200, b"got again")


async def test_unknown_path_is_a_404():
    status, _headers, _body = await call(ThreadedASGIHandler(threads=1), "/nowhere")
    assert status == 404


async def test_a_client_gone_before_its_body_arrived_gets_nothing_and_holds_no_thread():
    app = ThreadedASGIHandler(threads=1)
    assert await call(app, "/echo", method="POST", disconnect=True) == (None, [], b"")
    status, _headers, body = await call(app, "/echo", method="POST", body=b"next")
    assert (status, body) == (200, b"got next")


async def test_only_http_is_served():
    with pytest.raises(ValueError, match="websocket"):
        await ThreadedASGIHandler(threads=1)({"type": "websocket"}, None, None)


def test_at_least_one_thread():
    with pytest.raises(ValueError):
        ThreadedASGIHandler(threads=0)


def test_the_site_serves_http_through_it():
    from config.asgi import django_asgi_app

    assert isinstance(django_asgi_app, ThreadedASGIHandler)
