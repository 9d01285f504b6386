"""Writes of the metrics app: the participation ledger.

CONTRACT (other apps call this, keep the signature): every act of participation is recorded by the action
that performed it, inside its transaction, with one call:

    from community.metrics.actions import record
    record(member=user, kind="post.replied", subject=post)

Recording appends one ledger row, bumps the member's daily roll-up and awards loyalty points from the rules
table. `undo(...)` reverses the points of a recorded act whose cause was undone (an accepted answer revoked, a
post deleted for abuse): it appends negative point entries and never deletes anything.

Kinds are dotted lower-case names; the common ones are `community.metrics.models.Kind`. A kind without a
roll-up column is still recorded and counted (in DailyActivity.extra and total).
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from datetime import timezone as dt_timezone
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Max, Min, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.metrics.models import (
    CONTRIBUTION_KINDS,
    ENGAGED_KINDS,
    KIND_COLUMNS,
    Campaign,
    CampaignMember,
    DailyActivity,
    DigestBoost,
    MemberHealth,
    MemberPeriod,
    Participation,
    PeriodTotal,
    SavedSegment,
)

KIND_PATTERN = re.compile(r"^[a-z][a-z_]*(\.[a-z][a-z_]*)+$")


class MetricsError(ValueError):
    """A metrics action that cannot be done."""


def utc_day(at: datetime) -> date:
    """The UTC calendar day an instant belongs to (roll-ups are per UTC day)."""
    return at.astimezone(dt_timezone.utc).date() if timezone.is_aware(at) else at.date()


def _subject_ref(subject: Any) -> tuple[ContentType | None, str]:
    if subject is None:
        return None, ""
    if getattr(subject, "pk", None) is None:
        raise MetricsError(_("The subject of a participation must be saved first."))
    return ContentType.objects.get_for_model(subject, for_concrete_model=False), str(subject.pk)


def _daily_increments(kind: str) -> dict[str, Any]:
    updates: dict[str, Any] = {"total": F("total") + 1}
    column = KIND_COLUMNS.get(kind)
    if column:
        updates[column] = F(column) + 1
    if kind in CONTRIBUTION_KINDS:
        updates["contributions"] = F("contributions") + 1
    if kind in ENGAGED_KINDS:
        updates["engaged"] = True
    return updates


def _daily_initial(kind: str) -> dict[str, Any]:
    initial: dict[str, Any] = {"total": 1}
    column = KIND_COLUMNS.get(kind)
    if column:
        initial[column] = 1
    else:
        initial["extra"] = {kind: 1}
    if kind in CONTRIBUTION_KINDS:
        initial["contributions"] = 1
    if kind in ENGAGED_KINDS:
        initial["engaged"] = True
    return initial


def daily_bump(*, member_id: int, day: date, kind: str) -> tuple[bool, bool]:
    """Add one act to the member's roll-up for `day`: one UPDATE with F() in the common case; concurrent
    first acts of a day meet at the unique (member, day) constraint and the loser updates instead.
    Returns (first act of the day, first engaged act of the day) for the period roll-ups."""
    rows = DailyActivity.objects.filter(member_id=member_id, day=day)
    if KIND_COLUMNS.get(kind) is None:
        # JSON counter: read-modify-write under the row lock.
        row = rows.select_for_update().first()
        if row is None:
            try:
                with transaction.atomic():
                    DailyActivity.objects.create(member_id=member_id, day=day, **_daily_initial(kind))
                return True, False
            except IntegrityError:
                row = rows.select_for_update().get()
        row.extra[kind] = int(row.extra.get(kind, 0)) + 1
        row.total += 1
        row.save(update_fields=["extra", "total"])
        return False, False
    increments = _daily_increments(kind)
    engaging = kind in ENGAGED_KINDS
    if engaging and rows.filter(engaged=False).update(**increments):
        return False, True  # the day's first engaged act (the row already existed)
    if rows.update(**increments):
        return False, False
    try:
        with transaction.atomic():
            DailyActivity.objects.create(member_id=member_id, day=day, **_daily_initial(kind))
        return True, engaging
    except IntegrityError:
        if engaging and rows.filter(engaged=False).update(**increments):
            return False, True
        rows.update(**increments)
        return False, False


def period_bump(*, member_id: int, day: date, days: int, engaged_days: int, contributions: int) -> None:
    """Move the member's week and month roll-ups (MemberPeriod) by the given amounts."""
    from community.metrics.reports.base import period_index, period_start

    today = timezone.now().date()
    for grain, name in ((MemberPeriod.Grain.WEEK, "week"), (MemberPeriod.Grain.MONTH, "month")):
        idx = period_index(day, name)
        rows = MemberPeriod.objects.filter(member_id=member_id, grain=grain, idx=idx)
        changes = {"days": F("days") + days, "engaged_days": F("engaged_days") + engaged_days,
                   "contributions": F("contributions") + contributions}
        if contributions and idx < period_index(today, name):
            # A contribution in a past period: the member's later periods have contributed before.
            MemberPeriod.objects.filter(member_id=member_id, grain=grain, idx__gt=idx,
                                        contributed_before=False).update(contributed_before=True)
        if rows.update(**changes):
            continue
        # A new active period: link it to the member's previous one, and (for a backdated act) the member's
        # next one to it, so that `prev_idx` always names the previous active period.
        around = MemberPeriod.objects.filter(member_id=member_id, grain=grain).aggregate(
            prev=Max("idx", filter=Q(idx__lt=idx)), next=Min("idx", filter=Q(idx__gt=idx)),
            contributed=Max("idx", filter=Q(idx__lt=idx, contributions__gt=0)))
        try:
            with transaction.atomic():
                MemberPeriod.objects.create(member_id=member_id, grain=grain, idx=idx, start=period_start(day, name),
                                            days=days, engaged_days=engaged_days, contributions=contributions,
                                            prev_idx=around["prev"],
                                            contributed_before=around["contributed"] is not None)
        except IntegrityError:
            rows.update(**changes)
            continue
        if around["next"] is not None:
            MemberPeriod.objects.filter(member_id=member_id, grain=grain, idx=around["next"]).update(prev_idx=idx)


# Newsletter kinds -> the MemberPeriod flag they set (the newsletter report counts openers per period).
NEWSLETTER_FLAGS = {"newsletter.opened": "newsletter_opened", "newsletter.clicked": "newsletter_clicked"}


def period_flag(*, member_id: int, day: date, field: str) -> None:
    """Set a flag on the member's week and month roll-ups of `day` (they exist: the day's first act made them).
    One UPDATE, a no-op once set."""
    from community.metrics.reports.base import period_index

    MemberPeriod.objects.filter(
        Q(grain=MemberPeriod.Grain.WEEK, idx=period_index(day, "week"))
        | Q(grain=MemberPeriod.Grain.MONTH, idx=period_index(day, "month")),
        member_id=member_id, **{field: False},
    ).update(**{field: True})


def totals_forget(*, day: date) -> None:
    """Drop the stored PeriodTotal rows of the periods from the one containing `day` (see PeriodTotal)."""
    from community.metrics.reports.base import period_index

    PeriodTotal.objects.filter(
        Q(grain=MemberPeriod.Grain.WEEK, idx__gte=period_index(day, "week"))
        | Q(grain=MemberPeriod.Grain.MONTH, idx__gte=period_index(day, "month"))
    ).delete()


def record(*, member, kind: str, subject: Any = None, at: datetime | None = None,
           data: dict | None = None) -> Participation | None:
    """Record one act of participation inside the caller's transaction: ledger row, daily roll-up, loyalty
    points (within the daily cap), tier promotion and badges. Returns the ledger row (None for anonymous)."""
    if member is None or not getattr(member, "is_authenticated", False) or member.pk is None:
        return None
    kind = str(kind)
    if len(kind) > 40 or not KIND_PATTERN.match(kind):
        raise MetricsError(_("Unknown participation kind %(kind)r.") % {"kind": kind})
    at = at or timezone.now()
    day = utc_day(at)
    subject_type, subject_id = _subject_ref(subject)

    from community.loyalty import actions as loyalty

    with transaction.atomic():
        participation = Participation.objects.create(
            member=member, kind=kind, subject_type=subject_type, subject_id=subject_id, occurred_at=at, day=day,
            data=data or {},
        )
        first_of_day, first_engaged = daily_bump(member_id=member.pk, day=day, kind=kind)
        contributed = int(kind in CONTRIBUTION_KINDS)
        if first_of_day or first_engaged or contributed:
            period_bump(member_id=member.pk, day=day, days=int(first_of_day), engaged_days=int(first_engaged),
                        contributions=contributed)
        if kind in NEWSLETTER_FLAGS:
            period_flag(member_id=member.pk, day=day, field=NEWSLETTER_FLAGS[kind])
        if day < timezone.now().date() - timedelta(days=1):
            # A backdated act: its periods may be over and counted in PeriodTotal, and so may the member's later
            # ones (their previous active period, their first contribution): count them live until the next
            # refresh.
            totals_forget(day=day)
        points = loyalty.points_award_for_participation(participation=participation)
        if points:
            # Same transaction as the insert: the row is final when anyone else can see it.
            Participation.objects.filter(pk=participation.pk).update(points=points)
            participation.points = points
            if points > 0:
                loyalty.tier_refresh(member=member, allow_down=False)
        loyalty.badges_check(member=member, kind=kind)
    return participation


def undo(*, member, kind: str, subject: Any) -> int:
    """Reverse the points of the recorded acts of `kind` on `subject` by `member` whose cause was undone.
    Appends negative point entries (never deletes; the act stays in the ledger). Returns points removed."""
    if member is None or member.pk is None:
        return 0
    subject_type, subject_id = _subject_ref(subject)
    from community.loyalty import actions as loyalty

    removed = 0
    with transaction.atomic():
        acts = Participation.objects.filter(member=member, kind=kind, subject_type=subject_type,
                                            subject_id=subject_id, points__gt=0)
        for participation in acts:
            removed += loyalty.points_reverse_for_participation(participation=participation)
    return removed


# --- managers' actions from the reports -------------------------------------------------------------------

def _require_dashboard(actor) -> None:
    from django.core.exceptions import PermissionDenied

    from accounts.roles import VIEW_DASHBOARD

    if not actor.has_perm(VIEW_DASHBOARD):
        raise PermissionDenied(_("You may not use the dashboard."))


@transaction.atomic
def segment_save(*, actor, name: str, member_ids: list[int], source: str = "", description: str = "") -> SavedSegment:
    """Save members (e.g. at risk) as a named segment that newsletters can target."""
    _require_dashboard(actor)
    name = (name or "").strip()
    if not name:
        raise MetricsError(_("Give the segment a name."))
    from accounts.models import User

    segment = SavedSegment.objects.create(name=name[:120], description=description, source=source, created_by=actor)
    segment.members.set(User.objects.reportable().filter(pk__in=member_ids))
    from accounts.actions import audit

    audit(actor=actor, action="metrics.segment.save", target=segment, members=len(member_ids))
    return segment


@transaction.atomic
def digest_boost(*, actor, member_ids: list[int], reason: str = "") -> int:
    """Ask the next digest to include these members. Returns how many were newly boosted."""
    _require_dashboard(actor)
    pending = set(DigestBoost.objects.pending().filter(member_id__in=member_ids).values_list("member_id", flat=True))
    new = [DigestBoost(member_id=pk, reason=reason[:200], created_by=actor) for pk in member_ids if pk not in pending]
    DigestBoost.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


@transaction.atomic
def personal_message(*, actor, member, message: str) -> None:
    """A manager's personal note to a member, delivered as a notification."""
    _require_dashboard(actor)
    message = (message or "").strip()
    if not message:
        raise MetricsError(_("Write a message."))
    from community.notifications.actions import notify

    notify(recipient=member, kind="message", actor=actor, target=None, url="/",
           data={"event": "personal_message", "message": message[:2000], "title": message[:200]})
    from accounts.actions import audit

    audit(actor=actor, action="metrics.personal_message", target=member)


@transaction.atomic
def campaign_start(*, actor, name: str, member_ids: list[int], holdout_percent: int = 20,
                   description: str = "") -> Campaign:
    """Start a win-back campaign: every member is assigned, by a stable hash, to treatment or holdout; the
    treatment group is saved as a segment for newsletters. Uplift is measured by the campaign report."""
    _require_dashboard(actor)
    if not 0 < holdout_percent < 100:
        raise MetricsError(_("The holdout must be between 1 and 99 percent."))
    if not member_ids:
        raise MetricsError(_("The campaign has no members."))
    campaign = Campaign.objects.create(name=name[:120] or "Win-back", description=description,
                                       holdout_percent=holdout_percent, created_by=actor)
    rows = [CampaignMember(campaign=campaign, member_id=pk, holdout=campaign.assign(pk)) for pk in set(member_ids)]
    CampaignMember.objects.bulk_create(rows, ignore_conflicts=True)
    segment = segment_save(actor=actor, name=f"{campaign.name} (treatment)",
                           member_ids=[r.member_id for r in rows if not r.holdout], source="campaign")
    campaign.segment = segment
    campaign.save(update_fields=["segment"])
    return campaign


HEALTH_BATCH = 20000


@transaction.atomic
def health_refresh(*, end: date | None = None) -> int:
    """Recompute every reportable member's health score as of `end` (default today, UTC) into MemberHealth,
    replacing the previous scores in one transaction (readers see the old set until it commits). Run by
    `metrics_refresh`; scores change daily (days of silence), so the whole table is rebuilt each time rather
    than on every act. Returns how many members were scored."""
    from community.metrics.reports.risk import score_everyone

    end = end or timezone.now().date()
    now = timezone.now()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")  # compiling takes longer than the query
    scored = score_everyone(end=end)
    MemberHealth.objects.all().delete()
    for i in range(0, len(scored), HEALTH_BATCH):
        batch = scored[i:i + HEALTH_BATCH]
        if connection.vendor == "postgresql":
            # One INSERT per batch from arrays (unnest): several times faster than a multi-row VALUES list.
            with connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO metrics_memberhealth (member_id, score, candidate, last_active, recent_days,"
                    " prior_days, rules, as_of, computed_at) SELECT t.m, t.s, t.c, t.l, t.r, t.p, t.j::jsonb, %s, %s"
                    " FROM unnest(%s::bigint[], %s::int[], %s::bool[], %s::date[], %s::int[], %s::int[], %s::text[])"
                    " AS t(m, s, c, l, r, p, j)",
                    [end, now, [h.member_id for h, _c in batch], [h.score for h, _c in batch],
                     [c for _h, c in batch], [h.last_active for h, _c in batch],
                     [h.recent_days for h, _c in batch], [h.prior_days for h, _c in batch],
                     [json.dumps([rule.as_json() for rule in h.rules]) for h, _c in batch]],
                )
            continue
        MemberHealth.objects.bulk_create([
            MemberHealth(member_id=h.member_id, score=h.score, candidate=candidate, last_active=h.last_active,
                         recent_days=h.recent_days, prior_days=h.prior_days,
                         rules=[rule.as_json() for rule in h.rules], as_of=end, computed_at=now)
            for h, candidate in batch
        ])
    return len(scored)


@transaction.atomic
def totals_refresh(*, today: date | None = None) -> int:
    """Recompute PeriodTotal (counts over every member's week and month roll-ups, per join cohort) for the
    periods over by yesterday, replacing the previous rows. Run by `metrics_refresh` and after
    `metrics_backfill` rebuilds the roll-ups. Returns how many rows were stored."""
    from community.metrics.reports.totals import FIELDS, aggregate_sql, cohort_sql, settled_before

    today = today or timezone.now().date()
    now = timezone.now()
    PeriodTotal.objects.all().delete()
    written = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL jit = off")  # compiling takes longer than the query
        for grain, name in ((MemberPeriod.Grain.WEEK, "week"), (MemberPeriod.Grain.MONTH, "month")):
            cohort = cohort_sql(name)
            cursor.execute(
                f"INSERT INTO metrics_periodtotal (grain, idx, cohort, {', '.join(FIELDS)}, computed_at)"
                f" SELECT %s, mp.idx, {cohort}, {aggregate_sql(name)}, %s FROM metrics_memberperiod mp"
                f" JOIN accounts_user u ON u.id = mp.member_id WHERE mp.grain = %s AND mp.idx < %s"
                f" GROUP BY mp.idx, {cohort}",
                [str(grain), connection.ops.adapt_datetimefield_value(now), str(grain), settled_before(name, today)],
            )
            written += cursor.rowcount
    return written
