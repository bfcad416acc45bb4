"""The standard document template's product table: headers right-aligned over their figures and
wide enough for "Discount" and "Total" (they ran together). Stored templates that still hold the
standard table are updated; templates an admin rewrote keep their wording."""

from django.db import migrations

OLD_HEADERS = """    <th style="width: 37%;">{{ labels.item }}</th>
    <th class="num" style="width: 11%;">{{ labels.quantity }}</th>
    <th style="width: 8%;">{{ labels.unit }}</th>
    <th class="num" style="width: 14%;">{{ labels.unit_price }}</th>
    <th class="num" style="width: 9%;">{{ labels.discount }}</th>
    <th class="num" style="width: 16%;">{{ labels.total }}</th>"""
NEW_HEADERS = """    <th style="width: 33%;">{{ labels.item }}</th>
    <th class="num" style="width: 9%;">{{ labels.quantity }}</th>
    <th style="width: 8%;">{{ labels.unit }}</th>
    <th class="num" style="width: 14%;">{{ labels.unit_price }}</th>
    <th class="num" style="width: 12%;">{{ labels.discount }}</th>
    <th class="num" style="width: 19%;">{{ labels.total }}</th>"""
OLD_STYLE = "  .num { text-align: right; }\n  .totals"
NEW_STYLE = "  .num { text-align: right; }\n  .lines th.num { text-align: right; }\n  .totals"


def forward(apps, schema_editor):
    DocumentTemplate = apps.get_model("deals", "DocumentTemplate")
    for template in DocumentTemplate.objects.filter(body__contains=OLD_HEADERS):
        body = template.body.replace(OLD_HEADERS, NEW_HEADERS)
        if "th.num" not in body:
            body = body.replace(OLD_STYLE, NEW_STYLE, 1)
        DocumentTemplate.objects.filter(pk=template.pk).update(body=body)


class Migration(migrations.Migration):
    dependencies = [("deals", "0007_document_request_key")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
