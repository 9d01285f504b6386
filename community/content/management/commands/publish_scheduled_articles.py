"""Flip due scheduled articles to 'published' (bookkeeping: readers see them at their time anyway)."""

from django.core.management.base import BaseCommand

from community.content.actions import publish_scheduled_articles


class Command(BaseCommand):
    help = "Mark scheduled articles whose time has come as published (run every few minutes from cron)."

    def handle(self, *args, **options) -> None:
        count = publish_scheduled_articles()
        self.stdout.write(f"{count} article(s) published")
