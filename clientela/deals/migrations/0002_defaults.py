from django.db import migrations


def add_defaults(apps, schema_editor):
    from clientela.deals.defaults import install_defaults

    install_defaults(lambda name: apps.get_model("deals", name))


class Migration(migrations.Migration):
    dependencies = [("deals", "0001_initial")]
    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]
