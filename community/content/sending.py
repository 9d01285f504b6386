"""The newsletter sending engine: exactly-once, resumable, pausable, batched.

How a send travels
------------------
1. `deliveries_prepare(issue)` writes one NewsletterDelivery row per recipient (unique per issue and address)
   with INSERT ... SELECT ... ON CONFLICT DO NOTHING, inside the database: running it again after a crash only
   adds what is missing. Suppressed addresses are never written.
2. `deliver(issue_id)` works through the rows batch by batch. Between batches it re-reads the issue's status,
   so "pause" takes effect at the next batch boundary and "resume" starts where the send stopped.
3. Each batch is *claimed* with one conditional UPDATE ... SET status='sending', claim=<token>
   WHERE id IN (...) AND status='pending'. The database applies the condition row by row under its row lock,
   so two workers (or a task that runs twice) can never both claim a row: each worker sends only the rows
   that carry its own claim token.
4. One mail connection is opened per batch and reused for every message of the batch. Messages are handed to
   it one at a time (`connection.send_messages([message])`) so that we always know exactly which messages the
   backend accepted; the batch's rows are then marked 'sent' in one UPDATE.

Crashes
-------
- An exception in the worker (a bug, a lost database connection, a backend error, SIGTERM's SystemExit) is
  caught at the batch level: the rows whose messages the backend accepted become 'sent', the rows never
  handed to the backend go back to 'pending' (a rerun sends them), and the one message that was in flight
  when the backend raised becomes 'unknown' (the server may or may not have taken it).
- A worker that dies without running any Python (SIGKILL, out of memory, power loss) leaves its claimed batch
  in 'sending'. Those rows are NOT resent automatically: some of their messages may already be in the
  recipients' inboxes, and we cannot tell which, so resending could mail someone twice. `deliveries_sweep`
  marks rows stuck in 'sending' for longer than NEWSLETTER_CLAIM_TIMEOUT seconds as 'unknown', logs a
  warning and the issue report shows the count, so that staff decide. The batch size bounds how many
  recipients such a crash can affect.
"""

from __future__ import annotations

import logging
import smtplib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import BigIntegerField, Case, CharField, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone

from community.content import segments
from community.content.compose import IssueComposer
from community.content.models import (
    DeliveryStatus,
    IssueStatus,
    NewsletterDelivery,
    NewsletterIssue,
    Subscriber,
    SubscriberStatus,
    Suppression,
)

log = logging.getLogger(__name__)

# Refusals after which the server certainly did not take the message: the row is 'failed', never 'unknown'.
DEFINITE_REFUSALS = (smtplib.SMTPRecipientsRefused,)


def batch_size() -> int:
    return int(getattr(settings, "NEWSLETTER_BATCH_SIZE", 500))


def claim_timeout() -> timedelta:
    return timedelta(seconds=int(getattr(settings, "NEWSLETTER_CLAIM_TIMEOUT", 15 * 60)))


# --- 1. Preparing: one row per recipient ------------------------------------------------------------------


_COLUMNS = ("issue_id", "email", "name", "language", "member_id", "subscriber_id", "status", "claim", "error",
            "open_count", "click_count")


def _insert_select(issue_id: int, rows: QuerySet) -> None:
    """INSERT INTO deliveries SELECT ... FROM the segment's query, skipping addresses already there.

    One statement per source, executed by the database: no row passes through Python, so preparing 100,000
    recipients takes seconds and constant memory. ON CONFLICT DO NOTHING (PostgreSQL and SQLite) relies on the
    unique (issue, email) constraint, which is what makes running it again harmless.
    """
    try:
        sql, params = rows.query.sql_with_params()
    except EmptyResultSet:  # e.g. a segment that leaves out subscribers: .none() has no SQL at all
        return
    table = NewsletterDelivery._meta.db_table
    quote = connection.ops.quote_name
    columns = ", ".join(quote(column) for column in _COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {quote(table)} ({columns}) {sql} ON CONFLICT DO NOTHING", params)


def _constants() -> dict:
    return {
        "c_status": Value(DeliveryStatus.PENDING, output_field=CharField()),
        "c_claim": Value("", output_field=CharField()),
        "c_error": Value("", output_field=CharField()),
        "c_open_count": Value(0, output_field=IntegerField()),
        "c_click_count": Value(0, output_field=IntegerField()),
    }


def deliveries_prepare(issue: NewsletterIssue) -> int:
    """Write the delivery rows of `issue` from its segment; idempotent. Returns the number of rows.

    Members first, then subscribers, so that a member who is also a subscriber is addressed as the member.
    """
    if issue.prepared_at is None:
        segment = issue.segment
        # Every column is an annotation, added in the INSERT's column order: the SELECT list follows it.
        members = segments.segment_members(segment).order_by().annotate(**{
            "c_issue": Value(issue.pk, output_field=BigIntegerField()),
            "c_email": Lower("email"),
            "c_name": Case(When(display_name="", then=Coalesce("handle", Value(""))), default="display_name",
                           output_field=CharField()),
            "c_language": F("locale"),
            "c_member": F("pk"),
            "c_subscriber": Value(None, output_field=BigIntegerField()),
            **_constants(),
        })
        subscribers = segments.segment_subscribers(segment).order_by().annotate(**{
            "c_issue": Value(issue.pk, output_field=BigIntegerField()),
            "c_email": Lower("email"),
            "c_name": F("name"),
            "c_language": F("language"),
            "c_member": Value(None, output_field=BigIntegerField()),
            "c_subscriber": F("pk"),
            **_constants(),
        })
        names = ["c_issue", "c_email", "c_name", "c_language", "c_member", "c_subscriber", "c_status", "c_claim",
                 "c_error", "c_open_count", "c_click_count"]
        with transaction.atomic():
            _insert_select(issue.pk, members.values_list(*names))
            _insert_select(issue.pk, subscribers.values_list(*names))
        now = timezone.now()
        NewsletterIssue.objects.filter(pk=issue.pk, prepared_at__isnull=True).update(prepared_at=now)
        issue.prepared_at = now
    return NewsletterDelivery.objects.filter(issue_id=issue.pk).count()


# --- 2-4. Delivering --------------------------------------------------------------------------------------


@dataclass
class DeliverResult:
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    batches: int = 0
    stopped: str = ""  # "done", "paused" (or another status), "batch_limit"


@dataclass(frozen=True, slots=True)
class _Row:
    id: int
    email: str
    name: str
    language: str
    member_id: int | None
    subscriber_id: int | None


def _claim(issue_id: int, size: int) -> list[_Row]:
    """Claim up to `size` pending rows for this worker; see the module docstring."""
    ids = list(
        NewsletterDelivery.objects.filter(issue_id=issue_id, status=DeliveryStatus.PENDING)
        .order_by("id")
        .values_list("id", flat=True)[:size]
    )
    if not ids:
        return []
    token = uuid.uuid4().hex
    NewsletterDelivery.objects.filter(id__in=ids, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.SENDING, claim=token, claimed_at=timezone.now()
    )
    rows = (
        NewsletterDelivery.objects.filter(id__in=ids, claim=token, status=DeliveryStatus.SENDING)
        .order_by("id")
        .values_list("id", "email", "name", "language", "member_id", "subscriber_id")
    )
    return [_Row(*row) for row in rows]


def _no_longer_wanted(rows: list[_Row]) -> set[int]:
    """Rows whose recipient unsubscribed or was suppressed after the rows were written (checked per batch)."""
    emails = [row.email for row in rows]
    suppressed = set(Suppression.objects.filter(email__in=emails).values_list("email", flat=True))
    member_ids = [row.member_id for row in rows if row.member_id]
    still_members = set(
        segments.opted_in_members().filter(pk__in=member_ids).values_list("pk", flat=True)
    ) if member_ids else set()
    subscriber_ids = [row.subscriber_id for row in rows if row.subscriber_id]
    still_subscribers = set(
        Subscriber.objects.filter(pk__in=subscriber_ids, status=SubscriberStatus.CONFIRMED).values_list("pk", flat=True)
    ) if subscriber_ids else set()
    drop: set[int] = set()
    for row in rows:
        if row.email in suppressed:
            drop.add(row.id)
        elif row.member_id and row.member_id not in still_members:
            drop.add(row.id)
        elif row.subscriber_id and row.subscriber_id not in still_subscribers:
            drop.add(row.id)
    return drop


def _mark(ids: list[int], **changes) -> None:
    if ids:
        # Only rows this worker still holds ('sending') change: a sweep may have moved them meanwhile.
        NewsletterDelivery.objects.filter(id__in=ids, status=DeliveryStatus.SENDING).update(**changes)


def _send_batch(composer: IssueComposer, rows: list[_Row], connection, result: DeliverResult) -> None:
    drop = _no_longer_wanted(rows)
    _mark(sorted(drop), status=DeliveryStatus.SKIPPED, claim="")
    result.skipped += len(drop)
    todo = [row for row in rows if row.id not in drop]

    sent: list[int] = []
    refused: list[tuple[int, str]] = []
    in_flight: int | None = None
    done = 0
    try:
        connection.open()
        try:
            for row in todo:
                try:
                    message = composer.message_for(delivery_id=row.id, email=row.email, name=row.name,
                                                   language=row.language)
                except ValueError as exc:  # HeaderInjection, malformed address: certainly not sent
                    refused.append((row.id, str(exc)[:300]))
                    done += 1
                    continue
                in_flight = row.id
                try:
                    accepted = connection.send_messages([message])
                except DEFINITE_REFUSALS as exc:
                    refused.append((row.id, str(exc)[:300]))
                else:
                    if accepted:
                        sent.append(row.id)
                    else:
                        refused.append((row.id, "The mail backend did not accept the message."))
                in_flight = None
                done += 1
        finally:
            connection.close()
    except BaseException:
        # The worker is stopping (bug, lost connection, SIGTERM): settle what we know, then let it stop.
        now = timezone.now()
        _mark(sent, status=DeliveryStatus.SENT, sent_at=now)
        for row_id, error in refused:
            _mark([row_id], status=DeliveryStatus.FAILED, error=error)
        if in_flight is not None:
            _mark([in_flight], status=DeliveryStatus.UNKNOWN,
                  error="The mail backend failed while taking this message; not resent.")
        untouched = [row.id for row in todo[done + (1 if in_flight is not None else 0):]]
        _mark(untouched, status=DeliveryStatus.PENDING, claim="", claimed_at=None)
        raise
    now = timezone.now()
    _mark(sent, status=DeliveryStatus.SENT, sent_at=now)
    for row_id, error in refused:
        _mark([row_id], status=DeliveryStatus.FAILED, error=error)
    result.sent += len(sent)
    result.failed += len(refused)


def deliver(issue_id: int, *, max_batches: int | None = None, connection=None, size: int | None = None,
            composer: IssueComposer | None = None) -> DeliverResult:
    """Send the pending deliveries of a sending issue, batch by batch, until done, paused or `max_batches`."""
    result = DeliverResult()
    size = size or batch_size()
    issue = NewsletterIssue.objects.select_related("segment").get(pk=issue_id)
    if issue.status != IssueStatus.SENDING:
        result.stopped = issue.status
        return result
    composer = composer or IssueComposer(issue)
    connection = connection or get_connection()
    while True:
        status = NewsletterIssue.objects.filter(pk=issue_id).values_list("status", flat=True).first()
        if status != IssueStatus.SENDING:  # paused or cancelled between two batches
            result.stopped = status or "deleted"
            return result
        if max_batches is not None and result.batches >= max_batches:
            result.stopped = "batch_limit"
            return result
        rows = _claim(issue_id, size)
        if not rows:
            issue_finish_if_done(issue_id)
            result.stopped = "done"
            return result
        _send_batch(composer, rows, connection, result)
        result.batches += 1


def issue_finish_if_done(issue_id: int) -> bool:
    """Mark a sending issue 'sent' once no row is waiting or in flight."""
    busy = NewsletterDelivery.objects.filter(
        issue_id=issue_id, status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING]
    ).exists()
    if busy:
        return False
    return bool(
        NewsletterIssue.objects.filter(pk=issue_id, status=IssueStatus.SENDING).update(
            status=IssueStatus.SENT, finished_at=timezone.now()
        )
    )


def deliveries_sweep(*, now: datetime | None = None) -> int:
    """Rows claimed by a worker that died (still 'sending' after the timeout) become 'unknown'; see above."""
    now = now or timezone.now()
    stale = NewsletterDelivery.objects.filter(status=DeliveryStatus.SENDING, claimed_at__lt=now - claim_timeout())
    issue_ids = sorted(set(stale.values_list("issue_id", flat=True)))
    count = stale.update(
        status=DeliveryStatus.UNKNOWN,
        error="The sending worker stopped before confirming this message; not resent to avoid mailing twice.",
    )
    if count:
        log.warning("newsletters: %d deliveries of issues %s were left in flight by a stopped worker and are "
                    "marked unknown (not resent)", count, issue_ids)
    for issue_id in issue_ids:
        issue_finish_if_done(issue_id)
    return count


def issues_needing_a_worker(*, now: datetime | None = None, grace: timedelta = timedelta(minutes=2)) -> list[int]:
    """Sending issues with work left and no worker seen recently (their task failed or was lost)."""
    now = now or timezone.now()
    recent = NewsletterDelivery.objects.filter(status=DeliveryStatus.SENDING, claimed_at__gte=now - claim_timeout())
    waiting = NewsletterDelivery.objects.filter(status=DeliveryStatus.PENDING).values("issue_id")
    return list(
        NewsletterIssue.objects.filter(status=IssueStatus.SENDING, started_at__lt=now - grace)
        .filter(Q(pk__in=waiting) | Q(prepared_at__isnull=True))
        .exclude(pk__in=recent.values("issue_id"))
        .values_list("pk", flat=True)
    )
