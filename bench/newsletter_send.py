"""Newsletter sending throughput and memory, one worker (never a test).

    .venv/bin/python bench/newsletter_send.py [--recipients 100000] [--db sqlite|postgres] [--batch 500]
                                              [--tracemalloc] [--profile-sql]

Makes a fresh database (a temporary SQLite file, or a throwaway PostgreSQL database), migrates it, writes
N confirmed newsletter subscribers, and sends one issue to all of them through the real engine
(community.content.sending: claim a batch with a conditional UPDATE, build each personal message with its
signed unsubscribe and tracking links, hand it to the mail connection, mark the batch sent) with Django's
locmem email backend. Prints, at 10k, 50k and 100k messages: throughput (messages per second for this one
worker, over the whole run and over the last stretch) and memory.

Memory: the locmem backend keeps a deep copy of every message in `django.core.mail.outbox`, which grows
with the number of recipients by design. That is the test backend's memory, not ours, so the bench's
backend clears the outbox after every batch (when the engine closes the connection); what remains is the
engine's own memory. Throughput is printed per wall-clock second and per CPU-second of this process (the
latter does not depend on what else the machine is running; the load average is printed before and after,
since the wall-clock figure does). --profile-sql adds, at the end, the time spent in each kind of SQL
statement during the send (summed per statement prefix, round trip included). Printed: peak RSS of the
process (getrusage ru_maxrss, monotonic) and, with --tracemalloc, the peak of Python allocations within each
stretch (slower: tracemalloc hooks every allocation, so throughput is then not representative).
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def rss_mb() -> float:
    """Current resident set size (Linux /proc)."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def setup_database(kind: str) -> tuple[str, callable]:
    if kind == "sqlite":
        handle, path = tempfile.mkstemp(prefix="bench-newsletter-", suffix=".sqlite3")
        os.close(handle)

        def cleanup() -> None:
            for suffix in ("", "-wal", "-shm"):
                Path(path + suffix).unlink(missing_ok=True)

        return f"sqlite:///{path}", cleanup
    name = f"bench_newsletter_{os.getpid()}"
    base = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
    subprocess.run(["psql", base + "/postgres", "-q", "-c", f"CREATE DATABASE {name}"], check=True)

    def cleanup() -> None:
        from django.db import connections

        connections.close_all()
        subprocess.run(["psql", base + "/postgres", "-q", "-c", f"DROP DATABASE IF EXISTS {name}"], check=False)

    return f"{base}/{name}", cleanup


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--checkpoints", type=int, nargs="*", default=[10_000, 50_000, 100_000])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument("--profile-sql", action="store_true", help="time spent per kind of SQL statement")
    args = parser.parse_args()

    url, cleanup = setup_database(args.db)
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"  # locmem email, DEBUG off
    try:
        run(args)
    finally:
        cleanup()


def run(args) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core import mail
    from django.core.mail.backends.locmem import EmailBackend
    from django.db import connection as db
    from django.core.management import call_command
    from django.utils import timezone

    from community.content import sending
    from community.content.compose import IssueComposer
    from community.content.models import (
        IssueStatus,
        NewsletterDelivery,
        NewsletterIssue,
        Segment,
        SegmentKind,
        Subscriber,
        SubscriberStatus,
    )
    from community.markup import render_markdown

    assert settings.EMAIL_BACKEND == "django.core.mail.backends.locmem.EmailBackend"
    call_command("migrate", verbosity=0)

    class ClearingLocmem(EmailBackend):
        """locmem, minus its ever-growing outbox: cleared after each batch (see the module docstring)."""

        def close(self) -> None:
            mail.outbox.clear()

    n = args.recipients
    print(f"database: {args.db} ({settings.DATABASES['default']['ENGINE']}), recipients: {n:,}, "
          f"batch: {args.batch}, python {sys.version.split()[0]}")
    started = time.perf_counter()
    languages = [code for code, _name in settings.LANGUAGES]
    chunk = 5000
    for start in range(0, n, chunk):
        Subscriber.objects.bulk_create([
            Subscriber(email=f"reader{i}@example.org", name=f"Reader {i}", language=languages[i % len(languages)],
                       status=SubscriberStatus.CONFIRMED, confirmed_at=timezone.now())
            for i in range(start, min(n, start + chunk))
        ])
    print(f"wrote {n:,} subscribers in {time.perf_counter() - started:.1f}s")

    body = ("Hello! This month: **five habits** that keep your account safe. Read [the guide]"
            "(https://example.com/guide), see [what members asked](https://example.com/asked) and "
            "[tell us in the forum](https://example.com/forum).\n\n" + "A paragraph of news. " * 40)
    segment = Segment.objects.create(name="Everyone", kind=SegmentKind.ALL)
    issue = NewsletterIssue.objects.create(
        subject="November tips: keep your account safe", preheader="Five habits", body=body,
        body_html=render_markdown(body), segment=segment, status=IssueStatus.SENDING, started_at=timezone.now(),
        include_events=False, include_topics=False,
    )

    started = time.perf_counter()
    rows = sending.deliveries_prepare(issue)
    prepare_s = time.perf_counter() - started
    print(f"prepared {rows:,} delivery rows in {prepare_s:.1f}s ({rows / prepare_s:,.0f} rows/s), "
          f"RSS {rss_mb():.0f} MB, peak RSS {peak_rss_mb():.0f} MB")

    connection = ClearingLocmem()
    mail.outbox = []
    composer = IssueComposer(issue)
    if args.tracemalloc:
        tracemalloc.start()
    sql_time: dict[str, list] = collections.defaultdict(lambda: [0, 0.0])  # statement prefix -> [count, seconds]

    def time_sql(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            entry = sql_time[re.sub(r"\s+", " ", sql).strip()[:80]]
            entry[0] += 1
            entry[1] += time.perf_counter() - started

    if args.profile_sql:
        db.execute_wrappers.append(time_sql)
    print(f"load average before the send: {' '.join(f'{load:.2f}' for load in os.getloadavg())}")
    print()
    print(f"{'sent':>8} {'msg/s (all)':>12} {'msg/s (stretch)':>16} {'msg/CPU-s':>10} {'RSS MB':>7} "
          f"{'peak RSS MB':>12}"
          + (f" {'py peak MB (stretch)':>21}" if args.tracemalloc else ""))
    sent = 0
    started = last_time = time.perf_counter()
    cpu_started = last_cpu = time.process_time()
    last_sent = 0
    for checkpoint in sorted(c for c in args.checkpoints if c <= n):
        while sent < checkpoint:
            batches = max(1, (checkpoint - sent) // args.batch)
            result = sending.deliver(issue.pk, max_batches=batches, connection=connection, size=args.batch,
                                     composer=composer)
            sent += result.sent
            if result.stopped == "done":
                break
        now, cpu = time.perf_counter(), time.process_time()
        line = (f"{sent:>8,} {sent / (now - started):>12,.0f} {(sent - last_sent) / (now - last_time):>16,.0f} "
                f"{(sent - last_sent) / (cpu - last_cpu):>10,.0f} {rss_mb():>7.0f} {peak_rss_mb():>12.0f}")
        if args.tracemalloc:
            _current, peak = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
            line += f" {peak / 2**20:>21.1f}"
        print(line, flush=True)
        last_time, last_sent, last_cpu = now, sent, cpu
    total_s = time.perf_counter() - started
    cpu_s = time.process_time() - cpu_started
    if args.profile_sql:
        db.execute_wrappers.remove(time_sql)
    sending.deliver(issue.pk, connection=connection, size=args.batch, composer=composer)  # finds nothing: done
    assert NewsletterDelivery.objects.filter(issue=issue, status="sent").count() == sent == n, "not all sent"
    issue.refresh_from_db()
    print()
    print(f"sent {sent:,} messages in {total_s:.1f}s: {sent / total_s:,.0f} messages/s for one worker "
          f"(target >= 2,000); issue status: {issue.status}")
    print(f"this process used {cpu_s:.1f}s of CPU for it: {sent / cpu_s:,.0f} messages per CPU-second "
          f"(the database server's CPU, for PostgreSQL, is not included); load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    if args.profile_sql:
        print()
        print(f"time in SQL during the send: {sum(t for _n, t in sql_time.values()):.2f}s of {total_s:.1f}s")
        for statement, (count, seconds) in sorted(sql_time.items(), key=lambda item: -item[1][1])[:10]:
            print(f"{seconds * 1000:9.0f} ms {count:6d} x {seconds / count * 1000:7.2f} ms  {statement}")


if __name__ == "__main__":
    main()
