"""Pages reached from mail and by programs: sign-up, confirmation, unsubscribe, preferences, tracking, bounces."""

from __future__ import annotations

import base64
import hmac
import json
import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from community.content import actions, tracking
from community.content.actions.subscribers import ForeignURL, recipient_from_token, subscriber_for_confirmation
from community.content.forms import MemberPreferencesForm, SubscribeForm, SubscriberPreferencesForm

log = logging.getLogger(__name__)

# A transparent 1x1 GIF.
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


SIGNUPS_PER_HOUR = 10  # per client address: confirmation mails are not a way to mail-bomb strangers


def _signup_allowed(request: HttpRequest) -> bool:
    key = f"content:signups:{request.META.get('REMOTE_ADDR', '')}"
    cache.add(key, 0, timeout=3600)
    try:
        return cache.incr(key) <= SIGNUPS_PER_HOUR
    except ValueError:  # expired between add and incr
        return True


@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    form = SubscribeForm(request.POST or None, initial={"language": get_language()})
    if request.method == "POST" and not _signup_allowed(request):
        return render(request, "errors/429.html", status=429)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.subscriber_signup(email=data["email"], name=data["name"], language=data["language"])
        except actions.SubscriberError as exc:
            form.add_error("email", str(exc))
        else:
            # The same answer whether the address was new, pending, subscribed or suppressed.
            return render(request, "content/subscribe_sent.html", {"nav": "blog"})
    return render(request, "content/subscribe.html", {"nav": "blog", "form": form})


@never_cache
@require_http_methods(["GET", "POST"])
def subscriber_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button (mail scanners follow links); POST confirms."""
    try:
        if request.method == "POST":
            subscriber = actions.subscriber_confirm(token=token)
            return render(request, "content/subscribe_confirmed.html", {"nav": "blog", "subscriber": subscriber})
        subscriber = subscriber_for_confirmation(token=token)
    except actions.SubscriberError as exc:
        return render(request, "content/link_invalid.html", {"nav": "blog", "message": str(exc)}, status=400)
    return render(request, "content/subscribe_confirm.html", {"nav": "blog", "subscriber": subscriber})


@csrf_exempt  # RFC 8058 one-click POSTs come from mail providers without a CSRF token; the signed token authorises
@never_cache
@require_http_methods(["GET", "POST"])
def newsletter_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET only asks for confirmation (mail scanners follow links); POST (the one-click) unsubscribes."""
    try:
        if request.method == "POST":
            found = actions.newsletter_unsubscribe(token=token)
            return render(request, "content/unsubscribed.html", {"nav": "blog", "recipient": found, "token": token})
        found = recipient_from_token(token)
    except actions.SubscriberError as exc:
        return render(request, "content/link_invalid.html", {"nav": "blog", "message": str(exc)}, status=400)
    return render(request, "content/unsubscribe_confirm.html", {"nav": "blog", "recipient": found, "token": token})


@never_cache
@require_http_methods(["GET", "POST"])
def subscriber_preferences(request: HttpRequest, token: str) -> HttpResponse:
    """Newsletter preferences reached from a newsletter link, without signing in."""
    try:
        found = recipient_from_token(token)
    except actions.SubscriberError as exc:
        return render(request, "content/link_invalid.html", {"nav": "blog", "message": str(exc)}, status=400)
    subscriber = found.subscriber
    initial = {"subscribed": found.subscribed, "name": subscriber.name if subscriber else "",
               "language": subscriber.language if subscriber else ""}
    form = SubscriberPreferencesForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        found = actions.subscriber_update(token=token, subscribed=data["subscribed"], name=data["name"] or None,
                                          language=data["language"] or None)
        messages.success(request, _("Your newsletter preferences are saved."))
        return redirect("content:subscriber_preferences", token=token)
    return render(request, "content/preferences.html", {"nav": "blog", "form": form, "recipient": found,
                                                        "token": token})


@login_required
@require_http_methods(["GET", "POST"])
def member_preferences(request: HttpRequest) -> HttpResponse:
    settings_row = getattr(request.user, "settings", None)
    form = MemberPreferencesForm(request.POST if request.method == "POST" else None,
                                 initial={"subscribed": bool(settings_row and settings_row.newsletter_opt_in)})
    if request.method == "POST" and form.is_valid():
        actions.member_newsletter_set(member=request.user, opt_in=form.cleaned_data["subscribed"])
        messages.success(request, _("Your newsletter preferences are saved."))
        return redirect("content:member_preferences")
    return render(request, "content/preferences.html", {"nav": "blog", "form": form, "member_page": True})


@never_cache
def track_open(request: HttpRequest, token: str) -> HttpResponse:
    try:
        actions.track_open(token=token)
    except tracking.BadTrackingToken:
        pass  # always the same pixel: the answer tells nothing about tokens
    return HttpResponse(PIXEL, content_type="image/gif")


@never_cache
def track_click(request: HttpRequest, token: str) -> HttpResponse:
    """Redirect to the URL signed into the token, and only to it (never an open redirect)."""
    try:
        url = actions.track_click(token=token, requested_url=request.GET.get("url"))
    except (tracking.BadTrackingToken, ForeignURL):
        return render(request, "content/link_invalid.html",
                      {"nav": "blog", "message": _("This link is not valid.")}, status=400)
    response = HttpResponseRedirect(url)
    response["Referrer-Policy"] = "no-referrer"
    return response


@csrf_exempt  # called by the mail provider, authenticated by the shared secret header
@require_POST
def bounce_webhook(request: HttpRequest) -> HttpResponse:
    """Hard bounces and complaints from the mail provider: the addresses are suppressed.

    Body: {"events": [{"email": "...", "type": "hard_bounce"|"complaint"|"soft_bounce", "detail": "..."}]}
    (or one such event object). Header: X-Webhook-Secret: <settings.NEWSLETTER_WEBHOOK_SECRET>.
    """
    secret = getattr(settings, "NEWSLETTER_WEBHOOK_SECRET", "") or ""
    given = request.headers.get("X-Webhook-Secret", "")
    if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
        return JsonResponse({"error": "forbidden"}, status=403)
    try:
        payload = json.loads(request.body or b"{}")
    except ValueError:
        return HttpResponseBadRequest("invalid JSON")
    events = payload.get("events", [payload]) if isinstance(payload, dict) else payload
    if not isinstance(events, list) or len(events) > 1000:
        return HttpResponseBadRequest("expected a list of at most 1000 events")
    suppressed = ignored = 0
    for event in events:
        if not isinstance(event, dict):
            ignored += 1
            continue
        try:
            result = actions.bounce_record(email=str(event.get("email", "")), kind=str(event.get("type", "")),
                                           detail=str(event.get("detail", ""))[:300])
        except actions.SubscriberError:
            result = None
        if result is None:
            ignored += 1
        else:
            suppressed += 1
    return JsonResponse({"suppressed": suppressed, "ignored": ignored})
