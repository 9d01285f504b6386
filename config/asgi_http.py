"""Django's HTTP requests under ASGI, each request's synchronous work done in one hop to a reused thread.

Every view and middleware of this project is synchronous. Under Django's own ASGIHandler that costs about
3 ms a request on the benchmark machine, more than rendering a topic list: a new thread for every request
(`ThreadSensitiveContext`), and a round trip between that thread and the event loop for the request-started
signal, for the middleware chain, again for the view inside it (the chain is built for async use, so the
innermost handler is adapted back), and for closing the response.

This handler builds the middleware chain synchronously, as a WSGI server does, and runs all of a request
(request_started, the middleware, the view, closing the response, request_finished) in one call, on a thread
the request holds from start to end. The event loop only reads the body and sends the response.

- Each request keeps one thread throughout, so its database connection and thread-local state are its own,
  as under Django's handler. A streaming body is iterated on that same thread, part by part.
- The threads are kept and reused (so are pooled database connections). HTTP_THREADS (default 8) bounds how
  many requests one process works on at once; more wait for a free thread, as under a threaded WSGI server.
  Keep the database pool's maximum (DB_POOL_MAX) at least as large.
- The body is read before a thread is taken: a slow upload holds none.
- `async_to_sync` inside a request (publishing a live event) runs on the server's event loop, as under
  Django's handler, because the work is handed over with asgiref's `sync_to_async`.
- A client that disconnects does not stop a synchronous view under either handler; this one does not try.
- An async view would still work (the synchronous chain runs it through async_to_sync), only without the
  speed-up; there is none in this project. Websockets never come here (config.asgi routes them to channels).
"""

from __future__ import annotations

import asyncio
import functools
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import sync_to_async
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers import base
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.http import FileResponse, HttpResponseBase
from django.urls import set_script_prefix

_END = object()


class ThreadedASGIHandler(ASGIHandler):
    """An ASGI application serving Django's HTTP requests: see the module docstring."""

    def __init__(self, threads: int = 8) -> None:
        base.BaseHandler.__init__(self)  # not ASGIHandler.__init__: it builds the middleware chain for async use
        self.load_middleware(is_async=False)
        if threads < 1:
            raise ValueError("HTTP_THREADS must be at least 1")
        # One single-thread executor per slot, so that a request keeps one thread for all of its work.
        self._executors = [ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"http-{n}")
                           for n in range(threads)]
        self._free: asyncio.Queue[ThreadPoolExecutor] | None = None
        self._free_loop: asyncio.AbstractEventLoop | None = None

    def _slots(self) -> asyncio.Queue[ThreadPoolExecutor]:
        loop = asyncio.get_running_loop()
        if self._free_loop is not loop:  # a queue belongs to one event loop; tests run several in turn
            self._free, self._free_loop = asyncio.Queue(), loop
            for executor in self._executors:
                self._free.put_nowait(executor)
        return self._free

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        slots = self._slots()
        executor = await slots.get()
        try:
            on_thread = functools.partial(sync_to_async, thread_sensitive=False, executor=executor)
            response = await on_thread(self._respond)(scope, body_file)
            try:
                if response.streaming and not response.is_async:
                    await self._send_streaming(response, send, on_thread)
                else:
                    await self.send_response(response, send)
            finally:
                if response.streaming:  # any other response was closed on its thread already
                    await on_thread(response.close)()
        finally:
            body_file.close()
            slots.put_nowait(executor)

    def _respond(self, scope, body_file) -> HttpResponseBase:
        """All of the synchronous side of one request, on its thread: what a WSGI handler does."""
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            response = self.get_response(request)
        response._handler_class = self.__class__
        if isinstance(response, FileResponse):
            response.block_size = self.chunk_size
        if not response.streaming:
            response.close()  # request_finished: this thread's database connections are let go here
        return response

    async def _send_streaming(self, response: HttpResponseBase, send, on_thread) -> None:
        """A synchronous streaming body, each part produced on the request's own thread."""
        await send(start_message(response))
        parts = iter(response.streaming_content)
        next_part = on_thread(functools.partial(next, parts, _END))
        while (part := await next_part()) is not _END:
            for chunk, _last in self.chunk_bytes(part):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body"})


def start_message(response: HttpResponseBase) -> dict:
    """A response's ASGI start message, with its headers and cookies as Django's ASGIHandler writes them."""
    headers = [(name.encode("ascii") if isinstance(name, str) else bytes(name),
                value.encode("latin1") if isinstance(value, str) else bytes(value))
               for name, value in response.items()]
    headers += [(b"Set-Cookie", cookie.output(header="").encode("ascii").strip())
                for cookie in response.cookies.values()]
    return {"type": "http.response.start", "status": response.status_code, "headers": headers}


def get_asgi_application(threads: int | None = None) -> ThreadedASGIHandler:
    """Like django.core.asgi.get_asgi_application: sets Django up and returns the HTTP application."""
    import django
    from django.conf import settings

    django.setup(set_prefix=False)
    return ThreadedASGIHandler(threads or settings.HTTP_THREADS)
