"""Personalised digests for 10,000 members over the shared forum workload (never a test).

    .venv/bin/python bench/digest.py [--members 10000] [--database-url postgres://...]

Seeds the shared workload (../shared/bench/peers/workload.py) through our actions into a fresh database,
adds N members who each watch 1 to 5 categories and follow 0 to 10 tags, with random read states, then
builds every member's digest the way `send_digests` does (chunk by chunk) and prints the time per 1,000
digests, with and without rendering the email (subject, text and HTML parts), and the queries per digest.
It also shows that one digest's query count does not change with the number of followed categories and
tags. Target: at most 20 queries per digest, constant; 10,000 digests in under 60 s on one core.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup(database_url: str | None) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="digest-bench-"))
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{workdir / 'digest.sqlite3'}"
    os.environ.pop("REDIS_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.dev"
    os.environ["DEBUG"] = "0"
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def seed_members(count: int) -> list:
    from allauth.account.models import EmailAddress
    from django.utils import timezone
    from taggit.models import Tag

    from accounts.models import MemberSettings, User
    from community.content.models import TagFollow
    from community.forum.models import Category, Subscription, Topic, TopicReadState

    rng = random.Random(7)
    now = timezone.now()
    categories = list(Category.objects.values_list("pk", flat=True))
    tag_names = [f"tag{i}" for i in range(20)]
    tags = [Tag.objects.get_or_create(name=name, slug=name)[0] for name in tag_names]
    # Tag a tenth of the topics so followed tags have something to find.
    for topic in Topic.objects.order_by("pk")[::10]:
        topic.tags.add(rng.choice(tag_names))
    zones = ["Africa/Nairobi", "Europe/Riga", "Asia/Yerevan", "Europe/London", "America/New_York"]
    users = User.objects.bulk_create(
        User(email=f"digest{i}@example.com", handle=f"digest{i}", handle_skeleton=f"dlgest{i}",
             display_name=f"Reader {i}", locale=["en", "sw", "lv", "hy"][i % 4], time_zone=zones[i % 5],
             date_joined=now - timedelta(days=90), last_seen_at=now - timedelta(days=3), password="!")
        for i in range(count)
    )
    EmailAddress.objects.bulk_create(EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users)
    MemberSettings.objects.bulk_create(
        MemberSettings(user=u, digest_frequency="daily", last_digest_at=now - timedelta(days=2)) for u in users)
    Subscription.objects.bulk_create(
        Subscription(user=u, category_id=c, level="watching")
        for u in users for c in rng.sample(categories, rng.randint(1, len(categories))))
    TagFollow.objects.bulk_create(
        TagFollow(member=u, tag=t) for u in users for t in rng.sample(tags, rng.randint(0, 10)))
    topic_ids = list(Topic.objects.values_list("pk", flat=True))
    TopicReadState.objects.bulk_create(
        TopicReadState(user=u, topic_id=t, last_read_post_number=1)
        for u in users for t in rng.sample(topic_ids, 20))
    return users


def count_queries(fn) -> tuple[int, object]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        result = fn()
    return len(ctx.captured_queries), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--chunk", type=int, default=500)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    setup(args.database_url)

    from django.core import mail
    from django.utils import timezone

    from accounts.models import User
    from bench.forum_seed import seed
    from community.content.models import TagFollow
    from community.forum.models import Subscription
    from community.notifications.digest.builder import build_digest, iter_digests
    from community.notifications.digest.schedule import send_digest_email

    started = time.perf_counter()
    seed()
    seed_members(args.members)
    print(f"seeded the workload and {args.members} digest members in {time.perf_counter() - started:.0f}s")
    now = timezone.now()

    # One digest: the query count is the same for a member following 1 or 5 categories, 0 or 10 tags.
    from community.forum.models import Category
    from taggit.models import Tag

    few = User.objects.get(handle="digest0")
    many = User.objects.get(handle="digest1")
    for member, n_categories, n_tags in ((few, 1, 1), (many, 5, 10)):
        Subscription.objects.filter(user=member).delete()
        TagFollow.objects.filter(member=member).delete()
        Subscription.objects.bulk_create(Subscription(user=member, category=c, level="watching")
                                         for c in Category.objects.order_by("pk")[:n_categories])
        TagFollow.objects.bulk_create(TagFollow(member=member, tag=t) for t in Tag.objects.order_by("pk")[:n_tags])
    print("\none digest (fresh member objects):")
    for label, member in (("few follows", few), ("many follows", many)):
        member = User.objects.get(pk=member.pk)
        cats = Subscription.objects.filter(user=member).count()
        tags = TagFollow.objects.filter(member=member).count()
        queries, digest = count_queries(lambda m=member: build_digest(m, now))
        print(f"  {label:<34} ({cats} categories, {tags} tags): {queries} queries, "
              f"{digest.item_count if digest else 0} items")

    members = list(User.objects.filter(handle__startswith="digest").order_by("pk"))
    cpu0, wall0 = time.process_time(), time.perf_counter()
    queries, built = count_queries(lambda: [d for _m, d in iter_digests(members, now, chunk_size=args.chunk)])
    build_cpu, build_wall = time.process_time() - cpu0, time.perf_counter() - wall0
    non_empty = [d for d in built if d is not None]

    cpu0, wall0 = time.process_time(), time.perf_counter()
    for digest in non_empty:
        send_digest_email(digest)
        mail.outbox.clear()  # locmem keeps every message; clear so memory is ours, not the test mailbox's
    render_cpu, render_wall = time.process_time() - cpu0, time.perf_counter() - wall0

    n = len(members)
    print(f"\n{n} digests built in chunks of {args.chunk}: {len(non_empty)} worth sending")
    print(f"  build only:      {build_wall:6.1f} s wall, {build_cpu:6.1f} s CPU  = "
          f"{build_cpu / n * 1000 * 1000:7.0f} ms CPU per 1,000 digests")
    print(f"  render + send:   {render_wall:6.1f} s wall, {render_cpu:6.1f} s CPU  = "
          f"{render_cpu / max(len(non_empty), 1) * 1000 * 1000:7.0f} ms CPU per 1,000 emails (locmem)")
    total_cpu = build_cpu + render_cpu
    print(f"  total:           {total_cpu:6.1f} s CPU for {n} members (target < 60 s): "
          f"{'met' if total_cpu < 60 else 'NOT met'}")
    print(f"  queries:         {queries} for {n} digests = {queries / n:.2f} per digest "
          f"({queries / max(1, -(-n // args.chunk)):.0f} per chunk of {args.chunk}); target <= 20 per digest")


if __name__ == "__main__":
    main()
