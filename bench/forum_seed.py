"""Seed the shared forum workload (../shared/bench/peers/workload.py) through our own actions.

Run inside Django: `manage.py shell -c "from bench.forum_seed import seed; seed()"`. Prints the hot topic's
path and a member's session cookie for the measuring script.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import timedelta
from pathlib import Path

from allauth.account.models import EmailAddress
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone

from accounts.models import MemberSettings, User
from accounts.roles import Role, add_role, ensure_roles
from accounts.validation import handle_skeleton

PEERS = Path(os.environ.get("BENCH_PEERS", Path(__file__).resolve().parents[2] / "shared" / "bench" / "peers"))
sys.path.insert(0, str(PEERS))
from workload import CATEGORIES, HOT_REPLIES, MEMBERS, TOPICS, post_body, topic_title  # noqa: E402


def seed() -> None:
    from community.forum.actions import category_create, reply_create, topic_create

    started = time.perf_counter()
    ensure_roles()
    joined = timezone.now() - timedelta(days=365)  # established members: no new-member limits apply
    admin = User.objects.create_user("bench-admin@example.com", "pw-bench-123", handle="benchadmin",
                                     handle_skeleton=handle_skeleton("benchadmin"), is_staff=True,
                                     is_superuser=True, date_joined=joined)
    members = []
    for i in range(MEMBERS):
        user = User.objects.create_user(f"member{i}@example.com", "pw-bench-123", handle=f"member{i}",
                                        handle_skeleton=handle_skeleton(f"member{i}"),
                                        display_name=f"Member {i}", date_joined=joined)
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        MemberSettings.objects.create(user=user)
        add_role(user, Role.MEMBER)
        members.append(user)
    categories = [category_create(actor=admin, name=f"Category {i}", description="Bench category")
                  for i in range(CATEGORIES)]
    topics = []
    for i in range(TOPICS):
        topics.append(topic_create(author=members[i % MEMBERS], category=categories[i % CATEGORIES],
                                   title=topic_title(i), raw=post_body(i)))
    hot = topics[0]
    for j in range(HOT_REPLIES):
        reply_create(author=members[j % MEMBERS], topic=hot, raw=post_body(10**6 + j))
    session = SessionStore()
    session["_auth_user_id"] = str(members[1].pk)
    session["_auth_user_backend"] = "accounts.backends.ModelBackend"
    session["_auth_user_hash"] = members[1].get_session_auth_hash()
    session.create()
    hot.refresh_from_db()
    print(f"seeded in {time.perf_counter() - started:.1f}s")
    print(f"HOT={hot.get_absolute_url()}")
    print(f"CATEGORY={categories[1].get_absolute_url()}")
    print(f"SESSION={session.session_key}")
