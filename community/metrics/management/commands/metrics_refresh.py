"""Periodic (e.g. every 10 minutes): recompute the members' health scores (the at-risk list reads them), the
per-period totals of the weeks and months that are over (the unfiltered reports read them), and the dashboard's
default views into the cache, so that managers open the dashboard without waiting for the reports.
Other filter combinations are computed on demand."""

from django.core.management.base import BaseCommand

from community.metrics.actions import health_refresh, totals_refresh
from community.metrics.selectors import warm


class Command(BaseCommand):
    help = "Recompute the health scores and precompute the retention dashboard's default views into the cache."

    def add_arguments(self, parser):
        parser.add_argument("--seconds", type=int, default=None,
                            help="How long the figures stay cached (default METRICS_REPORT_CACHE_SECONDS).")
        parser.add_argument("--scores-only", action="store_true",
                            help="Only recompute the health scores and period totals, do not warm the report cache.")

    def handle(self, *args, **options):
        scored = health_refresh()
        self.stdout.write(f"scored {scored} members")
        self.stdout.write(f"counted {totals_refresh()} weeks and months")
        if options["scores_only"]:
            return
        for filters in warm(seconds=options["seconds"]):
            self.stdout.write(f"warmed {filters.start}..{filters.end} by {filters.grain}")
