"""Reports on small fixed data; every expected number is worked out by hand in the comments."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from community.metrics.actions import record
from community.metrics.reports.base import period_index
from community.metrics.reports import (
    ActiveMembers,
    CohortRetention,
    NewsletterRates,
    Filters,
    Growth,
    Lifecycle,
    RepeatParticipation,
    Stickiness,
    health_scores,
    nps,
    percentile,
)
from tests.metrics.conftest import at

pytestmark = pytest.mark.django_db

JAN_WEEKS = Filters(start=date(2026, 1, 5), end=date(2026, 1, 25), grain="week")


def test_cohort_table(cohort_world):
    rows = CohortRetention(JAN_WEEKS).run()
    # Cohort W02 (A, B), size 2: W02 A+B active -> 2/2 = 100%; W03 only A -> 1/2 = 50%; W04 A (20th) and
    # B (21st) -> 2/2 = 100%. Cohort W03 (C), size 1: W03 C -> 100%; W04 C (19th) -> 100%. W04: nobody joined.
    assert [(r["label"], r["size"], r["active"], r["shares"]) for r in rows] == [
        ("2026-W02", 2, [2, 1, 2], [100.0, 50.0, 100.0]),
        ("2026-W03", 1, [1, 1], [100.0, 100.0]),
        ("2026-W04", 0, [0], [None]),
    ]


def test_cohort_table_by_month(cohort_world):
    rows = CohortRetention(Filters(start=date(2026, 1, 1), end=date(2026, 1, 31), grain="month")).run()
    # One January cohort of A, B, C (staff excluded), all active in January.
    assert [(r["label"], r["size"], r["shares"]) for r in rows] == [("2026-01", 3, [100.0])]


def test_lifecycle_and_churn(cohort_world):
    rows = Lifecycle(JAN_WEEKS).run()
    got = [(r["label"], r["active"], r["new"], r["returning"], r["resurrected"], r["dormant"], r["churn"],
            r["retention"]) for r in rows]
    # W02: A, B joined this week -> new 2; nobody active in W01 -> churn undefined.
    # W03: A active in W02 too -> returning; C joined W03 -> new; B active in W02 but not W03 -> dormant 1;
    #      churn = 1 dormant / 2 active before = 50%, retention = 1 returning / 2 = 50%.
    # W04: A and C were active in W03 -> returning 2; B was not (joined earlier) -> resurrected 1;
    #      nobody from W03 {A, C} is missing -> dormant 0, churn 0 / 2 = 0%, retention 2 / 2 = 100%.
    assert got == [
        ("2026-W02", 2, 2, 0, 0, 0, None, None),
        ("2026-W03", 2, 1, 1, 0, 1, 50.0, 50.0),
        ("2026-W04", 3, 0, 2, 1, 0, 0.0, 100.0),
    ]


def test_active_members(cohort_world):
    rows = ActiveMembers(JAN_WEEKS).run()
    # W02: A (reply: engaged, contributor), B (visit) -> 2 active, 1 engaged, 1 contributor.
    # W03: A (visit), C (topic) -> 2, 1, 1.  W04: A, C (visits), B (reaction: engaged) -> 3, 1, 0.
    assert [(r["label"], r["active"], r["engaged"], r["contributors"]) for r in rows] == [
        ("2026-W02", 2, 1, 1), ("2026-W03", 2, 1, 1), ("2026-W04", 3, 1, 0),
    ]


def test_stickiness(cohort_world):
    rows = Stickiness(Filters(start=date(2026, 1, 1), end=date(2026, 1, 31), grain="month")).run()
    # Member-days in January: A 5, 13, 20; B 6, 21; C 12, 19 -> 7. Average DAU = 7 / 31 days = 0.2258.
    # MAU = 3 (A, B, C). DAU/MAU = 0.2258 / 3 = 7.53% -> 7.5.
    assert rows == [{"period": date(2026, 1, 1), "label": "2026-01", "avg_dau": 0.23, "mau": 3, "stickiness": 7.5}]


def test_growth(cohort_world):
    rows = Growth(JAN_WEEKS).run()
    # Joined: W02 A, B (the staff member is excluded); W03 C. First post: A 5 Jan (W02), C 12 Jan (W03).
    assert [(r["label"], r["new_members"], r["new_contributors"]) for r in rows] == [
        ("2026-W02", 2, 1), ("2026-W03", 1, 1), ("2026-W04", 0, 0),
    ]


def test_filters_language_and_cohort(cohort_world):
    cohort_world["c"].locale = "lv"
    cohort_world["c"].save()
    latvian = ActiveMembers(Filters(start=date(2026, 1, 5), end=date(2026, 1, 25), grain="week", language="lv")).run()
    assert [r["active"] for r in latvian] == [0, 1, 1]  # only C, active in W03 and W04
    january = Lifecycle(Filters(start=date(2026, 1, 5), end=date(2026, 1, 11), grain="week",
                                cohort=date(2026, 1, 1))).run()
    assert january[0]["active"] == 2


def test_repeat_participation(make_member):
    a, b = make_member(), make_member()
    # A engages on 2 days of W02 (5 and 7 Jan), B on one day (twice that day) -> 2 engaged, 1 repeater = 50%.
    record(member=a, kind="post.replied", at=at("2026-01-05"))
    record(member=a, kind="reaction.given", at=at("2026-01-07"))
    record(member=b, kind="post.replied", at=at("2026-01-06"))
    record(member=b, kind="post.replied", at=at("2026-01-06", 15))
    record(member=b, kind="visit.day", at=at("2026-01-08"))  # a visit is not engagement
    rows = RepeatParticipation(Filters(start=date(2026, 1, 5), end=date(2026, 1, 11))).run()
    assert [(r["participants"], r["repeaters"], r["rate"]) for r in rows] == [(2, 1, 50.0)]


def test_percentiles_on_fixed_durations():
    hours = [4, 1, 10, 3, 2]
    # Sorted 1, 2, 3, 4, 10. Median: rank 0.5 * 4 = 2 -> 3. p90: rank 0.9 * 4 = 3.6 -> 4 + 0.6 * (10 - 4) = 7.6.
    assert percentile(hours, 50) == 3.0
    assert percentile(hours, 90) == pytest.approx(7.6)
    assert percentile([5], 90) == 5.0 and percentile([], 50) is None


def test_nps():
    # 10, 9 promoters; 6, 0 detractors; 8, 7 passive: (2 - 2) / 6 = 0.
    assert nps(2, 2, 6) == 0.0
    # 10, 10, 9 promoters, 5 detractor: (3 - 1) / 4 = 50.
    assert nps(3, 1, 4) == 50.0
    assert nps(0, 0, 0) is None


def test_at_risk_list(make_member):
    end = date(2026, 4, 30)
    # Windows: recent = 1-30 April (30 days), prior = 31 Jan - 31 March (60 days).
    dora, eve, finn = make_member(handle="dora"), make_member(handle="eve"), make_member(handle="finn")
    for i in range(10):
        day = (date(2026, 3, 1) + timedelta(days=i)).isoformat()
        record(member=dora, kind="post.replied", at=at(day))
        record(member=eve, kind="post.replied", at=at(day))
        record(member=eve, kind="post.replied", at=at((date(2026, 4, 10) + timedelta(days=i)).isoformat()))
    record(member=dora, kind="visit.day", at=at("2026-04-02"))
    record(member=finn, kind="post.replied", at=at("2026-03-01"))  # one engaged day: not "previously engaged"
    scores = health_scores(filters=Filters(start=date(2026, 2, 1), end=end), end=end)
    # Dora: silent since 2 April = 28 days -> -(28 - 7) = -21. Active days: 1 now vs 10 per 60 = 5 per 30 ->
    # fell by 4/5 -> -round(30 * 0.8) = -24. Posted 10 times before, not now -> -15. Kinds: replies before,
    # none now (visits do not count for breadth) -> -5. Health 100 - 21 - 24 - 15 - 5 = 35.
    # Eve kept posting on 10 days in April (>= 5) and is not a candidate; Finn had a single engaged day.
    assert [(s.member.handle, s.score) for s in scores] == [("dora", 35)]
    assert [r.delta for r in scores[0].rules] == [-21, -24, -15, -5]


def test_day_grain_reads_daily_rollup(cohort_world):
    f = Filters(start=date(2026, 1, 5), end=date(2026, 1, 7), grain="day")
    # 5 Jan: A; 6 Jan: B; 7 Jan: nobody. Lifecycle by day: 5 Jan A is new (joined that day). 6 Jan: B joined the
    # day before and was not active then -> resurrected, not new; A went dormant -> churn 1/1 = 100%.
    # 7 Jan: B went dormant -> churn 100%.
    assert [r["active"] for r in ActiveMembers(f).run()] == [1, 1, 0]
    rows = Lifecycle(f).run()
    assert [(r["active"], r["new"], r["dormant"], r["churn"]) for r in rows] == [
        (1, 1, 0, None), (1, 0, 1, 100.0), (0, 0, 1, 100.0)]
    assert rows[1]["resurrected"] == 1


def test_cohort_and_lifecycle_join_boundaries_are_utc_days(make_member):
    """Cohorts filter on a date_joined range and compute the join period without a per-row date cast; members
    who join on the first or last second of a UTC day land in that day's period."""
    from datetime import datetime
    from datetime import timezone as dt_timezone

    def utc(*args):
        return datetime(*args, tzinfo=dt_timezone.utc)

    # Range W02-W03 (5-18 Jan). Inside: 00:00:00 on 5 Jan (W02), 23:59:59 on 11 Jan (W02),
    # 00:00:00 on 12 Jan (W03), 23:59:59 on 18 Jan (W03). Outside: 23:59:59 on 4 Jan, 00:00:00 on 19 Jan.
    joined = {"first": utc(2026, 1, 5), "w02end": utc(2026, 1, 11, 23, 59, 59), "w03start": utc(2026, 1, 12),
              "last": utc(2026, 1, 18, 23, 59, 59), "before": utc(2026, 1, 4, 23, 59, 59), "after": utc(2026, 1, 19)}
    members = {handle: make_member(handle=handle, date_joined=when) for handle, when in joined.items()}
    for handle in ("first", "w02end", "before"):
        record(member=members[handle], kind="visit.day", subject=None, at=at("2026-01-11"))
    for handle in ("w03start", "last", "before"):
        record(member=members[handle], kind="visit.day", subject=None, at=at("2026-01-18"))
    f = Filters(start=date(2026, 1, 5), end=date(2026, 1, 18), grain="week")
    rows = CohortRetention(f).run()
    # W02 cohort: first, w02end (both active in W02, neither in W03). W03 cohort: w03start, last.
    assert [(r["label"], r["size"], r["active"]) for r in rows] == [("2026-W02", 2, [2, 0]), ("2026-W03", 2, [2])]
    life = Lifecycle(f).run()
    # W02: first, w02end new; "before" joined in W01 -> resurrected. W03: w03start, last new; "before" returning.
    assert [(r["label"], r["active"], r["new"], r["returning"], r["resurrected"]) for r in life] == [
        ("2026-W02", 3, 2, 0, 1), ("2026-W03", 3, 2, 1, 0)]


def _unfiltered_rows():
    months = Filters(start=date(2026, 1, 1), end=date(2026, 1, 31), grain="month")
    return {
        "active": ActiveMembers(JAN_WEEKS).run(), "growth": Growth(JAN_WEEKS).run(),
        "cohorts": CohortRetention(JAN_WEEKS).run(), "lifecycle": Lifecycle(JAN_WEEKS).run(),
        "repeat": RepeatParticipation(JAN_WEEKS).run(), "stickiness": Stickiness(months).run(),
        "lifecycle_m": Lifecycle(months).run(), "cohorts_m": CohortRetention(months).run(),
        "newsletters": NewsletterRates(JAN_WEEKS).run(), "newsletters_m": NewsletterRates(months).run(),
    }


def test_stored_period_totals_give_the_same_reports(cohort_world):
    """The unfiltered reports read PeriodTotal (weeks and months that are over, per join cohort) less the
    excluded members (here the staff member, who is in the stored totals); the same figures as counting live."""
    from community.metrics.actions import totals_refresh
    from community.metrics.models import PeriodTotal

    for member, day in (("a", "2026-01-13"), ("a", "2026-01-14"), ("b", "2026-01-13"), ("s", "2026-01-13")):
        record(member=cohort_world[member], kind="newsletter.opened", at=at(day))
    record(member=cohort_world["b"], kind="newsletter.clicked", at=at("2026-01-21"))
    live = _unfiltered_rows()
    # W03: A and B opened (the staff member is excluded); W04: B clicked. January: 2 openers, 1 clicker.
    assert [(r["openers"], r["clickers"]) for r in live["newsletters"]] == [(0, 0), (2, 0), (0, 1)]
    assert [(r["openers"], r["clickers"]) for r in live["newsletters_m"]] == [(2, 1)]
    totals_refresh()
    # Weeks W02, W03, W04 (cohorts W02 and W03) and January; the staff member is counted in the stored rows.
    assert PeriodTotal.objects.filter(grain="w").count() == 5  # W02/W02, W03/W02, W03/W03, W04/W02, W04/W03
    assert sum(PeriodTotal.objects.filter(grain="m").values_list("members", flat=True)) == 4  # A, B, C, staff
    assert _unfiltered_rows() == live
    # A filtered view does not use them: only C speaks Latvian.
    cohort_world["c"].locale = "lv"
    cohort_world["c"].save()
    lv = Filters(start=JAN_WEEKS.start, end=JAN_WEEKS.end, grain="week", language="lv")
    assert [r["active"] for r in ActiveMembers(lv).run()] == [0, 1, 1]


def test_stored_totals_follow_suspensions_and_backdated_acts(cohort_world):
    from django.utils import timezone

    from community.metrics.actions import totals_refresh
    from community.metrics.models import PeriodTotal

    totals_refresh()
    # Alice suspended after the refresh: excluded at once. W02: B; W03: C; W04: B, C.
    alice = cohort_world["a"]
    alice.suspended_until = timezone.now() + timedelta(days=2)
    alice.save()
    assert [r["active"] for r in ActiveMembers(JAN_WEEKS).run()] == [1, 1, 2]
    alice.suspended_until = None
    alice.save()
    # A backdated act (Bob visits on 13 Jan, W03) drops the stored rows of W03 and later weeks (Bob's W04 now
    # follows an active W03) and of January onwards, counted live again:
    # W03 now A, B, C; B was active in W02 -> returning 2 (A, B), new 1 (C); nobody went dormant.
    record(member=cohort_world["b"], kind="visit.day", at=at("2026-01-13"))
    assert list(PeriodTotal.objects.filter(grain="w").values_list("idx", flat=True).distinct()) == [
        period_index(date(2026, 1, 5), "week")]
    assert not PeriodTotal.objects.filter(grain="m").exists()
    assert [r["active"] for r in ActiveMembers(JAN_WEEKS).run()] == [2, 3, 3]
    w03 = Lifecycle(JAN_WEEKS).run()[1]
    assert (w03["active"], w03["new"], w03["returning"], w03["resurrected"], w03["dormant"]) == (3, 1, 2, 0, 0)
    live = _unfiltered_rows()
    totals_refresh()
    assert _unfiltered_rows() == live
