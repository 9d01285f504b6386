"""A small clock for one-machine deployments and the demo: runs every periodic command on its interval.

Every periodic command is idempotent and safe to run from several machines at once (each claims its work
with a unique row or a row lock), so larger deployments can use cron or a systemd timer instead and run
the same commands directly. The table below is the one place that lists them; the README repeats it.
"""

from __future__ import annotations

import logging
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections

logger = logging.getLogger(__name__)

# (command, interval in seconds)
PERIODIC: list[tuple[str, int]] = [
    ("publish_scheduled_articles", 60),
    ("newsletters_tick", 60),
    ("send_event_reminders", 300),
    ("send_pending_notification_emails", 300),
    ("send_digests", 900),
    ("metrics_refresh", 600),
    ("loyalty_tier_check", 86_400),
]


class Command(BaseCommand):
    help = "Run the periodic commands on their intervals until stopped (or once with --once)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="Run every periodic command once and exit.")

    def handle(self, *args, **options) -> None:
        last_run: dict[str, float] = {}
        while True:
            now = time.monotonic()
            for command, interval in PERIODIC:
                if now - last_run.get(command, -interval) < interval:
                    continue
                last_run[command] = now
                try:
                    call_command(command, stdout=self.stdout if options["once"] else None)
                except Exception:  # one failing job must not stop the clock for the others
                    logger.exception("periodic command %s failed", command)
            if options["once"]:
                return
            # A long-running clock must not hold a broken or stale connection between ticks.
            close_old_connections()
            time.sleep(5)
