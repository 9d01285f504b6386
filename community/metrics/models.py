"""Models of metrics: the append-only participation ledger and its per-member daily roll-up.

Reports never scan `Participation`; they read `DailyActivity`, which `actions.record` keeps up to date in the
same transaction as the ledger row.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    """Kinds of participation. Other apps may record further dotted kinds; these have roll-up columns."""

    VISIT_DAY = "visit.day", _("Visited (once a day)")
    TOPIC_CREATED = "topic.created", _("Started a topic")
    POST_REPLIED = "post.replied", _("Replied")
    REACTION_GIVEN = "reaction.given", _("Reacted to a post")
    REACTION_RECEIVED = "reaction.received", _("Received a reaction")
    ANSWER_ACCEPTED = "answer.accepted", _("Answer accepted")
    EVENT_RSVP = "event.rsvp", _("RSVP'd to an event")
    EVENT_ATTENDED = "event.attended", _("Attended an event")
    ARTICLE_READ = "article.read", _("Read an article")
    NEWSLETTER_OPENED = "newsletter.opened", _("Opened a newsletter")
    NEWSLETTER_CLICKED = "newsletter.clicked", _("Clicked a newsletter link")
    SURVEY_ANSWERED = "survey.answered", _("Answered a survey")


# Kind -> DailyActivity column. Kinds not listed here are counted in DailyActivity.extra (JSON) and total.
KIND_COLUMNS: dict[str, str] = {
    Kind.VISIT_DAY: "visits",
    Kind.TOPIC_CREATED: "topics",
    Kind.POST_REPLIED: "replies",
    Kind.REACTION_GIVEN: "reactions_given",
    Kind.REACTION_RECEIVED: "reactions_received",
    Kind.ANSWER_ACCEPTED: "answers_accepted",
    Kind.EVENT_RSVP: "rsvps",
    Kind.EVENT_ATTENDED: "attended",
    Kind.ARTICLE_READ: "articles_read",
    Kind.NEWSLETTER_OPENED: "newsletters_opened",
    Kind.NEWSLETTER_CLICKED: "newsletters_clicked",
    Kind.SURVEY_ANSWERED: "surveys_answered",
}
# Contributions (a member "posted"): used for new contributors and the engaged flag.
CONTRIBUTION_KINDS = {Kind.TOPIC_CREATED, Kind.POST_REPLIED}
# Engaged: posted, reacted or attended (the definition).
ENGAGED_KINDS = {Kind.TOPIC_CREATED, Kind.POST_REPLIED, Kind.REACTION_GIVEN, Kind.EVENT_ATTENDED}


class ParticipationQuerySet(models.QuerySet):
    def of_kind(self, kind: str) -> ParticipationQuerySet:
        return self.filter(kind=kind)

    def for_subject(self, subject_type, subject_id) -> ParticipationQuerySet:
        return self.filter(subject_type=subject_type, subject_id=str(subject_id))


class Participation(models.Model):
    """One act of participation. Append-only: rows are never updated or deleted by the application."""

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="participations")
    kind = models.CharField(max_length=40, choices=Kind.choices, help_text="Dotted kind, e.g. post.replied.")
    subject_type = models.ForeignKey(
        "contenttypes.ContentType", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="Model of the thing participated in (post, event, article...), if any.",
    )
    subject_id = models.CharField(max_length=64, blank=True, default="", help_text="Primary key of the subject.")
    occurred_at = models.DateTimeField(default=timezone.now)
    day = models.DateField(help_text="UTC date of occurred_at: the DailyActivity row this act was counted in.")
    data = models.JSONField(default=dict, blank=True, help_text="Extra facts from the caller (category, language...).")
    points = models.IntegerField(default=0, help_text="Loyalty points awarded when recorded (before any undo).")

    objects = ParticipationQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at"]
        indexes = [
            models.Index(fields=["member", "kind", "day"], name="metrics_part_member_kind_day"),
            models.Index(fields=["subject_type", "subject_id"], name="metrics_part_subject"),
            models.Index(fields=["day"], name="metrics_part_day"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.kind} {self.occurred_at:%Y-%m-%d}"


class DailyActivityQuerySet(models.QuerySet):
    def reportable(self) -> DailyActivityQuerySet:
        """Rows of members counted in reports (staff, deleted and suspended excluded)."""
        from accounts.models import User

        return self.filter(member__in=User.objects.reportable().values("pk"))

    def between(self, start, end) -> DailyActivityQuerySet:
        return self.filter(day__gte=start, day__lte=end)


class DailyActivity(models.Model):
    """Per member and UTC day: how many acts of each kind. Kept in step with the ledger by `record()`."""

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="daily_activity")
    day = models.DateField()
    total = models.PositiveIntegerField(default=0, help_text="All acts this day, visits included.")
    contributions = models.PositiveIntegerField(default=0, help_text="Topics started plus replies.")
    engaged = models.BooleanField(default=False, help_text="Posted, reacted or attended an event this day.")
    visits = models.PositiveIntegerField(default=0)
    topics = models.PositiveIntegerField(default=0)
    replies = models.PositiveIntegerField(default=0)
    reactions_given = models.PositiveIntegerField(default=0)
    reactions_received = models.PositiveIntegerField(default=0)
    answers_accepted = models.PositiveIntegerField(default=0)
    rsvps = models.PositiveIntegerField(default=0)
    attended = models.PositiveIntegerField(default=0)
    articles_read = models.PositiveIntegerField(default=0)
    newsletters_opened = models.PositiveIntegerField(default=0)
    newsletters_clicked = models.PositiveIntegerField(default=0)
    surveys_answered = models.PositiveIntegerField(default=0)
    extra = models.JSONField(default=dict, blank=True, help_text="Counts of kinds without a column.")

    objects = DailyActivityQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "daily activity"
        constraints = [models.UniqueConstraint(fields=["member", "day"], name="metrics_daily_member_day_unique")]
        indexes = [
            models.Index(fields=["day", "member"], name="metrics_daily_day_member"),
            models.Index(fields=["day"], name="metrics_daily_day", condition=models.Q(engaged=True)),
            # The newsletter report reads only the days with an open or a click.
            models.Index(fields=["day", "member"], name="metrics_daily_newsletters",
                         condition=models.Q(newsletters_opened__gt=0) | models.Q(newsletters_clicked__gt=0)),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.day} ({self.total})"


class MemberPeriod(models.Model):
    """Per member and week (grain "w") or month ("m"): the roll-up of DailyActivity that week/month reports read
    (one row per member and period instead of one per day, so no DISTINCT is needed). Kept in step by
    `record()`; rebuilt from DailyActivity by `metrics_backfill`."""

    class Grain(models.TextChoices):
        WEEK = "w", _("week")
        MONTH = "m", _("month")

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    grain = models.CharField(max_length=1, choices=Grain.choices)
    idx = models.IntegerField(help_text="Period index: weeks since Monday 1970-01-05, or year * 12 + month.")
    start = models.DateField(help_text="First day of the period.")
    days = models.PositiveSmallIntegerField(default=0, help_text="Active days in the period.")
    engaged_days = models.PositiveSmallIntegerField(default=0, help_text="Days with a post, reaction or attendance.")
    contributions = models.PositiveIntegerField(default=0, help_text="Topics started plus replies.")
    newsletter_opened = models.BooleanField(default=False, help_text="Opened a newsletter in the period.")
    newsletter_clicked = models.BooleanField(default=False, help_text="Clicked a newsletter link in the period.")
    contributed_before = models.BooleanField(
        default=False, help_text="The member contributed in an earlier period of the same grain (so a "
                                 "contribution in this one is not their first: new contributors).")
    prev_idx = models.IntegerField(
        null=True, blank=True,
        help_text="Index of the member's previous active period of the same grain (None for the first): the "
                  "lifecycle report tells returning from resurrected members, and counts who went dormant, "
                  "from it in one pass.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "grain", "idx"], name="metrics_period_unique")]
        indexes = [models.Index(fields=["grain", "idx"], name="metrics_period_grain_idx")]

    def __str__(self) -> str:
        return f"{self.member_id} {self.grain}{self.idx} ({self.days})"


class PeriodTotal(models.Model):
    """Per week ("w") or month ("m") that is over and join cohort (the period in which the members joined):
    counts over every member's MemberPeriod row, so that the unfiltered reports read a few hundred rows
    instead of hundreds of thousands (they subtract the few members they exclude, live). Rebuilt by
    `metrics_refresh` and `metrics_backfill`; an act recorded for a day before yesterday deletes its periods'
    rows (they are counted live until the next refresh)."""

    grain = models.CharField(max_length=1, choices=MemberPeriod.Grain.choices)
    idx = models.IntegerField(help_text="Period index, as MemberPeriod.idx.")
    cohort = models.IntegerField(help_text="Index of the period (same grain) in which the members joined (UTC).")
    members = models.PositiveIntegerField(default=0, help_text="Members active in the period.")
    engaged = models.PositiveIntegerField(default=0, help_text="Members with an engaged day.")
    contributors = models.PositiveIntegerField(default=0, help_text="Members who posted.")
    repeaters = models.PositiveIntegerField(default=0, help_text="Members engaged on 2+ days.")
    member_days = models.PositiveIntegerField(default=0, help_text="Sum of active days.")
    continuing = models.PositiveIntegerField(default=0, help_text="Members active in the previous period too.")
    first_contributors = models.PositiveIntegerField(default=0, help_text="Members who posted for the first time.")
    openers = models.PositiveIntegerField(default=0, help_text="Members who opened a newsletter.")
    clickers = models.PositiveIntegerField(default=0, help_text="Members who clicked a newsletter link.")
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["grain", "idx", "cohort"], name="metrics_total_unique")]

    def __str__(self) -> str:
        return f"{self.grain}{self.idx} c{self.cohort}: {self.members}"


class MemberHealthQuerySet(models.QuerySet):
    def at_risk(self, *, below: int) -> MemberHealthQuerySet:
        """Listed members (previously engaged, activity fell) scoring under `below`, lowest first."""
        return self.filter(candidate=True, score__lt=below).order_by("score", "member_id")


class MemberHealth(models.Model):
    """Per member active in the last 90 days: the health score of `reports.risk` (and the rules that moved it)
    as of the day `as_of`, precomputed by `metrics_refresh` so that the dashboard reads the lowest scores with
    one indexed query instead of scoring everyone."""

    member = models.OneToOneField(settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE,
                                  related_name="+")
    score = models.PositiveSmallIntegerField(help_text="Health from 100 down.")
    candidate = models.BooleanField(
        default=False, help_text="Previously engaged and active on fewer days lately: only these are listed.")
    last_active = models.DateField(null=True, blank=True)
    recent_days = models.PositiveSmallIntegerField(default=0, help_text="Active days in the last 30 days.")
    prior_days = models.PositiveSmallIntegerField(default=0, help_text="Active days in the 60 days before.")
    rules = models.JSONField(default=list, blank=True,
                             help_text="What moved the score: [{code, delta, ...the numbers of its text}].")
    as_of = models.DateField(help_text="Last day of the windows the score was computed for.")
    computed_at = models.DateTimeField(default=timezone.now)

    objects = MemberHealthQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "member health"
        indexes = [models.Index(fields=["score", "member"], condition=models.Q(candidate=True),
                                name="metrics_health_at_risk")]

    def __str__(self) -> str:
        return f"{self.member_id} {self.score} ({self.as_of})"


class SavedSegment(models.Model):
    """A named list of members saved from a report (e.g. at risk), which newsletters can target."""

    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="saved_segments", blank=True)
    source = models.CharField(max_length=60, blank=True, help_text="Report that produced it, e.g. at_risk.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


# The name the brief used for the same idea.
MemberSegment = SavedSegment


class DigestBoostQuerySet(models.QuerySet):
    def pending(self) -> DigestBoostQuerySet:
        return self.filter(used_at__isnull=True)


class DigestBoost(models.Model):
    """Ask the notifications digest to include this member in the next digest (then it marks used_at)."""

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digest_boosts")
    reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True, help_text="Set by the digest when it included the member.")

    objects = DigestBoostQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member"], condition=models.Q(used_at__isnull=True),
                                    name="metrics_digestboost_one_pending"),
        ]

    def __str__(self) -> str:
        return f"boost {self.member_id}"


class Campaign(models.Model):
    """A win-back campaign: members are split (deterministically, at random) into treatment and holdout."""

    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    holdout_percent = models.PositiveSmallIntegerField(_("holdout percent"), default=20)
    started_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField(null=True, blank=True)
    segment = models.ForeignKey(SavedSegment, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="campaigns", help_text="Treatment members, for newsletters to target.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return self.name

    def assign(self, member_id: int) -> bool:
        """True when the member falls in the holdout: a stable hash of campaign and member, not random()."""
        digest = hashlib.sha256(f"campaign:{self.pk}:member:{member_id}".encode()).digest()
        return int.from_bytes(digest[:4], "big") % 100 < self.holdout_percent


class CampaignMember(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="assignments")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    holdout = models.BooleanField(help_text="In the holdout group: not contacted, used to measure uplift.")
    assigned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "member"], name="metrics_campaign_member_unique")]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.member_id} {'holdout' if self.holdout else 'treatment'}"
