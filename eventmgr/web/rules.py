"""The rules page's form, apart from HTTP (docs/eventmgr.md "Inputs and rules"): a Rule as
the form's values, and the form's values back to a Rule checked by the same validation as a
TOML rule (eventmgr.rules.Rule, eventmgr.config.unknown_groups), each error next to the input
it is about."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from eventmgr import conventions as c
from eventmgr.config import unknown_groups
from eventmgr.rules import Rule, RuleError

TEXT_FIELDS = ("name", "match", "priority", "text", "title")
CHECKBOXES = ("enabled", "popup", "trap", "espa_status", "status_delivered")
CHOICES = ("confirm", "accept")
"""Several of c.CONFIRMATIONS each (checkboxes)."""
GENERAL = ""
"""The key of an error about the rule as a whole."""

_BASE = Rule(name="base", steps=(("base",),))
"""A valid rule: each field is checked alone by putting it into this one."""

FormData = Mapping[str, str | Sequence[str]]
"""What a browser sent: a text per input, a list for the checkbox groups."""


def steps_text(steps: Sequence[Sequence[str]]) -> str:
    """One line per step, its users and groups separated by commas."""
    return "\n".join(", ".join(step) for step in steps)


def parse_steps(text: str) -> tuple[tuple[str, ...], ...]:
    """The steps of the form's text: a line per step, entries by blanks or commas; a
    `near:X,Y,RADIUS` entry keeps its own commas."""
    out = []
    for line in text.splitlines():
        entries: list[str] = []
        for word in line.split():
            if word.startswith(c.NEAR_PREFIX):
                entries.append(word.rstrip(","))
            else:
                entries += [e for e in word.split(",") if e]
        if entries:
            out.append(tuple(entries))
    return tuple(out)


def values_of(rule: Rule) -> dict[str, Any]:
    """The form's values for `rule` (what the inputs show)."""
    return {**{k: getattr(rule, k) for k in TEXT_FIELDS}, "source": rule.source,
            "steps": steps_text(rule.steps), "escalate_after": f"{rule.escalate_after:g}",
            "message_priority": rule.message_priority, "melody": rule.melody,
            **{k: getattr(rule, k) for k in CHECKBOXES},
            "confirm": list(rule.confirm), "accept": list(rule.accept)}


def new_values() -> dict[str, Any]:
    """The form of a new rule: the model's defaults, no name, no steps."""
    return {**values_of(_BASE), "name": "", "steps": ""}


@dataclass
class RuleForm:
    """A submitted form: the values as typed (shown again), the errors by input, and the rule
    when there is none."""

    values: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)
    rule: Rule | None = None


def _text(data: FormData, key: str) -> str:
    value = data.get(key, "")
    return value if isinstance(value, str) else (value[-1] if value else "")


def _list(data: FormData, key: str) -> list[str]:
    value = data.get(key, [])
    return [value] if isinstance(value, str) else list(value)


def _plain(exc: RuleError) -> str:
    """The model's sentence without its `rule 'x': ` prefix (the form says which rule)."""
    text = str(exc)
    if text.startswith("rule ") and ": " in text:
        text = text.split(": ", 1)[1]
    return text[:1].upper() + text[1:]


def parse(data: FormData, *, groups: Mapping[str, Sequence[str]],
          taken: Callable[[str], bool]) -> RuleForm:
    """The rule of a submitted form; `taken(name)`: another rule has that name already."""
    values: dict[str, Any] = {k: _text(data, k).strip() for k in TEXT_FIELDS}
    values["text"] = _text(data, "text") or "{text}"
    values["source"] = _text(data, "source")
    values["steps"] = _text(data, "steps")
    values["escalate_after"] = _text(data, "escalate_after").strip()
    values["message_priority"] = _text(data, "message_priority")
    values["melody"] = _text(data, "melody")
    for key in CHECKBOXES:
        values[key] = _text(data, key) in ("on", "true", "1", "yes")
    for key in CHOICES:
        values[key] = _list(data, key)
    form = RuleForm(values)

    fields: dict[str, Any] = {k: values[k] for k in (*TEXT_FIELDS, "source", "message_priority",
                                                      "melody", *CHECKBOXES)}
    fields["steps"] = parse_steps(values["steps"])
    fields["confirm"], fields["accept"] = tuple(values["confirm"]), tuple(values["accept"])
    try:
        fields["escalate_after"] = float(values["escalate_after"])
    except ValueError:
        form.errors["escalate_after"] = "Give the seconds as a number, e.g. 30."
    for key, value in fields.items():
        try:
            dataclasses.replace(_BASE, **{key: value})
        except RuleError as exc:
            form.errors.setdefault(key, _plain(exc))
    if "name" not in form.errors and taken(fields["name"]):
        form.errors["name"] = f"There is a rule {fields['name']!r} already."
    if "steps" not in form.errors:
        missing = unknown_groups(dataclasses.replace(_BASE, steps=fields["steps"]), groups)
        if missing:
            known = ", ".join(f"group:{g}" for g in groups) or "none"
            form.errors["steps"] = f"{missing[0]} names no group; known: {known}."
    if form.errors:
        return form
    try:
        form.rule = Rule(**fields)
    except RuleError as exc:
        form.errors[GENERAL] = _plain(exc)
    return form


def choices() -> dict[str, Sequence[str]]:
    """What the selects and checkbox groups offer (the model's own tables)."""
    return {"source": c.SOURCES, "message_priority": ("", *c.MESSAGE_PRIORITIES),
            "melody": ("", *c.MELODIES), "confirmations": c.CONFIRMATIONS}
