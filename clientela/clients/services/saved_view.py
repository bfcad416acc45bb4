"""A person's saved list filters (clients and contacts lists), kept under a name."""

from __future__ import annotations

from django.utils.translation import gettext as _

from clientela.clients.models import SavedView
from clientela.clients.services.rules import invalid
from clientela.core.normalise import clean_text
from clientela.users.models import User


def saved_view_save(*, user: User, list_name: str, name: str, query: str) -> SavedView:
    """Remember a person's list filters under a name (replacing a view of the same name)."""
    name = clean_text(name, 60)
    if not name:
        raise invalid({"name": [_("Give the view a name.")]})
    query = query if query.startswith("?") else "?"
    view, _created = SavedView.objects.update_or_create(
        user=user, list_name=list_name, name=name, defaults={"query": query[:1000]}
    )
    return view


def saved_view_delete(*, user: User, list_name: str, name: str) -> None:
    SavedView.objects.filter(user=user, list_name=list_name, name=name).delete()
