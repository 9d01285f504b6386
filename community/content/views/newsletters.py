"""The editors' newsletter pages: issues, segments, preview, test send, schedule, send, pause, report."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_http_methods, require_POST

from community.content import actions, segments, selectors
from community.content.compose import IssueComposer
from community.content.forms import IssueForm, IssueScheduleForm, SegmentForm
from community.content.models import Segment
from community.notifications import mail


def _require_editor(request: HttpRequest) -> None:
    if not selectors.can_edit_content(request.user):
        raise PermissionDenied


@login_required
def issue_list(request: HttpRequest) -> HttpResponse:
    _require_editor(request)
    page = selectors.issue_list(request.user, page=request.GET.get("page", 1))
    return render(request, "content/newsletter_list.html", {"nav": "blog", "page": page, "issues": page.object_list})


def _issue_kwargs(data: dict) -> dict:
    return {
        "subject": data["subject"], "preheader": data["preheader"], "from_name": data["from_name"],
        "body": data["body"], "articles": data["articles"], "include_events": data["include_events"],
        "include_topics": data["include_topics"], "segment": data["segment"], "tracking": data["tracking"],
    }


@login_required
@require_http_methods(["GET", "POST"])
def issue_new(request: HttpRequest) -> HttpResponse:
    _require_editor(request)
    form = IssueForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            issue = actions.issue_create(actor=request.user, **_issue_kwargs(form.cleaned_data))
        except actions.NewsletterError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Newsletter saved."))
            return redirect("content:issue_edit", pk=issue.pk)
    return render(request, "content/newsletter_form.html", {"nav": "blog", "form": form, "issue": None})


@login_required
@require_http_methods(["GET", "POST"])
def issue_edit(request: HttpRequest, pk: int) -> HttpResponse:
    issue = selectors.issue_for_editor(request.user, pk)
    form = IssueForm(request.POST or None, initial=IssueForm.initial_for(issue))
    if request.method == "POST" and form.is_valid():
        try:
            actions.issue_update(actor=request.user, issue=issue, **_issue_kwargs(form.cleaned_data))
        except actions.NewsletterError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Newsletter saved."))
            return redirect("content:issue_edit", pk=issue.pk)
    count = None
    if issue.segment_id:
        try:
            count = segments.segment_count(issue.segment)
        except segments.SegmentUnavailable:
            count = None
    return render(request, "content/newsletter_form.html", {
        "nav": "blog", "form": form, "issue": issue, "schedule_form": IssueScheduleForm(),
        "recipient_count": count, "report": selectors.issue_report(issue) if not issue.is_editable else None,
    })


@login_required
def issue_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """Preview in the browser: the page frames the message rendered by `issue_preview_message`."""
    issue = selectors.issue_for_editor(request.user, pk)
    language = request.GET.get("language") or request.user.locale
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    return render(request, "content/newsletter_preview.html", {
        "nav": "blog", "issue": issue, "language": language, "preview_languages": settings.LANGUAGES,
    })


@login_required
@xframe_options_sameorigin
def issue_preview_message(request: HttpRequest, pk: int) -> HttpResponse:
    """The HTML message as a recipient sees it (untracked, inert personal links), sandboxed."""
    issue = selectors.issue_for_editor(request.user, pk)
    language = request.GET.get("language") or request.user.locale
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    try:
        html = IssueComposer(issue, tracking_enabled=False).preview_html(language=language, name=request.user.name)
    except mail.HeaderInjection:
        html = ""
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src https: http: data:; style-src 'unsafe-inline'"
    return response


@require_POST
@login_required
def issue_test(request: HttpRequest, pk: int) -> HttpResponse:
    issue = selectors.issue_for_editor(request.user, pk)
    try:
        actions.issue_send_test(actor=request.user, issue=issue)
    except actions.NewsletterError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("A test was sent to %(email)s.") % {"email": request.user.email})
    return redirect("content:issue_edit", pk=issue.pk)


@require_POST
@login_required
def issue_state(request: HttpRequest, pk: int) -> HttpResponse:
    """Schedule, send now, pause, resume or cancel."""
    issue = selectors.issue_for_editor(request.user, pk)
    action = request.POST.get("action")
    try:
        if action == "schedule":
            form = IssueScheduleForm(request.POST)
            if not form.is_valid():
                raise actions.NewsletterError(_("Choose a time in the future."))
            actions.issue_schedule(actor=request.user, issue=issue, send_at=form.cleaned_data["send_at"])
            messages.success(request, _("Scheduled."))
        elif action == "send":
            actions.issue_send_now(actor=request.user, issue=issue)
            messages.success(request, _("Sending has started."))
        elif action == "pause":
            actions.issue_pause(actor=request.user, issue=issue)
            messages.success(request, _("Paused after the batch in progress."))
        elif action == "resume":
            actions.issue_resume(actor=request.user, issue=issue)
            messages.success(request, _("Sending resumed."))
        elif action == "cancel":
            actions.issue_cancel(actor=request.user, issue=issue)
            messages.success(request, _("Cancelled."))
        else:
            messages.error(request, _("Unknown action."))
    except actions.NewsletterError as exc:
        messages.error(request, str(exc))
    return redirect("content:issue_edit", pk=issue.pk)


@login_required
def issue_report(request: HttpRequest, pk: int) -> HttpResponse:
    issue = selectors.issue_for_editor(request.user, pk)
    return render(request, "content/newsletter_report.html", {
        "nav": "blog", "issue": issue, "report": selectors.issue_report(issue),
    })


@login_required
def segment_list(request: HttpRequest) -> HttpResponse:
    """Segments (recipient counts are on each segment's page: counting is a query per segment)."""
    _require_editor(request)
    return render(request, "content/segment_list.html", {
        "nav": "blog", "segments": Segment.objects.order_by("name"),
        "unavailable": [kind for kind, ok in segments.kind_availability().items() if not ok],
    })


@login_required
@require_http_methods(["GET", "POST"])
def segment_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _require_editor(request)
    segment = get_object_or_404(Segment, pk=pk) if pk else None
    initial = SegmentForm.initial_for(segment) if segment else {"kind": "all", "include_subscribers": True}
    form = SegmentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            segment = actions.segment_save(
                actor=request.user, segment=segment, name=data["name"], kind=data["kind"], language=data["language"],
                loyalty_tier_id=data["loyalty_tier_id"], tag_slugs=data["tag_slugs"],
                saved_segment_id=data["saved_segment_id"], filter=data["filter"],
                include_subscribers=data["include_subscribers"],
            )
        except actions.NewsletterError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Segment saved."))
            return redirect("content:segment_list")
    count = None
    if segment is not None:
        try:
            count = segments.segment_count(segment)
        except segments.SegmentUnavailable:
            count = None
    return render(request, "content/segment_form.html", {"nav": "blog", "form": form, "segment": segment,
                                                         "recipient_count": count})
