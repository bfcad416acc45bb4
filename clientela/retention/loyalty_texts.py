"""Texts the loyalty part stores for people (task titles), shown in the reader's language."""

from django.utils.translation import gettext_lazy as _

from clientela.core.texts import define

PLAN_ACTION = define("retention.plan_action", _("Account plan of %(client)s: %(action)s"))
PLAN_REVIEW = define("retention.plan_review", _("Review the account plan of %(client)s"))
