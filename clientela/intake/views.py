"""Intake-form settings pages (list, create, edit with the embeddable snippet) and the public
pages a visitor sees: the hosted form and the thank-you page. Thin: selectors in, services out.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clientela.core.errors import BusinessError
from clientela.core.forms import add_business_error
from clientela.core.http import AuthedRequest
from clientela.core.permissions import user_can
from clientela.intake import selectors, services
from clientela.intake.choices import FormKind
from clientela.intake.forms import IntakeFormForm


def _require_manage(request: AuthedRequest) -> None:
    if not user_can(request.user, "manage_intake"):
        raise PermissionDenied


@login_required
def form_list(request: AuthedRequest) -> HttpResponse:
    _require_manage(request)
    q = request.GET.get("q", "").strip()
    forms = selectors.intake_form_list(viewer=request.user, q=q)
    return render(request, "intake/forms/form_list.html", {"forms": forms, "q": q})


@login_required
def form_create(request: AuthedRequest) -> HttpResponse:
    _require_manage(request)
    form = IntakeFormForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = services.intake_form_create(
                by=request.user,
                name=data["name"],
                kind=data["kind"],
                team=data["team"],
                default_source=data["default_source"] or None,
                default_campaign=data["default_campaign"],
                rate_limit_per_hour=data["rate_limit_per_hour"],
            )
        except BusinessError as exc:
            add_business_error(form, exc)
        else:
            messages.success(
                request, _("Form %(name)s created. Paste its snippet into your website.") % {"name": created}
            )
            return redirect("intake:form_edit", pk=created.pk)
    return render(request, "intake/forms/form_edit.html", {"form": form, "title": _("New intake form")})


@login_required
def form_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    _require_manage(request)
    intake_form = selectors.intake_form_get(viewer=request.user, pk=pk)
    form = IntakeFormForm(request.POST or None, user=request.user, instance=intake_form)
    if request.method == "POST" and form.is_valid():
        try:
            services.intake_form_update(by=request.user, form=intake_form, data=form.changes())
        except BusinessError as exc:
            add_business_error(form, exc)
        else:
            messages.success(request, _("Form %(name)s saved.") % {"name": intake_form})
            return redirect("intake:form_edit", pk=intake_form.pk)
    context = {
        "form": form,
        "title": str(intake_form),
        "intake_form": intake_form,
        "endpoint": selectors.endpoint_url(intake_form),
        "hosted_form": selectors.hosted_form_url(intake_form),
        "snippet": selectors.embed_snippet(intake_form),
    }
    return render(request, "intake/forms/form_edit.html", context)


@login_required
@require_POST
def form_deactivate(request: AuthedRequest, pk: int) -> HttpResponse:
    _require_manage(request)
    intake_form = selectors.intake_form_get(viewer=request.user, pk=pk)
    try:
        services.intake_form_deactivate(by=request.user, form=intake_form)
    except BusinessError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Form %(name)s closed: it accepts no more submissions.") % {"name": intake_form}
        )
    return redirect("intake:form_edit", pk=intake_form.pk)


@login_required
@require_POST
def form_rotate_key(request: AuthedRequest, pk: int) -> HttpResponse:
    _require_manage(request)
    intake_form = selectors.intake_form_get(viewer=request.user, pk=pk)
    try:
        services.intake_form_rotate_key(by=request.user, form=intake_form)
    except BusinessError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("The form has a new key. Replace the snippet on your website: the old one no longer works."),
        )
    return redirect("intake:form_edit", pk=intake_form.pk)


def public_form(request: HttpRequest, key: str) -> HttpResponse:
    """A ready-made page with the form, for a link in an e-mail or a social post."""
    intake_form = selectors.intake_form_by_key(key)
    if intake_form is None:
        raise Http404
    template = (
        "intake/forms/_snippet_callback.html"
        if intake_form.kind == FormKind.CALLBACK
        else "intake/forms/_snippet.html"
    )
    context = {
        "intake_form": intake_form,
        "form": intake_form,
        "endpoint": selectors.endpoint_url(intake_form),
        "snippet_template": template,
    }
    return render(request, "intake/public/form.html", context)


def thanks(request: HttpRequest, key: str) -> HttpResponse:
    """Where a visitor lands after posting the embeddable form."""
    intake_form = selectors.intake_form_by_key(key)
    callback = intake_form is not None and intake_form.kind == FormKind.CALLBACK
    return render(request, "intake/public/thanks.html", {"intake_form": intake_form, "callback": callback})
