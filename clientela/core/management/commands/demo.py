from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from clientela.core.demo import DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = "Load the demo data set (teams, people, and each capability's records)."

    def handle(self, *args, **options):
        if get_user_model().objects.filter(username="admin").exists():
            self.stdout.write("Demo data is already loaded.")
            return
        context = load_demo()
        self.stdout.write(
            f"Demo loaded: {len(context['teams'])} teams, {len(context['users'])} users. "
            f"Sign in as admin / {DEMO_PASSWORD}."
        )
