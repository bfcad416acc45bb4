# Joins the analytics parts built side by side (plans, the digest, marketing) into one history.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0001_plans"),
        ("analytics", "0002_marketing"),
        ("analytics", "0003_digest"),
    ]

    operations: list = []
