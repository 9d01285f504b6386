"""Send the digests that are due now (run every 15 minutes from cron; re-running never double-sends)."""

from __future__ import annotations

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from community.notifications.digest import send_due_digests


class Command(BaseCommand):
    help = "Send personalised digests to members for whom it is now the digest hour in their time zone."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--now", help="Pretend it is this ISO time (with offset), e.g. 2026-11-24T04:30+00:00.")

    def handle(self, *args, **options) -> None:
        now = timezone.now()
        if options.get("now"):
            try:
                now = datetime.fromisoformat(options["now"])
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            if timezone.is_naive(now):
                raise CommandError("--now needs a UTC offset.")
        counts = send_due_digests(now)
        summary = ", ".join(f"{status}: {n}" for status, n in sorted(counts.items())) or "nothing due"
        self.stdout.write(f"Digests at {now.isoformat()}: {summary}")
