"""Members at risk (a health score that explains itself) and win-back campaigns with a holdout.

Scores are precomputed into `MemberHealth` by `metrics_refresh` (`actions.health_refresh`, one grouped pass over
the last 90 days for every member); the dashboard and `selectors.at_risk_members` read the lowest scores from it
with one indexed query when it holds scores for the day asked about, and compute them otherwise."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, ClassVar

from django.db.models import Count, Exists, F, Max, OuterRef, Q, Sum
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _

from community.metrics.models import KIND_COLUMNS, Campaign, CampaignMember, DailyActivity, MemberHealth
from community.metrics.reports.base import Column, Filters, Report, fetch, members, ratio

RECENT_DAYS = 30  # the "now" window
PRIOR_DAYS = 60  # the window before it, to compare against
MIN_PRIOR_ENGAGED_DAYS = 2  # "previously engaged"
AT_RISK_BELOW = 60  # health scores under this are listed
BREADTH_MAX = 15  # most points the breadth rule takes off
# Kinds of participation counted for breadth (visits and reactions received are not acts of the member's choice).
BREADTH_COLUMNS = sorted(set(KIND_COLUMNS.values()) - {"visits", "reactions_received"})


def rule_text(code: str, params: dict[str, Any]) -> str:
    """The sentence of a rule, in the active language (stored rules keep only the code and the numbers)."""
    if code == "silent":
        return gettext_now("No activity for %(days)s days") % params
    if code == "frequency":
        return gettext_now("Active on %(now)s days in the last 30, down from %(before)s per 30 days") % params
    if code == "contributions":
        return gettext_now("Posted %(n)s times before, not in the last 30 days") % params
    if code == "breadth":
        return gettext_now("Takes part in %(now)s kinds of activity, down from %(before)s") % params
    return code


@dataclass
class Rule:
    """One rule that moved a health score: what it took off (`delta`) and why (`text`, in the active language
    when read; stored scores keep the code and the numbers)."""

    code: str
    delta: int
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return rule_text(self.code, self.params)

    @classmethod
    def make(cls, code: str, delta: int, **params: Any) -> Rule:
        return cls(code=code, delta=delta, params=params)

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "delta": self.delta, **self.params}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Rule:
        params = {k: v for k, v in data.items() if k not in ("code", "delta")}
        return cls.make(data.get("code", ""), int(data.get("delta", 0)), **params)


@dataclass
class HealthScore:
    member_id: int
    score: int
    last_active: date | None
    recent_days: int
    prior_days: int
    rules: list[Rule] = field(default_factory=list)
    member: object = None


def _breadth_rule(recent_kinds: int, prior_kinds: int) -> Rule:
    return Rule.make("breadth", -min(BREADTH_MAX, 5 * (prior_kinds - recent_kinds)), now=recent_kinds,
                     before=prior_kinds)


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
        rules.append(Rule.make("silent", -min(40, silent - 7), days=silent))
    prior_rate = prior_days * RECENT_DAYS / PRIOR_DAYS
    if prior_rate > 0 and recent_days < prior_rate:
        drop = (prior_rate - recent_days) / prior_rate
        rules.append(Rule.make("frequency", -round(30 * drop), now=recent_days, before=f"{prior_rate:g}"))
    if prior_contributions > 0 and recent_contributions == 0:
        rules.append(Rule.make("contributions", -15, n=prior_contributions))
    if recent_kinds < prior_kinds:
        rules.append(_breadth_rule(recent_kinds, prior_kinds))
    score = max(0, 100 + sum(rule.delta for rule in rules))
    return HealthScore(member_id=0, score=score, last_active=last_active, recent_days=recent_days,
                       prior_days=prior_days, rules=rules)


def _windows(end: date) -> tuple[date, date, Q, Q]:
    recent_start = end - timedelta(days=RECENT_DAYS - 1)
    prior_start = recent_start - timedelta(days=PRIOR_DAYS)
    return recent_start, prior_start, Q(day__gte=recent_start), Q(day__lt=recent_start)


def is_candidate(*, recent_days: int, prior_days: int, prior_engaged: int) -> bool:
    """Listed at all: previously engaged (2+ engaged days in the prior 60 days) and active on fewer days per 30
    lately than before."""
    return prior_engaged >= MIN_PRIOR_ENGAGED_DAYS and recent_days < prior_days * RECENT_DAYS / float(PRIOR_DAYS)


def score_everyone(*, end: date) -> list[tuple[HealthScore, bool]]:
    """(score with every rule, listed or not) for each reportable member active in the 90 days up to `end`:
    one query grouped in the database (what `actions.health_refresh` stores)."""
    from accounts.models import User

    _recent_start, prior_start, recent, prior = _windows(end)
    sums = {}
    for column in BREADTH_COLUMNS:
        sums[f"r_{column}"] = Sum(column, filter=recent)
        sums[f"p_{column}"] = Sum(column, filter=prior)
    names = ["member_id", "last_active", "recent_days", "prior_days", "prior_engaged", "recent_contributions",
             "prior_contributions", *sums]
    grouped = (
        DailyActivity.objects.filter(day__gte=prior_start, day__lte=end,
                                     member_id__in=User.objects.reportable().values("pk"))
        .values("member_id").annotate(
            last_active=Max("day"), recent_days=Count("pk", filter=recent), prior_days=Count("pk", filter=prior),
            prior_engaged=Count("pk", filter=prior & Q(engaged=True)),
            recent_contributions=Sum("contributions", filter=recent),
            prior_contributions=Sum("contributions", filter=prior), **sums,
        ).order_by().values_list(*names)
    )
    # Fetched with a plain cursor: tens of thousands of rows of plain numbers need none of the ORM's
    # per-value conversions.
    sql, params = grouped.query.sql_with_params()
    out = []
    for row in fetch(sql, params):
        row = dict(zip(names, row, strict=True))
        if isinstance(row["last_active"], str):  # SQLite returns dates as text to a plain cursor
            row["last_active"] = date.fromisoformat(row["last_active"])
        health = score_member(
            end=end, last_active=row["last_active"], recent_days=row["recent_days"], prior_days=row["prior_days"],
            recent_contributions=row["recent_contributions"] or 0, prior_contributions=row["prior_contributions"] or 0,
            recent_kinds=sum(1 for c in BREADTH_COLUMNS if row[f"r_{c}"]),
            prior_kinds=sum(1 for c in BREADTH_COLUMNS if row[f"p_{c}"]),
        )
        health.member_id = row["member_id"]
        out.append((health, is_candidate(recent_days=row["recent_days"], prior_days=row["prior_days"],
                                         prior_engaged=row["prior_engaged"])))
    return out


def stored_health_scores(*, filters: Filters, end: date, limit: int = 50,
                         below: int = AT_RISK_BELOW) -> tuple[list[HealthScore], datetime] | None:
    """The lowest precomputed scores (`MemberHealth`) of the members matching the filters, with when they were
    computed; None when the table holds no scores as of `end` (never refreshed, or refreshed another day).
    One query (a second one only when nobody is listed, to tell that from a missing refresh)."""
    rows = list(
        MemberHealth.objects.at_risk(below=below).filter(as_of=end, member_id__in=members(filters).values("pk"))
        .select_related("member")[:limit]
    )
    if rows:
        computed_at = min(row.computed_at for row in rows)
    else:
        computed_at = MemberHealth.objects.filter(as_of=end).values_list("computed_at", flat=True).first()
        if computed_at is None:
            return None
    scores = [HealthScore(member_id=row.member_id, score=row.score, last_active=row.last_active,
                          recent_days=row.recent_days, prior_days=row.prior_days,
                          rules=[Rule.from_json(rule) for rule in row.rules], member=row.member) for row in rows]
    return scores, computed_at


BREADTH_CANDIDATES = 1000  # most members whose breadth is looked up in the second pass


def health_scores(*, filters: Filters, end: date | None = None, limit: int = 50,
                  below: int = AT_RISK_BELOW, stored: bool = True) -> list[HealthScore]:
    """Previously engaged members whose activity fell, scored; lowest first. From `MemberHealth` when it holds
    scores as of `end` (and `stored`), else computed (`compute_health_scores`)."""
    end = end or filters.end
    if stored:
        found = stored_health_scores(filters=filters, end=end, limit=limit, below=below)
        if found is not None:
            return found[0]
    return compute_health_scores(filters=filters, end=end, limit=limit, below=below)


def compute_health_scores(*, filters: Filters, end: date | None = None, limit: int = 50,
                          below: int = AT_RISK_BELOW) -> list[HealthScore]:
    """`health_scores` computed from DailyActivity.

    Two passes over the last 90 days of DailyActivity, both grouped in the database: the first finds the
    candidates (previously engaged, activity fell) with recency, frequency and contributions; the breadth
    rule can only take 15 more points off, so the second pass looks up breadth only for the candidates that
    could still reach the list (score under `below` + 15 and within 15 of the limit-th lowest; at most
    BREADTH_CANDIDATES of them). Then one query for the members shown."""
    from accounts.models import User

    end = end or filters.end
    _recent_start, prior_start, recent, prior = _windows(end)
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
    breadth_sums = {}
    for column in BREADTH_COLUMNS:
        breadth_sums[f"r_{column}"] = Sum(column, filter=recent)
        breadth_sums[f"p_{column}"] = Sum(column, filter=prior)
    breadth = {
        row["member_id"]: (sum(1 for c in BREADTH_COLUMNS if row[f"r_{c}"]),
                           sum(1 for c in BREADTH_COLUMNS if row[f"p_{c}"]))
        for row in window.filter(member_id__in=[h.member_id for h in partial]).values("member_id")
        .annotate(**breadth_sums).order_by()
    } if partial else {}
    scores = []
    for h in partial:
        recent_kinds, prior_kinds = breadth.get(h.member_id, (0, 0))
        if recent_kinds < prior_kinds:
            h.rules.append(_breadth_rule(recent_kinds, prior_kinds))
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
        found = stored_health_scores(filters=self.params, end=self.params.end, limit=self.limit)
        if found is not None:
            scores, computed_at = found
            self.computed_at = computed_at
            # When the scores were computed (the dashboard's own wording, already translated).
            self.note = str(_("Figures computed at %(when)s.")
                            % {"when": date_format(localtime(computed_at), "DATETIME_FORMAT")})
        else:
            scores = compute_health_scores(filters=self.params, limit=self.limit)
        out = []
        for h in scores:
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
