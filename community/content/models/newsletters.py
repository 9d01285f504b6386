"""Newsletters: issues, segments, subscribers who are not members, deliveries and suppressions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SegmentKind(models.TextChoices):
    ALL = "all", _("All members who opted in")
    LANGUAGE = "language", _("Members who opted in, by language")
    TIER = "tier", _("Members in a loyalty tier")
    TAGS = "tags", _("Members who follow tags")
    AT_RISK = "at_risk", _("Members at risk of leaving")
    SAVED = "saved", _("A saved filter")


class Segment(models.Model):
    """Who an issue goes to. Every kind is limited to members who opted in (and confirmed subscribers)."""

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=10, choices=SegmentKind.choices, default=SegmentKind.ALL)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, blank=True,
                                help_text=_("For 'by language': members and subscribers who read this language."))
    loyalty_tier_id = models.PositiveIntegerField(
        _("loyalty tier"), null=True, blank=True,
        help_text="Id of a community.loyalty Tier (an integer, so that content does not depend on loyalty).")
    tag_slugs = models.JSONField(_("tags"), default=list, blank=True,
                                 help_text=_("For 'followed tags': slugs of the tags."))
    saved_segment_id = models.PositiveIntegerField(
        null=True, blank=True, help_text="Id of a community.metrics SavedSegment, when the metrics app has them.")
    filter = models.JSONField(
        _("filter"), default=dict, blank=True,
        help_text=_('Own saved filter: {"languages": ["en"], "joined_after": "2025-01-01", '
                    '"joined_before": "2026-01-01", "min_days_inactive": 30}.'))
    include_subscribers = models.BooleanField(
        _("include subscribers who are not members"), default=True,
        help_text=_("For 'all' and 'by language': also confirmed newsletter subscribers."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class IssueStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    SENDING = "sending", _("Sending")
    PAUSED = "paused", _("Paused")
    SENT = "sent", _("Sent")
    CANCELLED = "cancelled", _("Cancelled")


class NewsletterIssue(models.Model):
    subject = models.CharField(_("subject"), max_length=150)
    preheader = models.CharField(_("preheader"), max_length=150, blank=True,
                                 help_text=_("The line mail apps show after the subject."))
    from_name = models.CharField(_("sender name"), max_length=80, blank=True,
                                 help_text=_("Shown as the sender; empty means the site's name."))
    body = models.TextField(_("body"), blank=True, help_text=_("Markdown."))
    body_html = models.TextField(blank=True, editable=False, help_text="Body rendered through community.markup.")
    articles = models.ManyToManyField("content.Article", blank=True, related_name="newsletter_issues",
                                      verbose_name=_("articles"))
    include_events = models.BooleanField(_("include upcoming events"), default=True)
    include_topics = models.BooleanField(_("include top forum topics"), default=True)
    segment = models.ForeignKey(Segment, null=True, blank=True, on_delete=models.PROTECT, related_name="issues",
                                verbose_name=_("segment"))
    status = models.CharField(max_length=10, choices=IssueStatus.choices, default=IssueStatus.DRAFT, db_index=True)
    send_at = models.DateTimeField(_("send at"), null=True, blank=True,
                                   help_text=_("When a scheduled issue starts sending."))
    tracking = models.BooleanField(_("count opens and clicks"), default=True,
                                   help_text=_("Off: no tracking pixel and no rewritten links for this issue."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    prepared_at = models.DateTimeField(null=True, blank=True,
                                       help_text="When the delivery rows (one per recipient) were written.")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.subject

    def get_absolute_url(self) -> str:
        return reverse("content:issue_edit", kwargs={"pk": self.pk})

    @property
    def is_editable(self) -> bool:
        return self.status in {IssueStatus.DRAFT, IssueStatus.SCHEDULED}

    @property
    def tracking_enabled(self) -> bool:
        return bool(self.tracking and getattr(settings, "NEWSLETTER_TRACKING", True))


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Refused by the mail server")
    SKIPPED = "skipped", _("Skipped (unsubscribed or suppressed)")
    UNKNOWN = "unknown", _("Unknown (the sender stopped mid-send)")


class NewsletterDelivery(models.Model):
    """One recipient of one issue: the row that makes sending resumable and exactly-once.

    pending -> sending (claimed by one worker with a conditional UPDATE) -> sent. A row left in 'sending' by a
    worker that died is never sent again automatically: it becomes 'unknown' after a timeout (see
    community.content.sending).
    """

    # Every status change of a row rewrites each of its index entries (status is indexed, so no in-place
    # update), twice per recipient: so no index more than needed. `issue` is served by the unique
    # (issue, email) index; member and subscriber are each set on only some rows (partial indexes below).
    issue = models.ForeignKey(NewsletterIssue, on_delete=models.CASCADE, related_name="deliveries", db_index=False)
    email = models.EmailField(max_length=254, help_text="Lower-cased address the issue goes to.")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="newsletter_deliveries", db_index=False)
    subscriber = models.ForeignKey("content.Subscriber", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="deliveries", db_index=False)
    name = models.CharField(max_length=120, blank=True, help_text="For the greeting.")
    language = models.CharField(max_length=8, default="en")
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    claim = models.CharField(max_length=32, blank=True, help_text="Batch token of the worker that claimed the row.")
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    open_count = models.PositiveIntegerField(default=0)
    clicked_at = models.DateTimeField(null=True, blank=True)
    click_count = models.PositiveIntegerField(default=0)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issue", "email"], name="content_delivery_issue_email_unique")]
        indexes = [
            # Partial indexes: a row is in them only while it waits or is in flight, so they stay small, and
            # marking a batch 'sent' adds no entry to them. The queue of a send, read in id order:
            models.Index(fields=["issue", "id"], name="content_delivery_pending_idx",
                         condition=Q(status="pending")),
            # Rows in flight, for the end of a send, the sweep and the tick's "is a worker alive":
            models.Index(fields=["issue", "claimed_at"], name="content_delivery_sending_idx",
                         condition=Q(status="sending")),
            # Deleting a member or subscriber sets their deliveries' link to NULL: found by these.
            models.Index(fields=["member"], name="content_delivery_member_idx", condition=Q(member__isnull=False)),
            models.Index(fields=["subscriber"], name="content_delivery_subscr_idx",
                         condition=Q(subscriber__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.issue_id} -> {self.email} ({self.status})"


class NewsletterClick(models.Model):
    """One click on a tracked link (the delivery keeps the first-click time and the count)."""

    delivery = models.ForeignKey(NewsletterDelivery, on_delete=models.CASCADE, related_name="clicks")
    url = models.URLField(max_length=2000)
    clicked_at = models.DateTimeField(default=timezone.now)


class SubscriberStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for confirmation")
    CONFIRMED = "confirmed", _("Subscribed")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")


class Subscriber(models.Model):
    """Someone who is not a member and signed up for the newsletter (double opt-in)."""

    email = models.EmailField(_("email address"), max_length=254)
    name = models.CharField(_("name"), max_length=120, blank=True)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="en")
    status = models.CharField(max_length=14, choices=SubscriberStatus.choices, default=SubscriberStatus.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="content_subscriber_email_ci_unique")]

    def __str__(self) -> str:
        return self.email


class SuppressionReason(models.TextChoices):
    HARD_BOUNCE = "hard_bounce", _("Hard bounce")
    COMPLAINT = "complaint", _("Spam complaint")
    MANUAL = "manual", _("Added by staff")


class Suppression(models.Model):
    """An address that is never mailed a newsletter again (hard bounce, complaint)."""

    email = models.EmailField(max_length=254, help_text="Lower-cased.")
    reason = models.CharField(max_length=12, choices=SuppressionReason.choices)
    detail = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["email"], name="content_suppression_email_unique")]

    def __str__(self) -> str:
        return f"{self.email} ({self.reason})"


def suppressed_q(field: str = "email") -> Q:
    """Filter that excludes suppressed addresses from a queryset whose `field` is an email."""
    return Q(**{f"{field}__in": Suppression.objects.values("email")})
