"""Which client recommended a lead (SPEC §8, referrals): the link makes the lead's origin "seed"
and is counted per client by retention."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from clientela.clients.models import Client
from clientela.core.audit import model_update
from clientela.core.errors import BusinessError
from clientela.core.permissions import Action, require_record
from clientela.leads.choices import Origin
from clientela.leads.models import Lead
from clientela.leads.services.lifecycle import LEAD_LOCKED
from clientela.users.models import User


@transaction.atomic
def lead_set_referrer(*, by: User, lead: Lead, client_id: Any) -> Lead:
    """Link the lead to the client who recommended it (one the person sees), or unlink it
    (`client_id` None). A linked lead's origin becomes "seed"."""
    require_record(by, lead, Action.WORK, LEAD_LOCKED)
    client = None
    if client_id not in (None, ""):
        try:
            pk = int(client_id)
        except (TypeError, ValueError):
            pk = 0
        client = Client.objects.visible_to(by).filter(pk=pk).first()
        if client is None:
            raise BusinessError(
                _("Some fields are not valid."), errors={"client": [_("No such client.")]}, status=422
            )
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    data: dict[str, Any] = {"referred_by_client": client}
    if client is not None:
        data["origin"] = Origin.SEED
    model_update(instance=lead, data=data, actor=by)
    return lead
