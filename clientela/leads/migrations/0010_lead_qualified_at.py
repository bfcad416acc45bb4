"""`Lead.qualified_at`: the first moment a lead was qualified (the lifecycle funnel counts it).

Existing leads get it from their timeline: the first status line into "qualified" or
"converted" (`LeadEvent.data["new"]`, written by every status change, merged leads' lines
included); a lead converted without such a line gets its `converted_at`, a qualified one its
`status_changed_at`. Three set-based UPDATEs, no row loaded into Python."""

from django.db import migrations, models
from django.db.models import Exists, OuterRef, Subquery
from django.db.models.functions import Coalesce

QUALIFIED = ["qualified", "converted"]


def backfill(apps, schema_editor):
    Lead = apps.get_model("leads", "Lead")
    LeadEvent = apps.get_model("leads", "LeadEvent")
    lines = LeadEvent.objects.filter(
        lead=OuterRef("pk"), kind__in=["status", "converted"], data__new__in=QUALIFIED
    )
    Lead.objects.filter(Exists(lines)).update(
        qualified_at=Subquery(lines.order_by("at", "id").values("at")[:1])
    )
    Lead.objects.filter(qualified_at__isnull=True, status="converted", converted_at__isnull=False).update(
        qualified_at=models.F("converted_at")
    )
    Lead.objects.filter(qualified_at__isnull=True, status__in=QUALIFIED).update(
        qualified_at=Coalesce("status_changed_at", "created_at")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0009_loyalty_referred_by_client"),
    ]

    operations = [
        migrations.AddField(
            model_name="lead",
            name="qualified_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="qualified at"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
