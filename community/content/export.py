"""The content part of a member's data export and account erasure (called by accounts.export)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import CharField, Q, Value
from django.db.models.functions import Cast, Concat

from community.content.models import (
    Article,
    ArticleRead,
    HelpfulVote,
    NewsletterDelivery,
    Subscriber,
    Suppression,
    TagFollow,
)


def member_data(user) -> dict:
    """Everything the content app holds about the member, as JSON-ready data."""
    email = user.email.lower()
    deliveries = NewsletterDelivery.objects.filter(member=user).select_related("issue").order_by("pk")
    subscriber = Subscriber.objects.filter(email__iexact=email).first()
    suppression = Suppression.objects.filter(email=email).first()
    return {
        "articles_written": [
            {"title": a.title, "slug": a.slug, "status": a.status, "publish_at": a.publish_at}
            for a in Article.objects.filter(authors=user).order_by("pk")
        ],
        "helpful_votes": [
            {"article": vote.article.slug, "helpful": vote.helpful, "at": vote.created_at}
            for vote in HelpfulVote.objects.filter(member=user).select_related("article").order_by("pk")
        ],
        "articles_read": [
            {"article": read.article.slug, "first_read_at": read.read_at}
            for read in ArticleRead.objects.filter(member=user).select_related("article").order_by("pk")
        ],
        "followed_tags": sorted(TagFollow.objects.filter(member=user).values_list("tag__name", flat=True)),
        "newsletters_received": [
            {"subject": d.issue.subject, "status": d.status, "sent_at": d.sent_at, "opened_at": d.opened_at,
             "open_count": d.open_count, "clicked_at": d.clicked_at, "click_count": d.click_count,
             "unsubscribed_at": d.unsubscribed_at,
             "links_clicked": [{"url": c.url, "at": c.clicked_at} for c in d.clicks.order_by("pk")]}
            for d in deliveries.prefetch_related("clicks")
        ],
        "newsletter_subscription": None if subscriber is None else {
            "email": subscriber.email, "name": subscriber.name, "language": subscriber.language,
            "status": subscriber.status, "created_at": subscriber.created_at, "confirmed_at": subscriber.confirmed_at,
        },
        "suppressed": None if suppression is None else {"reason": suppression.reason, "since": suppression.created_at},
    }


@transaction.atomic
def member_erase(user) -> dict:
    """Erase the member from content: votes, reads and follows go; newsletter deliveries stay as anonymous
    rows (the issue reports keep their counts, and no delivery row is lost that exactly-once relies on);
    articles they wrote stay, brand content, without them as author. A suppression (hard bounce, complaint)
    is kept so that the address is never mailed again should it come back."""
    email = user.email.lower()
    votes, _ = HelpfulVote.objects.filter(member=user).delete()
    reads, _ = ArticleRead.objects.filter(member=user).delete()
    follows, _ = TagFollow.objects.filter(member=user).delete()
    deliveries = NewsletterDelivery.objects.filter(Q(member=user) | Q(email=email)).update(
        email=Concat(Value("erased-"), Cast("id", CharField()), Value("@invalid"), output_field=CharField()),
        name="", member=None
    )
    subscribers, _ = Subscriber.objects.filter(email__iexact=email).delete()
    for article in Article.objects.filter(authors=user):
        article.authors.remove(user)
    Article.objects.filter(created_by=user).update(created_by=None)
    return {"votes": votes, "reads": reads, "follows": follows, "deliveries_anonymised": deliveries,
            "subscriptions": subscribers}
