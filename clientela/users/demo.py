"""Demo teams and people: three sales teams in three countries, five languages in use."""

from __future__ import annotations

from typing import Any

from clientela.core.roles import Role
from clientela.users import services

TEAMS = [
    # name, country, time zone
    ("Bucharest", "RO", "Europe/Bucharest"),
    ("Budapest", "HU", "Europe/Budapest"),
    ("Kuala Lumpur", "MY", "Asia/Kuala_Lumpur"),
]

PEOPLE = [
    # username, first, last, role, team, language
    ("admin", "Adrian", "Popa", Role.ADMIN, None, "en"),
    ("elena", "Elena", "Ionescu", Role.HEAD, "Bucharest", "ro"),
    ("gabor", "Gábor", "Kovács", Role.HEAD, "Budapest", "hu"),
    ("aziz", "Aziz", "Rahman", Role.HEAD, "Kuala Lumpur", "ms"),
    ("ana", "Ana", "Dumitru", Role.MANAGER, "Bucharest", "ro"),
    ("mihai", "Mihai", "Stan", Role.MANAGER, "Bucharest", "ro"),
    ("olga", "Ольга", "Морозова", Role.MANAGER, "Bucharest", "ru"),
    ("peter", "Péter", "Szabó", Role.MANAGER, "Budapest", "hu"),
    ("siti", "Siti", "Aminah", Role.MANAGER, "Kuala Lumpur", "ms"),
    ("zsofia", "Zsófia", "Balogh", Role.MANAGER, "Budapest", "hu"),
    ("farid", "Farid", "Hamzah", Role.MANAGER, "Kuala Lumpur", "ms"),
    ("maria", "Maria", "Constantin", Role.MARKETER, "Bucharest", "en"),
]


def load(context: dict[str, Any]) -> None:
    password = context["password"]
    teams = {
        name: services.team_create(
            by=None, name=name, default_country=country, time_zone=tz, check_permission=False
        )
        for name, country, tz in TEAMS
    }
    users = {}
    for username, first, last, role, team_name, language in PEOPLE:
        users[username] = services.user_create(
            by=None,
            username=username,
            password=password,
            role=role,
            team=teams[team_name] if team_name else None,
            first_name=first,
            last_name=last,
            email=f"{username}@northwind-trading.example",
            language=language,
            check_permission=False,
        )
    admin = users["admin"]
    for team_name, head in (("Bucharest", "elena"), ("Budapest", "gabor"), ("Kuala Lumpur", "aziz")):
        services.team_update(by=admin, team=teams[team_name], data={"head": users[head]})
    context["teams"] = teams
    context["users"] = users
