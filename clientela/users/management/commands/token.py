from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from clientela.users import services
from clientela.users.models import ApiToken, User


class Command(BaseCommand):
    help = "Manage API tokens: create USER | list USER | revoke PREFIX."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Print a new API token for USER.")
        create.add_argument("username")
        create.add_argument("--name", default="cli")
        listing = sub.add_parser("list", help="List USER's active tokens.")
        listing.add_argument("username")
        revoke = sub.add_parser("revoke", help="Revoke the token starting with PREFIX.")
        revoke.add_argument("prefix")

    def handle(self, *args, **opts):
        action = opts["action"]
        if action == "revoke":
            token = ApiToken.objects.filter(prefix=opts["prefix"][:12], revoked_at__isnull=True).first()
            if token is None:
                raise CommandError(f"No active token starts with {opts['prefix']!r}.")
            services.token_revoke(token=token, by=token.user)
            self.stdout.write(f"Revoked {token.prefix}…")
            return
        user = User.objects.filter(username=opts["username"]).first()
        if user is None:
            raise CommandError(f"No user named {opts['username']!r}.")
        if action == "create":
            _token, raw = services.token_create(user=user, name=opts["name"])
            self.stdout.write(raw)
        else:
            for token in user.api_tokens.filter(revoked_at__isnull=True):
                used = token.last_used_at.isoformat() if token.last_used_at else "never"
                self.stdout.write(
                    f"{token.prefix}…  {token.name or '-'}  created {token.created_at:%Y-%m-%d}  used {used}"
                )
