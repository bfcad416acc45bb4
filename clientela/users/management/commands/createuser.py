from __future__ import annotations

import getpass
import sys

from django.core.management.base import BaseCommand, CommandError

from clientela.core.errors import BusinessError
from clientela.core.roles import Role
from clientela.users import services
from clientela.users.models import Team


class Command(BaseCommand):
    help = "Create a user with a role and a team."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", choices=Role.values, default=Role.MANAGER)
        parser.add_argument("--team", help="Team name; created if --create-team is given.")
        parser.add_argument(
            "--create-team", action="store_true", help="Create the team if it does not exist."
        )
        parser.add_argument("--email", default="")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument("--language", default="en")
        parser.add_argument("--password", help="Password (otherwise asked, or read from stdin when piped).")

    def handle(self, *args, **opts):
        team = None
        if opts["team"]:
            team = Team.objects.filter(name__iexact=opts["team"]).first()
            if team is None and opts["create_team"]:
                team = services.team_create(by=None, name=opts["team"], check_permission=False)
            if team is None:
                known = ", ".join(Team.objects.values_list("name", flat=True)) or "none yet"
                raise CommandError(
                    f"No team named {opts['team']!r} (known: {known}). Use --create-team to add it."
                )
        password = opts["password"]
        if not password:
            if sys.stdin.isatty():
                password = getpass.getpass("Password: ")
                if password != getpass.getpass("Password (again): "):
                    raise CommandError("The passwords do not match.")
            else:
                password = sys.stdin.readline().rstrip("\n")
        try:
            user = services.user_create(
                by=None,
                username=opts["username"],
                password=password,
                role=opts["role"],
                team=team,
                email=opts["email"],
                first_name=opts["first_name"],
                last_name=opts["last_name"],
                language=opts["language"],
                check_permission=False,
            )
        except BusinessError as exc:
            details = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.errors.items())
            raise CommandError(f"{exc.message} {details}".strip()) from exc
        self.stdout.write(f"Created {user.username} ({user.role}{', team ' + team.name if team else ''}).")
