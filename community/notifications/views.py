"""Views of notifications: the list, opening one, marking read, and the signed unsubscribe page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from community.notifications import actions, selectors
from community.notifications.models import Notification
from community.notifications.unsubscribe import UnsubscribeError, unsubscribe_apply, unsubscription_read


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("filter") == "unread"
    page = selectors.notifications_page(member=request.user, page=request.GET.get("page"), unread_only=unread_only)
    return render(request, "notifications/list.html", {"page": page, "unread_only": unread_only})


def _safe_target(request: HttpRequest, url: str) -> str:
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=False):
        return url
    return "/notifications/"


@login_required
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Clicking a notification marks it read and lands on the exact URL it points at (the post anchor)."""
    try:
        notification = actions.notification_mark_read(member=request.user, notification_id=pk)
    except Notification.DoesNotExist as exc:
        raise Http404 from exc
    return redirect(_safe_target(request, notification.url))


@login_required
@require_POST
def notification_mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        actions.notification_mark_read(member=request.user, notification_id=pk)
    except Notification.DoesNotExist as exc:
        raise Http404 from exc
    return redirect(_safe_target(request, request.POST.get("next", "")))


@login_required
@require_POST
def notifications_mark_all_read(request: HttpRequest) -> HttpResponse:
    actions.notifications_mark_all_read(member=request.user)
    return redirect("notifications:list")


@csrf_exempt  # the signed token is the authorisation; RFC 8058 one-click POSTs carry no CSRF token
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a confirmation (mail scanners follow links, so GET changes nothing); POST unsubscribes."""
    try:
        if request.method == "POST":
            found = unsubscribe_apply(token=token)
            return render(request, "notifications/unsubscribe_done.html", {"unsubscription": found})
        found = unsubscription_read(token=token)
    except UnsubscribeError as exc:
        return render(request, "notifications/unsubscribe_invalid.html", {"error": str(exc)}, status=400)
    return render(request, "notifications/unsubscribe.html", {"unsubscription": found, "token": token})
