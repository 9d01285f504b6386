"""The newsletter sending engine: exactly-once, resumable, pausable, batched.

How a send travels
------------------
1. `deliveries_prepare(issue)` writes one NewsletterDelivery row per recipient (unique per issue and address)
   with INSERT ... SELECT ... ON CONFLICT DO NOTHING, inside the database: running it again after a crash only
   adds what is missing. Suppressed addresses are never written.
2. `deliver(issue_id)` works through the rows batch by batch. Each claim only takes rows while the issue is
   'sending', so "pause" takes effect at the next batch boundary and "resume" starts where the send stopped.
3. Each batch is *claimed* with one conditional UPDATE ... SET status='sending', claim=<token>
   WHERE id IN (<the next pending ids>) AND status='pending' RETURNING <the rows>: one statement per batch.
   The database applies the condition row by row under its row lock, so two workers (or a task that runs
   twice) can never both claim a row: each worker sends only the rows that carry its own claim token. On
   PostgreSQL the ids are picked with FOR UPDATE SKIP LOCKED, so concurrent workers take different rows. The
   same statement moves the rows whose recipient unsubscribed or was suppressed since preparing to 'skipped'.
   Each worker keeps a cursor (the last id it claimed) so that a claim starts where its previous one ended;
   before calling a send done it looks once more from the start (rows handed back by a failed worker).
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

import functools
import logging
import smtplib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import (
    BigIntegerField, Case, CharField, Exists, F, IntegerField, OuterRef, Q, QuerySet, Value, When,
)
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
        if connection.vendor == "postgresql":
            # Fresh statistics after the bulk insert (autovacuum may wait long on a big table). Planned with
            # the old ones, where the partial index of pending rows looked nearly empty, each claim fetched its
            # rows by scanning all pending rows instead of by primary key: ~100 ms a batch at 20,000 rows
            # instead of ~15, growing with the send.
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(NewsletterDelivery._meta.db_table)}")
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
    claim: str = ""  # the batch token this row was claimed with
    skipped: bool = False  # the recipient no longer wants newsletters: claimed straight into 'skipped'


def _unwanted() -> Q:
    """Rows whose recipient unsubscribed or was suppressed after the rows were written (checked per batch)."""
    return (
        Q(Exists(Suppression.objects.filter(email=OuterRef("email"))))
        | (Q(member_id__isnull=False) & ~Exists(segments.opted_in_members().filter(pk=OuterRef("member_id"))))
        | (Q(subscriber_id__isnull=False) & ~Exists(
            Subscriber.objects.filter(pk=OuterRef("subscriber_id"), status=SubscriberStatus.CONFIRMED)))
    )


@functools.cache
def _claim_sql(vendor: str) -> tuple[str, tuple]:
    """The claim statement and the parameters of its 'no longer wanted' condition (built once per backend).

    The condition is compiled by the ORM from `_unwanted()` with its columns qualified by the table name, so
    that it refers to the row being updated.
    """
    query = NewsletterDelivery.objects.filter(_unwanted()).query
    unwanted, unwanted_params = query.get_compiler(connection=connection).compile(query.where)
    quote = connection.ops.quote_name
    names = {"table": quote(NewsletterDelivery._meta.db_table), "issues": quote(NewsletterIssue._meta.db_table),
             "issue_status": quote(NewsletterIssue._meta.get_field("status").column)}
    for field in ("id", "issue", "status", "claim", "claimed_at", "email", "name", "language", "member",
                  "subscriber"):
        names[field] = quote(NewsletterDelivery._meta.get_field(field).column)
    # The next pending rows of the issue after this worker's cursor, in (issue, id) order: a range scan of the
    # partial index content_delivery_pending_idx that starts at (issue, cursor), so it never walks the index
    # entries of batches already claimed. Written as a row-value range ordered by both columns, with no
    # `issue_id = ...`, on purpose: with an equality PostgreSQL reduces the order to "ORDER BY id" and may
    # then walk the primary key from the start, through every row of every other issue (seen: 250 ms a batch).
    pick = """
            SELECT queue.{id} FROM {table} queue
            WHERE (queue.{issue}, queue.{id}) > (%s, %s) AND queue.{issue} <= %s AND queue.{status} = %s
              AND EXISTS (SELECT 1 FROM {issues} issue WHERE issue.{id} = %s AND issue.{issue_status} = %s)
            ORDER BY queue.{issue}, queue.{id} LIMIT %s""".format(**names)
    if vendor == "postgresql":
        # ARRAY(...) runs the pick exactly once (an InitPlan), then each row is fetched by primary key. With
        # `id IN (SELECT ... LIMIT n FOR UPDATE SKIP LOCKED)` PostgreSQL may run the subquery again for every
        # row of a nested loop, each run skipping the rows just updated: more than n rows would be claimed.
        # SKIP LOCKED: concurrent workers take the next rows instead of waiting for each other's.
        batch = f"= ANY(ARRAY({pick} FOR UPDATE SKIP LOCKED))"
    else:  # SQLite runs an uncorrelated IN (SELECT ...) once; its writers are serialised anyway
        batch = f"IN ({pick})"
    sql = """
        UPDATE {table} SET {status} = CASE WHEN <unwanted> THEN %s ELSE %s END, {claim} = %s, {claimed_at} = %s
        WHERE {id} <batch> AND {status} = %s
        RETURNING {id}, {email}, {name}, {language}, {member}, {subscriber}, {status}""".format(**names)
    sql = sql.replace("<unwanted>", unwanted).replace("<batch>", batch)
    return sql, tuple(unwanted_params)


def _claim(issue_id: int, size: int, *, after: int = 0) -> list[_Row]:
    """Claim up to `size` pending rows (with an id above `after`) for this worker; see the module docstring.

    One statement does it all (PostgreSQL and SQLite >= 3.35 both have UPDATE ... RETURNING):
    - the inner SELECT picks the next pending rows through the partial index on pending rows, starting after
      this worker's last claimed id (so that it does not walk the index entries of earlier batches), and only
      while the issue is still 'sending' (a pause stops the next claim). On PostgreSQL it locks them with
      FOR UPDATE SKIP LOCKED, so that concurrent workers take different rows instead of queueing on the same;
    - the outer `status = 'pending'` condition is what guarantees exactly-once: the database re-checks it
      under the row lock, so a row is claimed by one statement only;
    - the CASE moves rows whose recipient no longer wants newsletters straight to 'skipped'.
    """
    sql, unwanted_params = _claim_sql(connection.vendor)
    token = uuid.uuid4().hex
    params = [*unwanted_params, DeliveryStatus.SKIPPED, DeliveryStatus.SENDING, token, timezone.now(),
              issue_id, after, issue_id, DeliveryStatus.PENDING, issue_id, IssueStatus.SENDING, size,
              DeliveryStatus.PENDING]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        claimed = cursor.fetchall()
    rows = [_Row(*row[:6], claim=token, skipped=row[6] == DeliveryStatus.SKIPPED) for row in claimed]
    rows.sort(key=lambda row: row.id)  # RETURNING gives no order
    return rows


def _mark(ids: list[int], token: str, **changes) -> None:
    if ids:
        # Only rows this batch still holds change: a sweep may have moved them meanwhile.
        NewsletterDelivery.objects.filter(id__in=ids, status=DeliveryStatus.SENDING, claim=token).update(**changes)


def _send_batch(composer: IssueComposer, rows: list[_Row], connection, result: DeliverResult) -> None:
    """Send the rows of one claim (rows already 'skipped' by the claim are only counted)."""
    result.skipped += sum(row.skipped for row in rows)
    todo = [row for row in rows if not row.skipped]
    if not todo:
        return
    token = todo[0].claim

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
        _mark(sent, token, status=DeliveryStatus.SENT, sent_at=now)
        for row_id, error in refused:
            _mark([row_id], token, status=DeliveryStatus.FAILED, error=error)
        if in_flight is not None:
            _mark([in_flight], token, status=DeliveryStatus.UNKNOWN,
                  error="The mail backend failed while taking this message; not resent.")
        untouched = [row.id for row in todo[done + (1 if in_flight is not None else 0):]]
        _mark(untouched, token, status=DeliveryStatus.PENDING, claim="", claimed_at=None)
        raise
    now = timezone.now()
    _mark(sent, token, status=DeliveryStatus.SENT, sent_at=now)
    for row_id, error in refused:
        _mark([row_id], token, status=DeliveryStatus.FAILED, error=error)
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
    after = 0  # this worker's cursor: the last id it claimed
    while True:
        if max_batches is not None and result.batches >= max_batches:
            result.stopped = "batch_limit"
            return result
        rows = _claim(issue_id, size, after=after)  # claims nothing once the issue is no longer 'sending'
        if not rows:
            status = NewsletterIssue.objects.filter(pk=issue_id).values_list("status", flat=True).first()
            if status != IssueStatus.SENDING:  # paused or cancelled between two batches
                result.stopped = status or "deleted"
                return result
            if after:
                # Rows below the cursor can be pending again (a concurrent worker's batch that failed, rows
                # added by a late prepare): look once more from the start before calling the send done.
                after = 0
                continue
            issue_finish_if_done(issue_id)
            result.stopped = "done"
            return result
        after = rows[-1].id
        _send_batch(composer, rows, connection, result)
        result.batches += 1


def issue_finish_if_done(issue_id: int) -> bool:
    """Mark a sending issue 'sent' once no row is waiting or in flight."""
    rows = NewsletterDelivery.objects.filter(issue_id=issue_id)
    # Two queries, each with the exact condition of a partial index (SQLite matches them literally).
    if rows.filter(status=DeliveryStatus.PENDING).exists() or rows.filter(status=DeliveryStatus.SENDING).exists():
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
