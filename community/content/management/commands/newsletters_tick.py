"""Start scheduled newsletters, resume sends whose task was lost, sweep rows left by a dead worker."""

from django.core.management.base import BaseCommand

from community.content.actions import newsletters_tick


class Command(BaseCommand):
    help = "Run every minute from cron: start due newsletters, resume stalled sends, report stuck deliveries."

    def handle(self, *args, **options) -> None:
        result = newsletters_tick()
        self.stdout.write(
            f"{result['started']} started, {result['resumed']} resumed, {result['unknown']} marked unknown"
        )
