"""The retention dashboard's satisfaction tile: NPS, CSAT and the index per month, each number
linked to the answers behind it (the survey answers page, with the same filters)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _

from clientela.core.figures import Chart, Column, Figure
from clientela.core.permissions import role_of
from clientela.retention.satisfaction import satisfaction_figures


def _team(request: Any) -> int | None:
    raw = request.GET.get("team", "")
    return int(raw) if raw.isdigit() else None


def satisfaction_tiles(request: Any) -> list[Figure]:
    """Two figures over the last 12 months of what the viewer sees: NPS (with promoters and
    detractors), and CSAT with the weighted index."""
    if role_of(request.user) is None:
        return []
    team = _team(request)
    data = satisfaction_figures(viewer=request.user, period="month", periods=12, team_id=team)
    answers = reverse("retention:survey_list")

    def link(row: dict[str, Any], **extra: str) -> str:
        query = {"month": row["start"].strftime("%Y-%m"), **extra}
        if team:
            query["team"] = str(team)
        return f"{answers}?{urlencode(query)}"

    nps_rows, csat_rows = [], []
    for row in data["rows"]:
        label = formats.date_format(row["start"], "YEAR_MONTH_FORMAT")
        nps_rows.append(
            {
                "period": label,
                "nps": row["nps"],
                "promoters": row["promoters"],
                "detractors": row["detractors"],
                "answers": row["nps_answers"],
                "_links": {
                    "nps": link(row, kind="nps"),
                    "answers": link(row, kind="nps"),
                    "promoters": link(row, kind="nps", group="promoters"),
                    "detractors": link(row, kind="nps", group="detractors"),
                },
            }
        )
        csat_rows.append(
            {
                "period": label,
                "csat": row["csat"],
                "satisfied": row["csat_satisfied_percent"],
                "csat_answers": row["csat_answers"],
                "index": row["index"],
                "index_percent": row["index_percent"],
                "index_answers": row["index_answers"],
                "_links": {
                    "csat": link(row, kind="csat"),
                    "csat_answers": link(row, kind="csat"),
                    "satisfied": link(row, kind="csat", group="satisfied"),
                    "index": link(row, kind="index"),
                    "index_answers": link(row, kind="index"),
                },
            }
        )
    total = data["total"]
    nps = Figure(
        key="nps",
        title=_("Net Promoter Score"),
        columns=[
            Column("period", _("Month")),
            Column("nps", _("NPS"), kind="decimal"),
            Column("promoters", _("Promoters (9–10)"), kind="int"),
            Column("detractors", _("Detractors (0–6)"), kind="int"),
            Column("answers", _("Answers"), kind="int"),
        ],
        rows=nps_rows,
        chart=Chart(kind="line", x="period", series=["nps"], threshold=None),
        note=_("NPS = % promoters − % detractors, from −100 to 100."),
        footer={
            "period": _("12 months"),
            "nps": total["nps"],
            "promoters": total["promoters"],
            "detractors": total["detractors"],
            "answers": total["nps_answers"],
        },
    )
    csat = Figure(
        key="csat-index",
        title=_("Satisfaction (CSAT) and satisfaction index"),
        columns=[
            Column("period", _("Month")),
            Column("csat", _("CSAT (1–5)"), kind="decimal"),
            Column("satisfied", _("Satisfied (4–5)"), kind="percent"),
            Column("csat_answers", _("CSAT answers"), kind="int"),
            Column("index", _("Index (1–5)"), kind="decimal"),
            Column("index_percent", _("Index"), kind="percent"),
            Column("index_answers", _("Index answers"), kind="int"),
        ],
        rows=csat_rows,
        chart=Chart(kind="line", x="period", series=["csat", "index"]),
        footer={
            "period": _("12 months"),
            "csat": total["csat"],
            "satisfied": total["csat_satisfied_percent"],
            "csat_answers": total["csat_answers"],
            "index": total["index"],
            "index_percent": total["index_percent"],
            "index_answers": total["index_answers"],
        },
    )
    return [nps, csat]


def register() -> None:
    from clientela.retention.hooks import DASHBOARD_TILES, Tile

    DASHBOARD_TILES.register(Tile("satisfaction", 40, satisfaction_tiles))
