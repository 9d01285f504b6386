"""Small helpers shared by the forum views."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme

from community.forum.permissions import ForumError, NotAllowed, RateLimited


def page_param(request: HttpRequest) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def refusal(request: HttpRequest, exc: Exception, fallback: str) -> HttpResponse:
    """Turn a domain error into a message and a redirect (or a short status reply for htmx)."""
    message = str(getattr(exc, "message", exc))
    status = 429 if isinstance(exc, RateLimited) else 403 if isinstance(exc, NotAllowed) else 400
    if is_htmx(request):
        return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
    messages.error(request, message)
    return HttpResponseRedirect(safe_next(request, fallback))


def safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return fallback


DOMAIN_ERRORS = (ForumError, NotAllowed)
