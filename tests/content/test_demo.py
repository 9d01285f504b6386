"""The demo content: tips in the four languages and a sent newsletter with its report; idempotent."""

from __future__ import annotations

import pytest

from community.content import demo
from community.content.models import Article, IssueStatus, NewsletterDelivery, NewsletterIssue
from community.content.selectors import issue_report


@pytest.mark.django_db
def test_seed_is_idempotent_and_complete(outbox):
    demo.seed()
    demo.seed()
    languages = set(Article.objects.visible().values_list("language", flat=True))
    assert languages == {"en", "sw", "lv", "hy"}
    assert Article.objects.filter(status="scheduled").count() == 1
    issue = NewsletterIssue.objects.get()
    assert issue.status == IssueStatus.SENT
    report = issue_report(issue)
    assert report.recipients == report.delivered == NewsletterDelivery.objects.count() > 8
    assert 0 < report.clicked < report.opened < report.delivered
    assert not NewsletterDelivery.objects.exclude(status="sent").exists()
