"""Demo notifications: a few of every sort for two demo members, on real demo posts. Idempotent."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from community.notifications.models import Notification


@transaction.atomic
def seed(stdout=None) -> None:
    from accounts.demo import seed as seed_members

    members = seed_members()
    try:
        from community.forum.models import Post
    except ImportError:  # the forum is not installed
        return
    posts = list(Post.objects.filter(deleted_at__isnull=True, number__gt=1).select_related("topic", "author")[:20])
    firsts = list(Post.objects.filter(deleted_at__isnull=True, number=1).select_related("topic", "author")[:20])
    if not posts and not firsts:
        return
    now = timezone.now()
    post_type = ContentType.objects.get_for_model(Post)
    actors = [m for m in members.values() if not m.is_staff]
    created = 0
    for handle in ("anahit", "amani", "sam"):
        recipient = members.get(handle)
        if recipient is None or Notification.objects.filter(recipient=recipient).exists():
            continue
        others = [a for a in actors if a.pk != recipient.pk]
        rows = []
        for i, post in enumerate((posts + firsts)[:3]):
            actor = post.author if post.author and post.author.pk != recipient.pk else others[i % len(others)]
            at = now - timedelta(hours=3 * (i + 1))
            kind = ["reply", "mention", "quote"][i]
            rows.append(Notification(
                recipient=recipient, kind=kind, actor=actor, target_type=post_type, target_id=post.pk,
                title=post.topic.title, url=post.topic.post_url(post.number), delivery="in_app",
                actor_ids=[actor.pk], created_at=at, updated_at=at, read_at=at if i == 2 else None,
            ))
        liked = (firsts or posts)[0]
        reactors = others[:4]
        rows.append(Notification(
            recipient=recipient, kind="reaction", actor=reactors[-1], target_type=post_type, target_id=liked.pk,
            title=liked.topic.title, url=liked.topic.post_url(liked.number), delivery="in_app",
            data={"reaction": "like"}, actor_ids=[a.pk for a in reactors], count=len(reactors),
            created_at=now - timedelta(hours=1), updated_at=now - timedelta(minutes=20),
        ))
        rows.append(Notification(recipient=recipient, kind="loyalty", url="/", delivery="in_app",
                                 data={"event": "badge", "badge": "first-post", "name": "First post"},
                                 created_at=now - timedelta(days=1), updated_at=now - timedelta(days=1)))
        Notification.objects.bulk_create(rows)
        created += len(rows)
    if stdout is not None and created:
        stdout.write(f"    {created} notifications")
