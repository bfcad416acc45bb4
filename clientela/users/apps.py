from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UsersConfig(AppConfig):
    name = "clientela.users"
    label = "users"
    verbose_name = _("Users and teams")

    def ready(self) -> None:
        # A team saved or deleted during a request: the heads' teams kept for it are read again.
        from django.db.models.signals import post_delete, post_save

        from clientela.core.permissions import forget_headed_teams

        post_save.connect(forget_headed_teams, sender="users.Team", dispatch_uid="forget_teams_saved")
        post_delete.connect(forget_headed_teams, sender="users.Team", dispatch_uid="forget_teams_deleted")
        # Bearer tokens are kept here; the API in core asks us who a token belongs to.
        from clientela.core.api import TOKEN_AUTHENTICATOR
        from clientela.core.demo import DEMO_LOADERS, DemoLoader
        from clientela.users import demo
        from clientela.users.services import token_authenticate

        TOKEN_AUTHENTICATOR.provide(token_authenticate)
        DEMO_LOADERS.register(DemoLoader(10, demo.load))
