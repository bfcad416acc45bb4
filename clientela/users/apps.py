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
