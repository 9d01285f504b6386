"""Rebuild the daily roll-up from the participation ledger; first import older acts from the forum and
events tables first. Idempotent; run it when reports look off or after importing data."""

from datetime import date

from django.core.management.base import BaseCommand

from community.metrics.backfill import import_sources, rebuild_daily


class Command(BaseCommand):
    help = "Rebuild metrics.DailyActivity from the ledger after importing forum/events history not yet in it."

    def add_arguments(self, parser):
        parser.add_argument("--ledger-only", action="store_true",
                            help="Do not import acts from the forum and events tables first.")
        parser.add_argument("--since", type=date.fromisoformat, help="Only rebuild days from this date (YYYY-MM-DD).")

    def handle(self, *args, **options):
        if not options["ledger_only"]:
            import_sources(stdout=self.stdout)
        rebuild_daily(since=options["since"], stdout=self.stdout)
