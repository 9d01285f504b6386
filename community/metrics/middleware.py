"""Record a member's visit once per UTC day and keep User.last_seen_at fresh (at most once a minute).

Cheap by design: two cache look-ups per request; the database is written at most once a minute (last seen)
and once a day (the visit), whatever the traffic.
Settings: METRICS_TRACK_VISITS (default True; the test suite turns it off so that other apps' query counts
do not include the first request's bookkeeping, and tests/metrics/test_middleware.py turns it back on).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

log = logging.getLogger(__name__)


class VisitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated and request.method in ("GET", "HEAD", "POST")
                and getattr(settings, "METRICS_TRACK_VISITS", True)):
            try:
                self.note_visit(getattr(user, "_wrapped", user))  # the real User behind request.user
            except (DatabaseError, ValueError):  # never break a page because of bookkeeping
                log.exception("visit bookkeeping failed for member %s", user.pk)
        return self.get_response(request)

    @staticmethod
    def note_visit(user) -> None:
        from community.metrics.actions import record, utc_day
        from community.metrics.models import DailyActivity

        now = timezone.now()
        if cache.add(f"metrics:seen:{user.pk}", 1, 60):
            get_user_model().objects.filter(pk=user.pk).update(last_seen_at=now)
        day = utc_day(now)
        if cache.add(f"metrics:visit:{user.pk}:{day.isoformat()}", 1, 26 * 3600):
            # Another worker (with its own cache) may have recorded it already: the roll-up says.
            if not DailyActivity.objects.filter(member_id=user.pk, day=day, visits__gt=0).exists():
                record(member=user, kind="visit.day", at=now)
