"""Writes of newsletters: segments, issues, scheduling, sending, pausing, test sends."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.actions import audit
from community.content import segments, sending
from community.content.compose import IssueComposer
from community.content.models import Article, IssueStatus, NewsletterIssue, Segment, SegmentKind
from community.content.selectors import can_edit_content
from community.markup import render_markdown
from community.notifications import mail

log = logging.getLogger(__name__)


class NewsletterError(ValueError):
    """A newsletter cannot be saved or moved to that state; the message says why."""


def _require_editor(actor) -> None:
    if not can_edit_content(actor):
        raise PermissionDenied(_("Only editors and staff can prepare newsletters."))


def _header(value: str, label) -> str:
    """A value that becomes a mail header (subject, sender name): line breaks are refused, never mended."""
    try:
        return mail.safe_header(value)
    except mail.HeaderInjection as exc:
        raise NewsletterError(_("%(field)s cannot contain line breaks or control characters.") % {"field": label}) \
            from exc


def segment_save(*, actor, name: str, kind: str, segment: Segment | None = None, language: str = "",
                 loyalty_tier_id: int | None = None, tag_slugs: Iterable[str] = (),
                 saved_segment_id: int | None = None, filter: dict | None = None,
                 include_subscribers: bool = True) -> Segment:
    _require_editor(actor)
    if kind not in SegmentKind.values:
        raise NewsletterError(_("Choose a kind of segment."))
    if not segments.kind_availability().get(kind):
        raise NewsletterError(_("This kind of segment is not available on this site."))
    if kind == SegmentKind.LANGUAGE and language not in dict(settings.LANGUAGES):
        raise NewsletterError(_("Choose a language."))
    if kind == SegmentKind.TIER and not loyalty_tier_id:
        raise NewsletterError(_("Choose a loyalty tier."))
    tag_slugs = [slug.strip() for slug in tag_slugs if slug and slug.strip()]
    if kind == SegmentKind.TAGS and not tag_slugs:
        raise NewsletterError(_("Choose at least one tag."))
    name = " ".join((name or "").split())
    if not name:
        raise NewsletterError(_("Give the segment a name."))
    segment = segment or Segment(created_by=actor)
    segment.name = name[:120]
    segment.kind = kind
    segment.language = language if kind == SegmentKind.LANGUAGE else ""
    segment.loyalty_tier_id = loyalty_tier_id if kind == SegmentKind.TIER else None
    segment.tag_slugs = tag_slugs if kind == SegmentKind.TAGS else []
    segment.saved_segment_id = saved_segment_id if kind == SegmentKind.SAVED else None
    segment.filter = (filter or {}) if kind == SegmentKind.SAVED else {}
    segment.include_subscribers = include_subscribers
    with transaction.atomic():
        segment.save()
        audit(actor=actor, action="content.segment.save", target=segment, kind=kind)
    return segment


def _apply(issue: NewsletterIssue, *, subject, preheader, from_name, body, include_events, include_topics,
           segment, tracking) -> None:
    if subject is not None:
        subject = _header(subject.strip(), _("The subject"))
        if not subject:
            raise NewsletterError(_("A newsletter needs a subject."))
        issue.subject = subject[:150]
    if preheader is not None:
        issue.preheader = _header(preheader.strip(), _("The preheader"))[:150]
    if from_name is not None:
        issue.from_name = _header(from_name.strip(), _("The sender name"))[:80]
    if body is not None:
        issue.body = body
        issue.body_html = render_markdown(body) if body.strip() else ""
    if include_events is not None:
        issue.include_events = include_events
    if include_topics is not None:
        issue.include_topics = include_topics
    if segment is not None:
        issue.segment = segment
    if tracking is not None:
        issue.tracking = tracking


def issue_create(*, actor, subject: str, body: str = "", preheader: str = "", from_name: str = "",
                 articles: Iterable[Article] = (), include_events: bool = True, include_topics: bool = True,
                 segment: Segment | None = None, tracking: bool = True) -> NewsletterIssue:
    _require_editor(actor)
    issue = NewsletterIssue(created_by=actor)
    _apply(issue, subject=subject, preheader=preheader, from_name=from_name, body=body,
           include_events=include_events, include_topics=include_topics, segment=segment, tracking=tracking)
    with transaction.atomic():
        issue.save()
        issue.articles.set(list(articles))
        audit(actor=actor, action="content.newsletter.create", target=issue)
    return issue


def issue_update(*, actor, issue: NewsletterIssue, subject: str | None = None, body: str | None = None,
                 preheader: str | None = None, from_name: str | None = None,
                 articles: Iterable[Article] | None = None, include_events: bool | None = None,
                 include_topics: bool | None = None, segment: Segment | None = None,
                 tracking: bool | None = None) -> NewsletterIssue:
    _require_editor(actor)
    if not issue.is_editable:
        raise NewsletterError(_("This newsletter is being sent or was sent; it can no longer be changed."))
    _apply(issue, subject=subject, preheader=preheader, from_name=from_name, body=body,
           include_events=include_events, include_topics=include_topics, segment=segment, tracking=tracking)
    issue.updated_at = timezone.now()
    with transaction.atomic():
        issue.save()
        if articles is not None:
            issue.articles.set(list(articles))
        audit(actor=actor, action="content.newsletter.update", target=issue)
    return issue


def _check_sendable(issue: NewsletterIssue) -> None:
    if issue.segment_id is None:
        raise NewsletterError(_("Choose who receives this newsletter (a segment) first."))
    try:
        IssueComposer(issue, tracking_enabled=False)  # refuses unsafe headers before anything is queued
    except mail.HeaderInjection as exc:
        raise NewsletterError(_("The subject or sender name contains a line break.")) from exc
    if not segments.kind_availability().get(issue.segment.kind):
        raise NewsletterError(_("This segment's source is not available on this site."))


def issue_schedule(*, actor, issue: NewsletterIssue, send_at: datetime, now: datetime | None = None) -> NewsletterIssue:
    _require_editor(actor)
    now = now or timezone.now()
    if not issue.is_editable:
        raise NewsletterError(_("This newsletter is being sent or was sent."))
    if send_at is None or send_at <= now:
        raise NewsletterError(_("Choose a time in the future, or send now."))
    _check_sendable(issue)
    issue.status = IssueStatus.SCHEDULED
    issue.send_at = send_at
    with transaction.atomic():
        issue.save(update_fields=["status", "send_at"])
        audit(actor=actor, action="content.newsletter.schedule", target=issue, send_at=send_at.isoformat())
    return issue


def issue_start_sending(*, issue: NewsletterIssue, now: datetime | None = None) -> bool:
    """Draft or scheduled -> sending (a conditional UPDATE: only one caller wins), then enqueue the sender."""
    now = now or timezone.now()
    started = NewsletterIssue.objects.filter(
        pk=issue.pk, status__in=[IssueStatus.DRAFT, IssueStatus.SCHEDULED]
    ).update(status=IssueStatus.SENDING, started_at=now)
    if started:
        issue.status = IssueStatus.SENDING
        issue.started_at = now
        _enqueue_send(issue.pk)
    return bool(started)


def _enqueue_send(issue_id: int) -> None:
    from community.content.tasks import newsletter_send

    transaction.on_commit(lambda: newsletter_send.enqueue(issue_id))


def issue_send_now(*, actor, issue: NewsletterIssue) -> NewsletterIssue:
    _require_editor(actor)
    if not issue.is_editable:
        raise NewsletterError(_("This newsletter is already being sent or was sent."))
    _check_sendable(issue)
    with transaction.atomic():
        if not issue_start_sending(issue=issue):
            raise NewsletterError(_("This newsletter is already being sent or was sent."))
        audit(actor=actor, action="content.newsletter.send", target=issue)
    return issue


def issue_pause(*, actor, issue: NewsletterIssue) -> NewsletterIssue:
    """Stop after the batch in flight; nothing already sent is touched."""
    _require_editor(actor)
    with transaction.atomic():
        if not NewsletterIssue.objects.filter(pk=issue.pk, status=IssueStatus.SENDING).update(
            status=IssueStatus.PAUSED
        ):
            raise NewsletterError(_("Only a newsletter that is being sent can be paused."))
        issue.status = IssueStatus.PAUSED
        audit(actor=actor, action="content.newsletter.pause", target=issue)
    return issue


def issue_resume(*, actor, issue: NewsletterIssue) -> NewsletterIssue:
    """Continue a paused send where it stopped."""
    _require_editor(actor)
    with transaction.atomic():
        if not NewsletterIssue.objects.filter(pk=issue.pk, status=IssueStatus.PAUSED).update(
            status=IssueStatus.SENDING
        ):
            raise NewsletterError(_("Only a paused newsletter can be resumed."))
        issue.status = IssueStatus.SENDING
        audit(actor=actor, action="content.newsletter.resume", target=issue)
        _enqueue_send(issue.pk)
    return issue


def issue_cancel(*, actor, issue: NewsletterIssue) -> NewsletterIssue:
    """Stop for good: a draft, scheduled or paused issue is never sent (further)."""
    _require_editor(actor)
    with transaction.atomic():
        if not NewsletterIssue.objects.filter(
            pk=issue.pk, status__in=[IssueStatus.DRAFT, IssueStatus.SCHEDULED, IssueStatus.PAUSED]
        ).update(status=IssueStatus.CANCELLED):
            raise NewsletterError(_("Pause the newsletter before cancelling it."))
        issue.status = IssueStatus.CANCELLED
        audit(actor=actor, action="content.newsletter.cancel", target=issue)
    return issue


def issue_send_test(*, actor, issue: NewsletterIssue) -> None:
    """Send the issue to the editor's own address, untracked, marked as a test; no delivery row."""
    _require_editor(actor)
    try:
        composer = IssueComposer(issue, tracking_enabled=False)
        composer.subject = mail.safe_header(f"[{_('Test')}] {issue.subject}")
        message = composer.message_for(delivery_id=0, email=actor.email, name=actor.name, language=actor.locale)
    except mail.HeaderInjection as exc:
        raise NewsletterError(_("The subject or sender name contains a line break.")) from exc
    transaction.on_commit(message.send)


def newsletters_tick(*, now: datetime | None = None) -> dict:
    """The periodic step (every minute from cron): start due scheduled issues, sweep rows left in flight by a
    dead worker (marked unknown, never resent), and enqueue a sender for sends whose task was lost."""
    now = now or timezone.now()
    started = 0
    for issue in NewsletterIssue.objects.filter(status=IssueStatus.SCHEDULED, send_at__lte=now):
        with transaction.atomic():
            started += issue_start_sending(issue=issue, now=now)
    unknown = sending.deliveries_sweep(now=now)
    resumed = 0
    for issue_id in sending.issues_needing_a_worker(now=now):
        _enqueue_send(issue_id)
        resumed += 1
    return {"started": started, "unknown": unknown, "resumed": resumed}
