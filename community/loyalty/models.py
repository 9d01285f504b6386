"""Models of loyalty: rules, a points ledger (never a bare counter), tiers, badge awards and rewards."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PointRule(models.Model):
    """How many points one act of a kind earns, and at most how many points per member per day."""

    kind = models.CharField(_("kind"), max_length=40, unique=True, help_text=_("Participation kind, e.g. post.replied."))
    points = models.IntegerField(_("points"), default=0)
    daily_cap = models.PositiveIntegerField(
        _("daily cap"), null=True, blank=True,
        help_text=_("Most points a member can earn from this kind in one (UTC) day; empty means no cap."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["kind"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.points}"


class PointEntryQuerySet(models.QuerySet):
    def balance(self) -> int:
        return self.aggregate(total=Sum("points"))["total"] or 0

    def since(self, when) -> PointEntryQuerySet:
        return self.filter(created_at__gte=when)


class PointEntry(models.Model):
    """One change to a member's points: positive for earning, negative for reversal or redemption."""

    class Reason(models.TextChoices):
        EARNED = "earned", _("Earned")
        REVERSED = "reversed", _("Reversed")
        REDEEMED = "redeemed", _("Redeemed")
        ADJUSTED = "adjusted", _("Adjusted by staff")
        BADGE = "badge", _("Badge bonus")

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="point_entries")
    points = models.IntegerField()
    reason = models.CharField(max_length=20, choices=Reason.choices, default=Reason.EARNED)
    kind = models.CharField(max_length=40, blank=True, help_text="Participation kind that earned the points.")
    note = models.CharField(max_length=200, blank=True)
    participation = models.ForeignKey("metrics.Participation", null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="point_entries")
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="reversal", help_text="The entry this one cancels (undo).")
    day = models.DateField(help_text="UTC day, for daily caps.")
    created_at = models.DateTimeField(default=timezone.now)

    objects = PointEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "point entries"
        indexes = [
            models.Index(fields=["member", "kind", "day"], name="loyalty_entry_member_kind_day"),
            models.Index(fields=["member", "created_at"], name="loyalty_entry_member_created"),
            models.Index(fields=["created_at"], name="loyalty_entry_created"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.points:+d} {self.reason}"

    @property
    def kind_label(self) -> str:
        """The participation kind in words (e.g. "Replied"), or the raw kind for kinds other apps added."""
        from community.metrics.models import Kind

        return str(dict(Kind.choices).get(self.kind, self.kind))


class MemberPoints(models.Model):
    """Cached balance, updated in the same transaction as every PointEntry; its row is the member's lock."""

    member = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True,
                                  related_name="loyalty_points")
    balance = models.IntegerField(default=0, help_text="Sum of the member's PointEntry rows.")
    earned = models.IntegerField(default=0, help_text="Sum of positive earned entries minus reversals.")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "member points"

    def __str__(self) -> str:
        return f"{self.member_id}: {self.balance}"


class Tier(models.Model):
    """A level reached by earning `threshold` points over the last `window_days` days."""

    name = models.CharField(_("name"), max_length=60)
    threshold = models.PositiveIntegerField(_("threshold"), help_text=_("Points over the window needed to hold it."))
    window_days = models.PositiveIntegerField(_("window (days)"), default=90)
    color = models.CharField(_("colour"), max_length=7, default="#b08d57", help_text=_("Hex colour, e.g. #d4af37."))

    class Meta:
        ordering = ["threshold"]

    def __str__(self) -> str:
        return self.name


class MemberTier(models.Model):
    """A member's current tier (None: below every threshold)."""

    member = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True,
                                  related_name="loyalty_tier")
    tier = models.ForeignKey(Tier, null=True, blank=True, on_delete=models.SET_NULL, related_name="holders")
    since = models.DateTimeField(default=timezone.now)
    warned_at = models.DateTimeField(null=True, blank=True, help_text="Last 'close to losing the tier' notice.")

    def __str__(self) -> str:
        return f"{self.member_id}: {self.tier_id}"


class BadgeAward(models.Model):
    """A badge (defined in code, community.loyalty.badges) given to a member, once."""

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="badge_awards")
    badge = models.CharField(max_length=40, help_text="Slug of a badge in community.loyalty.badges.")
    awarded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-awarded_at"]
        constraints = [models.UniqueConstraint(fields=["member", "badge"], name="loyalty_badge_once")]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.badge}"

    @property
    def definition(self):
        from community.loyalty.badges import BADGES

        return BADGES.get(self.badge)


class RewardQuerySet(models.QuerySet):
    def available(self) -> RewardQuerySet:
        return self.filter(active=True).filter(Q(stock__isnull=True) | Q(stock__gt=0))


class Reward(models.Model):
    class Kind(models.TextChoices):
        CODE = "code", _("Discount code")
        SWAG = "swag", _("Swag (shipped)")

    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.CODE)
    price = models.PositiveIntegerField(_("points price"))
    stock = models.PositiveIntegerField(_("stock"), null=True, blank=True, help_text=_("Empty means unlimited."))
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = RewardQuerySet.as_manager()

    class Meta:
        ordering = ["price", "name"]

    def __str__(self) -> str:
        return self.name


class RewardCode(models.Model):
    """One code from a reward's pool; assigned to exactly one redemption."""

    reward = models.ForeignKey(Reward, on_delete=models.CASCADE, related_name="codes")
    code = models.CharField(max_length=80)
    assigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["reward", "code"], name="loyalty_rewardcode_unique")]
        indexes = [models.Index(fields=["reward", "assigned_at"], name="loyalty_code_free")]

    def __str__(self) -> str:
        return f"{self.reward_id}:{'*' * 4}"


class Redemption(models.Model):
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="redemptions")
    reward = models.ForeignKey(Reward, on_delete=models.PROTECT, related_name="redemptions")
    points = models.PositiveIntegerField()
    entry = models.OneToOneField(PointEntry, on_delete=models.PROTECT, related_name="redemption")
    code = models.OneToOneField(RewardCode, null=True, blank=True, on_delete=models.PROTECT, related_name="redemption")
    created_at = models.DateTimeField(default=timezone.now)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.member_id} {self.reward_id}"
