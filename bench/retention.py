"""Retention reports at scale, beside the analyst's route (CSV + pandas), measured in one run (never a test).

    .venv/bin/pip install -e '.[bench]'      # pandas, for the analyst route
    .venv/bin/python bench/retention.py [--members 100000] [--events 5000000] [--repeat 5] [--keep | --reuse]

On PostgreSQL (postgres://postgres@127.0.0.1:5432, or --server) it creates its own database (bench_retention,
dropped at the end unless --keep), migrates it, and generates in SQL:

- N members who joined over the last 12 calendar months (more of them recently), with a realistic decay: about
  45% drift away within days, 30% within a couple of months, 20% stay for most of a year and 5% never leave;
  some are staff, deleted, deactivated or suspended (excluded from reports), some were suspended in the past
  (counted), and about 4% never did anything after signing up;
- E acts of participation in the ledger (metrics_participation), in time order, at most up to now: one visit
  on the join day for every member with acts, the rest spread over each member's active span with a
  heavy-tailed intensity, and 5% anywhere between the join and now (members who come back).

Then it builds the roll-ups with `manage.py metrics_backfill --ledger-only`, ANALYZEs, computes (on every run,
--reuse too) what the periodic `metrics_refresh` keeps ready: the members' health scores (MemberHealth, read by
the at-risk list) and the counts of the weeks and months that are over (PeriodTotal, read by the unfiltered
reports, which count the current periods live), and times:

- each report class of community/metrics/reports/ (run through selectors.run_report with the cache off), for
  the dashboard's default view (last 12 weeks by week) and the 12-months-by-month view; p50 of --repeat runs;
- the whole dashboard page (GET /dashboard/ through Django's test Client as a community manager, report cache
  off) and the selector that computes all its sections, for both views; and checks that the at-risk list read
  from the precomputed scores is the list computed from the daily roll-up;
- the analyst route: COPY the members (id, join time, status flags) and the ledger (member id, time, kind) to
  CSV files, load them with pandas and compute the cohort table, monthly (and weekly) active members,
  stickiness, growth, repeat participation and lifecycle with the same definitions as the reports; the time
  of load + compute is compared with ours (ratio pandas / ours), and the results are checked to be identical:
  same periods and cohorts, the same counts exactly, percentages within 0.05 points (ours are rounded to one
  decimal, pandas' are not).

Settings: config.settings.dev with DEBUG=0, no Redis (local-memory cache), the bench database in DATABASE_URL.
Targets: whole dashboard under 1 s at p50; every report at least 10x faster than the pandas route; identical.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from datetime import timezone as dt_timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DB_NAME = "bench_retention"
# Weights (per 1,000 acts) of the kinds generated; every one has a DailyActivity column.
KIND_WEIGHTS = {
    "visit.day": 430, "reaction.given": 120, "article.read": 100, "post.replied": 80, "reaction.received": 70,
    "newsletter.opened": 60, "topic.created": 30, "newsletter.clicked": 30, "event.rsvp": 25,
    "event.attended": 15, "answer.accepted": 10, "survey.answered": 30,
}
PCT_TOLERANCE = 0.05  # percentage points: ours are rounded to one decimal


# --- set-up -----------------------------------------------------------------------------------------------

def psql(server: str, sql: str) -> None:
    out = subprocess.run(["psql", f"{server}/postgres", "-v", "ON_ERROR_STOP=1", "-q", "-c", sql],
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"psql failed: {sql}\n{out.stderr}")


def setup(server: str, *, reuse: bool) -> None:
    if not reuse:
        psql(server, f"DROP DATABASE IF EXISTS {DB_NAME}")
        psql(server, f"CREATE DATABASE {DB_NAME}")
    os.environ["DATABASE_URL"] = f"{server}/{DB_NAME}"
    os.environ.pop("REDIS_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.dev"
    os.environ["DEBUG"] = "0"
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.METRICS_REPORT_CACHE_SECONDS = 0  # cold: every report computed
    call_command("migrate", verbosity=0, interactive=False)


def timed(label: str, fn, *args, **kwargs):
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    print(f"  {label}: {time.perf_counter() - started:.1f} s", flush=True)
    return result


def generate(n_members: int, n_events: int, now: datetime, first: date) -> None:
    """Members and ledger rows, in SQL (see the module docstring for the shapes)."""
    from django.db import connection, transaction

    start = datetime(first.year, first.month, first.day, tzinfo=dt_timezone.utc)
    span = (now - start).total_seconds()
    kinds = [kind for kind, weight in KIND_WEIGHTS.items() for _ in range(weight)]
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT setseed(0.42)")
        cur.execute(
            "CREATE TEMP TABLE bench_m AS SELECT g AS id,"
            " %s::timestamptz + (%s * sqrt(random())) * interval '1 second' AS joined,"
            " random() AS r_type, random() AS r_life, random() AS r_rate, random() AS r_flag"
            " FROM generate_series(1, %s) g",
            [start, span, n_members],
        )
        # Status: 0.3% staff, 1% deleted, 0.5% deactivated, 0.5% suspended now (all excluded), 0.5% suspended
        # in the past (counted); 4% never did anything after signing up.
        cur.execute(
            "INSERT INTO accounts_user (id, password, is_superuser, email, display_name, avatar, bio, bio_html,"
            " locale, time_zone, is_staff, is_active, date_joined, deleted_at, suspended_until, moderation_reason)"
            " SELECT id, '!', false, 'm' || id || '@bench.example', 'Member ' || id, '', '', '', 'en', 'UTC',"
            " r_flag < 0.003, NOT (r_flag >= 0.003 AND r_flag < 0.018), joined,"
            " CASE WHEN r_flag >= 0.003 AND r_flag < 0.013 THEN %s::timestamptz END,"
            " CASE WHEN r_flag >= 0.018 AND r_flag < 0.023 THEN %s::timestamptz + interval '30 days'"
            "      WHEN r_flag >= 0.023 AND r_flag < 0.028 THEN joined + interval '1 day' END, ''"
            " FROM bench_m",
            [now, now],
        )
        cur.execute("SELECT setval(pg_get_serial_sequence('accounts_user', 'id'), (SELECT max(id) FROM accounts_user))")
        # Active span (days): 45% fade within days, 30% within weeks to months, 20% within most of a year,
        # 5% stay. Intensity: exponential (a few members do most of it).
        cur.execute(
            "CREATE TEMP TABLE bench_a AS SELECT id AS member_id, joined,"
            " EXTRACT(EPOCH FROM (%s::timestamptz - joined)) AS total_s,"
            " LEAST(EXTRACT(EPOCH FROM (%s::timestamptz - joined)), 86400 * CASE"
            "  WHEN r_type < 0.45 THEN -6 * ln(1 - r_life) WHEN r_type < 0.75 THEN -45 * ln(1 - r_life)"
            "  WHEN r_type < 0.95 THEN -200 * ln(1 - r_life) ELSE 1000 END) AS span_s,"
            " 0.1 - ln(1 - r_rate) AS rate"
            " FROM bench_m WHERE r_flag >= 0.068 OR r_flag < 0.028",
            [now, now],
        )
        cur.execute("SELECT count(*) FROM bench_a")
        with_acts = cur.fetchone()[0]
        rest = max(0, n_events - with_acts)
        # Exact total: member i gets floor(rest * cum_i / W) - floor(rest * cum_(i-1) / W) acts.
        cur.execute(
            "CREATE TEMP TABLE bench_n AS SELECT member_id, joined, total_s, span_s,"
            " (floor(%s * c / w) - floor(%s * (c - x) / w))::int AS n FROM ("
            "  SELECT *, (span_s / 86400 + 1) * rate AS x,"
            "   SUM((span_s / 86400 + 1) * rate) OVER (ORDER BY member_id) AS c,"
            "   SUM((span_s / 86400 + 1) * rate) OVER () AS w FROM bench_a) t",
            [rest, rest],
        )
        cur.execute("SET LOCAL session_replication_role = replica")  # bulk load: skip the FK triggers
        cur.execute(
            "INSERT INTO metrics_participation (member_id, kind, subject_id, occurred_at, day, data, points)"
            " SELECT member_id, kind, '', at, CAST((at AT TIME ZONE 'UTC') AS date), '{}', 0 FROM ("
            "  SELECT member_id, 'visit.day' AS kind, LEAST(joined + interval '1 minute', %s::timestamptz) AS at"
            "  FROM bench_n"
            "  UNION ALL"
            "  SELECT b.member_id, (%s::text[])[1 + floor(random() * %s)::int],"
            "   b.joined + (CASE WHEN random() < 0.05 THEN random() * b.total_s ELSE random() * b.span_s END)"
            "   * interval '1 second'"
            "  FROM bench_n b CROSS JOIN LATERAL generate_series(1, b.n) s WHERE b.n > 0"
            " ) x ORDER BY at",
            [now, kinds, len(kinds)],
        )
        cur.execute("SELECT count(*), count(DISTINCT member_id) FROM metrics_participation")
        total, members_with = cur.fetchone()
    print(f"  {n_members:,} members ({members_with:,} with acts), {total:,} ledger rows")


def manager():
    from django.contrib.auth.models import Group

    from accounts.models import User
    from accounts.roles import Role, ensure_roles

    ensure_roles()
    # Staff, so that the manager's own visits to the dashboard are not counted in the reports.
    user = User.objects.filter(email="manager@bench.example").first() or User.objects.create_user(
        "manager@bench.example", "x", display_name="Manager", is_staff=True)
    user.groups.add(Group.objects.get(name=Role.COMMUNITY_MANAGER.value))
    return user


# --- our side ---------------------------------------------------------------------------------------------

def p50_time(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def time_reports(filters, repeat: int) -> tuple[dict[str, float], dict[str, list[dict]]]:
    from community.metrics.reports import DASHBOARD
    from community.metrics.selectors import run_report

    times, rows = {}, {}
    for report in DASHBOARD:
        times[report.slug], (_r, rows[report.slug]) = p50_time(
            lambda slug=report.slug: run_report(slug, filters, seconds=0), repeat)
    return times, rows


def time_dashboard(user, query: str, filters, repeat: int) -> tuple[float, float]:
    from django.core.cache import cache
    from django.test import Client

    from community.metrics.selectors import dashboard

    client = Client()
    client.force_login(user)

    def page():
        cache.clear()
        response = client.get("/dashboard/" + query)
        assert response.status_code == 200, response.status_code
        return response

    page()  # the first request of a process pays for imports and template loading
    page_p50, _response = p50_time(page, repeat)
    selector_p50, _rows = p50_time(lambda: (cache.clear(), dashboard(filters)), repeat)
    return page_p50, selector_p50


def check_at_risk(rows: list[dict], filters, misses: list[str]) -> None:
    """The at-risk list read from the precomputed scores against the list computed from the daily roll-up."""
    from community.metrics.reports import AtRisk
    from community.metrics.reports.risk import compute_health_scores

    started = time.perf_counter()
    computed = compute_health_scores(filters=filters, limit=AtRisk.limit)
    seconds = time.perf_counter() - started
    ours = [(r["member_id"], r["score"], r["reasons"]) for r in rows]
    theirs = [(h.member_id, h.score, "; ".join(f"{r.text} ({r.delta:+d})" for r in h.rules)) for h in computed]
    verdict = "identical" if ours == theirs else "DIFFERS"
    print(f"  at_risk: {len(ours)} members from the precomputed scores vs computed ({seconds * 1000:.0f} ms):"
          f" {verdict}")
    if ours != theirs:
        misses.append(f"at_risk differs from the computed list ({filters.start} to {filters.end})")


# --- the analyst route ------------------------------------------------------------------------------------

def export_csv(workdir: Path) -> tuple[Path, Path]:
    """What an analyst exports with psql's \\copy: the members with their status, and the raw ledger."""
    from django.db import connection

    files = {
        "members": ("COPY (SELECT id, date_joined, is_staff, is_active, deleted_at, suspended_until"
                    " FROM accounts_user) TO STDOUT WITH (FORMAT csv, HEADER)"),
        "ledger": "COPY (SELECT member_id, occurred_at, kind FROM metrics_participation) TO STDOUT WITH (FORMAT csv, HEADER)",
    }
    paths = []
    with connection.cursor() as cur:
        cur.execute("SET TIME ZONE 'UTC'")
        for name, sql in files.items():
            path = workdir / f"{name}.csv"
            with open(path, "wb") as out, cur.cursor.copy(sql) as copy:
                for block in copy:
                    out.write(block)
            paths.append(path)
    return paths[0], paths[1]


def load(members_csv: Path, ledger_csv: Path, now: datetime):
    """Read both files; keep the reportable members (not staff, active, not deleted, not suspended now) and
    their acts, with the UTC day, month index (year * 12 + month) and week index (weeks since 1970-01-05)."""
    import pandas as pd

    m = pd.read_csv(members_csv)
    for col in ("date_joined", "deleted_at", "suspended_until"):
        m[col] = pd.to_datetime(m[col], format="ISO8601", utc=True)
    now_ts = pd.Timestamp(now)
    m = m[(m.is_active == "t") & ~(m.is_staff == "t") & m.deleted_at.isna()
          & ~(m.suspended_until > now_ts)].copy()
    m["jday"] = m.date_joined.dt.floor("D")
    add_indexes(m, "jday", "j")
    m = m.set_index("id")
    e = pd.read_csv(ledger_csv, dtype={"kind": "category"})
    e = e[e.member_id.isin(m.index)]
    e["day"] = pd.to_datetime(e.occurred_at, format="ISO8601", utc=True).dt.floor("D")
    e = e.drop(columns="occurred_at")
    add_indexes(e, "day", "")
    return m, e


def add_indexes(df, day_col: str, prefix: str) -> None:
    import pandas as pd

    day = df[day_col]
    df[f"{prefix}month"] = day.dt.year * 12 + day.dt.month
    df[f"{prefix}week"] = (day - pd.Timestamp("1970-01-05", tz="UTC")).dt.days // 7


def col(grain: str, prefix: str = "") -> str:
    return f"{prefix}{grain}"


def pd_cohorts(m, e, f):
    """Cohort retention: reportable members by join period (joined between the first period's start and the
    end); active in period c + k = any act (a visit counts) that period, within the range; k >= 0."""
    from community.metrics.reports.base import period_index, period_start

    grain = "month" if f.grain == "month" else "week"
    first = period_start(f.start, grain)
    lo, hi = period_index(first, grain), period_index(f.end, grain)
    jday = m.jday.dt.date
    cohort = m[(jday >= first) & (jday <= f.end)][col(grain, "j")]
    sizes = cohort.value_counts().to_dict()
    acts = e[(e[grain] >= lo) & (e[grain] <= hi)][["member_id", grain]]
    acts = acts.assign(c=acts.member_id.map(cohort)).dropna(subset=["c"])
    acts = acts[acts[grain] >= acts.c].drop_duplicates(["member_id", grain])
    cells = acts.groupby([acts.c.astype(int), (acts[grain] - acts.c).astype(int)]).size().to_dict()
    return {"sizes": sizes, "cells": cells, "lo": lo, "hi": hi}


def pd_active(m, e, f):
    from community.metrics.models import CONTRIBUTION_KINDS, ENGAGED_KINDS
    from community.metrics.reports.base import period_index

    g = f.grain
    acts = e[(e[g] >= period_index(f.start, g)) & (e[g] <= period_index(f.end, g))]
    out = {"active": acts.groupby(g).member_id.nunique().to_dict()}
    out["engaged"] = acts[acts.kind.isin([str(k) for k in ENGAGED_KINDS])].groupby(g).member_id.nunique().to_dict()
    out["contributors"] = (acts[acts.kind.isin([str(k) for k in CONTRIBUTION_KINDS])].groupby(g).member_id.nunique()
                           .to_dict())
    return out


def pd_stickiness(m, e, f):
    from community.metrics.reports.base import period_index

    acts = e[(e.month >= period_index(f.start, "month")) & (e.month <= period_index(f.end, "month"))]
    days = acts.drop_duplicates(["member_id", "day"])
    return {"member_days": days.groupby("month").size().to_dict(),
            "mau": acts.groupby("month").member_id.nunique().to_dict()}


def pd_growth(m, e, f):
    from community.metrics.models import CONTRIBUTION_KINDS
    from community.metrics.reports.base import period_index

    g = f.grain
    jday = m.jday.dt.date
    joined = m[(jday >= f.start) & (jday <= f.end)][col(g, "j")].value_counts().to_dict()
    firsts = e[e.kind.isin([str(k) for k in CONTRIBUTION_KINDS])].groupby("member_id")[g].min()
    firsts = firsts[(firsts >= period_index(f.start, g)) & (firsts <= period_index(f.end, g))]
    return {"joined": joined, "first": firsts.value_counts().to_dict()}


def pd_repeat(m, e, f):
    from community.metrics.models import ENGAGED_KINDS
    from community.metrics.reports.base import period_index

    g = f.grain
    acts = e[(e[g] >= period_index(f.start, g)) & (e[g] <= period_index(f.end, g))
             & e.kind.isin([str(k) for k in ENGAGED_KINDS])]
    per_member = acts.drop_duplicates(["member_id", "day"]).groupby(["member_id", g]).size()
    by_period = per_member.groupby(level=1)
    return {"n": by_period.size().to_dict(), "r": by_period.apply(lambda s: int((s >= 2).sum())).to_dict()}


def pd_lifecycle(m, e, f):
    from community.metrics.reports.base import add_periods, period_index, period_start

    g = f.grain
    first = period_start(f.start, g)
    lo, hi = period_index(add_periods(first, g, -1), g), period_index(f.end, g)
    acts = e[(e[g] >= lo) & (e[g] <= hi)][["member_id", g]].drop_duplicates().sort_values(["member_id", g])
    by_member = acts.groupby("member_id")[g]
    prev, nxt = by_member.shift(1), by_member.shift(-1)
    joined = acts.member_id.map(m[col(g, "j")])
    idx = acts[g]
    new = joined == idx
    t = acts.assign(new=new, returning=~new & (prev == idx - 1), resurrected=~new & (prev != idx - 1),
                    gone=nxt != idx + 1)
    grouped = t.groupby(g).agg(active=("member_id", "size"), new=("new", "sum"), returning=("returning", "sum"),
                               resurrected=("resurrected", "sum"), gone=("gone", "sum"))
    return {int(i): tuple(int(v) for v in row) for i, row in zip(grouped.index, grouped.itertuples(index=False))}


# --- comparisons: None when identical, else the first difference --------------------------------------------

def close(ours, theirs) -> bool:
    if ours is None or theirs is None:
        return ours is None and theirs is None
    return abs(ours - theirs) <= PCT_TOLERANCE + 1e-9


def pct(part, whole):
    return 100.0 * part / whole if whole else None


def check_cohorts(rows, got, f) -> str | None:
    from community.metrics.reports.base import period_index, period_start, periods

    grain = "month" if f.grain == "month" else "week"
    first = period_start(f.start, grain)
    expected = [period_index(p, grain) for p in periods(first, f.end, grain)]
    if [period_index(r["cohort"], grain) for r in rows] != expected:
        return "cohorts differ"
    for r in rows:
        c = period_index(r["cohort"], grain)
        size = got["sizes"].get(c, 0)
        if r["size"] != size:
            return f"{r['label']}: size {r['size']} vs {size}"
        active = [got["cells"].get((c, k), 0) for k in range(got["hi"] - c + 1)]
        if r["active"] != active:
            return f"{r['label']}: active {r['active']} vs {active}"
        for k, share in enumerate(r["shares"]):
            if not close(share, pct(active[k], size)):
                return f"{r['label']} k={k}: share {share} vs {pct(active[k], size)}"
    return None


def check_active(rows, got, f) -> str | None:
    from community.metrics.reports.base import period_index

    for r in rows:
        i = period_index(r["period"], f.grain)
        for key in ("active", "engaged", "contributors"):
            if r[key] != got[key].get(i, 0):
                return f"{r['label']} {key}: {r[key]} vs {got[key].get(i, 0)}"
    return None


def check_stickiness(rows, got, f, today: date) -> str | None:
    from community.metrics.reports.base import add_periods, period_index

    for r in rows:
        i = period_index(r["period"], "month")
        last = min(today, add_periods(r["period"], "month", 1) - timedelta(days=1))
        days = (last - r["period"]).days + 1
        mau = got["mau"].get(i, 0)
        avg = got["member_days"].get(i, 0) / days
        if r["mau"] != mau or abs(r["avg_dau"] - avg) > 0.005 + 1e-9 or not close(r["stickiness"], pct(avg, mau)):
            return f"{r['label']}: {r['mau']}, {r['avg_dau']}, {r['stickiness']} vs {mau}, {avg}, {pct(avg, mau)}"
    return None


def check_growth(rows, got, f) -> str | None:
    from community.metrics.reports.base import period_index

    for r in rows:
        i = period_index(r["period"], f.grain)
        theirs = (got["joined"].get(i, 0), got["first"].get(i, 0))
        if (r["new_members"], r["new_contributors"]) != theirs:
            return f"{r['label']}: {(r['new_members'], r['new_contributors'])} vs {theirs}"
    return None


def check_repeat(rows, got, f) -> str | None:
    from community.metrics.reports.base import period_index

    for r in rows:
        i = period_index(r["period"], f.grain)
        n, rep = got["n"].get(i, 0), got["r"].get(i, 0)
        if (r["participants"], r["repeaters"]) != (n, rep) or not close(r["rate"], pct(rep, n)):
            return f"{r['label']}: {r['participants']}/{r['repeaters']} vs {n}/{rep}"
    return None


def check_lifecycle(rows, got, f) -> str | None:
    from community.metrics.reports.base import period_index

    for r in rows:
        i = period_index(r["period"], f.grain)
        active, new, returning, resurrected, _gone = got.get(i, (0, 0, 0, 0, 0))
        previous = got.get(i - 1, (0,))[0]
        dormant = got.get(i - 1, (0, 0, 0, 0, 0))[4]
        theirs = (active, new, returning, resurrected, dormant, previous)
        ours = (r["active"], r["new"], r["returning"], r["resurrected"], r["dormant"], r["previous_active"])
        if ours != theirs:
            return f"{r['label']}: {ours} vs {theirs}"
        for key, value in (("churn", pct(dormant, previous)), ("retention", pct(returning, previous)),
                           ("resurrection", pct(resurrected, active))):
            if not close(r[key], value):
                return f"{r['label']} {key}: {r[key]} vs {value}"
    return None


# --- main -------------------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=5, help="runs per timing (p50)")
    parser.add_argument("--pandas-repeat", type=int, default=3, help="runs of the analyst route (p50)")
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--keep", action="store_true", help=f"keep the {DB_NAME} database")
    parser.add_argument("--reuse", action="store_true",
                        help=f"time the {DB_NAME} database kept by an earlier --keep run (no generation; "
                             "--members and --events are ignored); implies --keep")
    args = parser.parse_args()
    args.keep = args.keep or args.reuse

    size = "the kept data" if args.reuse else f"{args.members:,} members, {args.events:,} acts"
    print(f"retention bench: {size}, PostgreSQL database {DB_NAME}")
    setup(args.server, reuse=args.reuse)
    from django.core.management import call_command
    from django.db import connection, connections
    from django.utils import timezone

    from community.metrics.reports import Filters
    from community.metrics.selectors import default_filters

    now = timezone.now()
    today = now.date()
    first = date(today.year - 1, today.month, 1) + timedelta(days=31)
    first = first.replace(day=1)  # the first day of the month 11 months ago: 12 calendar months
    try:
        print("build" if not args.reuse else "reusing the kept database")
        if not args.reuse:
            timed("generate members and ledger (SQL)", generate, args.members, args.events, now, first)
            timed("metrics_backfill --ledger-only", call_command, "metrics_backfill", "--ledger-only",
                  stdout=open(os.devnull, "w"))
        with connection.cursor() as cur:
            if not args.reuse:
                timed("VACUUM ANALYZE", cur.execute, "VACUUM ANALYZE")
        # What the periodic metrics_refresh keeps ready: the members' health scores as of today (the at-risk
        # list reads the lowest of them) and the counts of the weeks and months that are over (the unfiltered
        # reports read them and count the current periods live).
        from community.metrics.actions import health_refresh, totals_refresh

        scored = timed("health scores (metrics_refresh)", health_refresh, end=today)
        stored = timed("period totals (metrics_refresh)", totals_refresh, today=today)
        print(f"  {scored:,} members scored, {stored} weeks and months counted")
        with connection.cursor() as cur:
            cur.execute("ANALYZE metrics_memberhealth")
            cur.execute("ANALYZE metrics_periodtotal")
            for table in ("metrics_participation", "metrics_dailyactivity", "metrics_memberperiod",
                          "metrics_memberhealth", "metrics_periodtotal"):
                cur.execute(f"SELECT count(*), pg_size_pretty(pg_total_relation_size('{table}')) FROM {table}")
                n, size = cur.fetchone()
                print(f"  {table}: {n:,} rows, {size} with indexes")
        user = manager()

        views = {
            "12 weeks by week (default)": (default_filters(today=today, days=12 * 7, grain="week"), ""),
            "12 months by month": (Filters(start=first, end=today, grain="month"),
                                   f"?start={first}&end={today}&grain=month"),
        }
        ours: dict[str, tuple[dict, dict]] = {}
        misses: list[str] = []
        for name, (filters, query) in views.items():
            print(f"\nour reports, {name} ({filters.start} to {filters.end}), cache off, p50 of {args.repeat}")
            times, rows = time_reports(filters, args.repeat)
            ours[name] = (times, rows)
            for slug, seconds in times.items():
                print(f"  {slug:15} {seconds * 1000:8.1f} ms")
            print(f"  {'sum':15} {sum(times.values()) * 1000:8.1f} ms")
            check_at_risk(rows["at_risk"], filters, misses)
            page, selector = time_dashboard(user, query, filters, args.repeat)
            verdict = "met" if page < 1.0 else "MISSED"
            if page >= 1.0:
                misses.append(f"{name} dashboard: {page * 1000:.0f} ms")
            print(f"  dashboard page GET /dashboard/{query}: {page * 1000:.0f} ms p50 (target < 1000 ms: {verdict});"
                  f" its selector (all sections) {selector * 1000:.0f} ms")

        print("\nanalyst route: COPY to CSV, pandas")
        workdir = Path(tempfile.mkdtemp(prefix="retention-bench-"))
        started = time.perf_counter()
        members_csv, ledger_csv = export_csv(workdir)
        print(f"  export (COPY ... TO STDOUT into files): {time.perf_counter() - started:.1f} s,"
              f" {ledger_csv.stat().st_size / 1e6:.0f} MB ledger + {members_csv.stat().st_size / 1e6:.1f} MB members"
              " (not counted below)")
        connections.close_all()
        load_s, (m, e) = p50_time(lambda: load(members_csv, ledger_csv, now), args.pandas_repeat)
        print(f"  load + clean (read_csv, parse times, keep reportable members, day/week/month): {load_s:.2f} s p50")

        computations = {
            "cohorts": (pd_cohorts, check_cohorts),
            "active": (pd_active, check_active),
            "stickiness": (pd_stickiness, lambda r, g, f: check_stickiness(r, g, f, today)),
            "growth": (pd_growth, check_growth),
            "repeat": (pd_repeat, check_repeat),
            "lifecycle": (pd_lifecycle, check_lifecycle),
        }
        for name, (filters, _query) in views.items():
            times, rows = ours[name]
            print(f"\n{name}: pandas (load + compute) / ours; results compared")
            print(f"  {'report':12} {'ours ms':>9} {'pandas s':>9} {'(compute)':>9} {'ratio':>7}  result")
            for slug, (compute, check) in computations.items():
                seconds, got = p50_time(lambda c=compute, f=filters: c(m, e, f), args.pandas_repeat)
                problem = check(rows[slug], got, filters)
                ratio = (load_s + seconds) / times[slug]
                if ratio < 10:
                    misses.append(f"{name} {slug}: only {ratio:.1f}x")
                if problem:
                    misses.append(f"{name} {slug}: differs ({problem})")
                print(f"  {slug:12} {times[slug] * 1000:9.1f} {load_s + seconds:9.2f} {seconds:9.2f}"
                      f" {ratio:6.0f}x  {'identical' if not problem else 'DIFFERS: ' + problem}")
        print("\nmisses: " + ("; ".join(misses) if misses else "none"))
        for path in (members_csv, ledger_csv):
            path.unlink()
        workdir.rmdir()
    finally:
        connections.close_all()
        if not args.keep:
            psql(args.server, f"DROP DATABASE IF EXISTS {DB_NAME}")


if __name__ == "__main__":
    main()
