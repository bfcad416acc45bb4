"""Texts the system stores for people — timeline lines, why a lead went to someone, the titles of
the tasks it creates — are kept as a message code and its parameters, never as finished text, so
each reader sees them in their own language whenever they are shown.

An app defines its codes once (`define("leads.created", gettext_lazy("Lead created from
%(source)s"))`, in its `texts.py`, imported by its `AppConfig.ready()`), writes
`Message("leads.created", source=Label("lead_source", "web_form", "Web form"))` where it used to
write the sentence, and the model keeps `message.as_json()` in a JSON column beside the plain text
column (which gets the site language's wording, for search, exports and as the fallback). Shown:
`render(stored, fallback)` — in the active language, i.e. the reader's.

Parameters are plain values (a person's name, a number), or themselves translatable:
  - `Label(kind, code, text)`: a built-in name (a lead source, a pipeline, a stage) shown through
    the labels an app registers for `kind` (`define_labels`); `text` when the code is not known
    (a name an admin typed);
  - a nested `Message`;
  - `Join(items, sep)`: several of those joined.
An unknown code, or a template whose parameters do not fit, shows the stored fallback text.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.conf import settings
from django.utils import translation

MESSAGES: dict[str, Any] = {}
LABELS: dict[str, Callable[[], Mapping[str, Any]]] = {}


def define(code: str, template: Any) -> str:
    """Register `code` for a lazily translated `template` with named `%(…)s` parameters."""
    MESSAGES[code] = template
    return code


SENTENCES = define("core.sentences", "%(items)s")


def sentences(*parts: Any) -> Message:
    """Several sentences (messages, or a person's words) one after another."""
    return Message(SENTENCES, items=Join([p for p in parts if p], " "))


def define_labels(kind: str, labels: Mapping[str, Any] | Callable[[], Mapping[str, Any]]) -> None:
    """Register the translated names of built-in records of `kind` (code → lazy label)."""
    LABELS[kind] = labels if callable(labels) else (lambda: labels)


class Label:
    """A built-in record's name, shown translated when its code is known."""

    def __init__(self, kind: str, code: str, text: Any = "") -> None:
        self.kind, self.code, self.text = kind, str(code or ""), str(text or code or "")

    def as_json(self) -> dict[str, Any]:
        return {"label": self.kind, "code": self.code, "text": self.text}

    def __str__(self) -> str:
        return render_param(self.as_json())


class Join:
    """Several parameters shown one after another, `sep` between them."""

    def __init__(self, items: Iterable[Any], sep: str = ", ") -> None:
        self.items, self.sep = list(items), sep

    def as_json(self) -> dict[str, Any]:
        return {"join": [encode(item) for item in self.items], "sep": self.sep}

    def __str__(self) -> str:
        return render_param(self.as_json())


class Message:
    """A text for people: a registered code and its named parameters."""

    def __init__(self, code: str, **params: Any) -> None:
        if code not in MESSAGES:
            raise KeyError(f"unknown message code {code!r}")
        self.code, self.params = code, params

    @classmethod
    def from_json(cls, stored: Any) -> Message | None:
        """The stored message again (to copy it onto another record); None when there is none."""
        if not isinstance(stored, dict) or stored.get("code") not in MESSAGES:
            return None
        return cls(stored["code"], **(stored.get("params") or {}))

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "params": {k: encode(v) for k, v in self.params.items()}}

    def __str__(self) -> str:
        return render(self.as_json())

    def __repr__(self) -> str:
        return f"Message({self.code!r}, {self.params!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Message) and self.as_json() == other.as_json()

    def __hash__(self) -> int:
        return hash(self.code)

    def fallback(self, limit: int | None = None) -> str:
        """The wording in the site's language, for the plain text column."""
        with translation.override(settings.LANGUAGE_CODE):
            text = str(self)
        return text[:limit] if limit else text


def encode(value: Any) -> Any:
    """A parameter as stored: JSON for the translatable kinds, text or a number otherwise."""
    if isinstance(value, Message):
        return {"msg": value.as_json()}
    if isinstance(value, Label | Join):
        return value.as_json()
    if isinstance(value, dict):  # already stored
        return value
    if isinstance(value, bool) or value is None:
        return str(value) if value is not None else ""
    if isinstance(value, int | float):
        return value
    return str(value)


def render_param(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    if "msg" in value:
        return render(value["msg"])
    if "label" in value:
        getter = LABELS.get(str(value["label"]))
        label = getter().get(value.get("code", "")) if getter is not None and value.get("code") else None
        return str(label) if label is not None else str(value.get("text", ""))
    if "join" in value:
        return str(value.get("sep", ", ")).join(str(render_param(v)) for v in value["join"])
    return ""


def render(stored: Any, fallback: Any = "") -> str:
    """The stored message in the active language; `fallback` when there is none (a text a
    person typed) or it cannot be shown (a code no longer defined)."""
    if isinstance(stored, Message):
        stored = stored.as_json()
    if not isinstance(stored, dict) or stored.get("code") not in MESSAGES:
        return str(fallback or "")
    params = stored.get("params") or {}
    try:
        return str(MESSAGES[stored["code"]]) % {k: render_param(v) for k, v in params.items()}
    except (KeyError, TypeError, ValueError):
        return str(fallback or "")


CELL_PREFIX = '{"code": '


def as_cell(value: Any) -> Any:
    """A report cell: a message as its JSON (rendered for the reader by `render_cell`), else as is."""
    return json.dumps(value.as_json(), ensure_ascii=False) if isinstance(value, Message) else value


def render_cell(cell: str) -> str:
    """A report cell in the reader's language (a cell `as_cell` wrote for a message)."""
    if not cell.startswith(CELL_PREFIX):
        return cell
    try:
        return render(json.loads(cell), cell)
    except ValueError:
        return cell


def stored(text: Any, limit: int | None = None) -> tuple[str, dict[str, Any] | None]:
    """What a writer keeps for `text`: `(plain text, message JSON or None)`. A `Message` keeps its
    code and parameters with its site-language wording; anything else is kept as typed."""
    if isinstance(text, Message):
        return text.fallback(limit), text.as_json()
    plain = str(text or "")
    return (plain[:limit] if limit else plain), None


# --- Recognising texts stored before codes existed (data migrations) -----------------------------


@functools.lru_cache(maxsize=2048)
def _pattern(template: str) -> re.Pattern[str]:
    """`template` as a regular expression: each `%(name)s` a named group of any text."""
    parts = re.split(r"%\((\w+)\)[sd]", template.replace("%%", "\x00"))
    regex, seen = "", set()
    for index, part in enumerate(parts):
        if index % 2 == 0:
            regex += re.escape(part).replace("\x00", "%")
        elif part in seen:
            regex += f"(?P={part})"
        else:
            seen.add(part)
            regex += f"(?P<{part}>.+?)"
    return re.compile(regex + r"\Z", re.DOTALL)


def recognise(
    text: str,
    codes: Iterable[str],
    *,
    labels: Mapping[str, Mapping[str, str]] | None = None,
    nested: Mapping[str, Callable[[str], Any]] | None = None,
) -> Message | None:
    """The message (one of `codes`) a finished `text` was written from, in any of the site's
    languages, or None when it is not one of them (a person's words stay as typed).
    `labels[code][param]` names the label kind a parameter is (its text mapped back to the
    built-in code in the language it was written in); `nested[param]` reads a parameter that is
    itself a message (returning None keeps it as text)."""
    text = (text or "").strip()
    if not text:
        return None
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for code in codes:
                match = _pattern(str(MESSAGES[code])).match(text)
                if match is None:
                    continue
                params: dict[str, Any] = {}
                for name, value in match.groupdict().items():
                    kind = (labels or {}).get(code, {}).get(name)
                    if kind is not None and kind in LABELS:
                        by_text = {str(label): key for key, label in LABELS[kind]().items()}
                        params[name] = Label(kind, by_text.get(value, ""), value)
                        continue
                    reader = (nested or {}).get(name)
                    inner = reader(value) if reader is not None else None
                    params[name] = inner if inner is not None else value
                return Message(code, **params)
    return None


def recognise_sentences(text: str, read: Callable[[str], Message | None]) -> Message | None:
    """`text` as one message `read` recognises, or as several sentences it recognises each."""
    whole = read(text)
    if whole is not None:
        return whole
    for cut in (m.end() for m in re.finditer(r"[.!?…] ", text)):
        first = read(text[: cut - 1])
        if first is None:
            continue
        rest = recognise_sentences(text[cut:], read)
        if rest is not None:
            return sentences(first, *(rest.params["items"].items if rest.code == SENTENCES else [rest]))
    return None
