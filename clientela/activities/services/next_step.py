"""The next-step rule (SPEC §6).

Closing a call or meeting — logging it with `log.call_log` / `log.meeting_log`, or completing a
call/meeting task with `task.task_complete` — needs the agreed next contact (date and subject),
created as a `next_step` task; refused with a field error when missing, unless every linked
lead/deal is closed (lead converted/refused, deal won/lost) or the user marks "no next step" with
a reason (kept on the activity's details). The agreed moment must be after the contact.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _

from clientela.activities.choices import TaskKind
from clientela.activities.services.records import Records, record_closed
from clientela.core.errors import BusinessError


@dataclass(frozen=True)
class NextStep:
    """The agreed next contact: a date and a subject, or an explicit "none" with a reason."""

    due_at: dt.datetime | None = None
    subject: str = ""
    kind: str = TaskKind.NEXT_STEP
    no_next_step_reason: str = ""

    @property
    def given(self) -> bool:
        return self.due_at is not None and bool(self.subject.strip())


def check_next_step(next_step: NextStep | None, records: Records, *, after: dt.datetime) -> None:
    step = next_step or NextStep()
    if step.given:
        assert step.due_at is not None
        if step.due_at <= after:
            raise BusinessError(
                _("The next step must be in the future."),
                errors={"next_step_at": [_("Choose a moment after this contact.")]},
            )
        return
    if step.no_next_step_reason.strip() or record_closed(records):
        return
    errors: dict[str, list[str]] = {}
    if step.due_at is None:
        errors["next_step_at"] = [_("When is the next contact agreed?")]
    if not step.subject.strip():
        errors["next_step_subject"] = [_("What is the next contact about?")]
    errors["no_next_step_reason"] = [_("Or say why there is no next step.")]
    raise BusinessError(
        _("Agree the next step (date and subject) before closing this contact."), errors=errors
    )
