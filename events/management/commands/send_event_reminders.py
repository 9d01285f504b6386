"""Periodic (e.g. every 5 minutes from cron/systemd): queue due event reminders and after-event surveys."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from events.actions import reminders_claim_due, surveys_claim_due


class Command(BaseCommand):
    help = "Queue due event reminders (EVENT_REMINDER_OFFSETS) and feedback surveys; safe to run any number of times."

    def handle(self, *args, **options) -> None:
        reminders = reminders_claim_due()
        surveys = surveys_claim_due()
        self.stdout.write(f"{len(reminders)} reminders and {len(surveys)} surveys queued")
