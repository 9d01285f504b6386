"""Thin views of the events app: parse, call one action or selector, render."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from community.markup import excerpt
from events import actions, selectors
from community.spreadsheet import write_csv
from events.emails import join_link_for
from events.errors import EventError, EventPermissionDenied
from events.forms import EventForm, FeedbackForm, MessageForm, RSVPForm
from events.ics import calendar_bytes
from events.models import RSVP, CalendarFeed, Event, Format
from events.permissions import can_manage_event, is_manager

PAGE_SIZE = 20


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _manageable(request: HttpRequest, pk: int) -> Event:
    """The event, for its hosts and managers; 404 for anyone else (nothing is revealed)."""
    event = selectors.event_for_viewer(user=request.user, pk=pk)
    if not can_manage_event(request.user, event):
        raise Http404
    return event


# --- listing --------------------------------------------------------------------------------------------

def _listing(request: HttpRequest, when: str) -> HttpResponse:
    filters = {
        "format": request.GET.get("format", "") if request.GET.get("format") in (Format.ONLINE, Format.IN_PERSON) else "",
        "tag": request.GET.get("tag", "")[:100],
        "host": request.GET.get("host", "")[:30],
    }
    events = selectors.event_list(user=request.user, when=when, **filters)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode({key: value for key, value in filters.items() if value})
    return render(request, "events/list.html", {
        "nav": "events", "when": when, "page": page, "events": page.object_list, "filters": filters,
        "query": query, "can_create": is_manager(request.user),
        "today": timezone.localdate(),
    })


@require_GET
def upcoming(request: HttpRequest) -> HttpResponse:
    return _listing(request, "upcoming")


@require_GET
def past(request: HttpRequest) -> HttpResponse:
    return _listing(request, "past")


@require_GET
@login_required
def mine(request: HttpRequest) -> HttpResponse:
    rsvps = list(selectors.my_rsvps(member=request.user)[:100])
    return render(request, "events/mine.html", {"nav": "events", "rsvps": rsvps, "when": "mine",
                                                "can_create": is_manager(request.user)})


@require_GET
def calendar_today(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    return redirect("events:calendar", year=today.year, month=today.month)


@require_GET
def calendar_month(request: HttpRequest, year: int, month: int) -> HttpResponse:
    if not (1 <= month <= 12 and 1900 <= year <= 2999):
        raise Http404
    tz = timezone.get_current_timezone()
    weeks = selectors.calendar_month(user=request.user, year=year, month=month, tz=tz)
    previous = (year - 1, 12) if month == 1 else (year, month - 1)
    following = (year + 1, 1) if month == 12 else (year, month + 1)
    return render(request, "events/calendar.html", {
        "nav": "events", "weeks": weeks, "month": date(year, month, 1), "previous": previous,
        "following": following, "weekdays": [week_day.day for week_day in weeks[0]], "viewer_zone": tz.key
        if hasattr(tz, "key") else str(tz),
    })


# --- the event page, RSVP, calendar files ---------------------------------------------------------------

def detail_redirect(request: HttpRequest, pk: int) -> HttpResponse:
    event = selectors.event_for_viewer(user=request.user, pk=pk)
    return redirect(event.get_absolute_url())


def _rsvp_context(request: HttpRequest, event: Event) -> dict:
    rsvp = selectors.member_rsvp(member=request.user, event=event)
    join_url = join_link_for(rsvp) if rsvp else ""
    if not join_url and event.is_online and event.join_url and can_manage_event(request.user, event):
        join_url = event.join_url  # hosts join their own event from its page too, without answering it
    return {
        "event": event, "rsvp": rsvp, "join_url": join_url,
        "position": selectors.waitlist_position(rsvp=rsvp) if rsvp else None,
        "rsvp_open": event.rsvp_open(), "plus_one_range": range(event.max_plus_ones + 1),
    }


@require_GET
def detail(request: HttpRequest, pk: int, slug: str) -> HttpResponse:
    event = selectors.event_for_viewer(user=request.user, pk=pk)
    if slug != event.slug:
        return redirect(event.get_absolute_url())
    attendees, others = selectors.public_attendees(event=event)
    live_stream = selectors.live_stream_spec(event=event) if event.is_published else ""
    return render(request, "events/detail.html", {
        "nav": "events", **_rsvp_context(request, event), "attendees": attendees, "other_attendees": others,
        "description": excerpt(event.body_html, 160),
        "other_dates": selectors.other_occurrences(user=request.user, event=event), "live_stream": live_stream, "can_manage": can_manage_event(request.user, event), "hosts": list(event.hosts.all()),
        "may_give_feedback": request.user.is_authenticated and actions.may_give_feedback(member=request.user,
                                                                                        event=event),
    })


@require_POST
@login_required
def rsvp(request: HttpRequest, pk: int) -> HttpResponse:
    event = selectors.event_for_viewer(user=request.user, pk=pk)
    form = RSVPForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            result = actions.rsvp_set(member=request.user, event=event, status=form.cleaned_data["status"],
                                      plus_ones=form.cleaned_data.get("plus_ones") or 0)
        except (EventError, EventPermissionDenied) as exc:
            error = str(exc)
        else:
            notes = {"going": _("You're going. See you there!"), "waitlisted": _("The event is full: you're on the waitlist."),
                     "interested": _("Marked as interested."), "not_going": _("Your RSVP is cancelled.")}
            if not _is_htmx(request):
                messages.success(request, notes[result.status])
    else:
        error = _("Choose going, interested or not going.")
    if _is_htmx(request):
        event.refresh_from_db()
        return render(request, "events/partials/rsvp_panel.html", {**_rsvp_context(request, event), "error": error})
    if error:
        messages.error(request, error)
    return redirect(event.get_absolute_url())


@require_GET
def ics(request: HttpRequest, pk: int) -> HttpResponse:
    event = selectors.event_for_viewer(user=request.user, pk=pk)
    if event.status == "draft":
        raise Http404
    rsvp_row = selectors.member_rsvp(member=request.user, event=event)
    body = calendar_bytes([(event, join_link_for(rsvp_row) if rsvp_row else "")])
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="event-{event.pk}.ics"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """A member's private calendar feed: the secret token is the only credential (calendar apps send no
    cookies)."""
    calendar_feed = CalendarFeed.objects.select_related("member").filter(token=token).first()
    if calendar_feed is None or not calendar_feed.member.is_active or calendar_feed.member.is_suspended():
        raise Http404
    member = calendar_feed.member
    body = calendar_bytes(selectors.feed_entries(member=member), name=_("My events"), method="")
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


@login_required
def feed_settings(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        if request.POST.get("op") == "revoke":
            actions.feed_revoke(member=request.user)
            messages.success(request, _("Your calendar link no longer works."))
        else:
            actions.feed_regenerate(member=request.user)
            messages.success(request, _("Your new calendar link is ready; the old one no longer works."))
        return redirect("events:feed_settings")
    calendar_feed = CalendarFeed.objects.filter(member=request.user).first()
    url = request.build_absolute_uri(calendar_feed.get_absolute_url()) if calendar_feed else ""
    return render(request, "events/feed_settings.html", {
        "nav": "events", "feed": calendar_feed, "feed_url": url,
        "webcal_url": url.replace("https://", "webcal://").replace("http://", "webcal://") if url else "",
    })


# --- hosting --------------------------------------------------------------------------------------------

@login_required
def create(request: HttpRequest) -> HttpResponse:
    if not is_manager(request.user):
        raise PermissionDenied
    form = EventForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        kwargs = form.action_kwargs()
        publish = "publish" in request.POST
        try:
            if form.cleaned_data.get("repeat"):
                series = actions.series_create(actor=request.user, frequency=form.cleaned_data["repeat"],
                                               count=form.cleaned_data.get("occurrences") or 1, publish=publish,
                                               **kwargs)
                event = series.events.order_by("starts_at").first()
            else:
                event = actions.event_create(actor=request.user, publish=publish, **kwargs)
        except EventError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Event published.") if publish else _("Draft saved."))
            return redirect(event.get_absolute_url())
    return render(request, "events/form.html", {"nav": "events", "form": form, "event": None})


@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    event = _manageable(request, pk)
    form = EventForm(request.POST or None, request.FILES or None, event=event)
    if request.method == "POST" and form.is_valid():
        kwargs = form.action_kwargs()
        remove_cover = form.cleaned_data.get("remove_cover", False)
        try:
            if form.cleaned_data.get("apply_to") == "following":
                edited = actions.series_update_following(actor=request.user, event=event, remove_cover=remove_cover,
                                                         **kwargs)
                event = edited[0]
                saved = ngettext("Event saved, and %(n)s later occurrence.",
                                 "Event saved, and %(n)s later occurrences.", len(edited) - 1) % {"n": len(edited) - 1}
            else:
                event = actions.event_update(actor=request.user, event=event, remove_cover=remove_cover, **kwargs)
                saved = _("Event saved.")
            if "publish" in request.POST:
                event = actions.event_publish(actor=request.user, event=event)
        except EventError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, saved)
            return redirect(event.get_absolute_url())
    return render(request, "events/form.html", {"nav": "events", "form": form, "event": event})


@require_POST
@login_required
def publish(request: HttpRequest, pk: int) -> HttpResponse:
    event = _manageable(request, pk)
    try:
        actions.event_publish(actor=request.user, event=event)
        messages.success(request, _("Event published."))
    except EventError as exc:
        messages.error(request, str(exc))
    return redirect(event.get_absolute_url())


@require_POST
@login_required
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    event = _manageable(request, pk)
    actions.event_cancel(actor=request.user, event=event, reason=request.POST.get("reason", ""))
    messages.success(request, _("Event cancelled; everyone who answered has been told."))
    return redirect(event.get_absolute_url())


@login_required
def manage(request: HttpRequest, pk: int) -> HttpResponse:
    event = _manageable(request, pk)
    form = MessageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            message = actions.attendees_message(actor=request.user, event=event, **form.cleaned_data)
        except EventError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Message sent to %(n)s people.") % {"n": message.recipients_count})
            return redirect("events:manage", pk=event.pk)
    query = request.GET.get("q", "")[:100]
    return render(request, "events/manage.html", {
        "nav": "events", "event": event, "rows": selectors.attendee_rows(event=event, query=query), "query": query,
        "message_form": form, "summary": selectors.feedback_summary(event=event),
        "comments": selectors.feedback_comments(event=event)[:50],
        "attendance": selectors.attendance_counts(event=event),
    })


@require_GET
@login_required
def attendees_csv(request: HttpRequest, pk: int) -> HttpResponse:
    event = _manageable(request, pk)
    header = [_("Name"), _("Handle"), _("Email"), _("Status"), _("Guests"), _("Answered"), _("Attendance"),
              _("Checked in")]
    rows = [
        [row.member.name, row.member.handle or "", row.member.email, row.get_status_display(), row.plus_ones,
         timezone.localtime(row.created_at).strftime("%Y-%m-%d %H:%M"), row.get_attendance_display(),
         timezone.localtime(row.checked_in_at).strftime("%Y-%m-%d %H:%M") if row.checked_in_at else ""]
        for row in selectors.attendee_rows(event=event)
    ]
    response = HttpResponse(write_csv(rows, header=header), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="event-{event.pk}-attendees.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def checkin(request: HttpRequest, pk: int) -> HttpResponse:
    event = _manageable(request, pk)
    query = request.GET.get("q", request.POST.get("q", ""))[:100]
    if request.method == "POST":
        row = get_object_or_404(RSVP.objects.select_related("member", "event"), pk=request.POST.get("rsvp"),
                                event=event)
        try:
            row = actions.checkin_mark(actor=request.user, rsvp=row, attended=request.POST.get("attended") != "0")
        except EventError as exc:
            messages.error(request, str(exc))
        if _is_htmx(request):
            return render(request, "events/partials/checkin_row.html", {"row": row, "event": event, "query": query})
        url = reverse("events:checkin", kwargs={"pk": event.pk})
        return redirect(f"{url}?q={query}" if query else url)
    rows = selectors.checkin_rows(event=event, query=query)
    template = "events/partials/checkin_rows.html" if _is_htmx(request) else "events/checkin.html"
    return render(request, template, {"nav": "events", "event": event, "rows": rows, "query": query,
                                      "attendance": selectors.attendance_counts(event=event)})


@require_POST
@login_required
def close_attendance(request: HttpRequest, pk: int) -> HttpResponse:
    event = _manageable(request, pk)
    try:
        count = actions.attendance_close(actor=request.user, event=event)
        messages.success(request, _("%(n)s no-shows recorded.") % {"n": count})
    except EventError as exc:
        messages.error(request, str(exc))
    return redirect("events:manage", pk=event.pk)


@login_required
def feedback(request: HttpRequest, pk: int) -> HttpResponse:
    event = selectors.event_for_viewer(user=request.user, pk=pk)
    already = event.feedback.filter(member=request.user).exists()
    allowed = actions.may_give_feedback(member=request.user, event=event)
    form = FeedbackForm(request.POST or None)
    if request.method == "POST" and allowed and not already and form.is_valid():
        try:
            actions.feedback_submit(member=request.user, event=event, **form.cleaned_data)
        except (EventError, EventPermissionDenied) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Thank you for your feedback!"))
            return redirect(event.get_absolute_url())
    status = 200 if allowed or already else 403
    return render(request, "events/feedback.html", {"nav": "events", "event": event, "form": form,
                                                    "allowed": allowed, "already": already}, status=status)
