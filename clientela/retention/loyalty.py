"""Loyalty (SPEC §8): why clients came and why they stay (reasons, counted like the churn
reasons), the client's loyalty conditions and benefits (every change audited on the client), and
what this part registers for the apps below (`register()`).

Conditions on the client itself (discount, payment terms, credit limit, bonuses) are edited by
`clients.services.client.client_update` and the price list by its provider; this module reads
them together with the benefits and the history of their changes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils.text import slugify
from django.utils.translation import gettext as _

from clientela.clients.models import Client
from clientela.core.audit import audit_create, audit_event, history_for, model_update
from clientela.core.errors import BusinessError
from clientela.core.models import AuditEntry
from clientela.core.permissions import Action, require, require_record
from clientela.retention.loyalty_models import (
    BenefitKind,
    ClientBenefit,
    ClientLoyaltyReason,
    LoyaltyReason,
    ReasonSource,
)
from clientela.users.models import User

CANNOT_CHANGE = "You may not change this client's loyalty."
# The client's columns that are loyalty conditions; their changes make the loyalty history.
CONDITION_FIELDS = (
    "discount_percent",
    "payment_terms_days",
    "payment_terms_note",
    "credit_limit",
    "credit_currency",
    "bonuses",
)
LOYALTY_EVENTS = ("price_list", "loyalty_benefit_added", "loyalty_benefit_removed", "loyalty_reasons")


def invalid(errors: dict[str, list[str]]) -> BusinessError:
    return BusinessError(_("Some fields are not valid."), errors=errors, status=422)


# --- The configurable lists (reasons and benefits) ---------------------------------------------


LANGUAGES = [code for code, _name in settings.LANGUAGES]


def _clean_names(names: Any, *, required: bool) -> dict[str, str]:
    if names is None:
        names = {}
    if not isinstance(names, Mapping):
        raise invalid({"names": [_("Give the names by language.")]})
    clean: dict[str, str] = {}
    for language, name in names.items():
        if language not in LANGUAGES:
            raise invalid({"names": [_("Unknown language: %(code)s.") % {"code": language}]})
        text = " ".join(str(name or "").split())
        if len(text) > 100:
            raise invalid({f"names.{language}": [_("At most 100 characters.")]})
        if "\x00" in text:
            raise invalid({f"names.{language}": [_("Enter a valid value.")]})
        if text:
            clean[language] = text
    if required and not clean.get("en"):
        raise invalid({"names.en": [_("Name it in English at least.")]})
    return clean


def _create_item(model: type[Any], *, by: User, names: Any) -> Any:
    require(by, "manage_settings")
    clean = _clean_names(names, required=True)
    base = slugify(clean["en"])[:30] or "item"
    code, n = base, 1
    while model.objects.filter(code=code).exists():
        n += 1
        code = f"{base}-{n}"
    position = (model.objects.order_by("-position").values_list("position", flat=True).first() or 0) + 1
    item = model.objects.create(code=code, names=clean, position=position)
    audit_create(actor=by, instance=item, fields=["code", "names", "position"])
    return item


def _update_item(item: Any, *, by: User, data: Mapping[str, Any]) -> Any:
    require(by, "manage_settings")
    values: dict[str, Any] = {}
    if "names" in data:
        values["names"] = _clean_names(data["names"], required=not item.is_built_in)
    if "is_active" in data:
        values["is_active"] = bool(data["is_active"])
    if "position" in data:
        try:
            position = int(data["position"])
        except (TypeError, ValueError):
            raise invalid({"position": [_("Enter a whole number.")]}) from None
        if not 0 <= position <= 999:
            raise invalid({"position": [_("Between 0 and 999.")]})
        values["position"] = position
    model_update(instance=item, data=values, actor=by)
    return item


@transaction.atomic
def loyalty_reason_create(*, by: User, names: Any) -> LoyaltyReason:
    """Add a loyalty reason (admins), named in English and any other language."""
    return _create_item(LoyaltyReason, by=by, names=names)


@transaction.atomic
def loyalty_reason_update(*, by: User, reason: LoyaltyReason, data: Mapping[str, Any]) -> LoyaltyReason:
    """Rename, reorder, retire or bring back a reason (built-ins keep their translated name unless
    named here)."""
    return _update_item(reason, by=by, data=data)


@transaction.atomic
def benefit_kind_create(*, by: User, names: Any) -> BenefitKind:
    return _create_item(BenefitKind, by=by, names=names)


@transaction.atomic
def benefit_kind_update(*, by: User, kind: BenefitKind, data: Mapping[str, Any]) -> BenefitKind:
    return _update_item(kind, by=by, data=data)


def _label_with_names(item: Any) -> str:
    """Built-ins renamed by an admin show the admin's name in the reader's language."""
    from django.utils.translation import get_language

    language = (get_language() or "en").split("-")[0]
    return str(item.names.get(language) or item.label)


def reason_label(reason: LoyaltyReason) -> str:
    return _label_with_names(reason) if reason.is_built_in else reason.label


def benefit_label(kind: BenefitKind) -> str:
    return _label_with_names(kind) if kind.is_built_in else kind.label


def active_reasons() -> list[LoyaltyReason]:
    return list(LoyaltyReason.objects.filter(is_active=True))


def reason_choices() -> list[tuple[str, str]]:
    return [(reason.code, reason_label(reason)) for reason in active_reasons()]


def benefit_choices() -> list[tuple[str, str]]:
    return [(kind.code, benefit_label(kind)) for kind in BenefitKind.objects.filter(is_active=True)]


# --- A client's reasons -------------------------------------------------------------------------


def _reasons_by_code(codes: Iterable[Any], field: str = "reasons") -> list[LoyaltyReason]:
    wanted = []
    for code in codes or []:
        text = str(code or "").strip()
        if text and text not in wanted:
            wanted.append(text)
    found = {reason.code: reason for reason in LoyaltyReason.objects.filter(code__in=wanted, is_active=True)}
    unknown = [code for code in wanted if code not in found]
    if unknown:
        raise invalid({field: [_("Unknown reason: %(codes)s.") % {"codes": ", ".join(unknown)}]})
    return [found[code] for code in wanted]


@transaction.atomic
def client_loyalty_reasons_set(
    *,
    by: User | None,
    client: Client,
    codes: Iterable[Any],
    source: str = ReasonSource.CARD,
    check_permission: bool = True,
) -> list[str]:
    """The client's reasons become `codes` (added ones recorded with where they were asked,
    dropped ones removed); audited on the client. Returns the codes now recorded."""
    if check_permission:
        require_record(by, client, Action.WORK, _(CANNOT_CHANGE))
    reasons = _reasons_by_code(codes)
    current = {
        row.reason.code: row
        for row in ClientLoyaltyReason.objects.filter(client=client).select_related("reason")
    }
    wanted = {reason.code for reason in reasons}
    removed = sorted(set(current) - wanted)
    added = [reason for reason in reasons if reason.code not in current]
    if removed:
        ClientLoyaltyReason.objects.filter(client=client, reason__code__in=removed).delete()
    actor = by if getattr(by, "is_authenticated", False) else None
    ClientLoyaltyReason.objects.bulk_create(
        [
            ClientLoyaltyReason(client=client, reason=reason, source=source, recorded_by=actor)
            for reason in added
        ]
    )
    if removed or added:
        audit_event(
            actor=by,
            instance=client,
            event="loyalty_reasons",
            changes={"reasons": [sorted(current), sorted(wanted)], "source": source},
        )
    return sorted(wanted)


@transaction.atomic
def client_loyalty_reasons_add(*, by: User | None, client: Client, codes: Iterable[Any], source: str) -> None:
    """Add reasons (kept ones stay): the conversion's answer and a survey's."""
    existing = list(ClientLoyaltyReason.objects.filter(client=client).values_list("reason__code", flat=True))
    new = [code for code in codes if code]
    if new:
        client_loyalty_reasons_set(
            by=by, client=client, codes=[*existing, *new], source=source, check_permission=False
        )


def client_reason_codes(client: Client) -> list[str]:
    return list(
        ClientLoyaltyReason.objects.filter(client=client)
        .order_by("reason__position", "reason__code")
        .values_list("reason__code", flat=True)
    )


# --- Benefits -----------------------------------------------------------------------------------


def _clean_benefit(values: Mapping[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    code = str(values.get("kind") or "").strip()
    kind = BenefitKind.objects.filter(code=code, is_active=True).first() if code else None
    if kind is None:
        errors["kind"] = [_("Choose one of the benefits.")]
    value = " ".join(str(values.get("value") or "").split())
    if len(value) > 100:
        errors["value"] = [_("At most 100 characters.")]
    note = " ".join(str(values.get("note") or "").split())
    if len(note) > 300:
        errors["note"] = [_("At most 300 characters.")]
    if "\x00" in value + note:
        errors.setdefault("note", []).append(_("Enter a valid value."))
    valid_until = values.get("valid_until")
    if isinstance(valid_until, str):
        try:
            valid_until = dt.date.fromisoformat(valid_until) if valid_until.strip() else None
        except ValueError:
            errors["valid_until"] = [_("Enter a valid date.")]
            valid_until = None
    elif valid_until is not None and not isinstance(valid_until, dt.date):
        errors["valid_until"] = [_("Enter a valid date.")]
    if errors:
        raise invalid(errors)
    return {"kind": kind, "value": value, "note": note, "valid_until": valid_until}


@transaction.atomic
def client_benefit_add(
    *, by: User, client: Client, values: Mapping[str, Any], referral_lead: Any = None
) -> ClientBenefit:
    """Give the client a benefit (with an optional value and validity); audited on the client.
    A referral bonus names the referred lead, once per lead."""
    require_record(by, client, Action.WORK, _(CANNOT_CHANGE))
    clean = _clean_benefit(values)
    if referral_lead is not None:
        if referral_lead.referred_by_client_id != client.pk:
            raise invalid({"lead": [_("This lead was not referred by this client.")]})
        if ClientBenefit.objects.filter(client=client, referral_lead=referral_lead).exists():
            raise invalid({"lead": [_("A bonus for this referral is already recorded.")]})
    benefit = ClientBenefit.objects.create(
        client=client, referral_lead=referral_lead, created_by=by, updated_by=by, **clean
    )
    audit_event(
        actor=by,
        instance=client,
        event="loyalty_benefit_added",
        changes={
            "benefit": {
                "id": benefit.pk,
                "kind": clean["kind"].code,
                "value": clean["value"],
                "valid_until": clean["valid_until"],
                "referral_lead": referral_lead.pk if referral_lead is not None else None,
            }
        },
    )
    return benefit


@transaction.atomic
def client_benefit_remove(*, by: User, benefit: ClientBenefit) -> None:
    require_record(by, benefit.client, Action.WORK, _(CANNOT_CHANGE))
    audit_event(
        actor=by,
        instance=benefit.client,
        event="loyalty_benefit_removed",
        changes={"benefit": {"id": benefit.pk, "kind": benefit.kind.code, "value": benefit.value}},
    )
    benefit.delete()


def client_benefits(client: Client) -> QuerySet[ClientBenefit]:
    return ClientBenefit.objects.filter(client=client).select_related("kind", "referral_lead")


# --- Conditions and their history ---------------------------------------------------------------


@dataclass
class Conditions:
    discount_percent: Decimal | None
    price_list: str
    payment_terms_days: int | None
    payment_terms_note: str
    credit_limit: Decimal | None
    credit_currency: str
    bonuses: str
    benefits: list[ClientBenefit]


def client_conditions(client: Client) -> Conditions:
    from clientela.clients.services.loyalty import client_price_list

    price_list = client_price_list(client)
    return Conditions(
        discount_percent=client.discount_percent,
        price_list=price_list[1] if price_list else "",
        payment_terms_days=client.payment_terms_days,
        payment_terms_note=client.payment_terms_note,
        credit_limit=client.credit_limit,
        credit_currency=client.credit_currency,
        bonuses=client.bonuses,
        benefits=list(client_benefits(client)),
    )


def loyalty_history(client: Client, *, limit: int = 50) -> list[AuditEntry]:
    """The changes of the client's loyalty conditions, benefits and reasons, newest first."""
    entries = []
    for entry in history_for(client)[:1000]:
        changes = entry.changes or {}
        if entry.event in LOYALTY_EVENTS or (
            not entry.event and any(name in changes for name in CONDITION_FIELDS)
        ):
            if not entry.event:
                entry.changes = {name: value for name, value in changes.items() if name in CONDITION_FIELDS}
            entry.lines = _describe(entry)  # type: ignore[attr-defined]
            entries.append(entry)
            if len(entries) >= limit:
                break
    return entries


def _describe(entry: AuditEntry) -> list[str]:
    """What changed, in the reader's words."""
    changes = entry.changes or {}
    if entry.event in ("loyalty_benefit_added", "loyalty_benefit_removed"):
        benefit = changes.get("benefit") or {}
        kind = BenefitKind.objects.filter(code=benefit.get("kind")).first()
        name = benefit_label(kind) if kind else str(benefit.get("kind", ""))
        verb = _("Benefit added") if entry.event == "loyalty_benefit_added" else _("Benefit removed")
        value = f" · {benefit['value']}" if benefit.get("value") else ""
        return [f"{verb}: {name}{value}"]
    if entry.event == "loyalty_reasons":
        labels = dict(reason_choices())
        old, new = (changes.get("reasons") or [[], []])[:2]
        return [
            _("Reasons: %(old)s → %(new)s")
            % {
                "old": ", ".join(labels.get(code, code) for code in old) or "—",
                "new": ", ".join(labels.get(code, code) for code in new) or "—",
            }
        ]
    lines = []
    for name, value in changes.items():
        try:
            label = (
                str(getattr(Client._meta.get_field(name), "verbose_name", name))
                if name != "price_list"
                else _("Price list")
            )
        except Exception:
            label = name
        old, new = value if isinstance(value, list) and len(value) == 2 else [None, value]
        lines.append(f"{label}: {'—' if old in (None, '') else old} → {'—' if new in (None, '') else new}")
    return lines


# --- The report: reasons counted (the mirror of churn reasons) ---------------------------------


def reason_counts(
    viewer: User, *, team_id: int | None = None, owner_id: int | None = None
) -> list[dict[str, Any]]:
    """Each reason with the number of the viewer's visible clients who gave it and its share of
    the clients who gave any reason (a client may give several: shares may add up over 100 %)."""
    clients = Client.objects.restrict(viewer, Action.VIEW).filter(is_archived=False)
    if team_id:
        clients = clients.filter(team_id=team_id)
    if owner_id:
        clients = clients.filter(owner_id=owner_id)
    rows = ClientLoyaltyReason.objects.filter(client__in=clients.values("pk"))
    counts = dict(rows.values_list("reason_id").annotate(n=Count("client_id", distinct=True)))
    answered = rows.values("client_id").distinct().count()
    result = []
    for reason in LoyaltyReason.objects.all():
        n = counts.get(reason.pk, 0)
        if not reason.is_active and not n:
            continue
        share = (Decimal(n) * 100 / answered).quantize(Decimal("0.01")) if answered else Decimal("0.00")
        result.append({"code": reason.code, "reason": reason_label(reason), "clients": n, "share": share})
    result.sort(key=lambda row: (-row["clients"], row["reason"]))
    return result


def answered_count(viewer: User) -> int:
    clients = Client.objects.restrict(viewer, Action.VIEW).filter(is_archived=False)
    return (
        ClientLoyaltyReason.objects.filter(client__in=clients.values("pk"))
        .values("client_id")
        .distinct()
        .count()
    )


# --- What this part does for the apps below -----------------------------------------------------


def register() -> None:
    from clientela.clients import hooks as client_hooks
    from clientela.leads import hooks as lead_hooks
    from clientela.retention import loyalty_dashboard

    client_hooks.card_sections.register("retention/loyalty/_card.html")
    lead_hooks.CONVERSION_REASONS.provide(
        lead_hooks.ConversionReasons(choices=reason_choices, record=_record_at_conversion)
    )
    loyalty_dashboard.register()


def _record_at_conversion(*, by: Any, client: Client, codes: list[str]) -> None:
    client_loyalty_reasons_add(by=by, client=client, codes=codes, source=ReasonSource.CONVERSION)
