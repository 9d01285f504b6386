"""Reads of the metrics app for other apps (content newsletters, notifications digests) and the dashboard."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from community.metrics.models import DigestBoost, SavedSegment
from community.metrics.reports import DASHBOARD, REPORTS, Filters
from community.metrics.reports.base import report_session
from community.metrics.reports.risk import HealthScore, health_scores


def default_filters(*, today: date | None = None, days: int = 90, grain: str = "week") -> Filters:
    today = today or timezone.now().date()
    return Filters(start=today - timedelta(days=days - 1), end=today, grain=grain)


def at_risk_members(*, end: date | None = None, limit: int = 50, filters: Filters | None = None) -> list[HealthScore]:
    """Previously engaged members whose activity fell, lowest health first; each with `.member`, `.score` and
    `.rules` (what moved the score). For newsletters' segments and the dashboard."""
    filters = filters or default_filters(today=end)
    return health_scores(filters=filters, end=end, limit=limit)


def segment_member_ids(*, segment_id: int) -> list[int]:
    """Members of a saved segment (for content newsletters to target)."""
    return list(SavedSegment.members.through.objects.filter(savedsegment_id=segment_id)
                .values_list("user_id", flat=True))


def digest_boosted_member_ids() -> list[int]:
    """Members a manager asked to include in the next digest; the digest marks the boost used_at."""
    return list(DigestBoost.objects.pending().values_list("member_id", flat=True))


def cache_seconds() -> int:
    return int(getattr(settings, "METRICS_REPORT_CACHE_SECONDS", 300))


def run_report(slug: str, filters: Filters, *, fresh: bool = False,
               seconds: int | None = None) -> tuple[object, list[dict]]:
    """Run one report, cached per filters for METRICS_REPORT_CACHE_SECONDS (0 disables the cache). `fresh`
    recomputes and stores; `metrics_refresh` uses it to keep the default views warm. The report's
    `computed_at` says how old the figures are."""
    report = REPORTS[slug](filters)
    seconds = cache_seconds() if seconds is None else seconds
    key = f"metrics:report:{slug}:{filters.cache_key()}"
    if seconds and not fresh:
        hit = cache.get(key)
        if hit is not None:
            rows, report.note, report.computed_at = hit
            return report, rows
    with report_session():
        rows = report.run()
    # A report reading precomputed figures (the health scores) says when they were computed.
    report.computed_at = report.computed_at or timezone.now()
    if seconds:
        cache.set(key, (rows, report.note, report.computed_at), seconds)
    return report, rows


def dashboard(filters: Filters, *, fresh: bool = False) -> list[tuple[object, list[dict]]]:
    with report_session():
        return [run_report(report.slug, filters, fresh=fresh) for report in DASHBOARD]


def warm(*, today: date | None = None, seconds: int | None = None) -> list[Filters]:
    """Precompute the dashboard's default views (last 12 weeks by week, last 12 months by month)."""
    today = today or timezone.now().date()
    views = [default_filters(today=today, days=12 * 7, grain="week"),
             default_filters(today=today, days=365, grain="month")]
    for filters in views:
        for report in DASHBOARD:
            run_report(report.slug, filters, fresh=True, seconds=seconds)
    return views
