"""Periodic (e.g. every 10 minutes): recompute the dashboard's default views into the cache, so that managers
open the dashboard without waiting for the reports. Other filter combinations are computed on demand."""

from django.core.management.base import BaseCommand

from community.metrics.selectors import warm


class Command(BaseCommand):
    help = "Precompute the retention dashboard's default views into the cache."

    def add_arguments(self, parser):
        parser.add_argument("--seconds", type=int, default=None,
                            help="How long the figures stay cached (default METRICS_REPORT_CACHE_SECONDS).")

    def handle(self, *args, **options):
        for filters in warm(seconds=options["seconds"]):
            self.stdout.write(f"warmed {filters.start}..{filters.end} by {filters.grain}")
