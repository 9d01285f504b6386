"""Backfill: import acts recorded before the ledger existed (forum and events tables, when those apps have
them) and rebuild DailyActivity from the ledger. Idempotent: an act already in the ledger (same member, kind
and subject) is not imported twice, and the roll-up is recomputed, not incremented."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from datetime import timezone as dt_timezone

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Count

from community.metrics.models import (
    CONTRIBUTION_KINDS,
    ENGAGED_KINDS,
    KIND_COLUMNS,
    DailyActivity,
    MemberPeriod,
    Participation,
)
from community.metrics.reports.sources import model

BATCH = 2000


def _source_acts() -> Iterator[tuple[int, str, object, object]]:
    """(member id, kind, subject instance, occurred_at) from the other apps' tables, when they exist."""
    Topic = model("forum", "Topic", "author", "created_at", "deleted_at")
    Post = model("forum", "Post", "topic", "author", "number", "created_at", "deleted_at")
    Reaction = model("forum", "Reaction", "post", "user", "created_at")
    if Topic is not None:
        for topic in Topic.objects.filter(author__isnull=False, deleted_at__isnull=True).only("author_id",
                                                                                              "created_at").iterator():
            yield topic.author_id, "topic.created", topic, topic.created_at
    if Post is not None:
        posts = Post.objects.filter(author__isnull=False, deleted_at__isnull=True, number__gt=1)
        for post in posts.only("author_id", "created_at").iterator():
            yield post.author_id, "post.replied", post, post.created_at
        if Topic is not None and "accepted_answer" in {f.name for f in Topic._meta.get_fields()}:
            accepted = Post.objects.filter(pk__in=Topic.objects.filter(accepted_answer__isnull=False)
                                           .values("accepted_answer"), author__isnull=False)
            for post in accepted.only("author_id", "created_at").iterator():
                yield post.author_id, "answer.accepted", post, post.created_at
    if Reaction is not None:
        for reaction in Reaction.objects.select_related("post").only("user_id", "created_at", "post__author_id"
                                                                     ).iterator():
            yield reaction.user_id, "reaction.given", reaction, reaction.created_at
            if reaction.post.author_id and reaction.post.author_id != reaction.user_id:
                yield reaction.post.author_id, "reaction.received", reaction, reaction.created_at
    RSVP = model("events", "RSVP", "event", "member", "status", "attendance", "created_at")
    if RSVP is not None:
        for rsvp in RSVP.objects.select_related("event").only("member_id", "status", "attendance", "created_at",
                                                              "checked_in_at", "event__starts_at").iterator():
            if rsvp.status in ("going", "waitlisted", "interested"):
                yield rsvp.member_id, "event.rsvp", rsvp, rsvp.created_at
            if rsvp.attendance == "attended":
                yield rsvp.member_id, "event.attended", rsvp, rsvp.checked_in_at or rsvp.event.starts_at
    Feedback = model("events", "EventFeedback", "member", "created_at")
    if Feedback is not None:
        for feedback in Feedback.objects.filter(member__isnull=False).only("member_id", "created_at").iterator():
            yield feedback.member_id, "survey.answered", feedback, feedback.created_at


def import_sources(*, stdout=None) -> int:
    """Append ledger rows for acts found in the forum and events tables but not yet in the ledger."""
    known: set[tuple[int, str, int, str]] = set(
        Participation.objects.exclude(subject_type=None).values_list("member_id", "kind", "subject_type_id", "subject_id")
    )
    batch: list[Participation] = []
    added = 0
    for member_id, kind, subject, at in _source_acts():
        ct = ContentType.objects.get_for_model(subject, for_concrete_model=False)
        key = (member_id, kind, ct.pk, str(subject.pk))
        if key in known:
            continue
        known.add(key)
        batch.append(Participation(member_id=member_id, kind=kind, subject_type=ct, subject_id=str(subject.pk),
                                   occurred_at=at, day=at.astimezone(dt_timezone.utc).date(),
                                   data={"backfill": True}))
        if len(batch) >= BATCH:
            Participation.objects.bulk_create(batch)
            added += len(batch)
            batch = []
    Participation.objects.bulk_create(batch)
    added += len(batch)
    if stdout:
        stdout.write(f"imported {added} acts from the forum and events tables")
    return added


@transaction.atomic
def rebuild_daily(*, since: date | None = None, stdout=None) -> int:
    """Recompute DailyActivity from the ledger (all days, or days from `since`): one INSERT ... SELECT grouped
    by member and day in the database; only kinds without a column (rare) are then counted into `extra`."""
    from django.db import connection

    rows = DailyActivity.objects.all()
    ledger = Participation.objects.all()
    where, params = "", []
    if since:
        rows = rows.filter(day__gte=since)
        ledger = ledger.filter(day__gte=since)
        where, params = "WHERE p.day >= %s", [since]
    rows.delete()

    def count_of(kinds) -> tuple[str, list[str]]:
        kinds = sorted(kinds)
        return f"SUM(CASE WHEN p.kind IN ({', '.join(['%s'] * len(kinds))}) THEN 1 ELSE 0 END)", kinds

    columns, select, select_params = [], [], []
    for kind, column in KIND_COLUMNS.items():
        sql, values = count_of([kind])
        columns.append(column)
        select.append(sql)
        select_params += values
    contributions_sql, contributions_params = count_of(CONTRIBUTION_KINDS)
    engaged_sql, engaged_params = count_of(ENGAGED_KINDS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO metrics_dailyactivity (member_id, day, total, contributions, engaged, {', '.join(columns)},"
            f" extra) SELECT p.member_id, p.day, COUNT(*), {contributions_sql}, {engaged_sql} > 0, {', '.join(select)},"
            f" '{{}}' FROM metrics_participation p {where} GROUP BY p.member_id, p.day",
            [*contributions_params, *engaged_params, *select_params, *params],
        )
        written = cursor.rowcount
    others = (ledger.exclude(kind__in=list(KIND_COLUMNS)).order_by().values("member_id", "day", "kind")
              .annotate(n=Count("pk")))
    extras: dict[tuple[int, date], dict[str, int]] = {}
    for item in others.iterator(chunk_size=5000):
        extras.setdefault((item["member_id"], item["day"]), {})[item["kind"]] = item["n"]
    for (member_id, day), extra in extras.items():
        DailyActivity.objects.filter(member_id=member_id, day=day).update(extra=extra)
    if stdout:
        stdout.write(f"rebuilt {written} daily roll-up rows")
    rebuild_periods(since=since, stdout=stdout)
    return written


@transaction.atomic
def rebuild_periods(*, since: date | None = None, stdout=None) -> int:
    """Recompute the week and month roll-ups (MemberPeriod) from DailyActivity with one INSERT ... SELECT per
    grain (from the start of the period containing `since`, or everything)."""
    from django.db import connection

    from community.metrics.reports.base import period_start, sql_period_index, sql_period_start

    written = 0
    for grain, name in ((MemberPeriod.Grain.WEEK, "week"), (MemberPeriod.Grain.MONTH, "month")):
        old = MemberPeriod.objects.filter(grain=grain)
        where, where_params = "", []
        if since:
            first = period_start(since, name)
            old = old.filter(start__gte=first)
            where, where_params = "WHERE da.day >= %s", [first]
        old.delete()
        idx = sql_period_index(name, "da.day")
        # The previous active period of the member (prev_idx): the previous row rebuilt, else (rebuilding from
        # `since`) the member's last period kept before it.
        # Likewise whether the member contributed in an earlier period (contributed_before).
        prev = "LAG(t.idx) OVER (PARTITION BY t.member_id ORDER BY t.idx)"
        before = ("COALESCE(MAX(CASE WHEN t.contributions > 0 THEN 1 ELSE 0 END) OVER (PARTITION BY t.member_id"
                  " ORDER BY t.idx ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) > 0")
        params = [grain]
        if since:
            prev = (f"COALESCE({prev}, (SELECT MAX(p.idx) FROM metrics_memberperiod p"
                    f" WHERE p.member_id = t.member_id AND p.grain = %s AND p.idx < t.idx))")
            before = (f"({before} OR EXISTS (SELECT 1 FROM metrics_memberperiod p WHERE p.member_id = t.member_id"
                      f" AND p.grain = %s AND p.idx < t.idx AND p.contributions > 0))")
            params += [grain, grain]
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO metrics_memberperiod (member_id, grain, idx, start, days, engaged_days, contributions,"
                " newsletter_opened, newsletter_clicked, prev_idx, contributed_before)"
                f" SELECT t.member_id, %s, t.idx, t.start, t.days, t.engaged_days, t.contributions, t.opened > 0,"
                f" t.clicked > 0, {prev}, {before} FROM ("
                f" SELECT da.member_id AS member_id, {idx} AS idx, MIN({sql_period_start(name, 'da.day')}) AS start,"
                f" COUNT(*) AS days, SUM(CASE WHEN da.engaged THEN 1 ELSE 0 END) AS engaged_days,"
                f" SUM(da.contributions) AS contributions, MAX(da.newsletters_opened) AS opened,"
                f" MAX(da.newsletters_clicked) AS clicked"
                f" FROM metrics_dailyactivity da {where} GROUP BY da.member_id, {idx}) t",
                [*params, *where_params],
            )
            written += cursor.rowcount
    if stdout:
        stdout.write(f"rebuilt {written} week and month roll-up rows")
    from community.metrics.actions import totals_refresh

    totals_refresh()
    return written
