"""Models of notifications: in-app notifications, email deliveries and digest deliveries."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class NotificationQuerySet(models.QuerySet):
    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)

    def for_member(self, member) -> NotificationQuerySet:
        return self.filter(recipient=member)


class Notification(models.Model):
    """One thing a member was told about, shown on /notifications/.

    Reactions on the same target collapse into one unread row ("Ana and 4 others liked ..."): `actor` is the
    latest actor, `actor_ids` every distinct actor, `count` how many.
    """

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=40, help_text="A kind from accounts.preferences.KINDS.")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="Who did it (the latest one when collapsed); empty for system notifications.",
    )
    target_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    target_id = models.PositiveBigIntegerField(null=True, blank=True)
    target = GenericForeignKey("target_type", "target_id")
    title = models.CharField(
        max_length=200, blank=True, help_text="Snapshot of the target's title when notified (topic, event ...)."
    )
    url = models.CharField(max_length=500, blank=True, help_text="Where clicking lands: the exact post URL.")
    data = models.JSONField(default=dict, blank=True, help_text="Kind-specific details, e.g. reaction, action.")
    delivery = models.CharField(
        max_length=10, blank=True,
        help_text="How the member chose to hear about this kind when it was created (in_app/email/digest).",
    )
    actor_ids = models.JSONField(default=list, blank=True, help_text="Distinct actor ids of a collapsed notification.")
    count = models.PositiveIntegerField(default=1, help_text="How many distinct actors were collapsed into this row.")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now, help_text="Last time an actor was collapsed in.")
    read_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notif_recipient_read"),
            models.Index(fields=["recipient", "-updated_at"], name="notif_recipient_updated"),
            models.Index(fields=["recipient", "kind", "target_type", "target_id"], name="notif_collapse"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id} ({self.pk})"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def others_count(self) -> int:
        return max(self.count - 1, 0)

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("notifications:open", kwargs={"pk": self.pk})


class EmailDelivery(models.Model):
    """The one email a notification may cause; the row is claimed (pending -> sending) before the send.

    Unique per notification and recipient, so a retried or duplicated task never sends twice.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        SKIPPED = "skipped", _("Skipped")
        FAILED = "failed", _("Failed")

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="email_deliveries")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    reason = models.CharField(
        max_length=40, blank=True, help_text="Why it was skipped or failed (read, unverified, inactive, error ...)."
    )
    attempts = models.PositiveIntegerField(default=0, help_text="Times the sender looked at it (held back while online).")
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["notification", "recipient"], name="notif_email_once_per_recipient"),
        ]

    def __str__(self) -> str:
        return f"email {self.notification_id}->{self.recipient_id}: {self.status}"


class DigestDelivery(models.Model):
    """One digest per member and period ("daily:2026-11-24", "weekly:2026-W48"); claimed before sending."""

    class Status(models.TextChoices):
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        EMPTY = "empty", _("Nothing to send")
        SKIPPED = "skipped", _("Skipped")
        FAILED = "failed", _("Failed")

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digest_deliveries")
    period = models.CharField(max_length=20, help_text="Period key: daily:YYYY-MM-DD or weekly:YYYY-Www (local).")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SENDING)
    items = models.PositiveIntegerField(default=0, help_text="Items included in the digest.")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "period"], name="notif_digest_once_per_period")]

    def __str__(self) -> str:
        return f"digest {self.period} for {self.member_id}: {self.status}"
