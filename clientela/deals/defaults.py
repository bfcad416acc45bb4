# ruff: noqa: E501 (the default template is HTML, kept readable)
"""What a fresh install ships: three pipelines, the lost reasons, one template per document kind.

The data migration and `ensure_defaults` (for test databases that were flushed) both install
these through `install_defaults`, which takes the models to use so it works with the historical
models of a migration too. Built-in records keep a `code`, and their names are shown translated
(`PIPELINE_LABELS`, `STAGE_LABELS`, `LOST_REASON_LABELS`); records admins add show their name.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.utils import translation
from django.utils.translation import gettext_lazy as _

PIPELINE_LABELS: dict[str, Any] = {
    "corporate": _("Corporate sales"),
    "direct": _("Direct / field sales"),
    "retail": _("Retail"),
}

STAGE_LABELS: dict[str, Any] = {
    "first_contact": _("First contact"),
    "needs_identified": _("Needs identified"),
    "proposal_sent": _("Proposal sent"),
    "negotiation": _("Negotiation"),
    "agreement": _("Agreement"),
    "meeting": _("Meeting scheduled"),
    "demonstration": _("Demonstration"),
    "offer": _("Offer made"),
    "enquiry": _("Enquiry"),
    "quote": _("Quote sent"),
    "awaiting_payment": _("Awaiting payment"),
    "won": _("Won"),
    "lost": _("Lost"),
}

LOST_REASON_LABELS: dict[str, Any] = {
    "price": _("Price"),
    "competitor": _("Chose a competitor"),
    "no_budget": _("No budget"),
    "timing": _("Timing or plans changed"),
    "no_decision": _("No decision"),
    "quality": _("Quality"),
    "staff_attitude": _("Staff attitude"),
    "other": _("Other"),
}

# code, name, kind, notify head, needs payment schedule, stages: (code, name, probability, won, lost)
PIPELINES: list[tuple[str, str, str, bool, bool, list[tuple[str, str, int, bool, bool]]]] = [
    (
        "corporate",
        "Corporate sales",
        "corporate",
        True,
        True,
        [
            ("first_contact", "First contact", 10, False, False),
            ("needs_identified", "Needs identified", 20, False, False),
            ("proposal_sent", "Proposal sent", 40, False, False),
            ("negotiation", "Negotiation", 60, False, False),
            ("agreement", "Agreement", 80, False, False),
            ("won", "Won", 100, True, False),
            ("lost", "Lost", 0, False, True),
        ],
    ),
    (
        "direct",
        "Direct / field sales",
        "direct",
        False,
        False,
        [
            ("first_contact", "First contact", 10, False, False),
            ("meeting", "Meeting scheduled", 25, False, False),
            ("demonstration", "Demonstration", 50, False, False),
            ("offer", "Offer made", 70, False, False),
            ("won", "Won", 100, True, False),
            ("lost", "Lost", 0, False, True),
        ],
    ),
    (
        "retail",
        "Retail",
        "retail",
        False,
        False,
        [
            ("enquiry", "Enquiry", 20, False, False),
            ("quote", "Quote sent", 50, False, False),
            ("awaiting_payment", "Awaiting payment", 80, False, False),
            ("won", "Won", 100, True, False),
            ("lost", "Lost", 0, False, True),
        ],
    ),
]

LOST_REASONS: list[tuple[str, str]] = [
    ("price", "Price"),
    ("competitor", "Chose a competitor"),
    ("no_budget", "No budget"),
    ("timing", "Timing or plans changed"),
    ("no_decision", "No decision"),
    ("quality", "Quality"),
    ("staff_attitude", "Staff attitude"),
    ("other", "Other"),
]

# The English names built-in records are created with: while a record keeps its name it is
# shown translated (see models._label); a renamed one shows the admin's wording.
DEFAULT_NAMES: dict[str, str] = {
    **{code: name for code, name, *_rest in PIPELINES},
    **{code: name for *_head, stages in PIPELINES for code, name, *_tail in stages},
    **dict(LOST_REASONS),
}

# Products and objections the demo seeds: their names, objections and recommended answers are
# shown in the reader's language while they keep the English wording they were seeded with
# (`seeded_text`); once an admin rewrites one it shows as written.
SEEDED_PRODUCT_NAMES: list[Any] = [
    _("Technical translation"),
    _("Video production"),
    _("Security audit"),
    _("Consulting"),
    _("Software licence (yearly)"),
    _("Training day"),
    _("Cloud PBX"),
]
SEEDED_OBJECTIONS: list[tuple[Any, Any]] = [
    (
        _("It is too expensive."),
        _("Compare the cost of one lost client with the price; offer a pilot at a smaller scope."),
    ),
    (
        _("We already work with another supplier."),
        _("Ask what they would improve; offer a side-by-side trial on one project."),
    ),
    (
        _("Not now, maybe next quarter."),
        _("Agree the date and the reason; set the next step in the CRM before hanging up."),
    ),
    (
        _("I need to discuss it with my director."),
        _("Offer a short call with the director; send a one-page summary they can forward."),
    ),
    (
        _("Your delivery times are too long."),
        _("Show the delivery plan with dates; offer a partial delivery first."),
    ),
    (
        _("We had a bad experience with a similar product."),
        _("Ask what went wrong and show how it is handled here; give a reference client."),
    ),
]


@functools.cache
def _seeded_by_english() -> dict[str, Any]:
    with translation.override(None):  # the wording in the source (English), whatever is active
        return {
            str(label): label
            for label in [*SEEDED_PRODUCT_NAMES, *(text for pair in SEEDED_OBJECTIONS for text in pair)]
        }


def seeded_text(value: str) -> str:
    """A seeded product name, objection or answer in the reader's (active) language; any other
    text as written."""
    label = _seeded_by_english().get(value)
    return str(label) if label is not None else value


# One body serves every kind; admins edit each kind's copy. Variables: see docs in the settings page.
DEFAULT_TEMPLATE_BODY = """<html>
<head>
<style>
  @page { size: a4 portrait; margin: 1.6cm 1.6cm 1.8cm 1.6cm; }
  body { font-family: DejaVu; font-size: 9.5pt; color: #1d273b; }
  h1 { font-size: 17pt; margin: 0 0 2pt 0; }
  .muted { color: #667382; }
  .parties td { vertical-align: top; width: 50%; padding: 0 8pt 0 0; }
  .lines { margin-top: 14pt; }
  .lines th { background-color: #eef1f5; font-weight: bold; text-align: left; padding: 4pt; border-bottom: 1px solid #c8d0da; }
  .lines td { padding: 4pt; border-bottom: 1px solid #e3e8ef; vertical-align: top; }
  .num { text-align: right; }
  .lines th.num { text-align: right; }
  .totals { margin-top: 8pt; }
  .totals td { padding: 2pt 4pt; }
  .grand { font-size: 12pt; font-weight: bold; }
  .box { margin-top: 14pt; padding: 6pt; border: 1px solid #e3e8ef; }
  .sign td { width: 50%; padding-top: 30pt; }
</style>
</head>
<body>
<table>
  <tr>
    <td style="width: 60%;">
      {% if company.logo %}<img src="{{ company.logo }}" style="height: 42pt;"><br>{% endif %}
      <b>{{ company.legal_name|default:company.name }}</b><br>
      <span class="muted">{{ company.address|linebreaksbr }}</span>
    </td>
    <td style="width: 40%; text-align: right;">
      <h1>{{ labels.heading }}</h1>
      <b>{{ document.number }}</b> <span class="muted">· {{ labels.version }} {{ document.version }}</span><br>
      {{ labels.date }}: {{ document.date }}<br>
      {% if document.valid_until %}{{ labels.valid_until }}: <b>{{ document.valid_until }}</b><br>{% endif %}
    </td>
  </tr>
</table>

<table class="parties" style="margin-top: 16pt;">
  <tr>
    <td>
      <span class="muted">{{ labels.supplier }}</span><br>
      <b>{{ company.legal_name|default:company.name }}</b><br>
      {% if company.tax_id %}{{ labels.tax_id }}: {{ company.tax_id }}<br>{% endif %}
      {% if company.registration_number %}{{ labels.registration_number }}: {{ company.registration_number }}<br>{% endif %}
      {% if company.email %}{{ company.email }}<br>{% endif %}{% if company.phone %}{{ company.phone }}{% endif %}
    </td>
    <td>
      <span class="muted">{{ labels.client }}</span><br>
      <b>{{ client.name }}{% if client.legal_form %} {{ client.legal_form }}{% endif %}</b><br>
      {% if client.tax_id %}{{ labels.tax_id }}: {{ client.tax_id }}<br>{% endif %}
      {% if client.registration_number %}{{ labels.registration_number }}: {{ client.registration_number }}<br>{% endif %}
      {% if client.address %}{{ client.address }}<br>{% endif %}
      {% if contacts %}{{ labels.contact_person }}: {% for contact in contacts %}{{ contact.name }}{% if contact.position %} ({{ contact.position }}){% endif %}{% if not forloop.last %}, {% endif %}{% endfor %}{% endif %}
    </td>
  </tr>
</table>

{% if document.title %}<p style="margin-top: 14pt;"><b>{{ document.title }}</b></p>{% endif %}
{% if document.kind == "agreement" %}<p>{{ labels.agreement_text }}</p>{% endif %}
{% if document.kind == "act" %}<p>{{ labels.act_text }}</p>{% endif %}

<table class="lines">
  <tr>
    <th style="width: 5%;">{{ labels.no }}</th>
    <th style="width: 33%;">{{ labels.item }}</th>
    <th class="num" style="width: 9%;">{{ labels.quantity }}</th>
    <th style="width: 8%;">{{ labels.unit }}</th>
    <th class="num" style="width: 14%;">{{ labels.unit_price }}</th>
    <th class="num" style="width: 12%;">{{ labels.discount }}</th>
    <th class="num" style="width: 19%;">{{ labels.total }}</th>
  </tr>
  {% for line in lines %}
  <tr>
    <td>{{ line.n }}</td>
    <td>{{ line.name }}{% if line.code %} <span class="muted">({{ line.code }})</span>{% endif %}</td>
    <td class="num">{{ line.quantity }}</td>
    <td>{{ line.unit }}</td>
    <td class="num">{{ line.unit_price }}</td>
    <td class="num">{{ line.discount }}</td>
    <td class="num">{{ line.total }}</td>
  </tr>
  {% endfor %}
</table>

<table class="totals">
  <tr><td style="width: 70%;"></td><td class="muted">{{ labels.subtotal }}</td><td class="num">{{ totals.gross }}</td></tr>
  {% if totals.has_discount %}<tr><td></td><td class="muted">{{ labels.discount_total }}</td><td class="num">-{{ totals.discount }}</td></tr>{% endif %}
  <tr><td></td><td class="grand">{{ labels.grand_total }}</td><td class="num grand">{{ totals.net }}</td></tr>
</table>

{% if client.payment_terms and document.kind != "act" %}
<p style="margin-top: 10pt;"><b>{{ labels.payment_terms }}:</b> {{ client.payment_terms }}</p>
{% endif %}
{% if document.kind == "invoice" and company.bank_details %}
<div class="box"><b>{{ labels.bank_details }}</b><br>{{ company.bank_details|linebreaksbr }}</div>
{% endif %}
{% if document.kind == "proposal" and document.valid_until %}
<p class="muted" style="margin-top: 14pt;">{{ labels.validity_note }}</p>
{% endif %}

<div class="box">
  {{ labels.your_manager }}: <b>{{ deal.owner }}</b>{% if deal.owner_email %} · {{ deal.owner_email }}{% endif %}{% if deal.owner_phone %} · {{ deal.owner_phone }}{% endif %}
</div>

{% if document.kind == "agreement" or document.kind == "act" %}
<table class="sign">
  <tr>
    <td>{{ labels.supplier }}: ______________________</td>
    <td>{{ labels.client }}: ______________________</td>
  </tr>
</table>
{% endif %}
</body>
</html>
"""

TEMPLATE_NAMES = {
    "proposal": "Commercial proposal (standard)",
    "agreement": "Agreement (standard)",
    "invoice": "Invoice (standard)",
    "act": "Act of acceptance (standard)",
}


def install_defaults(get_model: Callable[[str], Any]) -> None:
    """Create whatever default pipeline, stage, reason or template is missing. Idempotent."""
    Pipeline = get_model("Pipeline")
    Stage = get_model("Stage")
    LostReason = get_model("LostReason")
    DocumentTemplate = get_model("DocumentTemplate")
    has_default = Pipeline.objects.filter(is_default=True).exists()
    for position, (code, name, kind, notify, schedule, stages) in enumerate(PIPELINES):
        pipeline, created = Pipeline.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "position": position,
                "is_default": not has_default and position == 0,
                "notify_head_on_stage_change": notify,
                "requires_payment_schedule": schedule,
            },
        )
        if created:
            for stage_position, (stage_code, stage_name, probability, won, lost) in enumerate(stages):
                Stage.objects.create(
                    pipeline=pipeline,
                    code=stage_code,
                    name=stage_name,
                    position=stage_position,
                    probability=probability,
                    is_won=won,
                    is_lost=lost,
                )
    for position, (code, name) in enumerate(LOST_REASONS):
        LostReason.objects.get_or_create(code=code, defaults={"name": name, "position": position})
    for kind, name in TEMPLATE_NAMES.items():
        if not DocumentTemplate.objects.filter(kind=kind, language="en", is_default=True).exists():
            DocumentTemplate.objects.create(
                kind=kind, language="en", name=name, body=DEFAULT_TEMPLATE_BODY, is_default=True
            )


def ensure_defaults() -> None:
    """Install missing defaults with the current models (fresh installs, flushed test databases)."""
    from django.apps import apps

    install_defaults(lambda name: apps.get_model("deals", name))
