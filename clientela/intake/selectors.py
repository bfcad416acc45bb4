"""Reads of intake forms: the settings list (scoped), one form, the public lookup by key, and the
embeddable HTML snippet each form offers to a website.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.urls import reverse

from clientela.core.permissions import get_visible_or_404, user_can
from clientela.intake.choices import FormKind
from clientela.intake.models import IntakeForm
from clientela.leads.models import Interest, Lead

# Keys are made by `new_form_key` (24 characters); anything longer is not a key.
MAX_KEY_LENGTH = 40


def _count_of(model: type[Lead] | type[Interest]) -> Coalesce:
    """How many records of `model` arrived through the outer form (a subquery, so list rows
    do not multiply and the list stays one query)."""
    counts = (
        model.objects.filter(intake_form=OuterRef("pk"))
        .order_by()
        .values("intake_form")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), 0)


def intake_forms_visible_to(user: Any) -> QuerySet[IntakeForm]:
    """Forms a user may manage: admins all; heads and marketers those of their teams; nobody else."""
    if not user_can(user, "manage_intake"):
        return IntakeForm.objects.none()
    return IntakeForm.objects.visible_to(user).select_related("team")


def intake_form_list(
    *, viewer: Any, q: str = "", is_active: bool | None = None, team_id: int | None = None
) -> QuerySet[IntakeForm]:
    forms = intake_forms_visible_to(viewer).annotate(
        lead_count=_count_of(Lead), interest_count=_count_of(Interest)
    )
    if q:
        forms = forms.filter(Q(name__icontains=q.strip()) | Q(default_campaign__icontains=q.strip()))
    if is_active is not None:
        forms = forms.filter(is_active=is_active)
    if team_id:
        forms = forms.filter(team_id=team_id)
    return forms.order_by("-is_active", "name", "id")


def intake_form_get(*, viewer: Any, pk: int) -> IntakeForm:
    """One form the viewer may manage, or Http404."""
    return get_visible_or_404(
        intake_forms_visible_to(viewer).annotate(
            lead_count=_count_of(Lead), interest_count=_count_of(Interest)
        ),
        viewer,
        pk=pk,
    )


def intake_form_by_key(key: str) -> IntakeForm | None:
    """The active form behind a public key (no user: the key is the door's credential)."""
    if not key or len(key) > MAX_KEY_LENGTH:
        return None
    return IntakeForm.objects.select_related("team").filter(key=key, is_active=True).first()


def endpoint_url(form: IntakeForm) -> str:
    """Absolute URL of the form's public intake endpoint."""
    return settings.SITE_URL + reverse("api:intake_submit", kwargs={"form_key": form.key})


def hosted_form_url(form: IntakeForm) -> str:
    """Absolute URL of the ready-made page that shows the form (a link to share)."""
    return settings.SITE_URL + reverse("intake:public_form", args=[form.key])


def embed_snippet(form: IntakeForm) -> str:
    """The self-contained HTML a website pastes to post into this form: a few fields, a consent
    box and a hidden honeypot. Callback forms ask only for a name and a phone ("call me")."""
    template = (
        "intake/forms/_snippet_callback.html"
        if form.kind == FormKind.CALLBACK
        else "intake/forms/_snippet.html"
    )
    html = render_to_string(template, {"form": form, "endpoint": endpoint_url(form)})
    # Drop the blank lines template tags leave behind; the snippet is meant to be read and pasted.
    return "\n".join(line for line in html.splitlines() if line.strip()) + "\n"
