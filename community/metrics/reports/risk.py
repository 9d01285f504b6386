"""Members at risk (a health score that explains itself) and win-back campaigns with a holdout."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar
from datetime import date, timedelta

from django.db.models import Count, Exists, F, Max, OuterRef, Q, Sum
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _

from community.metrics.models import KIND_COLUMNS, Campaign, CampaignMember, DailyActivity
from community.metrics.reports.base import Column, Filters, Report, members, ratio

RECENT_DAYS = 30  # the "now" window
PRIOR_DAYS = 60  # the window before it, to compare against
MIN_PRIOR_ENGAGED_DAYS = 2  # "previously engaged"
AT_RISK_BELOW = 60  # health scores under this are listed
BREADTH_MAX = 15  # most points the breadth rule takes off


@dataclass
class Rule:
    text: str
    delta: int


@dataclass
class HealthScore:
    member_id: int
    score: int
    last_active: date | None
    recent_days: int
    prior_days: int
    rules: list[Rule] = field(default_factory=list)
    member: object = None


def score_member(*, end: date, last_active: date | None, recent_days: int, prior_days: int,
                 recent_contributions: int, prior_contributions: int, recent_kinds: int, prior_kinds: int) -> HealthScore:
    """Health from 100 down, each rule recorded with what it took off:
    - recency: 1 point per day of silence beyond 7, at most 40;
    - frequency: the fall of active days per 30 days (last 30 vs the 60 before), up to 30 points;
    - contributions: posted before but not in the last 30 days, 15 points;
    - breadth: 5 points per kind of participation dropped, at most 15."""
    rules: list[Rule] = []
    silent = (end - last_active).days if last_active else RECENT_DAYS + PRIOR_DAYS
    if silent > 7:
        rules.append(Rule(gettext_now("No activity for %(days)s days") % {"days": silent}, -min(40, silent - 7)))
    prior_rate = prior_days * RECENT_DAYS / PRIOR_DAYS
    if prior_rate > 0 and recent_days < prior_rate:
        drop = (prior_rate - recent_days) / prior_rate
        rules.append(Rule(gettext_now("Active on %(now)s days in the last 30, down from %(before)s per 30 days")
                          % {"now": recent_days, "before": f"{prior_rate:g}"}, -round(30 * drop)))
    if prior_contributions > 0 and recent_contributions == 0:
        rules.append(Rule(gettext_now("Posted %(n)s times before, not in the last 30 days") % {"n": prior_contributions},
                          -15))
    if recent_kinds < prior_kinds:
        rules.append(Rule(gettext_now("Takes part in %(now)s kinds of activity, down from %(before)s")
                          % {"now": recent_kinds, "before": prior_kinds}, -min(BREADTH_MAX, 5 * (prior_kinds - recent_kinds))))
    score = max(0, 100 + sum(rule.delta for rule in rules))
    return HealthScore(member_id=0, score=score, last_active=last_active, recent_days=recent_days,
                       prior_days=prior_days, rules=rules)


BREADTH_CANDIDATES = 1000  # most members whose breadth is looked up in the second pass


def health_scores(*, filters: Filters, end: date | None = None, limit: int = 50,
                  below: int = AT_RISK_BELOW) -> list[HealthScore]:
    """Previously engaged members whose activity fell, scored; lowest first.

    Two passes over the last 90 days of DailyActivity, both grouped in the database: the first finds the
    candidates (previously engaged, activity fell) with recency, frequency and contributions; the breadth
    rule can only take 15 more points off, so the second pass looks up breadth only for the candidates that
    could still reach the list (score under `below` + 15 and within 15 of the limit-th lowest; at most
    BREADTH_CANDIDATES of them). Then one query for the members shown."""
    from accounts.models import User

    end = end or filters.end
    recent_start = end - timedelta(days=RECENT_DAYS - 1)
    prior_start = recent_start - timedelta(days=PRIOR_DAYS)
    recent = Q(day__gte=recent_start)
    prior = Q(day__lt=recent_start)
    window = DailyActivity.objects.filter(day__gte=prior_start, day__lte=end)
    rows = list(
        window.filter(member_id__in=members(filters).values("pk")).values("member_id").annotate(
            last_active=Max("day"), recent_days=Count("pk", filter=recent), prior_days=Count("pk", filter=prior),
            prior_engaged=Count("pk", filter=prior & Q(engaged=True)),
            recent_contributions=Sum("contributions", filter=recent),
            prior_contributions=Sum("contributions", filter=prior),
        ).filter(prior_engaged__gte=MIN_PRIOR_ENGAGED_DAYS,
                 recent_days__lt=F("prior_days") * RECENT_DAYS / float(PRIOR_DAYS)).order_by()
    )
    partial = []
    for row in rows:
        health = score_member(
            end=end, last_active=row["last_active"], recent_days=row["recent_days"], prior_days=row["prior_days"],
            recent_contributions=row["recent_contributions"] or 0, prior_contributions=row["prior_contributions"] or 0,
            recent_kinds=0, prior_kinds=0,
        )
        health.member_id = row["member_id"]
        if health.score < below + BREADTH_MAX:
            partial.append(health)
    partial.sort(key=lambda h: (h.score, h.member_id))
    if len(partial) > limit:
        cutoff = partial[limit - 1].score + BREADTH_MAX
        partial = [h for h in partial if h.score <= cutoff]
    partial = partial[:BREADTH_CANDIDATES]
    columns = sorted(set(KIND_COLUMNS.values()) - {"visits", "reactions_received"})
    breadth_sums = {}
    for column in columns:
        breadth_sums[f"r_{column}"] = Sum(column, filter=recent)
        breadth_sums[f"p_{column}"] = Sum(column, filter=prior)
    breadth = {
        row["member_id"]: (sum(1 for c in columns if row[f"r_{c}"]), sum(1 for c in columns if row[f"p_{c}"]))
        for row in window.filter(member_id__in=[h.member_id for h in partial]).values("member_id")
        .annotate(**breadth_sums).order_by()
    } if partial else {}
    scores = []
    for h in partial:
        recent_kinds, prior_kinds = breadth.get(h.member_id, (0, 0))
        if recent_kinds < prior_kinds:
            h.rules.append(Rule(gettext_now("Takes part in %(now)s kinds of activity, down from %(before)s")
                                % {"now": recent_kinds, "before": prior_kinds},
                                -min(BREADTH_MAX, 5 * (prior_kinds - recent_kinds))))
            h.score = max(0, 100 + sum(rule.delta for rule in h.rules))
        if h.score < below:
            scores.append(h)
    scores.sort(key=lambda h: (h.score, h.member_id))
    scores = scores[:limit]
    people = User.objects.in_bulk([h.member_id for h in scores])
    for h in scores:
        h.member = people.get(h.member_id)
    return scores


class AtRisk(Report):
    slug = "at_risk"
    title = _("Members at risk")
    description = _("Previously engaged members whose activity fell, with a health score and the rules behind it.")
    definition = "at-risk"
    columns = [Column("member", _("Member"), "text"), Column("score", _("Health")),
               Column("last_active", _("Last active"), "text"), Column("reasons", _("Why"), "text")]

    limit: ClassVar[int] = 25

    def run(self):
        out = []
        for h in health_scores(filters=self.params, limit=self.limit):
            out.append({
                "member_id": h.member_id, "member": h.member.name if h.member else h.member_id,
                "handle": getattr(h.member, "handle", "") or "", "score": h.score,
                "last_active": h.last_active.isoformat() if h.last_active else "",
                "reasons": "; ".join(f"{r.text} ({r.delta:+d})" for r in h.rules), "rules": h.rules,
            })
        return out


class Campaigns(Report):
    """Win-back uplift: return rate = share of the group active on any day since the campaign started;
    uplift = treatment rate - holdout rate (percentage points)."""

    slug = "campaigns"
    title = _("Win-back campaigns")
    description = _("Return rate of contacted members against a random holdout, and the uplift.")
    definition = "campaigns"
    columns = [Column("name", _("Campaign"), "text"), Column("treatment", _("Contacted")),
               Column("treatment_returned", _("Returned")), Column("treatment_rate", _("Return %"), "pct"),
               Column("holdout", _("Holdout")), Column("holdout_returned", _("Returned")),
               Column("holdout_rate", _("Return %"), "pct"), Column("uplift", _("Uplift (pts)"), "float")]

    def run(self):
        returned = Exists(DailyActivity.objects.filter(member_id=OuterRef("member_id"),
                                                       day__gte=OuterRef("campaign__started_at__date")))
        grouped = (
            CampaignMember.objects.filter(campaign__started_at__date__lte=self.params.end)
            .values("campaign_id", "holdout")
            .annotate(n=Count("pk"), back=Count("pk", filter=Q(returned)))
        )
        stats: dict = {}
        for row in grouped:
            stats.setdefault(row["campaign_id"], {})[row["holdout"]] = (row["n"], row["back"])
        campaigns = Campaign.objects.filter(pk__in=list(stats)).order_by("-started_at")
        rows = []
        for c in campaigns:
            t_n, t_back = stats[c.pk].get(False, (0, 0))
            h_n, h_back = stats[c.pk].get(True, (0, 0))
            t_rate, h_rate = ratio(t_back, t_n), ratio(h_back, h_n)
            rows.append({"name": c.name, "started": c.started_at.date().isoformat(), "treatment": t_n,
                         "treatment_returned": t_back, "treatment_rate": t_rate, "holdout": h_n,
                         "holdout_returned": h_back, "holdout_rate": h_rate,
                         "uplift": round(t_rate - h_rate, 1) if t_rate is not None and h_rate is not None else None})
        return rows
