"""What every report shares: typed filters, periods, the reportable-member set and a little vendor SQL.

A report is a class with typed parameters (`Filters`, a dataclass) and `run()` returning rows (dicts). Reports
read `DailyActivity` (never the raw ledger) and count only reportable members (`User.objects.reportable()`:
no staff, deleted or suspended members). All grouping happens in the database.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import timezone as dt_timezone
from typing import Any, ClassVar

from django.db import connection, transaction
from django.utils.functional import Promise

GRAINS = ("day", "week", "month")
EPOCH_MONDAY = date(1970, 1, 5)


@dataclass(frozen=True)
class Filters:
    """Parameters every report accepts. Dates are inclusive UTC days."""

    start: date
    end: date
    grain: str = "week"
    category: int | None = None  # forum reports only
    language: str | None = None  # member's language
    tier: int | None = None  # loyalty tier id
    cohort: date | None = None  # join month (first day)

    def __post_init__(self) -> None:
        if self.grain not in GRAINS:
            raise ValueError(f"grain must be one of {GRAINS}")
        if self.end < self.start:
            raise ValueError("end before start")

    def cache_key(self) -> str:
        return ":".join(str(v) for v in (self.start, self.end, self.grain, self.category, self.language, self.tier,
                                         self.cohort))


def members(filters: Filters):
    """Reportable members matching the member filters (language, tier, join cohort), as a queryset."""
    from accounts.models import User

    qs = User.objects.reportable()
    if filters.language:
        qs = qs.filter(locale=filters.language)
    if filters.tier:
        qs = qs.filter(loyalty_tier__tier_id=filters.tier)
    if filters.cohort:
        start = datetime(filters.cohort.year, filters.cohort.month, 1, tzinfo=dt_timezone.utc)
        following = add_periods(start.date(), "month", 1)
        qs = qs.filter(date_joined__gte=start,
                       date_joined__lt=datetime(following.year, following.month, 1, tzinfo=dt_timezone.utc))
    return qs


def members_sql(filters: Filters) -> tuple[str, tuple]:
    """SQL selecting the ids of `members(filters)` (one column, `id`), with its parameters."""
    sql, params = members(filters).values("pk").query.sql_with_params()
    return sql, tuple(params)


# --- periods ----------------------------------------------------------------------------------------------

def period_code(grain: str) -> str | None:
    """MemberPeriod.grain for a report grain (weeks and months are pre-rolled; days read DailyActivity)."""
    return {"week": "w", "month": "m"}.get(grain)


def period_start(day: date, grain: str) -> date:
    if grain == "day":
        return day
    if grain == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def add_periods(day: date, grain: str, n: int) -> date:
    if grain == "day":
        return day + timedelta(days=n)
    if grain == "week":
        return day + timedelta(weeks=n)
    month = day.year * 12 + (day.month - 1) + n
    return date(month // 12, month % 12 + 1, 1)


def period_index(day: date, grain: str) -> int:
    """Integer index of the period containing `day` (same numbering as `sql_period_index`)."""
    if grain == "day":
        return (day - date(1970, 1, 1)).days
    if grain == "week":
        return (period_start(day, "week") - EPOCH_MONDAY).days // 7
    return day.year * 12 + day.month


def index_to_start(index: int, grain: str) -> date:
    if grain == "day":
        return date(1970, 1, 1) + timedelta(days=index)
    if grain == "week":
        return EPOCH_MONDAY + timedelta(weeks=index)
    return date((index - 1) // 12, (index - 1) % 12 + 1, 1)


def periods(start: date, end: date, grain: str) -> list[date]:
    """Starts of every period that overlaps [start, end]."""
    out = []
    current = period_start(start, grain)
    while current <= end:
        out.append(current)
        current = add_periods(current, grain, 1)
    return out


def period_label(day: date, grain: str) -> str:
    if grain == "month":
        return day.strftime("%Y-%m")
    if grain == "week":
        year, week, _weekday = day.isocalendar()
        return f"{year}-W{week:02d}"
    return day.isoformat()


# --- vendor SQL -------------------------------------------------------------------------------------------

def vendor() -> str:
    return connection.vendor


def sql_period_index(grain: str, col: str) -> str:
    """SQL integer index of the period containing date expression `col` (see `period_index`).
    Literal percent signs are doubled: these strings are always executed with parameters."""
    if vendor() == "postgresql":
        if grain == "day":
            return f"({col} - DATE '1970-01-01')"
        if grain == "week":
            return f"FLOOR(({col} - DATE '1970-01-05') / 7.0)::int"
        return f"(EXTRACT(YEAR FROM {col})::int * 12 + EXTRACT(MONTH FROM {col})::int)"
    if grain == "day":
        return f"CAST(julianday({col}) - julianday('1970-01-01') AS integer)"
    if grain == "week":
        return f"CAST((julianday({col}) - julianday('1970-01-05')) / 7 AS integer)"
    return f"(CAST(strftime('%%Y', {col}) AS integer) * 12 + CAST(strftime('%%m', {col}) AS integer))"


def sql_period_start(grain: str, col: str) -> str:
    """SQL first day of the period containing date expression `col` (weeks start on Monday)."""
    if vendor() == "postgresql":
        if grain == "day":
            return col
        return f"CAST(date_trunc('{grain}', {col}) AS date)"
    if grain == "day":
        return f"date({col})"
    if grain == "week":
        return f"date({col}, '-' || ((CAST(strftime('%%w', {col}) AS integer) + 6) %% 7) || ' days')"
    return f"date({col}, 'start of month')"


def sql_utc_date(col: str) -> str:
    """UTC calendar date of a timestamp column."""
    if vendor() == "postgresql":
        return f"CAST(({col} AT TIME ZONE 'UTC') AS date)"
    return f"date({col})"


@contextmanager
def report_session() -> Iterator[None]:
    """Run reports in one read transaction, sharing what they compute alike (`connection._metrics_memo`, e.g.
    the period totals); on PostgreSQL give its sorts and hashes more memory (METRICS_WORK_MEM, default 64MB)
    so that grouping a few million rows does not spill to disk, and turn JIT compilation off."""
    if getattr(connection, "_metrics_memo", None) is not None:
        yield  # already inside a report session
        return
    connection._metrics_memo = {}
    try:
        if connection.vendor != "postgresql":
            yield
            return
        with transaction.atomic():
            from django.conf import settings

            work_mem = getattr(settings, "METRICS_WORK_MEM", "64MB")
            with connection.cursor() as cursor:
                # No JIT: report queries run in tens of milliseconds, and their row estimates (correlated
                # subqueries) make the planner compile for seconds.
                cursor.execute("SELECT set_config('work_mem', %s, true), set_config('jit', 'off', true)", [work_mem])
            yield
    finally:
        connection._metrics_memo = None


def fetch(sql: str, params: tuple | list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.fetchall()


# --- numbers ----------------------------------------------------------------------------------------------

def ratio(part: float, whole: float) -> float | None:
    """part / whole as a percentage with one decimal, None when whole is 0."""
    if not whole:
        return None
    return round(100.0 * part / whole, 1)


def percentile(values: list[float], p: float) -> float | None:
    """Linear-interpolation percentile (the 'linear' method of numpy and PostgreSQL percentile_cont)."""
    if not values:
        return None
    ordered = sorted(values)
    if len(ordered) == 1:
        return float(ordered[0])
    rank = (len(ordered) - 1) * p / 100.0
    low = math.floor(rank)
    high = math.ceil(rank)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (rank - low))


@dataclass
class Column:
    key: str
    label: Promise | str
    kind: str = "int"  # int, pct, text, date, hours


@dataclass
class Chart:
    """How the dashboard draws a report: a kind and which columns are the x axis and the series."""

    kind: str  # "line", "bar", "stacked", "heatmap", "none"
    x: str = "period"
    series: list[str] = field(default_factory=list)


class Report:
    """One report. Subclasses set the class attributes and implement `run()`."""

    slug: ClassVar[str]
    title: ClassVar[Promise]
    description: ClassVar[Promise]
    definition: ClassVar[str]  # anchor on /dashboard/definitions/
    columns: ClassVar[list[Column]]
    chart: ClassVar[Chart] = Chart("none")
    Params: ClassVar[type] = Filters

    def __init__(self, params: Filters) -> None:
        self.params = params
        self.note: str = ""  # e.g. "not available" when a source app is missing
        self.computed_at = None  # set by selectors.run_report

    def run(self) -> list[dict[str, Any]]:
        raise NotImplementedError

    def available(self) -> bool:
        return True
