"""The one-statement claim of the sending engine: batch size and order, the worker's cursor, the pause, the
recipients who left since preparing, and (PostgreSQL) concurrent workers that never share a row."""

from __future__ import annotations

import threading
from collections import Counter
from unittest import mock

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from community.content import sending
from community.content.compose import IssueComposer
from community.content.models import (
    DeliveryStatus,
    IssueStatus,
    NewsletterDelivery,
    Subscriber,
    SubscriberStatus,
    Suppression,
)

from .conftest import deliver_in_threads


def _prepared_issue(opted_in, make_subscriber, make_issue, *, members: int, subscribers: int):
    """A sending issue to `members` opted-in members and `subscribers` confirmed subscribers, prepared."""
    for _ in range(members):
        opted_in()
    for _ in range(subscribers):
        make_subscriber()
    issue = make_issue()
    issue.status = IssueStatus.SENDING
    issue.started_at = timezone.now()
    issue.save()
    assert sending.deliveries_prepare(issue) == members + subscribers
    return issue


@pytest.fixture
def prepared(opted_in, make_subscriber, make_issue):
    """A sending issue with 4 opted-in members and 6 confirmed subscribers, prepared (10 pending rows)."""
    return _prepared_issue(opted_in, make_subscriber, make_issue, members=4, subscribers=6)


def _statuses(issue) -> Counter:
    return Counter(NewsletterDelivery.objects.filter(issue=issue).values_list("status", flat=True))


@pytest.mark.django_db
def test_a_claim_takes_the_next_rows_in_id_order_after_the_cursor(prepared, django_assert_num_queries):
    ids = list(NewsletterDelivery.objects.filter(issue=prepared).order_by("id").values_list("id", flat=True))
    with django_assert_num_queries(1):  # pick, lock, check the recipients and claim: one statement
        first = sending._claim(prepared.pk, 3)
    assert [row.id for row in first] == ids[:3]
    second = sending._claim(prepared.pk, 3, after=first[-1].id)
    assert [row.id for row in second] == ids[3:6]
    assert len({row.claim for row in first}) == 1 and first[0].claim != second[0].claim
    claimed = NewsletterDelivery.objects.filter(id__in=ids[:6])
    assert {(d.status, d.claim) for d in claimed.filter(id__in=ids[:3])} == {(DeliveryStatus.SENDING, first[0].claim)}
    assert all(d.claimed_at is not None for d in claimed)
    assert _statuses(prepared) == {DeliveryStatus.SENDING: 6, DeliveryStatus.PENDING: 4}
    # the cursor bounds the claim: nothing below it is taken, even if pending
    assert [row.id for row in sending._claim(prepared.pk, 100, after=ids[-2])] == ids[-1:]


@pytest.mark.django_db
def test_a_claim_only_takes_rows_of_its_issue(prepared, make_issue):
    other = make_issue(subject="Another issue")
    other.status = IssueStatus.SENDING
    other.save()
    sending.deliveries_prepare(other)
    rows = sending._claim(prepared.pk, 100)
    assert {row.id for row in rows} == set(
        NewsletterDelivery.objects.filter(issue=prepared).values_list("id", flat=True))
    assert _statuses(other) == {DeliveryStatus.PENDING: 10}


@pytest.mark.django_db
def test_a_paused_issue_claims_nothing(prepared):
    prepared.status = IssueStatus.PAUSED
    prepared.save()
    assert sending._claim(prepared.pk, 5) == []
    assert _statuses(prepared) == {DeliveryStatus.PENDING: 10}


@pytest.mark.django_db
def test_recipients_who_left_since_preparing_are_skipped_by_the_claim_itself(prepared):
    rows = NewsletterDelivery.objects.filter(issue=prepared)
    member_row = rows.filter(member__isnull=False).order_by("id").first()
    member_row.member.settings.newsletter_opt_in = False
    member_row.member.settings.save()
    subscriber_row = rows.filter(subscriber__isnull=False).order_by("id").first()
    Subscriber.objects.filter(pk=subscriber_row.subscriber_id).update(status=SubscriberStatus.UNSUBSCRIBED)
    bounced_row = rows.filter(subscriber__isnull=False).order_by("-id").first()
    Suppression.objects.create(email=bounced_row.email, reason="hard_bounce")

    claimed = sending._claim(prepared.pk, 100)
    assert len(claimed) == 10
    gone = {member_row.id, subscriber_row.id, bounced_row.id}
    assert {row.id for row in claimed if row.skipped} == gone
    assert set(rows.filter(status=DeliveryStatus.SKIPPED).values_list("id", flat=True)) == gone
    assert _statuses(prepared) == {DeliveryStatus.SENDING: 7, DeliveryStatus.SKIPPED: 3}


@pytest.mark.django_db
def test_a_batch_of_only_skipped_rows_does_not_end_the_send(prepared, outbox):
    first_three = NewsletterDelivery.objects.filter(issue=prepared).order_by("id")[:3]
    for delivery in first_three:
        Suppression.objects.create(email=delivery.email, reason="complaint")
    result = sending.deliver(prepared.pk, size=3)
    assert (result.sent, result.skipped, result.stopped) == (7, 3, "done")
    assert len(outbox) == 7
    prepared.refresh_from_db()
    assert prepared.status == IssueStatus.SENT


@pytest.mark.django_db
def test_rows_handed_back_below_the_cursor_are_still_sent(prepared, outbox):
    """Another worker claimed the first rows, then failed and handed them back to 'pending' while this worker's
    cursor was already past them: this worker looks again from the start before calling the send done."""
    other = sending._claim(prepared.pk, 3)  # the other worker
    real = IssueComposer.message_for
    calls = {"n": 0}

    def hand_back_during_first_message(self, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:  # the other worker fails and settles: its rows were never handed to a backend
            sending._mark([row.id for row in other], other[0].claim, status=DeliveryStatus.PENDING, claim="",
                          claimed_at=None)
        return real(self, **kwargs)

    with mock.patch.object(IssueComposer, "message_for", hand_back_during_first_message):
        result = sending.deliver(prepared.pk, size=4)
    assert result.sent == 10 and result.stopped == "done"
    counts = Counter(message.to[0] for message in outbox)
    assert len(counts) == 10 and set(counts.values()) == {1}
    assert _statuses(prepared) == {DeliveryStatus.SENT: 10}
    prepared.refresh_from_db()
    assert prepared.status == IssueStatus.SENT


@pytest.mark.django_db
def test_marks_only_touch_rows_of_their_own_claim(prepared):
    rows = sending._claim(prepared.pk, 3)
    sending._mark([row.id for row in rows], "some-other-token", status=DeliveryStatus.SENT)
    assert _statuses(prepared)[DeliveryStatus.SENT] == 0
    sending._mark([row.id for row in rows], rows[0].claim, status=DeliveryStatus.SENT)
    assert _statuses(prepared)[DeliveryStatus.SENT] == 3


# --- Real concurrency (PostgreSQL) ------------------------------------------------------------------------


@pytest.fixture
def big_send(opted_in, make_subscriber, make_issue):
    return _prepared_issue(opted_in, make_subscriber, make_issue, members=5, subscribers=195)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_on_postgresql_never_share_a_row(big_send):
    """Four workers claim at the same moment, again and again, until nothing is left."""
    start = threading.Barrier(4)
    claimed: dict[int, list[sending._Row]] = {}
    errors = []

    def worker(number):
        try:
            start.wait(timeout=10)
            rows, after = [], 0
            while batch := sending._claim(big_send.pk, 7, after=after):
                assert len(batch) <= 7
                rows += batch
                after = batch[-1].id
            claimed[number] = rows
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    ids = [row.id for rows in claimed.values() for row in rows]
    assert len(ids) == len(set(ids)) == 200
    # each row carries the token of the one claim that returned it
    tokens = dict(NewsletterDelivery.objects.filter(issue=big_send).values_list("id", "claim"))
    assert all(tokens[row.id] == row.claim for rows in claimed.values() for row in rows)
    assert _statuses(big_send) == {DeliveryStatus.SENDING: 200}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_claim_on_postgresql_skips_rows_locked_by_a_claim_in_progress(big_send):
    """Worker A's claim is not committed yet (its rows are locked): worker B does not wait for it, it takes the
    next rows; when A commits, each row belongs to exactly one of them."""
    a_claimed, a_may_commit = threading.Event(), threading.Event()
    found: dict[str, list[sending._Row]] = {}
    errors = []

    def worker_a():
        try:
            with transaction.atomic():
                found["a"] = sending._claim(big_send.pk, 50)
                a_claimed.set()
                assert a_may_commit.wait(timeout=20)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
            a_claimed.set()
        finally:
            connections.close_all()

    def worker_b():
        try:
            assert a_claimed.wait(timeout=20)
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '5s'")  # waiting on A's locks would fail, not hang
            found["b"] = sending._claim(big_send.pk, 50)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            a_may_commit.set()
            connections.close_all()

    threads = [threading.Thread(target=worker_a), threading.Thread(target=worker_b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    a_ids, b_ids = {row.id for row in found["a"]}, {row.id for row in found["b"]}
    assert len(a_ids) == len(b_ids) == 50 and not a_ids & b_ids
    assert max(a_ids) < min(b_ids)  # B took the next rows in the queue
    assert _statuses(big_send) == {DeliveryStatus.SENDING: 100, DeliveryStatus.PENDING: 100}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_senders_on_postgresql_mail_everyone_once_with_a_pause_and_resume(big_send):
    """Three workers send with small batches; the issue is paused mid-send, then resumed with two workers."""
    from django.core import mail

    mail.outbox = []
    lock = threading.Lock()
    sent_so_far = {"n": 0}
    real = IssueComposer.message_for

    def pausing(self, **kwargs):
        with lock:
            sent_so_far["n"] += 1
            if sent_so_far["n"] == 60:
                type(big_send).objects.filter(pk=big_send.pk).update(status=IssueStatus.PAUSED)
        return real(self, **kwargs)

    with mock.patch.object(IssueComposer, "message_for", pausing):
        assert deliver_in_threads(big_send.pk, workers=3, size=9) == []
    assert 60 <= len(mail.outbox) < 200  # the batches in flight finished, then everybody stopped
    assert _statuses(big_send)[DeliveryStatus.SENDING] == 0
    type(big_send).objects.filter(pk=big_send.pk).update(status=IssueStatus.SENDING)
    assert deliver_in_threads(big_send.pk, workers=2, size=9) == []
    counts = Counter(message.to[0] for message in mail.outbox)
    assert len(counts) == 200 and set(counts.values()) == {1}
    assert _statuses(big_send) == {DeliveryStatus.SENT: 200}
    big_send.refresh_from_db()
    assert big_send.status == IssueStatus.SENT
