"""Per-period counts of the reportable members for the unfiltered week and month reports.

`PeriodTotal` holds, for each week or month that is over and each join cohort, counts over every member's
MemberPeriod row. The reportable counts are those minus the counts of the members the reports exclude (staff,
deleted, deactivated, suspended now: a few, found by index, live, so that a suspension shows at once); periods
without stored rows (the current ones, or one invalidated by a backdated act) are counted live. The result is
the same as grouping the reportable members' rows, which the reports do when a member filter (language, tier,
join cohort) is set.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import connection

from community.metrics.reports.base import fetch, period_code, period_index, sql_period_index, sql_utc_date

# Counted per (period, cohort), in this order, by `aggregate_sql`.
FIELDS = ("members", "engaged", "contributors", "repeaters", "member_days", "continuing", "first_contributors",
          "openers", "clickers")


@dataclass(frozen=True)
class Totals:
    """Per period, over the reportable members: FIELDS summed over the cohorts, and `new` (active in the period
    they joined) and `new_continuing` (of those, active in the previous period too)."""

    members: int = 0
    engaged: int = 0
    contributors: int = 0
    repeaters: int = 0
    member_days: int = 0
    continuing: int = 0
    first_contributors: int = 0
    openers: int = 0
    clickers: int = 0
    new: int = 0
    new_continuing: int = 0


def cohort_sql(grain: str, user: str = "u") -> str:
    """SQL index of the period in which member `user` joined (UTC)."""
    return sql_period_index(grain, sql_utc_date(f"{user}.date_joined"))


def aggregate_sql(grain: str) -> str:
    """The SELECT list after `mp.idx, <cohort>` computing FIELDS over `metrics_memberperiod mp`."""
    return (
        "COUNT(*), SUM(CASE WHEN mp.engaged_days > 0 THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN mp.contributions > 0 THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN mp.engaged_days >= 2 THEN 1 ELSE 0 END), SUM(mp.days),"
        " SUM(CASE WHEN mp.prev_idx = mp.idx - 1 THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN mp.contributions > 0 AND NOT mp.contributed_before THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN mp.newsletter_opened THEN 1 ELSE 0 END), SUM(CASE WHEN mp.newsletter_clicked THEN 1 ELSE 0 END)"
    )


def settled_before(grain: str, today: date) -> int:
    """Index of the first period not over by yesterday: earlier periods get no more acts recorded live."""
    return period_index(today - timedelta(days=1), grain)


def _excluded_where() -> tuple[str, list]:
    """SQL condition on `accounts_user` true for the members excluded from every report: the negation of
    `User.objects.reportable()`'s conditions (the ORM guards nullable columns, so they are never NULL and NOT is
    exact), else a NOT IN of its ids when they involve other tables."""
    from django.db.models.sql.where import AND, WhereNode

    from accounts.models import User

    reportable = User.objects.reportable().values("pk")
    if len(reportable.query.alias_map) == 1:  # conditions on the members' own table only
        where = WhereNode([reportable.query.where], AND, negated=True)
        compiler = reportable.query.get_compiler(connection=connection)
        sql, params = compiler.compile(where)
        return sql, list(params)
    sql, params = reportable.query.sql_with_params()
    return f'"accounts_user"."id" NOT IN ({sql})', list(params)


def _cohort_from(grain: str, lo: int, hi: int) -> tuple[str, list]:
    """SQL (and parameters) of the cohort of `accounts_user` for counting periods lo..hi: exact for members
    who joined in them, lo - 1 for those who joined earlier and hi + 1 for later ones (the readers use only
    cohorts from lo, compared with periods up to hi).
    On PostgreSQL a binary search of the period boundaries (width_bucket), far cheaper per row than converting
    every join time to a UTC date."""
    if connection.vendor != "postgresql":
        return cohort_sql(grain, "accounts_user"), []
    from datetime import datetime
    from datetime import timezone as dt_timezone

    from community.metrics.reports.base import add_periods, index_to_start

    first = index_to_start(lo, grain)
    starts = [add_periods(first, grain, n) for n in range(hi - lo + 2)]  # periods lo..hi and the end of hi
    bounds = [datetime(d.year, d.month, d.day, tzinfo=dt_timezone.utc) for d in starts]
    return "(%s + width_bucket(accounts_user.date_joined, %s::timestamptz[]) - 1)", [lo, bounds]


def _memo() -> dict | None:
    return getattr(connection, "_metrics_memo", None)


def cells(grain: str, lo: int, hi: int) -> dict[tuple[int, int], tuple[int, ...]]:
    """{(period, cohort): FIELDS} of the reportable members for periods lo..hi: stored rows, live counts for
    the periods without them, less the excluded members' counts. Exact for the cohorts from lo and for the sums
    over all cohorts of a period (members who joined before lo may sit under any cohort index below lo). Two
    queries; remembered for the rest of a report session (the dashboard's reports ask for the same periods)."""
    from community.metrics.models import PeriodTotal

    code = period_code(grain)
    memo = _memo()
    key = ("cells", code, lo, hi)
    if memo is not None and key in memo:
        return memo[key]
    out: dict[tuple[int, int], list[int]] = {}
    stored: set[int] = set()
    for idx, cohort, *values in PeriodTotal.objects.filter(grain=code, idx__gte=lo, idx__lte=hi).values_list(
            "idx", "cohort", *FIELDS):
        out[(idx, cohort)] = values
        stored.add(idx)
    missing = [i for i in range(lo, hi + 1) if i not in stored]
    excluded_where, excluded_params = _excluded_where()
    cohort, cohort_params = _cohort_from(grain, lo, hi)
    select = (f"mp.idx, {cohort}, {aggregate_sql(grain)} FROM metrics_memberperiod mp"
              f" JOIN accounts_user ON accounts_user.id = mp.member_id WHERE mp.grain = %s")
    parts, params = [], []
    if missing:
        # Periods not stored (still running, or invalidated): every member's rows, live.
        parts.append(f"SELECT 1, {select} AND mp.idx IN ({', '.join(['%s'] * len(missing))}) GROUP BY 2, 3")
        params += [*cohort_params, code, *missing]
    # The excluded members' rows, to subtract: from each excluded member to their rows by index (LATERAL,
    # not flattened (OFFSET 0), so that the planner does not scan every row of the periods instead).
    if connection.vendor == "postgresql":
        parts.append(f"SELECT -1, mp.idx, {cohort}, {aggregate_sql(grain)} FROM accounts_user CROSS JOIN LATERAL ("
                     f" SELECT * FROM metrics_memberperiod r WHERE r.member_id = accounts_user.id AND r.grain = %s"
                     f" AND r.idx >= %s AND r.idx <= %s OFFSET 0) mp WHERE {excluded_where} GROUP BY 2, 3")
    else:
        parts.append(f"SELECT -1, {select} AND mp.idx >= %s AND mp.idx <= %s AND {excluded_where} GROUP BY 2, 3")
    params += [*cohort_params, code, lo, hi, *excluded_params]
    for sign, idx, cohort_idx, *values in fetch(" UNION ALL ".join(parts), params):
        row = out.setdefault((idx, cohort_idx), [0] * len(FIELDS))
        for n, value in enumerate(values):
            row[n] += sign * int(value or 0)
    result = {k: tuple(v) for k, v in out.items()}
    if memo is not None:
        memo[key] = result
    return result


def _unfiltered(filters, grain: str) -> bool:
    return period_code(grain) is not None and not (filters.language or filters.tier or filters.cohort)


def period_totals(filters, grain: str, lo: int, hi: int, *, previous: bool = False) -> dict[int, Totals] | None:
    """Totals of the reportable members per period index in lo..hi (and lo - 1 with `previous`), weeks or
    months, or None when a member filter is set (the caller groups the filtered members' rows itself). Reads
    `cells` from lo - 1 either way, so that every report of the dashboard shares one computation."""
    if not _unfiltered(filters, grain):
        return None
    first = lo - 1 if previous else lo
    sums: dict[int, list[int]] = defaultdict(lambda: [0] * (len(FIELDS) + 2))
    i_continuing = FIELDS.index("continuing")
    for (idx, cohort), values in cells(grain, lo - 1, hi).items():
        if idx < first:
            continue
        row = sums[idx]
        for n, value in enumerate(values):
            row[n] += value
        if cohort == idx:
            row[-2] += values[0]
            row[-1] += values[i_continuing]
    return {i: Totals(*sums[i]) if i in sums else Totals() for i in range(first, hi + 1)}


def cohort_cells(filters, grain: str, lo: int, hi: int) -> dict[tuple[int, int], int] | None:
    """{(cohort, period): reportable members of the cohort active in the period} for periods lo..hi and
    cohorts from lo, or None when a member filter is set."""
    if not _unfiltered(filters, grain):
        return None
    return {(cohort, idx): values[0] for (idx, cohort), values in cells(grain, lo - 1, hi).items()
            if idx >= lo and lo <= cohort <= idx and values[0]}


__all__ = ["FIELDS", "Totals", "aggregate_sql", "cells", "cohort_cells", "cohort_sql", "period_totals",
           "settled_before"]
