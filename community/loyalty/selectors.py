"""Reads of the loyalty app: a member's points page, the profile section, leaderboards, tier outlook."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Sum
from django.utils import timezone

from accounts.models import User
from community.loyalty.actions import EARNING_REASONS, member_totals, utc_day, window_points
from community.loyalty.badges import BADGE_LIST, BADGES, Badge
from community.loyalty.models import BadgeAward, MemberPoints, MemberTier, PointEntry, Redemption, Reward, Tier

PERIODS = ("week", "month", "all")


@dataclass
class Outlook:
    """'40 points by 1 March keeps Gold': what a member must earn, by when, to keep their tier."""

    tier: Tier
    points_needed: int
    deadline: date


@dataclass
class Streaks:
    current: int = 0
    longest: int = 0


@dataclass
class BadgeView:
    badge: Badge
    awarded_at: datetime | None = None

    @property
    def earned(self) -> bool:
        return self.awarded_at is not None


@dataclass
class LoyaltySummary:
    member: User
    balance: int
    tier: Tier | None
    next_tier: Tier | None
    window_points: int
    points_to_next: int
    badges: list[BadgeView]
    streaks: Streaks
    outlook: Outlook | None
    totals: object = None
    entries: list[PointEntry] = field(default_factory=list)
    redemptions: list[Redemption] = field(default_factory=list)


def tier_outlook(*, member, now: datetime | None = None, horizon_days: int = 30,
                 tiers: list[Tier] | None = None) -> Outlook | None:
    """If the member's current tier would lapse within `horizon_days` as old points leave the window, the
    points needed and the day by which to earn them. None when the tier is safe (or there is none)."""
    now = now or timezone.now()
    state = MemberTier.objects.select_related("tier").filter(member=member).first()
    if state is None or state.tier is None:
        return None
    tier = state.tier
    today = utc_day(now)
    start = today - timedelta(days=tier.window_days)
    per_day = dict(
        PointEntry.objects.filter(member=member, reason__in=EARNING_REASONS, day__gt=start)
        .values_list("day").annotate(s=Sum("points")).values_list("day", "s")
    )
    for offset in range(1, horizon_days + 1):
        day = today + timedelta(days=offset)
        # On `day`, the window holds entries from days after day - window_days.
        kept = sum(points for d, points in per_day.items() if d > day - timedelta(days=tier.window_days))
        if kept < tier.threshold:
            return Outlook(tier=tier, points_needed=tier.threshold - kept, deadline=day)
    return None


def streaks(*, member, today: date | None = None) -> Streaks:
    """Consecutive active days (any participation): the current run (ending today or yesterday) and longest."""
    from community.metrics.models import DailyActivity

    today = today or utc_day(timezone.now())
    days = list(DailyActivity.objects.filter(member=member, day__lte=today).order_by("day").values_list("day", flat=True))
    result = Streaks()
    run = 0
    previous = None
    for day in days:
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        result.longest = max(result.longest, run)
        previous = day
    if previous is not None and today - previous <= timedelta(days=1):
        result.current = run
    return result


def badges_for(*, member) -> list[BadgeView]:
    awarded = dict(BadgeAward.objects.filter(member=member).values_list("badge", "awarded_at"))
    return [BadgeView(badge=b, awarded_at=awarded.get(b.slug)) for b in BADGE_LIST]


def loyalty_summary(*, member, now: datetime | None = None, history: int = 50) -> LoyaltySummary:
    """Everything on /me/points/: balance, tier and the next one, badges, streaks, outlook, history."""
    now = now or timezone.now()
    tiers = list(Tier.objects.order_by("threshold"))
    points = MemberPoints.objects.filter(member=member).first()
    state = MemberTier.objects.select_related("tier").filter(member=member).first()
    tier = state.tier if state else None
    higher = [t for t in tiers if t.threshold > (tier.threshold if tier else -1)]
    next_tier = higher[0] if higher else None
    in_window = window_points(member, window_days=(next_tier or tier).window_days, now=now) if (next_tier or tier) else 0
    return LoyaltySummary(
        member=member,
        balance=points.balance if points else 0,
        tier=tier,
        next_tier=next_tier,
        window_points=in_window,
        points_to_next=max(0, next_tier.threshold - in_window) if next_tier else 0,
        badges=badges_for(member=member),
        streaks=streaks(member=member, today=utc_day(now)),
        outlook=tier_outlook(member=member, now=now),
        totals=member_totals(member),
        entries=list(PointEntry.objects.filter(member=member).select_related("participation")[:history]),
        redemptions=list(Redemption.objects.filter(member=member).select_related("reward", "code")[:20]),
    )


def profile_section(*, member) -> dict:
    """Context for templates/loyalty/_profile_section.html on /u/<handle>/ (public facts only)."""
    state = MemberTier.objects.select_related("tier").filter(member=member).first()
    return {
        "loyalty_member": member,
        "loyalty_tier": state.tier if state else None,
        "loyalty_badges": [b for b in badges_for(member=member) if b.earned],
        "loyalty_streaks": streaks(member=member),
        "loyalty_totals": member_totals(member),
        "loyalty_points": MemberPoints.objects.filter(member=member).values_list("earned", flat=True).first() or 0,
    }


def period_start(period: str, now: datetime | None = None) -> datetime | None:
    now = now or timezone.now()
    today = utc_day(now)
    if period == "week":
        start = today - timedelta(days=today.weekday())
    elif period == "month":
        start = today.replace(day=1)
    else:
        return None
    return datetime(start.year, start.month, start.day, tzinfo=timezone.get_fixed_timezone(0))


@dataclass
class LeaderRow:
    rank: int
    member: User
    points: int


def leaderboard(*, period: str = "week", limit: int = 20, now: datetime | None = None) -> list[LeaderRow]:
    """Top earners this week (since Monday, UTC), this month, or of all time. Two queries whatever the size;
    staff, deleted and suspended members are left out. Spending points on rewards does not lower a rank."""
    reportable = User.objects.reportable().values("pk")
    start = period_start(period, now)
    if start is None:
        ranked = list(
            MemberPoints.objects.filter(member__in=reportable, earned__gt=0).order_by("-earned", "member_id")
            .values_list("member_id", "earned")[:limit]
        )
    else:
        ranked = list(
            PointEntry.objects.filter(member__in=reportable, reason__in=EARNING_REASONS, created_at__gte=start)
            .values("member_id").annotate(points=Sum("points")).filter(points__gt=0)
            .order_by("-points", "member_id").values_list("member_id", "points")[:limit]
        )
    members = User.objects.in_bulk([member_id for member_id, _points in ranked])
    return [LeaderRow(rank=i, member=members[member_id], points=points)
            for i, (member_id, points) in enumerate(ranked, start=1) if member_id in members]


def rewards_catalogue() -> list[Reward]:
    return list(Reward.objects.filter(active=True).order_by("price", "name"))


def badge_catalogue() -> list[Badge]:
    return list(BADGES.values())


def loyalty_balance(*, member) -> int:
    return MemberPoints.objects.filter(member=member).values_list("balance", flat=True).first() or 0
