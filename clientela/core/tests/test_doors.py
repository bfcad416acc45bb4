"""Every door of Clientela and who may pass it: each URL pattern of `clientela.urls` and each
operation of the API's OpenAPI document is listed once in `DOORS` (doors.py) with the roles that
may pass it, or why it is public, or why the sweep leaves it alone.

* `test_every_door_is_in_the_inventory` and `test_the_inventory_names_only_doors_that_exist`
  fail when a pattern or an operation is added or removed without saying who may pass it.
* `test_door` requests each door, in a world of two teams, as nobody, as each role of the North
  team with the North record (owned by the North manager), and as each non-admin of the North
  with the South record: a role the inventory lets pass must not be refused, any other must be
  (403 or 404), nobody of the North may reach a South record, and no answer to someone of the
  North shows a South record's text (`SOUTH_MARK`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from clientela.core.roles import Role
from clientela.core.tests.doors import DOORS, OPERATION_PREFIX, Door
from clientela.core.tests.doors_world import SOUTH_MARK, make_records, make_world

ROLES = (Role.ADMIN, Role.HEAD, Role.MANAGER, Role.MARKETER)
ANSWERED = {401, 403, 404}


# --- what the project offers ---------------------------------------------------------------------


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace or ""
            full = f"{namespace}:{inner}" if namespace and inner else (inner or namespace)
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), full)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else (pattern.name or "")
            yield name or prefix + str(pattern.pattern), prefix + str(pattern.pattern)


def url_patterns() -> dict[str, str]:
    """Every URL pattern of the project's URLconf by name (the API's and Django admin's
    included; the tests' own URLconf adds routers first, so it is loaded before)."""
    get_resolver().url_patterns  # noqa: B018
    return dict(_walk(get_resolver("clientela.urls").url_patterns))


def api_operations() -> dict[str, dict[str, Any]]:
    """Every operation of the OpenAPI document: "METHOD /api/v1/path" → the operation (the toy
    router that only the tests add is not the product's)."""
    from clientela.core.api import api

    get_resolver().url_patterns  # noqa: B018
    document = api.get_openapi_schema(path_prefix="/api/v1/")
    operations: dict[str, dict[str, Any]] = {}
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            if operation.get("operationId", "").startswith("clientela_core_tests_"):
                continue
            operations[f"{method.upper()} {path}"] = {**operation, "components": document["components"]}
    return operations


def test_every_door_is_in_the_inventory():
    patterns = url_patterns()
    operations = api_operations()
    missing = [
        name for name, route in patterns.items() if not _api_or_admin(name, route) and name not in DOORS
    ]
    missing += [key for key in operations if key not in DOORS]
    # Every URL pattern of the API is one of the document's operations (none hides from it).
    api_paths = {re.sub(r"\{\w+\}", "{}", key.split(" ", 1)[1]) for key in operations}
    missing += [
        name
        for name, route in patterns.items()
        if name.startswith("api:")
        and name not in DOORS
        and name not in _test_only_api_names()
        and "/" + re.sub(r"<(?:\w+:)?\w+>", "{}", route) not in api_paths
    ]
    assert not missing, f"doors nobody said who may pass (add them to core/tests/doors.py): {missing}"


def _test_only_api_names() -> set[str]:
    """URL names of the operations only the tests' URLconf adds (the toy router)."""
    from clientela.core.api import api

    return {
        f"api:{operation.view_func.__name__}"
        for _prefix, router in api._routers
        for path_view in router.path_operations.values()
        for operation in path_view.operations
        if operation.view_func.__module__.startswith("clientela.core.tests")
    }


def _api_or_admin(name: str, route: str) -> bool:
    """The API's patterns are checked as operations; Django's admin keeps its own rule."""
    return name.startswith(("api:", "admin:")) or route.startswith("django-admin/")


def test_the_inventory_names_only_doors_that_exist():
    known = set(url_patterns()) | set(api_operations())
    assert sorted(set(DOORS) - known) == []


def test_django_admin_is_for_staff_only(client, db):
    """The Django admin (`admin:*`, not in the inventory) keeps its own rule: staff only."""
    assert client.get("/django-admin/").status_code == 302


# --- the sweep -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def doors_world(django_db_setup, django_db_blocker):
    """The world is made once for the module inside a transaction that is rolled back at the end;
    each test runs in a savepoint of it, so what a door changes is undone after its test."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            from clientela.comms.template_defaults import ensure_default_templates
            from clientela.deals.defaults import ensure_defaults
            from clientela.leads.policy import ensure_default_refusal_reasons

            ensure_default_refusal_reasons()
            ensure_default_templates()
            ensure_defaults()
            world = make_world()
            records = make_records(world)
            tokens = {role: _token(world.by_role(role)) for role in ROLES}
            yield world, records, tokens
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _token(user: Any) -> dict[str, str]:
    from clientela.users import services

    _row, raw = services.token_create(user=user)
    return {"Authorization": f"Bearer {raw}"}


PARAM_KINDS = {
    "lead_id": "lead",
    "interest_id": "interest",
    "form_key": "form_key",
    "key": "form_key",
    "form_id": "intake_form",
    "import_id": "import_job",
    "client_id": "client",
    "contact_id": "contact",
    "deal_id": "deal",
    "line_id": "line",
    "payment_id": "payment",
    "document_id": "document",
    "version_id": "version",
    "activity_id": "activity",
    "task_id": "task",
    "template_id": "message_template",
    "notification_id": "notification",
    "clock_id": "clock",
    "thread_id": "thread",
    "message_id": "message",
    "attachment_id": "attachment",
    "team_id": "team",
    "alert_id": "leak_alert",
    "pipeline_id": "pipeline",
    "stage_id": "stage",
    "product_id": "product",
    "item_id": "price_item",
    "survey_id": "survey",
    "factor_id": "satisfaction_factor",
    "greeting_id": "greeting",
    "greeting_holiday_id": "greeting_holiday",
    "benefit_id": "client_benefit",
    "reason_id": "loyalty_reason",
    "kind_id": "benefit_kind",
    "reason_code": "churn_reason_code",
    "spend_id": "campaign_spend",
    "marketing_plan_id": "marketing_plan",
}
# Parameters that are not records: the activity panel's kind, and tokens no one has (a door
# answering a wrong token is what a public door must do safely).
FIXED_PARAMS = {"kind": "lead", "token": "not-a-token", "uidb64": "MQ", "report": "activities"}


def _value(record: Any) -> Any:
    return getattr(record, "pk", record)


def _params(door_key: str, route: str, door: Door, records: dict[str, tuple[Any, Any]], side: int):
    """The path parameters of `route` for the North (side 0) or South (side 1) records, or None
    when a record it needs has no South one."""
    values: dict[str, Any] = {}
    for name in re.findall(r"<(?:\w+:)?(\w+)>|\{(\w+)\}", route):
        name = name[0] or name[1]
        if name in FIXED_PARAMS:
            values[name] = FIXED_PARAMS[name]
            continue
        kind = door.record if name == "pk" else PARAM_KINDS.get(name, "")
        assert kind, f"{door_key}: say which record fills <{name}> (Door(record=…))"
        record = records[kind][side]
        if record is None:
            return None
        values[name] = _value(record)
    return values


def _body(operation: dict[str, Any]) -> tuple[str, Any] | None:
    """A request body the operation's schema accepts (its required fields with plain values)."""
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        return "application/json", _sample(content["application/json"]["schema"], operation["components"])
    if "multipart/form-data" in content:
        return "multipart/form-data", {}
    if content:
        return next(iter(content)), ""
    return None


def _sample(schema: dict[str, Any], components: dict[str, Any]) -> Any:
    if "$ref" in schema:
        return _sample(components["schemas"][schema["$ref"].rsplit("/", 1)[1]], components)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"]
            return _sample(options[0], components) if options else None
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        required = schema.get("required", [])
        return {
            name: _sample(prop, components)
            for name, prop in schema.get("properties", {}).items()
            if name in required
        }
    if kind == "array":
        return []
    if kind == "integer" or kind == "number":
        return 1
    if kind == "boolean":
        return False
    fmt = schema.get("format", "")
    return {"date": "2030-01-02", "date-time": "2030-01-02T10:00:00Z", "email": "a@example.com"}.get(fmt, "x")


METHODS: dict[str, str] = {}


def _request(
    client: Client, door_key: str, params: dict[str, Any], headers: dict[str, str], data: dict[str, Any]
) -> Any:
    """One request through the door, rolled back afterwards (a door one role passes, such as a
    removal, stays there for the next role)."""
    with transaction.atomic():
        response = _send(client, door_key, params, headers, data)
        transaction.set_rollback(True)
    return response


def _send(
    client: Client, door_key: str, params: dict[str, Any], headers: dict[str, str], data: dict[str, Any]
):
    if door_key.startswith(OPERATION_PREFIX):
        method, path = door_key.split(" ", 1)
        for name, value in params.items():
            path = path.replace("{" + name + "}", str(value))
        body = _body(OPERATIONS[door_key])
        kwargs: dict[str, Any] = {"headers": headers}
        if body is not None:
            content_type, sample = body
            if content_type == "multipart/form-data":
                kwargs["data"] = data or sample
            else:
                kwargs.update(
                    data={**sample, **data} if isinstance(sample, dict) else sample, content_type=content_type
                )
        return getattr(client, method.lower())(path, **kwargs)
    url = reverse(door_key, kwargs=params or None)
    method = METHODS.get(door_key, "post" if data else "get")
    response = getattr(client, method)(url, data)
    if response.status_code == 405 and method == "get":
        METHODS[door_key] = "post"
        response = client.post(url, data)
    return response


def _login_redirect(response: Any) -> bool:
    return response.status_code == 302 and response["Location"].startswith(resolve_url(settings.LOGIN_URL))


def _passed(response: Any) -> bool:
    return response.status_code not in ANSWERED and not _login_redirect(response)


def _refused(response: Any, door: Door) -> bool:
    return response.status_code in door.refused_as


OPERATIONS = api_operations()
ROUTES = {**url_patterns(), **{key: key.split(" ", 1)[1] for key in OPERATIONS}}


@pytest.mark.parametrize("door_key", sorted(key for key, door in DOORS.items() if not door.skip))
def test_door(door_key, doors_world, db, settings):
    world, records, tokens = doors_world
    door = DOORS[door_key]
    route = ROUTES[door_key]
    is_api = door_key.startswith(OPERATION_PREFIX)
    north = _params(door_key, route, door, records, 0)
    assert north is not None
    cache.clear()  # throttles count per test, not across the sweep
    settings.INBOUND_EMAIL_SECRET = "door-secret"  # the inbound door is open only with a secret
    problems: list[str] = []

    data = {
        name: _value(records[value[1:]][0]) if str(value).startswith("@") else value
        for name, value in door.data.items()
    }
    anonymous = _request(Client(), door_key, north, {}, data)
    if door.public:
        if anonymous.status_code >= 500:
            problems.append(f"nobody: {anonymous.status_code} on a public door")
    elif not (anonymous.status_code == 401 if is_api else _login_redirect(anonymous)):
        problems.append(f"nobody: {anonymous.status_code}, not sent to sign in")

    def as_role(role: str, params: dict[str, Any]) -> Any:
        client = Client()
        client.force_login(world.by_role(role))
        response = _request(client, door_key, params, tokens[role] if is_api else {}, data)
        if response.status_code >= 500:
            problems.append(f"{role}: {response.status_code}")
        if role != Role.ADMIN and SOUTH_MARK.encode() in _content(response):
            problems.append(f"{role}: shows a South record")
        return response

    for role in ROLES:
        response = as_role(role, north)
        if door.public:
            continue
        allowed = role in door.roles
        if allowed and not _passed(response):
            problems.append(f"{role}: refused ({response.status_code}) but may pass")
        if not allowed and not _refused(response, door):
            problems.append(f"{role}: {response.status_code} but must be refused")

    south = _params(door_key, route, door, records, 1) if door.record or _needs_record(route) else None
    if south is not None and not door.public:
        for role in (Role.HEAD, Role.MANAGER, Role.MARKETER):
            response = as_role(role, south)
            if not _refused(response, door):
                problems.append(f"{role}: {response.status_code} on the South team's record")
    assert not problems, problems


def _needs_record(route: str) -> bool:
    names = [a or b for a, b in re.findall(r"<(?:\w+:)?(\w+)>|\{(\w+)\}", route)]
    return any(name not in FIXED_PARAMS for name in names)


def _content(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b""
    return bytes(response.content)


@pytest.mark.parametrize("door_key", ["leads:list", "clients:list", "deals:list", "GET /api/v1/tasks"])
def test_the_south_mark_shows_where_the_south_is_visible(door_key, doors_world, db):
    """The leak check above means something: the admin, who sees the South, finds its mark."""
    world, _records, tokens = doors_world
    client = Client()
    client.force_login(world.admin)
    headers = tokens[Role.ADMIN] if door_key.startswith(OPERATION_PREFIX) else {}
    assert SOUTH_MARK.encode() in _content(_request(client, door_key, {}, headers, {}))
