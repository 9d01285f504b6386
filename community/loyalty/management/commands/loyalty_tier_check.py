"""Periodic (daily): demote members whose points over the window fell below their tier, and warn members
who will lose their tier soon ("40 points by 1 March keeps Gold")."""

from django.core.management.base import BaseCommand

from community.loyalty.actions import tier_check_all


class Command(BaseCommand):
    help = "Re-evaluate loyalty tiers and warn members close to losing theirs."

    def add_arguments(self, parser):
        parser.add_argument("--warn-days", type=int, default=14)

    def handle(self, *args, **options):
        counts = tier_check_all(warn_days=options["warn_days"])
        self.stdout.write("checked {checked}, changed {changed}, warned {warned}".format(**counts))
