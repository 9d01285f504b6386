from __future__ import annotations

from datetime import datetime
from datetime import timezone as dt_timezone

import pytest

from community.metrics.actions import record


def at(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=dt_timezone.utc)


@pytest.fixture
def cohort_world(make_member):
    """Three members and a staff member, January 2026 (weeks start on Monday):
    W02 = 5-11 Jan, W03 = 12-18 Jan, W04 = 19-25 Jan.
      A joined 5 Jan: replied 5 Jan, visited 13 Jan, visited 20 Jan
      B joined 5 Jan: visited 6 Jan, reacted 21 Jan
      C joined 12 Jan: started a topic 12 Jan, visited 19 Jan
      S (staff) joined 5 Jan: visits 5, 13, 20 Jan, excluded from every report."""
    a = make_member(handle="alice", date_joined=at("2026-01-05", 9))
    b = make_member(handle="bob", date_joined=at("2026-01-05", 10))
    c = make_member(handle="carol", date_joined=at("2026-01-12", 9))
    s = make_member(handle="staffer", staff=True, date_joined=at("2026-01-05", 8))
    for member, kind, day in [
        (a, "post.replied", "2026-01-05"), (a, "visit.day", "2026-01-13"), (a, "visit.day", "2026-01-20"),
        (b, "visit.day", "2026-01-06"), (b, "reaction.given", "2026-01-21"),
        (c, "topic.created", "2026-01-12"), (c, "visit.day", "2026-01-19"),
        (s, "visit.day", "2026-01-05"), (s, "visit.day", "2026-01-13"), (s, "visit.day", "2026-01-20"),
    ]:
        record(member=member, kind=kind, at=at(day))
    return {"a": a, "b": b, "c": c, "s": s}
