from __future__ import annotations

import shutil

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from clientela.core.assets import VENDOR_FILES


class Command(BaseCommand):
    help = "Copy the front-end files the app serves from node_modules/ into build/vendor/."

    def handle(self, *args, **options):
        source_root = settings.BASE_DIR / "node_modules"
        target_root = settings.BASE_DIR / "build" / "vendor"
        missing = [src for src in VENDOR_FILES if not (source_root / src).exists()]
        if missing:
            raise CommandError(f"Missing in node_modules (run `npm ci`): {', '.join(missing)}")
        for src, dst in VENDOR_FILES.items():
            target = target_root / dst
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source_root / src, target)
        self.stdout.write(f"{len(VENDOR_FILES)} vendor files in {target_root}")
