from django.conf import settings
from django.db import models

from clientela.core.models import BusinessModel
from clientela.core.permissions import ScopedQuerySet


class ToyRecord(BusinessModel):
    title = models.CharField(max_length=100)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    team = models.ForeignKey("users.Team", null=True, blank=True, on_delete=models.SET_NULL)

    objects = ScopedQuerySet.as_manager()

    def __str__(self) -> str:
        return self.title
