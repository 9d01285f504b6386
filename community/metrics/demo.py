"""Demo participation history: six months for the demo members and ~200 synthetic members (handles demo_001...
marked "Demo member" so they are obviously not real), so the dashboard and the cohort table look alive.

Idempotent: members are get-or-created; history is generated only once (when no synthetic member has any
activity yet). Rows are bulk-inserted (ledger, roll-up, points) rather than recorded one by one, so seeding
takes seconds; the numbers are consistent as if recorded (same columns, points from the rules table).
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, datetime, timedelta
from datetime import timezone as dt_timezone

from django.db import transaction
from django.utils import timezone

from accounts.models import MemberSettings, User
from accounts.validation import handle_skeleton
from community.metrics.models import (
    CONTRIBUTION_KINDS,
    ENGAGED_KINDS,
    KIND_COLUMNS,
    Campaign,
    CampaignMember,
    DailyActivity,
    Participation,
)

SYNTHETIC = 200
HISTORY_DAYS = 182
LOCALES = ["en", "en", "en", "sw", "lv", "hy"]
# Relative weights of kinds on an active day (visits are added to every active day).
KIND_WEIGHTS = [
    ("post.replied", 22), ("reaction.given", 30), ("reaction.received", 14), ("topic.created", 7),
    ("article.read", 12), ("newsletter.opened", 6), ("newsletter.clicked", 2), ("event.rsvp", 3),
    ("event.attended", 2), ("answer.accepted", 1), ("survey.answered", 1),
]
# The demo members' personalities: (daily activity probability, decay per 30 days, start days ago).
DEMO_PROFILES = {
    "anahit": (0.55, 1.0, 180), "amani": (0.35, 1.05, 170), "janis": (0.3, 0.7, 175), "sam": (0.45, 0.25, 160),
    "juma": (0.5, 1.0, 180), "liga": (0.25, 1.0, 150), "maria": (0.2, 1.0, 180),
}


def _synthetic_members(today: date, rng: random.Random) -> list[User]:
    existing = {u.handle: u for u in User.objects.filter(handle__startswith="demo_")}
    created = []
    for i in range(1, SYNTHETIC + 1):
        handle = f"demo_{i:03d}"
        if handle in existing:
            continue
        joined_days_ago = int(rng.triangular(0, HISTORY_DAYS, HISTORY_DAYS * 0.35))
        joined = datetime.combine(today - timedelta(days=joined_days_ago), datetime.min.time(),
                                  tzinfo=dt_timezone.utc) + timedelta(hours=rng.randint(7, 21))
        user = User(email=f"{handle}@demo.example.com", handle=handle, handle_skeleton=handle_skeleton(handle),
                    display_name=f"Demo member {i:03d}", locale=rng.choice(LOCALES), date_joined=joined)
        user.set_unusable_password()
        created.append(user)
    if created:
        User.objects.bulk_create(created)
        MemberSettings.objects.bulk_create(
            [MemberSettings(user=u, newsletter_opt_in=rng.random() < 0.6)
             for u in User.objects.filter(handle__in=[c.handle for c in created])],
            ignore_conflicts=True,
        )
    return list(User.objects.filter(handle__startswith="demo_").order_by("handle"))


def _plan(member: User, today: date, rng: random.Random, profile: tuple[float, float, int] | None):
    """Active days and the kinds done on each, for one member."""
    joined = member.date_joined.astimezone(dt_timezone.utc).date()
    if profile:
        p, decay, start_ago = profile
        start = max(joined, today - timedelta(days=start_ago))
    else:
        kind_of = rng.random()
        if kind_of < 0.18:  # one-visit wonders
            p, decay = 0.02, 0.2
        elif kind_of < 0.55:  # casual, fading
            p, decay = rng.uniform(0.06, 0.18), rng.uniform(0.45, 0.85)
        elif kind_of < 0.85:  # regulars
            p, decay = rng.uniform(0.15, 0.35), rng.uniform(0.85, 1.05)
        else:  # enthusiasts
            p, decay = rng.uniform(0.35, 0.6), rng.uniform(0.9, 1.1)
        start = joined
    kinds, weights = zip(*KIND_WEIGHTS, strict=True)
    days = []
    day = start
    while day <= today:
        age = (day - start).days
        chance = p * decay ** (age / 30)
        if day == start or rng.random() < min(0.95, chance):
            acts = ["visit.day"] + rng.choices(kinds, weights=weights, k=rng.choice([0, 1, 1, 2, 3, 4]))
            days.append((day, acts))
        day += timedelta(days=1)
    return days


@transaction.atomic
def seed(stdout=None) -> None:
    from accounts.demo import seed as seed_members
    from community.loyalty.models import MemberPoints, PointEntry, PointRule

    today = timezone.now().date()
    rng = random.Random(20260301)
    people = seed_members()
    synthetic = _synthetic_members(today, rng)
    if DailyActivity.objects.filter(member__in=synthetic).exists():
        return  # history already generated
    rules = {r.kind: r for r in PointRule.objects.filter(active=True)}
    members = synthetic + [people[h] for h in DEMO_PROFILES if h in people]
    for handle, (_p, _decay, start_ago) in DEMO_PROFILES.items():
        # The demo members were created just now; give them the history their profiles describe.
        member = people.get(handle)
        since = datetime.combine(today - timedelta(days=start_ago), datetime.min.time(), tzinfo=dt_timezone.utc)
        if member is not None and member.date_joined > since:
            member.date_joined = since
            User.objects.filter(pk=member.pk).update(date_joined=since)

    ledger: list[Participation] = []
    rollups: list[DailyActivity] = []
    for member in members:
        for day, acts in _plan(member, today, rng, DEMO_PROFILES.get(member.handle)):
            if day >= today:
                continue  # today belongs to what the other demos just did through record()
            counts: dict = defaultdict(int)
            for kind in acts:
                counts[kind] += 1
                at = datetime.combine(day, datetime.min.time(), tzinfo=dt_timezone.utc) + timedelta(
                    minutes=rng.randint(6 * 60, 22 * 60))
                ledger.append(Participation(member=member, kind=kind, occurred_at=min(at, timezone.now()), day=day,
                                            data={"demo": True}))
            row = DailyActivity(member=member, day=day, total=len(acts),
                                contributions=sum(counts[k] for k in CONTRIBUTION_KINDS),
                                engaged=any(counts[k] for k in ENGAGED_KINDS))
            for kind, n in counts.items():
                setattr(row, KIND_COLUMNS[kind], n)
            rollups.append(row)
    Participation.objects.bulk_create(ledger, batch_size=2000)
    DailyActivity.objects.bulk_create(rollups, batch_size=2000)

    # Points as the rules would have awarded them, caps included.
    entries: list[PointEntry] = []
    used: dict = defaultdict(int)
    for p in ledger:
        rule = rules.get(p.kind)
        if not rule or rule.points <= 0:
            continue
        key = (p.member_id, p.kind, p.day)
        points = rule.points if rule.daily_cap is None else min(rule.points, rule.daily_cap - used[key])
        if points <= 0:
            continue
        used[key] += points
        entries.append(PointEntry(member_id=p.member_id, points=points, kind=p.kind, participation=p, day=p.day,
                                  created_at=p.occurred_at))
    PointEntry.objects.bulk_create(entries, batch_size=2000)
    balances: dict = defaultdict(int)
    for e in entries:
        balances[e.member_id] += e.points
    for member_id, balance in balances.items():
        MemberPoints.objects.update_or_create(member_id=member_id, defaults={"balance": balance, "earned": balance})

    _tiers_and_badges(members)
    _campaign(synthetic, today, rng)
    from community.metrics.backfill import rebuild_periods

    rebuild_periods()  # the week and month roll-ups of everything inserted above
    if stdout:
        stdout.write(f"    {len(ledger)} acts for {len(members)} members over {HISTORY_DAYS} days")


def _tiers_and_badges(members: list[User]) -> None:
    from community.loyalty import actions as loyalty
    from community.loyalty.badges import BADGE_LIST
    from community.loyalty.models import Tier

    tiers = list(Tier.objects.order_by("-threshold"))
    for member in members:
        loyalty.tier_refresh(member=member, tiers=tiers)
        totals = loyalty.member_totals(member)
        for badge in BADGE_LIST:
            if badge.earned(member, totals):
                loyalty.badge_award(member=member, slug=badge.slug)


def _campaign(synthetic: list[User], today: date, rng: random.Random) -> None:
    """A win-back campaign started 21 days ago on 60 quiet members, with a 30% holdout; some came back."""
    if Campaign.objects.filter(name="Spring win-back (demo)").exists():
        return
    started = datetime.combine(today - timedelta(days=21), datetime.min.time(), tzinfo=dt_timezone.utc)
    campaign = Campaign.objects.create(name="Spring win-back (demo)", holdout_percent=30, started_at=started,
                                       description="Personal email with a 15% discount code.")
    chosen = rng.sample(synthetic, min(60, len(synthetic) // 2))
    rows = [CampaignMember(campaign=campaign, member=m, holdout=campaign.assign(m.pk), assigned_at=started)
            for m in chosen]
    CampaignMember.objects.bulk_create(rows)
    # Some come back: more in the treatment group than in the holdout (that is the uplift the report shows).
    returns = []
    for row in rows:
        if rng.random() < (0.12 if row.holdout else 0.34):
            day = today - timedelta(days=rng.randint(1, 20))
            if not DailyActivity.objects.filter(member=row.member, day=day).exists():
                returns.append(DailyActivity(member=row.member, day=day, total=1, visits=1))
                Participation.objects.create(member=row.member, kind="visit.day", day=day, data={"demo": True},
                                             occurred_at=datetime.combine(day, datetime.min.time(),
                                                                          tzinfo=dt_timezone.utc))
    DailyActivity.objects.bulk_create(returns)
