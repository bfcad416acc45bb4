"""What the post-sale cadence writes for people (core.texts): the titles of the tasks it plans and
its lines on the deal's timeline, kept as codes and shown in each reader's language."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from clientela.core.texts import define

IN_USE = define("retention.in_use", _("Is the product in use? Call %(client)s (%(deal)s)"))
USE_DAY = define("retention.use_day", _("Call %(client)s on the day of use (%(deal)s)"))
THANK = define("retention.thank", _("Thank %(client)s and offer the next step (%(deal)s)"))
URGENT = define("retention.urgent", _("Urgent meeting: %(client)s is unhappy (%(deal)s)"))
OFFER = define("retention.offer", _("Send %(client)s an offer (last one %(days)s days ago)"))
FIRST_OFFER = define("retention.first_offer", _("Send %(client)s an offer"))
RENEWAL = define("retention.renewal", _("Renewal: the agreement with %(client)s ends on %(date)s (%(deal)s)"))
DATES = define("retention.dates", _("After the sale: delivery until %(delivery)s, agreement until %(ends)s."))
DELIVERED = define("retention.delivered", _("Marked delivered."))
REPLANNED = define("retention.replanned", _("The agreement's end date changed to %(date)s."))
