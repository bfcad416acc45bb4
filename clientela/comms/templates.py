"""Message templates: recurring messages (acknowledgement, keep-alive, farewell …) per language.

Texts are Django template syntax rendered by a **sandboxed engine**: no loaders, no `{% load %}`,
`{% include %}` or `{% url %}`, only the `{% if %}` tag and a few text filters, and a context of
plain strings built here from the records — so a template cannot reach the database or the
filesystem. Every `{{ variable }}` must be one of `VARIABLES` (for that message); an unknown one
is a field error when the template is saved, never a surprise when a letter goes out.

`render_message(key, language=…, context=…)` picks the variant in that language (English when
the language has none) and renders subject and body.

Changing a template is `message_template_update` (admins and heads of sales; texts checked in the
sandbox before they are saved, and audited).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from email.utils import parseaddr
from typing import TYPE_CHECKING, Any, ClassVar, cast

from django.conf import settings
from django.db import transaction
from django.template import Context, Engine, Library, Template, TemplateSyntaxError, defaultfilters
from django.template.base import FilterExpression, Node, Variable, VariableNode
from django.template.defaulttags import IfNode, TemplateLiteral, do_if
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.comms.choices import TemplateKey
from clientela.comms.models import MessageTemplate
from clientela.core.audit import model_update
from clientela.core.errors import BusinessError, PermissionDeniedError
from clientela.core.permissions import role_of
from clientela.core.roles import Role
from clientela.users.models import User

if TYPE_CHECKING:
    from clientela.comms.models import MessageTemplate

FALLBACK_LANGUAGE = "en"

# The sandbox's whole vocabulary: one tag and text filters that touch nothing but their input.
register = Library()
register.tag("if", do_if)
for _name in (
    "capfirst",
    "date",
    "default",
    "default_if_none",
    "lower",
    "time",
    "title",
    "truncatewords",
    "upper",
    "wordwrap",
    "yesno",
):
    register.filter(_name, getattr(defaultfilters, _name))


class SandboxEngine(Engine):
    default_builtins: ClassVar[list[str]] = []


ENGINE = SandboxEngine(
    builtins=["clientela.comms.templates"], loaders=[], autoescape=False, debug=False, libraries={}
)

# Variables every message may use, then the ones only some messages have.
COMMON_VARIABLES: dict[str, Any] = {
    "recipient_name": gettext_lazy("How to address the recipient: first name, or the company name"),
    "company": gettext_lazy("Our company's name"),
    "manager.first_name": gettext_lazy("The responsible manager's first name"),
    "manager.last_name": gettext_lazy("The responsible manager's last name"),
    "manager.full_name": gettext_lazy("The responsible manager's full name"),
    "manager.email": gettext_lazy("The responsible manager's e-mail"),
    "manager.phone": gettext_lazy("The responsible manager's phone"),
    "lead.first_name": gettext_lazy("The lead's first name"),
    "lead.last_name": gettext_lazy("The lead's last name"),
    "lead.full_name": gettext_lazy("The lead's full name"),
    "lead.company": gettext_lazy("The lead's company"),
    "client.name": gettext_lazy("The client's name"),
    "contact.first_name": gettext_lazy("The contact's first name"),
    "contact.last_name": gettext_lazy("The contact's last name"),
    "contact.full_name": gettext_lazy("The contact's full name"),
    "deal.title": gettext_lazy("The deal's title"),
}
EXTRA_VARIABLES: dict[str, dict[str, Any]] = {
    TemplateKey.ACKNOWLEDGEMENT: {"promised_at": gettext_lazy("When the full answer is promised")},
    TemplateKey.KEEP_ALIVE: {"days_waiting": gettext_lazy("Days the client has waited to hear from us")},
    TemplateKey.FAREWELL: {"questionnaire_url": gettext_lazy("Link to the one-click questionnaire")},
    TemplateKey.FOLLOW_UP: {},
    TemplateKey.GREETINGS: {"occasion": gettext_lazy("The wish for the occasion, e.g. “Happy New Year!”")},
    TemplateKey.SURVEY: {"survey_url": gettext_lazy("Link to the survey (a few clicks, no sign-in)")},
    TemplateKey.EXIT_SURVEY: {"survey_url": gettext_lazy("Link to the survey (a few clicks, no sign-in)")},
    TemplateKey.SUMMARY: {
        "points": gettext_lazy("What was agreed, one point per line"),
        "next_step": gettext_lazy("The agreed next step"),
    },
}
# Where a variable's value comes from on a record, when the attribute is named differently.
ATTRIBUTE_SOURCES = {"lead.company": "company_name", "client.name": "name"}


def variables_for(key: str) -> dict[str, Any]:
    """Variable name → description, for the message `key`."""
    return {**COMMON_VARIABLES, **EXTRA_VARIABLES.get(key, {})}


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    body: str
    language: str = FALLBACK_LANGUAGE


class TemplateTextError(ValueError):
    """A template text that does not compile or uses an unknown variable."""


def _expressions(node: Node) -> Iterator[FilterExpression]:
    """Every filter expression in a compiled template node (variables, `if` conditions)."""
    if isinstance(node, VariableNode):
        yield node.filter_expression
    if isinstance(node, IfNode):
        for condition, _nodelist in node.conditions_nodelists:
            yield from _condition_expressions(condition)
    for attribute in node.child_nodelists:
        for child in getattr(node, attribute, None) or []:
            yield from _expressions(child)


def _condition_expressions(condition: Any) -> Iterator[FilterExpression]:
    if condition is None:
        return
    if isinstance(condition, TemplateLiteral):
        yield cast(FilterExpression, condition.value)
        return
    for part in (getattr(condition, "first", None), getattr(condition, "second", None)):
        if part is not None:
            yield from _condition_expressions(part)


def _variable_names(expression: FilterExpression) -> Iterator[str]:
    candidates = [expression.var]
    for _func, args in expression.filters:
        candidates.extend(arg for lookup, arg in args if lookup)
    for candidate in candidates:
        if isinstance(candidate, Variable) and candidate.lookups is not None:
            yield ".".join(candidate.lookups)


def compile_text(text: str, *, key: str) -> Template:
    """Compile a template text in the sandbox; raise TemplateTextError with a readable message."""
    try:
        template = Template(text, engine=ENGINE)
    except TemplateSyntaxError as exc:
        raise TemplateTextError(
            _("This text cannot be used as a template: %(error)s") % {"error": exc}
        ) from exc
    allowed = variables_for(key)
    unknown = sorted(
        {
            name
            for node in template.nodelist
            for expression in _expressions(node)
            for name in _variable_names(expression)
            if name not in allowed
        }
    )
    if unknown:
        raise TemplateTextError(
            _("Unknown variable: %(names)s. You can use: %(allowed)s.")
            % {"names": ", ".join(unknown), "allowed": ", ".join(allowed)}
        )
    return template


def template_errors(*, key: str, subject: str, body: str) -> dict[str, list[str]]:
    """Field → messages for a template's subject and body (empty when both are fine)."""
    errors: dict[str, list[str]] = {}
    for field, text in (("subject", subject), ("body", body)):
        if not text.strip():
            errors[field] = [_("This field cannot be empty.")]
            continue
        try:
            compile_text(text, key=key)
        except TemplateTextError as exc:
            errors[field] = [str(exc)]
    if "\n" in subject.strip():
        errors.setdefault("subject", []).append(_("The subject must be one line."))
    return errors


def company_name() -> str:
    """Our company's name: the COMPANY_NAME setting, else the display name of the sender address."""
    configured = getattr(settings, "COMPANY_NAME", "")
    if configured:
        return str(configured)
    name, _address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return name or "Clientela"


def _attribute(source: Any, path: str) -> Any:
    """One attribute of a record or a mapping, as a plain value (never a record)."""
    _top, _dot, attribute = path.partition(".")
    attribute = ATTRIBUTE_SOURCES.get(path, attribute)
    if source is None:
        return ""
    if isinstance(source, Mapping):
        value = source.get(attribute, source.get(path.partition(".")[2], ""))
    elif attribute == "full_name" and not hasattr(source, "full_name"):
        value = source.get_full_name() or str(source) if hasattr(source, "get_full_name") else str(source)
    else:
        value = getattr(source, attribute, "")
    if callable(value):
        value = ""
    return "" if value is None else value


def _plain(value: Any) -> Any:
    """Strings, numbers and moments pass; anything else becomes its text."""
    if value is None:
        return ""
    if isinstance(value, str | int | float | dt.date):
        return value
    return str(value)


def build_context(key: str, context: Mapping[str, Any]) -> dict[str, Any]:
    """The sandbox's context: only the message's variables, as plain values."""
    plain: dict[str, Any] = {}
    for path in variables_for(key):
        top, dot, _attr = path.partition(".")
        if dot:
            plain.setdefault(top, {})[path.partition(".")[2]] = _plain(_attribute(context.get(top), path))
        else:
            plain[path] = _plain(context.get(path, ""))
    if not plain.get("company"):
        plain["company"] = company_name()
    if not plain.get("recipient_name"):
        plain["recipient_name"] = (
            plain["lead"]["first_name"]
            or plain["contact"]["first_name"]
            or plain["lead"]["full_name"]
            or plain["contact"]["full_name"]
            or plain["client"]["name"]
            or plain["lead"]["company"]
        )
    return plain


def sample_context(key: str) -> dict[str, Any]:
    """Believable values for the preview of a template."""
    manager = {
        "first_name": "Maria",
        "last_name": "Ionescu",
        "full_name": "Maria Ionescu",
        "email": "maria.ionescu@example.com",
        "phone": "+40 721 000 111",
    }
    return {
        "manager": manager,
        "lead": {
            "first_name": "Andrei",
            "last_name": "Popa",
            "full_name": "Andrei Popa",
            "company": "Alfa SRL",
        },
        "client": {"name": "Alfa SRL"},
        "contact": {"first_name": "Andrei", "last_name": "Popa", "full_name": "Andrei Popa"},
        "deal": {"title": _("Office furniture for the new branch")},
        "promised_at": timezone.now() + dt.timedelta(hours=4),
        "days_waiting": 3,
        "questionnaire_url": settings.SITE_URL + "/q/sample/",
        "survey_url": settings.SITE_URL + "/s/sample/",
        "occasion": _("Happy New Year!"),
        "points": _("- Delivery of 40 chairs by 15 March\n- 5% discount on the second order"),
        "next_step": _("call on Friday at 10:00 to confirm the order"),
    }


def render_text(text: str, *, key: str, language: str, context: Mapping[str, Any]) -> str:
    """Render one template text in `language` with the sandboxed engine."""
    template = compile_text(text, key=key)
    with translation.override(language):
        return template.render(Context(build_context(key, context), autoescape=False))


def pick_template(key: str, language: str) -> Any:
    """The stored template for `key` in `language`, else in English; None when neither exists."""

    base = (language or FALLBACK_LANGUAGE).split("-")[0].lower()
    rows = {row.language: row for row in MessageTemplate.objects.filter(key=key, language__in={base, "en"})}
    return rows.get(base) or rows.get(FALLBACK_LANGUAGE)


def render_message(key: str, *, language: str, context: Mapping[str, Any]) -> RenderedMessage:
    """Subject and body of the message `key` for a recipient speaking `language`.

    Raises LookupError when no template exists for `key` at all (not even in English).
    """
    if key not in TemplateKey.values:
        raise LookupError(f"Unknown message template {key!r}")
    row = pick_template(key, language)
    if row is None:
        raise LookupError(f"No message template {key!r}")
    subject = render_text(row.subject, key=key, language=row.language, context=context)
    body = render_text(row.body, key=key, language=row.language, context=context)
    return RenderedMessage(subject=" ".join(subject.split()), body=body.strip() + "\n", language=row.language)


# --- Changing a template ---------------------------------------------------------------------


def may_edit_templates(user: Any) -> bool:
    """Admins and heads of sales edit the message templates; everyone signed in reads them."""
    return role_of(user) in (Role.ADMIN, Role.HEAD)


@transaction.atomic
def message_template_update(
    *, by: User, template: MessageTemplate, subject: str | None = None, body: str | None = None
) -> MessageTemplate:
    """Change the subject and/or text of one language variant of a message template.

    Texts are checked in the sandbox: a syntax error or an unknown variable is a field error now,
    not a failed letter later.
    """
    if not may_edit_templates(by):
        raise PermissionDeniedError(_("Only administrators and heads of sales can change message templates."))
    new_subject = template.subject if subject is None else subject.strip()
    new_body = template.body if body is None else body.replace("\r\n", "\n").strip() + "\n"
    errors = template_errors(key=template.key, subject=new_subject, body=new_body)
    if errors:
        raise BusinessError(_("Check the template."), errors=errors)
    model_update(instance=template, data={"subject": new_subject, "body": new_body}, actor=by)
    return template
