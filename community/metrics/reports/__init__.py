"""Retention reports, one class per report (PostHog style): typed parameters (`Filters`) and `run()` -> rows.

The dashboard runs `DASHBOARD` in order; each report reads DailyActivity (or another app's tables, lazily)
and groups in the database.
"""

from __future__ import annotations

from community.metrics.reports.activity import ActiveMembers, Growth, RepeatParticipation, Stickiness
from community.metrics.reports.base import Filters, Report, percentile
from community.metrics.reports.retention import CohortRetention, Lifecycle
from community.metrics.reports.risk import AtRisk, Campaigns, health_scores
from community.metrics.reports.sources import (
    EventAttendance,
    EventFeedbackScores,
    NewsletterRates,
    TimeToFirstResponse,
    TopicsWithoutResponse,
    nps,
)

DASHBOARD: list[type[Report]] = [
    ActiveMembers, Stickiness, Growth, CohortRetention, Lifecycle, RepeatParticipation, TimeToFirstResponse,
    TopicsWithoutResponse, EventAttendance, EventFeedbackScores, NewsletterRates, AtRisk, Campaigns,
]
REPORTS: dict[str, type[Report]] = {report.slug: report for report in DASHBOARD}

__all__ = [
    "DASHBOARD", "REPORTS", "Filters", "Report", "percentile", "nps", "health_scores", "ActiveMembers",
    "Stickiness", "Growth", "CohortRetention", "Lifecycle", "RepeatParticipation", "TimeToFirstResponse",
    "TopicsWithoutResponse", "EventAttendance", "EventFeedbackScores", "NewsletterRates", "AtRisk", "Campaigns",
]
