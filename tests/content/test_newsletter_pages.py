"""The editors' newsletter pages: compose, preview, test, schedule, send, pause, report; members kept out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from community.content.models import IssueStatus, NewsletterIssue, Segment


@pytest.fixture
def editor_client(editor, login):
    return login(editor)


@pytest.mark.django_db
def test_compose_preview_test_and_send(editor_client, editor, opted_in, make_article, segment_all, outbox,
                                       django_capture_on_commit_callbacks):
    readers = [opted_in() for _ in range(3)]
    article = make_article(title="Picked tip")
    response = editor_client.post("/newsletters/new/", {
        "subject": "Hello readers", "preheader": "Short", "from_name": "Tips", "body": "Hi **all**",
        "articles": [article.pk], "segment": segment_all.pk, "tracking": "on",
    })
    issue = NewsletterIssue.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/newsletters/{issue.pk}/"
    assert list(issue.articles.all()) == [article]

    page = editor_client.get(f"/newsletters/{issue.pk}/")
    assert page.status_code == 200 and "3 recipients now" in page.content.decode()
    preview = editor_client.get(f"/newsletters/{issue.pk}/preview/message/?language=sw")
    assert preview.status_code == 200
    assert "Picked tip" in preview.content.decode() and "<strong>all</strong>" in preview.content.decode()
    assert "sandbox" in preview["Content-Security-Policy"]
    assert editor_client.get(f"/newsletters/{issue.pk}/preview/").status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        editor_client.post(f"/newsletters/{issue.pk}/test/")
    assert [m.to for m in outbox] == [[editor.email]]

    with django_capture_on_commit_callbacks(execute=True):
        editor_client.post(f"/newsletters/{issue.pk}/state/", {"action": "send"})
    assert sorted(m.to[0] for m in outbox[1:]) == sorted(r.email for r in readers)
    report = editor_client.get(f"/newsletters/{issue.pk}/report/")
    assert report.status_code == 200 and "Delivered" in report.content.decode()


@pytest.mark.django_db
def test_header_injection_in_the_form_is_a_form_error(editor_client, segment_all):
    response = editor_client.post("/newsletters/new/", {
        "subject": "Hello", "from_name": "Tips\r\nBcc: all@example.org", "segment": segment_all.pk,
    })
    assert response.status_code == 200 and not NewsletterIssue.objects.exists()
    assert "line breaks" in response.content.decode()


@pytest.mark.django_db
def test_schedule_pause_resume_cancel_through_the_page(editor_client, make_issue):
    issue = make_issue()
    when = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    editor_client.post(f"/newsletters/{issue.pk}/state/", {"action": "schedule", "send_at": when})
    issue.refresh_from_db()
    assert issue.status == IssueStatus.SCHEDULED and issue.send_at > timezone.now()
    NewsletterIssue.objects.filter(pk=issue.pk).update(status=IssueStatus.SENDING)
    editor_client.post(f"/newsletters/{issue.pk}/state/", {"action": "pause"})
    issue.refresh_from_db()
    assert issue.status == IssueStatus.PAUSED
    editor_client.post(f"/newsletters/{issue.pk}/state/", {"action": "cancel"})
    issue.refresh_from_db()
    assert issue.status == IssueStatus.CANCELLED


@pytest.mark.django_db
def test_segment_pages(editor_client):
    response = editor_client.post("/newsletters/segments/new/", {
        "name": "Latvian readers", "kind": "language", "language": "lv", "include_subscribers": "on"})
    assert response.status_code == 302
    segment = Segment.objects.get()
    assert (segment.kind, segment.language) == ("language", "lv")
    assert "Latvian readers" in editor_client.get("/newsletters/segments/").content.decode()
    assert editor_client.get(f"/newsletters/segments/{segment.pk}/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/newsletters/", "/newsletters/new/", "/newsletters/segments/",
                                 "/newsletters/segments/new/"])
def test_members_are_kept_out(member_client, url):
    assert member_client.get(url).status_code in (403, 404)


@pytest.mark.django_db
def test_members_cannot_touch_an_issue(member_client, make_issue, outbox):
    issue = make_issue()
    for url in (f"/newsletters/{issue.pk}/", f"/newsletters/{issue.pk}/preview/message/",
                f"/newsletters/{issue.pk}/report/"):
        assert member_client.get(url).status_code == 404
    assert member_client.post(f"/newsletters/{issue.pk}/state/", {"action": "send"}).status_code == 404
    assert member_client.post(f"/newsletters/{issue.pk}/test/").status_code == 404
    issue.refresh_from_db()
    assert issue.status == IssueStatus.DRAFT and outbox == []
