"""The sending engine: exactly once across crashes, retries and concurrent workers; pause and resume."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from unittest import mock

import pytest
from django.core.mail import get_connection
from django.utils import timezone

from community.content import actions, sending
from community.content.compose import IssueComposer
from community.content.models import (
    DeliveryStatus,
    IssueStatus,
    NewsletterDelivery,
    Subscriber,
    SubscriberStatus,
    Suppression,
)
from community.content.selectors import issue_report
from community.content.tasks import newsletter_send
from community.notifications import mail as mail_helpers

from .conftest import CrashAfter, deliver_in_threads


def _recipients(outbox) -> Counter:
    return Counter(message.to[0] for message in outbox)


@pytest.fixture
def audience(opted_in, make_member, make_subscriber):
    """7 opted-in members and 3 confirmed subscribers; plus people who must never be mailed."""
    members = [opted_in() for _ in range(7)]
    subscribers = [make_subscriber() for _ in range(3)]
    make_member()  # did not opt in
    make_subscriber(status=SubscriberStatus.PENDING)  # never confirmed
    make_subscriber(status=SubscriberStatus.UNSUBSCRIBED)
    bounced = opted_in()
    Suppression.objects.create(email=bounced.email, reason="hard_bounce")
    return sorted([m.email for m in members] + [s.email for s in subscribers])


def _start(issue):
    issue.status = IssueStatus.SENDING
    issue.started_at = timezone.now()
    issue.save()
    return sending.deliveries_prepare(issue)


@pytest.mark.django_db
def test_a_send_reaches_each_recipient_exactly_once(audience, make_issue, outbox):
    issue = make_issue()
    assert _start(issue) == 10
    result = sending.deliver(issue.pk, size=3)
    assert result.sent == 10 and result.batches == 4 and result.stopped == "done"
    assert sorted(_recipients(outbox)) == audience
    assert set(_recipients(outbox).values()) == {1}
    issue.refresh_from_db()
    assert issue.status == IssueStatus.SENT and issue.finished_at is not None
    report = issue_report(issue)
    assert (report.recipients, report.delivered, report.unknown) == (10, 10, 0)


@pytest.mark.django_db
def test_preparing_twice_writes_each_recipient_once(audience, make_issue):
    issue = make_issue()
    issue.status = IssueStatus.SENDING
    issue.save()
    assert sending.deliveries_prepare(issue) == 10
    issue.prepared_at = None  # as if the first run crashed before marking the issue prepared
    assert sending.deliveries_prepare(issue) == 10
    assert NewsletterDelivery.objects.filter(issue=issue).count() == 10


@pytest.mark.django_db
def test_prepared_rows_carry_each_recipient(opted_in, make_member, make_subscriber, make_issue):
    named = opted_in(display_name="Līga", locale="lv", email="Liga@Example.org")
    handle_only = opted_in(display_name="", locale="hy", handle="anahit")
    reader = make_subscriber("Reader@Example.org", language="sw", name="Neema")
    issue = make_issue()
    _start(issue)
    rows = {d.email: d for d in NewsletterDelivery.objects.filter(issue=issue)}
    assert set(rows) == {"liga@example.org", handle_only.email, "reader@example.org"}
    liga, anahit, neema = rows["liga@example.org"], rows[handle_only.email], rows["reader@example.org"]
    assert (liga.member_id, liga.subscriber_id, liga.name, liga.language) == (named.pk, None, "Līga", "lv")
    assert (anahit.member_id, anahit.name, anahit.language) == (handle_only.pk, "anahit", "hy")
    assert (neema.member_id, neema.subscriber_id, neema.name, neema.language) == (None, reader.pk, "Neema", "sw")
    assert {d.status for d in rows.values()} == {DeliveryStatus.PENDING}
    assert {(d.claim, d.error, d.open_count, d.click_count) for d in rows.values()} == {("", "", 0, 0)}


@pytest.mark.django_db
def test_a_worker_that_dies_mid_batch_resumes_without_mailing_anyone_twice(audience, make_issue, outbox):
    """The worker crashes after handing k=4 messages to the backend (in the middle of its second batch of 3);
    a rerun sends the rest, and every recipient holds exactly one copy."""
    issue = make_issue()
    _start(issue)
    real = IssueComposer.message_for
    calls = {"n": 0}

    def dying(self, **kwargs):
        calls["n"] += 1
        if calls["n"] == 5:
            raise RuntimeError("worker died")
        return real(self, **kwargs)

    with mock.patch.object(IssueComposer, "message_for", dying), pytest.raises(RuntimeError):
        sending.deliver(issue.pk, size=3)
    assert len(outbox) == 4
    statuses = Counter(NewsletterDelivery.objects.filter(issue=issue).values_list("status", flat=True))
    assert statuses == {DeliveryStatus.SENT: 4, DeliveryStatus.PENDING: 6}  # nothing left in limbo

    result = sending.deliver(issue.pk, size=3)  # the retry
    assert result.sent == 6
    assert sorted(_recipients(outbox)) == audience
    assert set(_recipients(outbox).values()) == {1}
    issue.refresh_from_db()
    assert issue.status == IssueStatus.SENT


@pytest.mark.django_db
def test_a_backend_failure_mid_message_is_never_retried(audience, make_issue, outbox):
    """The mail server drops the connection while taking message 5: it may or may not have it, so that one
    recipient is 'unknown' and never mailed again; everybody else gets exactly one copy."""
    issue = make_issue()
    _start(issue)
    CrashAfter.limit = 4
    with pytest.raises(ConnectionError):
        sending.deliver(issue.pk, size=3, connection=CrashAfter())
    assert len(outbox) == 4
    unknown = NewsletterDelivery.objects.get(issue=issue, status=DeliveryStatus.UNKNOWN)

    sending.deliver(issue.pk, size=3, connection=get_connection())
    counts = _recipients(outbox)
    assert max(counts.values()) == 1
    assert sorted(counts) == sorted(set(audience) - {unknown.email})
    assert issue_report(issue).unknown == 1


@pytest.mark.django_db
def test_rows_claimed_by_a_killed_worker_are_not_resent_and_become_unknown(audience, make_issue, outbox):
    """SIGKILL after claiming a batch: no Python ran to settle it. Those rows are never resent (some may have
    been delivered); the sweep marks them unknown after the timeout and the issue is finished."""
    issue = make_issue()
    _start(issue)
    claimed = sending._claim(issue.pk, 3)  # the worker that is then killed
    assert len(claimed) == 3

    sending.deliver(issue.pk, size=3)  # another worker, or the retry
    assert len(outbox) == 7
    assert not set(_recipients(outbox)) & {row.email for row in claimed}
    issue.refresh_from_db()
    assert issue.status == IssueStatus.SENDING  # rows still in flight

    assert sending.deliveries_sweep(now=timezone.now()) == 0  # too early: the worker may still be alive
    later = timezone.now() + sending.claim_timeout() + timedelta(seconds=1)
    assert sending.deliveries_sweep(now=later) == 3
    assert set(NewsletterDelivery.objects.filter(status=DeliveryStatus.UNKNOWN).values_list("email", flat=True)) == {
        row.email for row in claimed}
    issue.refresh_from_db()
    assert issue.status == IssueStatus.SENT
    sending.deliver(issue.pk, size=3)
    assert len(outbox) == 7


@pytest.mark.django_db
def test_the_send_task_running_twice_mails_nobody_twice(audience, make_issue, outbox):
    issue = make_issue()
    issue.status = IssueStatus.SENDING
    issue.save()
    first = newsletter_send.enqueue(issue.pk)  # ImmediateBackend in tests: runs now
    second = newsletter_send.enqueue(issue.pk)
    assert first.return_value["sent"] == 10
    assert second.return_value == {"stopped": IssueStatus.SENT}
    assert sorted(_recipients(outbox)) == audience and set(_recipients(outbox).values()) == {1}


@pytest.mark.django_db
def test_two_workers_never_send_the_same_row(audience, make_issue, outbox):
    """Worker A claims a batch; worker B runs the whole send meanwhile; A then sends its batch."""
    issue = make_issue()
    _start(issue)
    rows_a = sending._claim(issue.pk, 3)
    sending.deliver(issue.pk, size=3)  # worker B
    result = sending.DeliverResult()
    sending._send_batch(IssueComposer(issue), rows_a, get_connection(), result)  # worker A goes on
    assert result.sent == 3
    assert sorted(_recipients(outbox)) == audience and set(_recipients(outbox).values()) == {1}
    assert sending.issue_finish_if_done(issue.pk)


@pytest.mark.django_db
def test_a_claim_only_takes_pending_rows(audience, make_issue):
    issue = make_issue()
    _start(issue)
    first = {row.id for row in sending._claim(issue.pk, 4)}
    second = {row.id for row in sending._claim(issue.pk, 4)}
    assert len(first) == len(second) == 4 and not first & second


@pytest.mark.django_db
def test_pause_stops_between_batches_and_resume_finishes(audience, make_issue, editor, outbox,
                                                         django_capture_on_commit_callbacks):
    issue = make_issue()
    _start(issue)
    real = IssueComposer.message_for

    def pause_during_first_batch(self, **kwargs):
        if not outbox:  # the editor presses "pause" while the first batch is going out
            actions.issue_pause(actor=editor, issue=issue)
        return real(self, **kwargs)

    with mock.patch.object(IssueComposer, "message_for", pause_during_first_batch):
        result = sending.deliver(issue.pk, size=4)
    assert result.stopped == IssueStatus.PAUSED
    assert len(outbox) == 4  # the batch in flight finished, no further batch started
    assert sending.deliver(issue.pk, size=4).sent == 0  # a paused issue sends nothing
    assert NewsletterDelivery.objects.filter(issue=issue, status=DeliveryStatus.PENDING).count() == 6

    with django_capture_on_commit_callbacks(execute=True):
        actions.issue_resume(actor=editor, issue=issue)
    assert sorted(_recipients(outbox)) == audience and set(_recipients(outbox).values()) == {1}
    issue.refresh_from_db()
    assert issue.status == IssueStatus.SENT


@pytest.mark.django_db
def test_send_now_through_the_action_and_task(audience, make_issue, editor, outbox,
                                              django_capture_on_commit_callbacks):
    issue = make_issue()
    with django_capture_on_commit_callbacks(execute=True):
        actions.issue_send_now(actor=editor, issue=issue)
    assert sorted(_recipients(outbox)) == audience
    with pytest.raises(actions.NewsletterError):
        actions.issue_send_now(actor=editor, issue=issue)


@pytest.mark.django_db
def test_members_cannot_send(member, make_issue):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        actions.issue_send_now(actor=member, issue=make_issue())


@pytest.mark.django_db
def test_unsubscribed_or_suppressed_after_preparing_are_skipped(audience, make_issue, outbox):
    issue = make_issue()
    _start(issue)
    member_row = NewsletterDelivery.objects.filter(issue=issue, member__isnull=False).first()
    member_row.member.settings.newsletter_opt_in = False
    member_row.member.settings.save()
    subscriber_row = NewsletterDelivery.objects.filter(issue=issue, subscriber__isnull=False).first()
    Subscriber.objects.filter(pk=subscriber_row.subscriber_id).update(status=SubscriberStatus.UNSUBSCRIBED)
    bounced_row = NewsletterDelivery.objects.filter(issue=issue, member__isnull=False).exclude(
        pk=member_row.pk).first()
    Suppression.objects.create(email=bounced_row.email, reason="complaint")

    result = sending.deliver(issue.pk, size=4)
    assert result.sent == 7 and result.skipped == 3
    assert not {member_row.email, subscriber_row.email, bounced_row.email} & set(_recipients(outbox))


@pytest.mark.django_db
def test_scheduled_issue_starts_at_its_time(audience, make_issue, editor, outbox,
                                            django_capture_on_commit_callbacks):
    issue = make_issue()
    send_at = timezone.now() + timedelta(hours=2)
    actions.issue_schedule(actor=editor, issue=issue, send_at=send_at)
    with django_capture_on_commit_callbacks(execute=True):
        assert actions.newsletters_tick(now=send_at - timedelta(seconds=1))["started"] == 0
    assert outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        assert actions.newsletters_tick(now=send_at)["started"] == 1
    assert sorted(_recipients(outbox)) == audience


@pytest.mark.django_db
def test_tick_resumes_a_send_whose_task_was_lost(audience, make_issue, outbox, django_capture_on_commit_callbacks):
    issue = make_issue()
    _start(issue)
    later = timezone.now() + timedelta(minutes=5)
    with django_capture_on_commit_callbacks(execute=True):
        assert actions.newsletters_tick(now=later)["resumed"] == 1
    assert sorted(_recipients(outbox)) == audience


# --- Headers, personalisation, unsubscribe headers --------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["subject", "from_name", "preheader"])
@pytest.mark.parametrize("evil", ["Hello\r\nBcc: everyone@example.org", "Hi\nX-Injected: 1", "A\rB", "x\x00y"])
def test_header_injection_is_refused_when_writing(editor, segment_all, field, evil):
    kwargs = {"subject": "Fine subject", field: evil}
    with pytest.raises(actions.NewsletterError):
        actions.issue_create(actor=editor, segment=segment_all, **kwargs)


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["subject", "from_name"])
def test_header_injection_that_reached_the_database_sends_nothing(audience, make_issue, editor, outbox, field):
    issue = make_issue()
    setattr(issue, field, "Tips\r\nBcc: everyone@example.org")
    issue.save()
    with pytest.raises(actions.NewsletterError):
        actions.issue_send_now(actor=editor, issue=issue)
    issue.status = IssueStatus.SENDING
    issue.save()
    sending.deliveries_prepare(issue)
    with pytest.raises(mail_helpers.HeaderInjection):
        sending.deliver(issue.pk)
    assert outbox == []
    assert not NewsletterDelivery.objects.filter(issue=issue).exclude(status=DeliveryStatus.PENDING).exists()


@pytest.mark.django_db
def test_messages_are_personal_and_carry_one_click_unsubscribe(opted_in, make_issue, outbox):
    amani = opted_in(display_name="Amani <b>O</b>", locale="sw")
    sam = opted_in(display_name="Sam", locale="en")
    issue = make_issue(from_name="Tips Team")
    _start(issue)
    sending.deliver(issue.pk)
    by_to = {message.to[0]: message for message in outbox}
    to_amani, to_sam = by_to[amani.email], by_to[sam.email]
    html_amani = to_amani.alternatives[0][0]
    assert "Amani &lt;b&gt;O&lt;/b&gt;" in html_amani and "<b>O</b>" not in html_amani
    assert "Amani <b>O</b>" in to_amani.body  # plain text part: text, not HTML
    assert '<html lang="sw">' in html_amani and '<html lang="en">' in to_sam.alternatives[0][0]
    assert "Sam" in to_sam.body
    assert to_amani.from_email.startswith("Tips Team <")
    for message in (to_amani, to_sam):
        assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message.extra_headers["List-Unsubscribe"].startswith("<http")
        assert "/newsletters/unsubscribe/" in message.extra_headers["List-Unsubscribe"]
    assert to_amani.extra_headers["List-Unsubscribe"] != to_sam.extra_headers["List-Unsubscribe"]


@pytest.mark.django_db
def test_recommended_topics_follow_the_recipient_language(opted_in, make_issue, outbox):
    from community.forum.models import Category, Topic

    category = Category.objects.create(name="General", slug="general")
    Topic.objects.create(category=category, title="Mada ya Kiswahili", slug="mada", language="sw")
    Topic.objects.create(category=category, title="An English topic", slug="topic", language="en")
    amani, sam = opted_in(locale="sw"), opted_in(locale="en")
    issue = make_issue()
    _start(issue)
    sending.deliver(issue.pk)
    by_to = {message.to[0]: message.body for message in outbox}
    assert "Mada ya Kiswahili" in by_to[amani.email] and "An English topic" not in by_to[amani.email]
    assert "An English topic" in by_to[sam.email] and "Mada ya Kiswahili" not in by_to[sam.email]


@pytest.mark.django_db
def test_tracking_rewrites_links_and_adds_a_pixel(opted_in, make_issue, outbox):
    opted_in()
    issue = make_issue()
    _start(issue)
    sending.deliver(issue.pk)
    html = outbox[0].alternatives[0][0]
    assert "/n/c/" in html and "/n/o/" in html
    assert 'href="https://example.com/guide"' not in html


@pytest.mark.django_db
@pytest.mark.parametrize("switch", ["setting", "issue"])
def test_tracking_can_be_switched_off(opted_in, make_issue, outbox, settings, switch):
    opted_in()
    if switch == "setting":
        settings.NEWSLETTER_TRACKING = False
        issue = make_issue()
    else:
        issue = make_issue(tracking=False)
    _start(issue)
    sending.deliver(issue.pk)
    html = outbox[0].alternatives[0][0]
    assert "/n/c/" not in html and "/n/o/" not in html
    assert 'href="https://example.com/guide"' in html


@pytest.mark.django_db
def test_send_a_test_to_yourself(make_issue, editor, outbox, django_capture_on_commit_callbacks):
    issue = make_issue()
    with django_capture_on_commit_callbacks(execute=True):
        actions.issue_send_test(actor=editor, issue=issue)
    assert [m.to for m in outbox] == [[editor.email]]
    assert outbox[0].subject.startswith("[Test]")
    assert "/n/o/" not in outbox[0].alternatives[0][0]
    assert not NewsletterDelivery.objects.exists()


# --- Real concurrency (PostgreSQL) ------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_on_postgresql_mail_everyone_exactly_once(opted_in, make_subscriber, make_issue):
    from django.core import mail

    mail.outbox = []
    for _ in range(6):
        opted_in()
    for _ in range(54):
        make_subscriber()
    issue = make_issue()
    _start(issue)
    assert deliver_in_threads(issue.pk, workers=4, size=4) == []
    counts = _recipients(mail.outbox)
    assert len(counts) == 60 and set(counts.values()) == {1}
    issue.refresh_from_db()
    assert issue.status == IssueStatus.SENT


@pytest.mark.django_db
def test_segment_without_subscribers_still_prepares_members(make_member, editor):
    """A segment that leaves out non-member subscribers has an empty subscriber query (no SQL at all)."""
    from accounts.models import MemberSettings
    from community.content.actions.newsletters import issue_create, segment_save
    from community.content.models import NewsletterDelivery
    from community.content.sending import deliveries_prepare

    reader = make_member(locale="lv")
    MemberSettings.objects.filter(user=reader).update(newsletter_opt_in=True)
    segment = segment_save(actor=editor, name="Latvian", kind="language", language="lv", include_subscribers=False)
    issue = issue_create(actor=editor, subject="Hello", body="Hi", segment=segment)
    assert deliveries_prepare(issue) == 1
    assert list(NewsletterDelivery.objects.values_list("email", flat=True)) == [reader.email]
