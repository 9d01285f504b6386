"""Site-wide views that belong to no app: health check and error pages."""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_cache() -> None:
    cache.set("healthz", "ok", 10)
    if cache.get("healthz") != "ok":
        raise RuntimeError("cache did not return what was stored")


def _check_channel_layer() -> None:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")

    async def probe() -> None:
        name = await layer.new_channel()
        await layer.send(name, {"type": "healthz"})
        message = await layer.receive(name)
        if message.get("type") != "healthz":
            raise RuntimeError("channel layer returned another message")

    async_to_sync(probe)()


CHECKS = {"database": _check_database, "cache": _check_cache, "channel_layer": _check_channel_layer}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when every part answers; 503 naming the parts that failed."""
    results: dict[str, str] = {}
    for name, check in CHECKS.items():
        try:
            check()
            results[name] = "ok"
        except Exception as exc:  # any failure of a dependency is a 503, never a 500
            logger.warning("healthz: %s failed: %s", name, exc)
            results[name] = "failed"
    failed = [name for name, state in results.items() if state != "ok"]
    status = 503 if failed else 200
    return JsonResponse({"status": "ok" if not failed else "failed", "failed": failed, "checks": results},
                        status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/400.html", status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors that might touch the failing part: a plain render of a static template.
    return render(request, "errors/500.html", status=500)


def rate_limited(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/429.html", status=429)
