"""Tables of the content app: articles (tips) and newsletters."""

from community.content.models.articles import (
    Article,
    ArticleQuerySet,
    ArticleRead,
    ArticleStatus,
    HelpfulVote,
    TagFollow,
    TaggedArticle,
)
from community.content.models.newsletters import (
    DeliveryStatus,
    IssueStatus,
    NewsletterClick,
    NewsletterDelivery,
    NewsletterIssue,
    Segment,
    SegmentKind,
    Subscriber,
    SubscriberStatus,
    Suppression,
    SuppressionReason,
)

__all__ = [
    "Article",
    "ArticleQuerySet",
    "ArticleRead",
    "ArticleStatus",
    "DeliveryStatus",
    "HelpfulVote",
    "IssueStatus",
    "NewsletterClick",
    "NewsletterDelivery",
    "NewsletterIssue",
    "Segment",
    "SegmentKind",
    "Subscriber",
    "SubscriberStatus",
    "Suppression",
    "SuppressionReason",
    "TagFollow",
    "TaggedArticle",
]
