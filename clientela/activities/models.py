"""Tasks: the next thing someone must do about a lead (later also clients and deals)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from clientela.activities.choices import Priority, TaskKind
from clientela.core.models import BusinessModel
from clientela.core.permissions import ScopedQuerySet


class Task(BusinessModel):
    kind = models.CharField(_("kind"), max_length=20, choices=TaskKind.choices, default=TaskKind.OTHER)
    title = models.CharField(_("title"), max_length=200)
    due_at = models.DateTimeField(_("due"), db_index=True)
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tasks",
    )
    team = models.ForeignKey(
        "users.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL
    )
    lead = models.ForeignKey(
        "leads.Lead",
        verbose_name=_("lead"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="tasks",
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()
    scope_owner_field = "assignee"

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["done_at", "-priority", "due_at"]
        indexes = [models.Index(fields=["assignee", "done_at", "due_at"], name="task_worklist_idx")]

    def __str__(self) -> str:
        return self.title
