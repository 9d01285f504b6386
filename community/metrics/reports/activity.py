"""Activity reports: active and engaged members, stickiness, new members and contributors, repeat rate."""

from __future__ import annotations

from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

from django.db.models import Count, Q, Sum
from django.db.models.functions import Trunc
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.metrics.models import DailyActivity, MemberPeriod
from community.metrics.reports.base import (
    Chart,
    Column,
    Report,
    fetch,
    index_to_start,
    members,
    members_sql,
    period_code,
    period_index,
    period_label,
    periods,
    ratio,
    sql_period_index,
    vendor,
)
from community.metrics.reports.totals import period_totals


def _periods_of(filters, grain: str):
    """MemberPeriod rows of the members for the periods overlapping the range (whole periods)."""
    return MemberPeriod.objects.filter(grain=period_code(grain), idx__gte=period_index(filters.start, grain),
                                       idx__lte=period_index(filters.end, grain),
                                       member_id__in=members(filters).values("pk"))


def _activity(filters):
    return DailyActivity.objects.filter(day__gte=filters.start, day__lte=filters.end,
                                        member_id__in=members(filters).values("pk"))


class ActiveMembers(Report):
    slug = "active"
    title = _("Active members")
    description = _("Members who did anything (a visit counts) per period; engaged ones posted, reacted or "
                    "attended; contributors posted.")
    definition = "active"
    columns = [Column("label", _("Period"), "text"), Column("active", _("Active")),
               Column("engaged", _("Engaged")), Column("contributors", _("Contributors"))]
    chart = Chart("line", x="label", series=["active", "engaged", "contributors"])

    def run(self):
        f = self.params
        totals = period_totals(f, f.grain, period_index(f.start, f.grain), period_index(f.end, f.grain))
        if totals is not None:
            # No member filter: the stored per-period totals, less the excluded members.
            grouped = {index_to_start(i, f.grain): {"active": t.members, "engaged": t.engaged,
                                                    "contributors": t.contributors} for i, t in totals.items()}
        elif period_code(f.grain):
            # Weeks and months: one MemberPeriod row per member and period, so plain counts (no DISTINCT).
            by_index = {
                row["idx"]: row for row in _periods_of(f, f.grain).values("idx").annotate(
                    active=Count("pk"), engaged=Count("pk", filter=Q(engaged_days__gt=0)),
                    contributors=Count("pk", filter=Q(contributions__gt=0)),
                ).order_by()
            }
            grouped = {index_to_start(i, f.grain): row for i, row in by_index.items()}
        else:
            grouped = {
                row["period"]: row
                for row in _activity(f).annotate(period=Trunc("day", f.grain)).values("period").annotate(
                    active=Count("member_id", distinct=True),
                    engaged=Count("member_id", distinct=True, filter=Q(engaged=True)),
                    contributors=Count("member_id", distinct=True, filter=Q(contributions__gt=0)),
                ).order_by("period")
            }
        rows = []
        for start in periods(f.start, f.end, f.grain):
            row = grouped.get(start, {})
            rows.append({"period": start, "label": period_label(start, f.grain), "active": row.get("active", 0),
                         "engaged": row.get("engaged", 0), "contributors": row.get("contributors", 0)})
        return rows


class Stickiness(Report):
    slug = "stickiness"
    title = _("Stickiness (DAU/MAU)")
    description = _("Average daily active members divided by the month's active members.")
    definition = "stickiness"
    columns = [Column("label", _("Month"), "text"), Column("avg_dau", _("Average DAU"), "float"),
               Column("mau", _("MAU")), Column("stickiness", _("DAU/MAU %"), "pct")]
    chart = Chart("bar", x="label", series=["stickiness"])

    def run(self):
        f = self.params
        # Whole months: member-days (the sum of active days) and members, from the monthly roll-up (or its
        # stored totals when no member filter is set).
        totals = period_totals(f, "month", period_index(f.start, "month"), period_index(f.end, "month"))
        if totals is not None:
            monthly = {index_to_start(i, "month"): {"member_days": t.member_days, "mau": t.members}
                       for i, t in totals.items()}
        else:
            monthly = {
                index_to_start(row["idx"], "month"): row for row in _periods_of(f, "month").values("idx").annotate(
                    member_days=Sum("days"), mau=Count("pk")).order_by()
            }
        today = timezone.now().date()
        rows = []
        for month in periods(f.start, f.end, "month"):
            # Days of the month so far (all of it once it is over): the divisor of the average.
            last = min(today, (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1))
            days = (last - month).days + 1
            row = monthly.get(month, {})
            avg = (row.get("member_days") or 0) / days if days > 0 else 0
            mau = row.get("mau", 0)
            rows.append({"period": month, "label": period_label(month, "month"), "avg_dau": round(avg, 2),
                         "mau": mau, "stickiness": ratio(avg, mau)})
        return rows


class Growth(Report):
    slug = "growth"
    title = _("New members and new contributors")
    description = _("Members who joined in the period; members whose first post (ever) was in the period.")
    definition = "growth"
    columns = [Column("label", _("Period"), "text"), Column("new_members", _("New members")),
               Column("new_contributors", _("New contributors"))]
    chart = Chart("bar", x="label", series=["new_members", "new_contributors"])

    def run(self):
        f = self.params
        start = datetime(f.start.year, f.start.month, f.start.day, tzinfo=dt_timezone.utc)
        end = datetime(f.end.year, f.end.month, f.end.day, tzinfo=dt_timezone.utc) + timedelta(days=1)
        in_range = members(f).filter(date_joined__gte=start, date_joined__lt=end)
        starts = periods(f.start, f.end, f.grain)
        if vendor() == "postgresql":
            # The period of each join by a binary search of the period boundaries (width_bucket) rather than
            # truncating every join time in UTC: bucket n is the n-th period.
            bounds = [start] + [datetime(d.year, d.month, d.day, tzinfo=dt_timezone.utc) for d in starts[1:]]
            sql, params = in_range.values("date_joined").query.sql_with_params()
            joined = {starts[b - 1]: n for b, n in fetch(
                f"SELECT width_bucket(j.date_joined, %s::timestamptz[]), COUNT(*) FROM ({sql}) j GROUP BY 1",
                (bounds, *params))}
        else:
            joined = {
                (p.date() if isinstance(p, datetime) else p): n
                for p, n in in_range.annotate(period=Trunc("date_joined", f.grain, tzinfo=dt_timezone.utc))
                .values("period").annotate(n=Count("pk")).values_list("period", "n")
            }
        msql, mparams = members_sql(f)
        totals = period_totals(f, f.grain, period_index(f.start, f.grain), period_index(f.end, f.grain))
        if totals is not None:
            first = {i: t.first_contributors for i, t in totals.items()}
        elif period_code(f.grain):
            # First period with a contribution, per member, from the period roll-up.
            first = dict(fetch(
                f"SELECT t.first_idx, COUNT(*) FROM ("
                f" SELECT mp.member_id, MIN(mp.idx) AS first_idx FROM metrics_memberperiod mp"
                f" WHERE mp.grain = %s AND mp.contributions > %s AND mp.member_id IN ({msql}) GROUP BY mp.member_id"
                f") t WHERE t.first_idx >= %s AND t.first_idx <= %s GROUP BY t.first_idx",
                (period_code(f.grain), 0, *mparams, period_index(f.start, f.grain), period_index(f.end, f.grain)),
            ))
        else:
            idx = sql_period_index(f.grain, "t.first_day")
            first = dict(fetch(
                f"SELECT {idx} AS idx, COUNT(*) FROM ("
                f" SELECT da.member_id, MIN(da.day) AS first_day FROM metrics_dailyactivity da"
                f" WHERE da.contributions > %s AND da.member_id IN ({msql}) GROUP BY da.member_id"
                f") t WHERE t.first_day >= %s AND t.first_day <= %s GROUP BY {idx}",
                (0, *mparams, f.start, f.end),
            ))
        rows = []
        for p in periods(f.start, f.end, f.grain):
            rows.append({"period": p, "label": period_label(p, f.grain), "new_members": joined.get(p, 0),
                         "new_contributors": first.get(period_index(p, f.grain), 0)})
        return rows


class RepeatParticipation(Report):
    slug = "repeat"
    title = _("Repeat participation")
    description = _("Of the members who engaged in a period, the share who engaged on two or more days.")
    definition = "repeat"
    columns = [Column("label", _("Period"), "text"), Column("participants", _("Engaged members")),
               Column("repeaters", _("Engaged on 2+ days")), Column("rate", _("Repeat rate %"), "pct")]
    chart = Chart("line", x="label", series=["rate"])

    def run(self):
        f = self.params
        totals = period_totals(f, f.grain, period_index(f.start, f.grain), period_index(f.end, f.grain))
        if totals is not None:
            grouped = {i: (t.engaged, t.repeaters) for i, t in totals.items()}
        elif period_code(f.grain):
            grouped = {
                row["idx"]: (row["n"], row["r"]) for row in _periods_of(f, f.grain).filter(engaged_days__gt=0)
                .values("idx").annotate(n=Count("pk"), r=Count("pk", filter=Q(engaged_days__gte=2))).order_by()
            }
        else:
            msql, mparams = members_sql(f)
            idx = sql_period_index(f.grain, "da.day")
            grouped = {
                i: (n, r) for i, n, r in fetch(
                    f"SELECT t.idx, COUNT(*), SUM(CASE WHEN t.n >= 2 THEN 1 ELSE 0 END) FROM ("
                    f" SELECT da.member_id, {idx} AS idx, COUNT(*) AS n FROM metrics_dailyactivity da"
                    f" WHERE da.engaged = %s AND da.day >= %s AND da.day <= %s AND da.member_id IN ({msql})"
                    f" GROUP BY da.member_id, {idx}) t GROUP BY t.idx",
                    (True, f.start, f.end, *mparams),
                )
            }
        rows = []
        for p in periods(f.start, f.end, f.grain):
            n, r = grouped.get(period_index(p, f.grain), (0, 0))
            rows.append({"period": p, "label": period_label(p, f.grain), "participants": n, "repeaters": r or 0,
                         "rate": ratio(r or 0, n)})
        return rows


__all__ = ["ActiveMembers", "Stickiness", "Growth", "RepeatParticipation", "index_to_start"]
