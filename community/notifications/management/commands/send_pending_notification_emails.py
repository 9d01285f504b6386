"""Look again at notification emails held back while their member was online (run every few minutes)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from community.notifications.actions import pending_notification_emails_send


class Command(BaseCommand):
    help = "Send notification emails that were held back while the member was online (and are still unread)."

    def handle(self, *args, **options) -> None:
        counts = pending_notification_emails_send()
        summary = ", ".join(f"{status}: {n}" for status, n in sorted(counts.items())) or "nothing pending"
        self.stdout.write(f"Pending notification emails: {summary}")
