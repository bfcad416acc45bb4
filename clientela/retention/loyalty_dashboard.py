"""The loyalty report's figures: why clients came and stay (counts and shares, the mirror of
the churn reasons) and the clients who recommend us; also the retention dashboard's tile."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from clientela.retention import loyalty, referrals


def reason_figure(viewer: Any) -> Any:
    from clientela.core.figures import Chart, Column, Figure

    rows = loyalty.reason_counts(viewer)
    base = reverse("retention:loyalty_clients")
    for row in rows:
        row["_links"] = {"clients": f"{base}?reason={row['code']}"}
    answered = loyalty.answered_count(viewer)
    return Figure(
        key="loyalty-reasons",
        title=_("Why they came and why they stay"),
        columns=[
            Column("reason", _("Reason")),
            Column("clients", _("Clients"), kind="int"),
            Column("share", _("Share"), kind="percent"),
        ],
        rows=[{k: v for k, v in row.items() if k != "code"} for row in rows],
        chart=Chart(kind="hbar", x="reason", series=["clients"]),
        empty=_("No client has said yet why they came or stay."),
        note=_("Shares of the %(count)s clients who gave a reason; a client may give several.")
        % {"count": answered},
    )


def referral_figure(viewer: Any) -> Any:
    from clientela.core.figures import Column, Figure

    rows = referrals.referral_report(viewer, limit=20)
    for row in rows:
        row["_links"] = {"client": reverse("retention:client_loyalty", args=[row["client_id"]])}
    return Figure(
        key="referrals",
        title=_("Clients who recommend us"),
        columns=[
            Column("client", _("Client")),
            Column("referred", _("Referred leads"), kind="int"),
            Column("converted", _("Became clients"), kind="int"),
            Column("bonuses", _("Bonuses recorded"), kind="int"),
        ],
        rows=[{k: v for k, v in row.items() if k != "client_id"} for row in rows],
        empty=_("No lead was recommended by a client yet."),
    )


def figures(request: Any) -> list[Any]:
    """The dashboard tile (viewers who see clients only)."""
    from clientela.core.permissions import user_can

    if not user_can(request.user, "work_records"):
        return []
    return [reason_figure(request.user)]


def register() -> None:
    from clientela.retention.hooks import DASHBOARD_TILES, Tile

    DASHBOARD_TILES.register(Tile("loyalty", 70, figures))
