"""Retention reports: cohort retention, lifecycle (new, returning, resurrected, dormant) and churn."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from datetime import timezone as dt_timezone

from django.db import connection
from django.utils.translation import gettext_lazy as _

from community.metrics.reports.base import (
    Chart,
    Column,
    Report,
    add_periods,
    fetch,
    index_to_start,
    members,
    members_sql,
    period_code,
    period_index,
    period_label,
    period_start,
    periods,
    ratio,
    sql_period_index,
    sql_utc_date,
    vendor,
)
from community.metrics.reports.totals import cohort_cells, period_totals


def _activity_cte(grain: str) -> str:
    """(member_id, idx, joined) rows: members active at least once in the period idx, with their join period.
    Params: start, end (dates for days, period indexes for weeks and months); the CTE `m` (id, joined) of
    reportable members must exist."""
    if period_code(grain):
        return (f"SELECT mp.member_id AS member_id, mp.idx AS idx, m.joined AS joined FROM metrics_memberperiod mp"
                f" JOIN m ON m.id = mp.member_id"
                f" WHERE mp.grain = '{period_code(grain)}' AND mp.idx >= %s AND mp.idx <= %s")
    idx = sql_period_index(grain, "da.day")
    return (f"SELECT DISTINCT da.member_id AS member_id, {idx} AS idx, m.joined AS joined"
            f" FROM metrics_dailyactivity da JOIN m ON m.id = da.member_id"
            f" WHERE da.day >= %s AND da.day <= %s")


def _joined_range(first: date, last: date) -> tuple:
    """UTC bounds [start of `first`, start of the day after `last`) for filtering date_joined as a plain range
    (so the planner uses the column's statistics) instead of on its computed UTC date; adapted for the
    database like the ORM does (SQLite stores naive UTC text)."""
    start = datetime(first.year, first.month, first.day, tzinfo=dt_timezone.utc)
    end = datetime(last.year, last.month, last.day, tzinfo=dt_timezone.utc) + timedelta(days=1)
    adapt = connection.ops.adapt_datetimefield_value
    return adapt(start), adapt(end)


def _cohort_index_sql(grain: str, first: date, last: date) -> tuple[str, tuple]:
    """SQL for the index of the period in which `u.date_joined` falls (UTC), exact for members who joined between
    `first` (a period start) and `last`; on PostgreSQL earlier joins give the index before `first` and later
    ones the index after `last`. There it is a binary search of the period boundaries (width_bucket), far
    cheaper per row than converting every timestamp to a UTC date."""
    if vendor() != "postgresql":
        return sql_period_index(grain, sql_utc_date("u.date_joined")), ()
    starts = periods(first, last, grain)
    starts.append(add_periods(starts[-1], grain, 1))
    bounds = [datetime(d.year, d.month, d.day, tzinfo=dt_timezone.utc) for d in starts]
    return "(%s + width_bucket(u.date_joined, %s::timestamptz[]) - 1)", (period_index(first, grain), bounds)


def _bounds(grain: str, start, end) -> tuple:
    if period_code(grain):
        return period_index(start, grain), period_index(end, grain)
    return start, end


class CohortRetention(Report):
    """Members grouped by the period they joined (week or month); for each following period k (0 = the join
    period), the share of the cohort active in it. Cohorts are those that joined within the date range."""

    slug = "cohorts"
    title = _("Cohort retention")
    description = _("Members grouped by join period; the share of each cohort active in each following period.")
    definition = "cohorts"
    columns = [Column("label", _("Cohort"), "text"), Column("size", _("Members"))]
    chart = Chart("heatmap")

    def grain(self) -> str:
        return "month" if self.params.grain == "month" else "week"

    def run(self):
        f = self.params
        grain = self.grain()
        msql, mparams = members_sql(f)
        first = period_start(f.start, grain)
        cidx, cparams = _cohort_index_sql(grain, first, f.end)
        joined_from, joined_before = _joined_range(first, f.end)
        in_cohort = "u.date_joined >= %s AND u.date_joined < %s"
        sizes: dict[int, int] = {}
        cells: dict[int, dict[int, int]] = defaultdict(dict)
        stored = cohort_cells(f, grain, period_index(first, grain), period_index(f.end, grain))
        if stored is not None:
            # No member filter: the cohort sizes from the members, the cells from the period totals.
            for (c, i), n in stored.items():
                cells[c][i - c] = n
            joined_sql, joined_params = members(f).values("pk", "date_joined").query.sql_with_params()
            sizes = dict(fetch(
                f"SELECT {cidx}, COUNT(*) FROM ({joined_sql}) u WHERE {in_cohort} GROUP BY 1",
                (*cparams, *joined_params, joined_from, joined_before),
            ))
            return self._rows(first, grain, sizes, cells)
        # One query: the cohort members with their cohort index computed once each (the CTE is referenced
        # twice, so it is materialised rather than inlined), then the cohort sizes (offset -1) and one pass
        # over the cohorts' week (or month) roll-ups: one row per member and active period.
        for c, k, n in fetch(
            f"WITH c AS (SELECT u.id AS id, {cidx} AS c FROM accounts_user u"
            f"  WHERE {in_cohort} AND u.id IN ({msql}))"
            f" SELECT c.c, -1, COUNT(*) FROM c GROUP BY c.c"
            f" UNION ALL"
            f" SELECT c.c, mp.idx - c.c, COUNT(*) FROM metrics_memberperiod mp JOIN c ON c.id = mp.member_id"
            f" WHERE mp.grain = %s AND mp.idx >= %s AND mp.idx <= %s AND mp.idx >= c.c"
            f" GROUP BY c.c, mp.idx - c.c",
            (*cparams, joined_from, joined_before, *mparams,
             period_code(grain), period_index(first, grain), period_index(f.end, grain)),
        ):
            if k < 0:
                sizes[c] = n
            else:
                cells[c][k] = n
        return self._rows(first, grain, sizes, cells)

    def _rows(self, first, grain, sizes, cells):
        f = self.params
        last = period_index(f.end, grain)
        rows = []
        for start in periods(first, f.end, grain):
            c = period_index(start, grain)
            size = sizes.get(c, 0)
            width = last - c + 1
            values = [cells[c].get(k, 0) for k in range(width)]
            rows.append({"cohort": start, "label": period_label(start, grain), "size": size, "active": values,
                         "shares": [ratio(v, size) for v in values]})
        return rows

    def max_offset(self, rows) -> int:
        return max((len(r["active"]) for r in rows), default=0)

    def flat_rows(self, rows) -> list[dict]:
        """For the CSV and the data table: one column per offset."""
        width = self.max_offset(rows)
        out = []
        for r in rows:
            flat = {"cohort": r["label"], "size": r["size"]}
            for k in range(width):
                flat[f"p{k}"] = r["shares"][k] if k < len(r["shares"]) else ""
            out.append(flat)
        return out


class Lifecycle(Report):
    """Per period, the active members split into new (joined in the period), returning (active in the previous
    period too) and resurrected (not active in the previous period, joined earlier); dormant are members active
    in the previous period but not in this one. Churn = dormant / active in the previous period; retention =
    returning / active in the previous period."""

    slug = "lifecycle"
    title = _("Lifecycle and churn")
    description = _("New, returning, resurrected and dormant members per period, with churn and retention rates.")
    definition = "lifecycle"
    columns = [Column("label", _("Period"), "text"), Column("active", _("Active")), Column("new", _("New")),
               Column("returning", _("Returning")), Column("resurrected", _("Resurrected")),
               Column("dormant", _("Dormant")), Column("churn", _("Churn %"), "pct"),
               Column("retention", _("Retention %"), "pct"), Column("resurrection", _("Resurrected share %"), "pct")]
    chart = Chart("stacked", x="label", series=["new", "returning", "resurrected", "dormant"])

    def run(self):
        f = self.params
        grain = f.grain
        msql, mparams = members_sql(f)
        first = period_start(f.start, grain)
        before = add_periods(first, grain, -1)  # the previous period tells returning from resurrected
        join_idx, jparams = _cohort_index_sql(grain, before, f.end)
        totals = period_totals(f, grain, period_index(first, grain), period_index(f.end, grain), previous=True)
        if totals is not None:
            # No member filter: the stored per-period totals, less the excluded members.
            counts = {i: (t.members, t.new, t.continuing - t.new_continuing, t.continuing)
                      for i, t in totals.items()}
        elif period_code(grain):
            counts = self._period_counts(grain, msql, mparams, join_idx, jparams, before)
        else:
            counts = self._day_counts(grain, msql, mparams, join_idx, jparams, before)
        rows = []
        for start in periods(first, f.end, grain):
            i = period_index(start, grain)
            active, new, returning, continuing = counts.get(i, (0, 0, 0, 0))
            previous = counts.get(i - 1, (0,))[0]
            # Members active in the previous period but not in this one went dormant in it; the active who are
            # neither new nor returning came back (resurrected).
            gone = previous - continuing
            resurrected = active - new - returning
            rows.append({
                "period": start, "label": period_label(start, grain), "active": active, "new": new,
                "returning": returning, "resurrected": resurrected, "dormant": gone,
                "previous_active": previous, "churn": ratio(gone, previous), "retention": ratio(returning, previous),
                "resurrection": ratio(resurrected, active),
            })
        return rows

    def _period_counts(self, grain, msql, mparams, join_idx, jparams, before) -> dict[int, tuple[int, int, int, int]]:
        """Per period index: (active, new, returning, continuing = active in the previous period too, new or
        not). Weeks and months: one pass over the member/period roll-up, whose prev_idx names each member's
        previous active period, so neither a sort nor a window function is needed."""
        return {
            i: (int(a), int(n or 0), int(r or 0), int(c or 0)) for i, a, n, r, c in fetch(
                f"WITH m AS (SELECT u.id AS id, {join_idx} AS joined FROM accounts_user u WHERE u.id IN ({msql}))"
                f" SELECT mp.idx, COUNT(*),"
                f" SUM(CASE WHEN m.joined = mp.idx THEN 1 ELSE 0 END),"
                f" SUM(CASE WHEN mp.prev_idx = mp.idx - 1 AND m.joined <> mp.idx THEN 1 ELSE 0 END),"
                f" SUM(CASE WHEN mp.prev_idx = mp.idx - 1 THEN 1 ELSE 0 END)"
                f" FROM metrics_memberperiod mp JOIN m ON m.id = mp.member_id"
                f" WHERE mp.grain = %s AND mp.idx >= %s AND mp.idx <= %s GROUP BY mp.idx",
                (*jparams, *mparams, period_code(grain), *_bounds(grain, before, self.params.end)),
            )
        }

    def _day_counts(self, grain, msql, mparams, join_idx, jparams, before) -> dict[int, tuple[int, int, int, int]]:
        """As `_period_counts` for days, from the daily roll-up: the previous active day of the same member by a
        window function."""
        return {
            i: (int(a), int(n or 0), int(r or 0), int(c or 0)) for i, a, n, r, c in fetch(
                # The join period is computed once per row of `seq` (its window function keeps it from
                # being flattened into the CASE expressions below).
                f"WITH m AS (SELECT u.id AS id, {join_idx} AS joined FROM accounts_user u WHERE u.id IN ({msql})),"
                f" act AS ({_activity_cte(grain)}),"
                f" seq AS (SELECT act.member_id, act.idx, act.joined,"
                f"  LAG(act.idx) OVER (PARTITION BY act.member_id ORDER BY act.idx) AS prev FROM act)"
                f" SELECT seq.idx, COUNT(*),"
                f" SUM(CASE WHEN seq.joined = seq.idx THEN 1 ELSE 0 END),"
                f" SUM(CASE WHEN seq.joined <> seq.idx AND seq.prev = seq.idx - 1 THEN 1 ELSE 0 END),"
                f" SUM(CASE WHEN seq.prev = seq.idx - 1 THEN 1 ELSE 0 END)"
                f" FROM seq GROUP BY seq.idx",
                (*jparams, *mparams, *_bounds(grain, before, self.params.end)),
            )
        }


__all__ = ["CohortRetention", "Lifecycle", "index_to_start"]
