"""What the activities app lets the apps above it do with tasks (`core.hooks`).

* `TASK_OUTCOMES` — one provider: `fn(task) -> OutcomeQuestion | None`. A task a higher app
  planned may ask, when it is completed, which way it went (e.g. the post-sale "is the product in
  use?" call): the completion form and `POST /tasks/{id}/complete` then need one of its choices
  (`outcome`), and a date (`outcome_date`) for the choices that ask one.
* `TASK_COMPLETED` — `fn(*, by, task, outcome, outcome_date)`, called inside `task_complete`'s
  transaction after the task is done (the outcome already checked against the question).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from clientela.core.hooks import Hook


@dataclass(frozen=True)
class OutcomeQuestion:
    """What a task asks when it is done: a question, its choices (value, label), and which choices
    need a date (with the date field's label)."""

    label: Any
    choices: list[tuple[str, Any]]
    date_for: frozenset[str] = field(default_factory=frozenset)
    date_label: Any = ""


TASK_OUTCOMES: Hook[Callable[[Any], OutcomeQuestion | None]] = Hook("activities.task_outcomes")
TASK_COMPLETED: Hook[Callable[..., object]] = Hook("activities.task_completed")


def outcome_question(task: Any) -> OutcomeQuestion | None:
    provider = TASK_OUTCOMES.one()
    return provider(task) if provider is not None else None
