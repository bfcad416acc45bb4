"""The `clientela` command: Django's management commands plus Clientela's own.

clientela serve            migrate, then serve the web app and a background worker
clientela createuser ...   add a user with a role and team
clientela token create U   print a new API token for user U
clientela demo             load the demo data set
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clientela.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
