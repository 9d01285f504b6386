from __future__ import annotations

from datetime import date

import pytest
from django.core.management import call_command

from community.metrics.actions import record
from community.metrics.models import DailyActivity, Participation
from tests.metrics.conftest import at

pytestmark = pytest.mark.django_db


def _snapshot():
    from community.metrics.models import MemberPeriod

    return (sorted(DailyActivity.objects.values_list("member_id", "day", "total", "replies", "visits",
                                                     "contributions", "engaged", "extra")),
            sorted(MemberPeriod.objects.values_list("member_id", "grain", "idx", "start", "days", "engaged_days",
                                                    "contributions", "prev_idx", "contributed_before",
                                                    "newsletter_opened", "newsletter_clicked")))


def test_rebuild_matches_live_rollup_and_is_idempotent(member, other_member):
    record(member=member, kind="post.replied", at=at("2026-01-05"))
    record(member=member, kind="visit.day", at=at("2026-01-05"))
    record(member=member, kind="webinar.watched", at=at("2026-01-06"))
    record(member=other_member, kind="reaction.given", at=at("2026-01-06"))
    record(member=member, kind="visit.day", at=at("2026-01-07"))  # first the visit, then the engaged act
    record(member=member, kind="reaction.given", at=at("2026-01-07"))
    record(member=member, kind="reaction.given", at=at("2026-01-07"))
    record(member=member, kind="post.replied", at=at("2026-02-02"))
    record(member=other_member, kind="newsletter.opened", at=at("2026-02-03"))
    record(member=other_member, kind="newsletter.opened", at=at("2026-02-04"))
    live = _snapshot()
    # The other member opened a newsletter in February (week of 2 Feb) and clicked nothing.
    flags = {(g, o, c) for m, g, _i, _s, _d, _e, _c, _p, _b, o, c in live[1] if m == other_member.pk and o}
    assert flags == {("w", True, False), ("m", True, False)}
    # Week of 5 Jan for the member: active 5, 6, 7 Jan = 3 days, engaged 5 and 7 Jan = 2, one reply.
    assert (member.pk, "w", 3, 2, 1) in [(m, g, d, e, c) for m, g, _i, _s, d, e, c, *_rest in live[1]]
    DailyActivity.objects.all().delete()
    from community.metrics.models import MemberPeriod

    MemberPeriod.objects.all().delete()
    call_command("metrics_backfill", "--ledger-only")
    assert _snapshot() == live
    call_command("metrics_backfill")
    call_command("metrics_backfill", "--since", "2026-01-06")
    assert _snapshot() == live
    assert Participation.objects.count() == 10


def test_backfill_imports_forum_history_once(member, other_member):
    from community.metrics.reports.sources import model

    Category = model("forum", "Category", "slug")
    Topic = model("forum", "Topic", "author", "created_at")
    Post = model("forum", "Post", "topic", "number")
    if not (Category and Topic and Post):
        pytest.skip("forum models not available")
    category = Category.objects.create(name="Help", slug="help")
    topic = Topic.objects.create(category=category, title="How?", slug="how", author=member, created_at=at("2026-02-01"))
    Post.objects.create(topic=topic, number=1, author=member, raw="q", html="<p>q</p>", created_at=at("2026-02-01"))
    Post.objects.create(topic=topic, number=2, author=other_member, raw="a", html="<p>a</p>",
                        created_at=at("2026-02-02"))
    call_command("metrics_backfill")
    call_command("metrics_backfill")
    kinds = sorted(Participation.objects.values_list("kind", flat=True))
    assert kinds == ["post.replied", "topic.created"]
    assert DailyActivity.objects.get(member=other_member).replies == 1


def test_prev_idx_names_the_previous_active_period(member, other_member):
    """Every week and month roll-up row carries the member's previous active period (what the lifecycle report
    reads), kept by record() even for backdated acts, and rebuilt identically by the backfill."""
    from community.metrics.models import MemberPeriod
    from community.metrics.reports.base import period_index

    w = {d: period_index(date.fromisoformat(d), "week")
         for d in ("2026-01-05", "2026-01-12", "2026-01-19", "2026-03-02")}
    record(member=member, kind="visit.day", at=at("2026-01-05"))  # W02
    record(member=member, kind="visit.day", at=at("2026-01-19"))  # W04: previous active week W02
    record(member=member, kind="visit.day", at=at("2026-03-02"))  # W10, March: previous W04, January
    record(member=member, kind="visit.day", at=at("2026-01-12"))  # backdated W03: between W02 and W04
    record(member=other_member, kind="visit.day", at=at("2026-01-19"))

    def prevs(grain):
        return dict(MemberPeriod.objects.filter(member=member, grain=grain).values_list("idx", "prev_idx"))

    # Weeks: W02 first (None), W03 after W02, W04 now after W03 (relinked by the backdated act), W10 after W04.
    assert prevs("w") == {w["2026-01-05"]: None, w["2026-01-12"]: w["2026-01-05"],
                          w["2026-01-19"]: w["2026-01-12"], w["2026-03-02"]: w["2026-01-19"]}
    # Months: January first, March after January (February had no activity).
    assert prevs("m") == {2026 * 12 + 1: None, 2026 * 12 + 3: 2026 * 12 + 1}
    assert MemberPeriod.objects.get(member=other_member, grain="w").prev_idx is None
    # A backdated reply in W04 (January): the later W10 and March rows now follow a contribution.
    record(member=member, kind="post.replied", at=at("2026-01-20"))
    before = dict(MemberPeriod.objects.filter(member=member).values_list("start", "contributed_before"))
    assert [day for day, flag in sorted(before.items()) if flag] == [date(2026, 3, 1), date(2026, 3, 2)]
    live = _snapshot()
    call_command("metrics_backfill", "--ledger-only", "--since", "2026-01-19")  # keeps W02-W03, rebuilds the rest
    assert _snapshot() == live
    MemberPeriod.objects.all().delete()
    call_command("metrics_backfill", "--ledger-only")
    assert _snapshot() == live


def test_migration_fills_existing_periods_like_the_rebuild(member, other_member):
    """The data migration that added prev_idx, contributed_before and the newsletter flags computes, for rows
    that existed before, what record() and the rebuild keep."""
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    from community.metrics.models import MemberPeriod

    for who, kind, day in [(member, "post.replied", "2026-01-05"), (member, "visit.day", "2026-01-19"),
                           (member, "newsletter.opened", "2026-03-02"), (other_member, "newsletter.clicked",
                                                                          "2026-01-06"),
                           (other_member, "post.replied", "2026-02-10"), (other_member, "visit.day", "2026-02-17")]:
        record(member=who, kind=kind, at=at(day))
    live = _snapshot()
    MemberPeriod.objects.update(prev_idx=None, contributed_before=False, newsletter_opened=False,
                                newsletter_clicked=False)
    migration = importlib.import_module("community.metrics.migrations.0003_retention_precompute")
    with connection.cursor() as cursor:  # what the migration's schema editor does with the SQL
        editor = SimpleNamespace(execute=lambda sql, params=(): cursor.execute(sql, params))
        migration.fill_member_periods(apps, editor)
    assert _snapshot() == live
