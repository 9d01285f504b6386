"""Writes of the metrics app: the participation ledger.

CONTRACT (other apps call this, keep the signature): every act of participation is recorded by the action
that performed it, inside its transaction, with one call:

    from community.metrics.actions import record
    record(member=user, kind="post.replied", subject=post)

Recording appends one ledger row, bumps the member's daily roll-up and awards loyalty points from the rules
table. `undo(...)` reverses the points of a recorded act whose cause was undone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any


def record(*, member, kind: str, subject: Any = None, at: datetime | None = None,
           data: dict | None = None) -> None:
    """Record one act of participation. (Placeholder until the metrics app lands its ledger.)"""
    return None


def undo(*, member, kind: str, subject: Any) -> None:
    """Reverse the points of a recorded act whose cause was undone (placeholder)."""
    return None
