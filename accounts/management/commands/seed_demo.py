"""Fill the database with an idempotent demo community and print the demo logins."""

from __future__ import annotations

import importlib

from django.core.management.base import BaseCommand

# Each app that has demo content provides `<app>.demo.seed(stdout=...)`; the order follows dependencies.
DEMO_MODULES = [
    "accounts.demo",
    "community.forum.demo",
    "events.demo",
    "community.content.demo",
    "community.loyalty.demo",
    "community.metrics.demo",
    "community.notifications.demo",
]


class Command(BaseCommand):
    help = "Create (or refresh) the demo community: members for every role and content for every app."

    def handle(self, *args, **options) -> None:
        for module_name in DEMO_MODULES:
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as exc:
                if exc.name != module_name:
                    raise
                continue
            module.seed(stdout=self.stdout)
            self.stdout.write(f"  seeded {module_name.rsplit('.', 2)[-2]}")

        from accounts.demo import DEMO_MEMBERS, DEMO_PASSWORD

        self.stdout.write(self.style.SUCCESS("\nDemo logins (password for all: %s)" % DEMO_PASSWORD))
        for member in DEMO_MEMBERS:
            role = "staff" if member.staff else (member.role.value if member.role else "member")
            self.stdout.write(f"  {member.email:<24} {role:<18} language {member.locale}")
