"""What the activities app writes for people (core.texts): the titles of the tasks the system
creates, kept as codes and shown in each reader's language."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from clientela.core.texts import define

FIRST_CONTACT = define("tasks.first_contact", _("First contact with %(name)s"))
CALL_BACK = define("tasks.call_back", _("Call back %(name)s now"))
RECONTACT = define("tasks.recontact", _("Re-contact %(name)s"))
KEEP_ALIVE = define("tasks.keep_alive", _("Keep in touch: %(client)s is waiting on us (%(deal)s)"))
