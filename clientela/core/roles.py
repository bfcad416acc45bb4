"""The four roles of the product (SPEC §1). They live in core because the permission rule
(`core.permissions`) is written in terms of them; users only carry one."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """The four roles of the product (SPEC §1)."""

    MANAGER = "manager", _("Sales manager")
    HEAD = "head", _("Head of sales")
    MARKETER = "marketer", _("Marketer")
    ADMIN = "admin", _("Administrator")


# Roles that can be the responsible person (owner) of a record.
OWNING_ROLES = (Role.MANAGER, Role.HEAD, Role.ADMIN)
