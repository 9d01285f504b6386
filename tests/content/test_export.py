"""A member's content data: exported, and erased (deliveries anonymised, counts kept)."""

from __future__ import annotations

import json

import pytest
from django.core.serializers.json import DjangoJSONEncoder

from community.content import actions, sending
from community.content.export import member_data, member_erase
from community.content.models import (
    ArticleRead,
    HelpfulVote,
    IssueStatus,
    NewsletterDelivery,
    Subscriber,
)
from community.content.selectors import issue_report


@pytest.mark.django_db
def test_export_and_erase(opted_in, make_article, make_issue, make_subscriber, outbox):
    member = opted_in()
    article = make_article(authors=[member])
    actions.helpful_vote(member=member, article=article, helpful=True)
    actions.article_read(member=member, article=article)
    make_subscriber(member.email)
    issue = make_issue()
    issue.status = IssueStatus.SENDING
    issue.save()
    sending.deliveries_prepare(issue)
    sending.deliver(issue.pk)

    data = member_data(member)
    json.dumps(data, cls=DjangoJSONEncoder)
    assert data["articles_written"][0]["slug"] == article.slug
    assert data["helpful_votes"][0]["helpful"] is True
    assert data["newsletters_received"][0]["subject"] == issue.subject
    assert data["newsletter_subscription"]["email"] == member.email

    member_erase(member)
    assert not HelpfulVote.objects.exists() and not ArticleRead.objects.exists()
    assert not Subscriber.objects.exists()
    delivery = NewsletterDelivery.objects.get()
    assert delivery.member_id is None and delivery.email.endswith("@invalid") and member.email != delivery.email
    assert issue_report(issue).delivered == 1  # the issue's figures survive
    assert not article.authors.filter(pk=member.pk).exists()
