"""Personalised digests: `build_digest(member, now)` (one member), `build_digests(members, now)` (a chunk,
constant queries) and `send_due_digests(now)` (the scheduled run). See builder.py and schedule.py."""

from community.notifications.digest.builder import Digest, DigestBuilder, build_digest, build_digests, iter_digests
from community.notifications.digest.schedule import due_members, period_key, send_due_digests

__all__ = ["Digest", "DigestBuilder", "build_digest", "build_digests", "due_members", "iter_digests", "period_key",
           "send_due_digests"]
