"""Forms of the OMM's settings pages, apart from HTTP: what a form shows and how its posted
values become the attributes of an AXI request (issue 14 item 2).

A form is built from the AXI request's own attribute list (omm.axi.handlers.settings.GROUPS,
sipdect.axi.records), so its limits are AXI's; it only turns what a browser posts into AXI
text (a checkbox that is absent means false). Validation is the AXI handler's, through
omm.web.axi.WebAxi; its error answer is shown next to the field it names (`bad`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from omm.web.axi import plain
from sipdect.axi.codec import Message
from sipdect.axi.errors import AxiError
from sipdect.axi.records import Field, RecordSpec

SECRET_KINDS = frozenset({"password"})
"""Input kinds whose value is never rendered back (write-only: issue 14, no secret shown)."""


@dataclass(frozen=True)
class FormField:
    """One input of a form, named as the AXI attribute it sets."""

    name: str
    """The AXI attribute (and the form input's name)."""
    label: str
    """What the page calls it."""
    kind: str = "text"
    """text | textarea | number | bool | select | password | readonly."""
    choices: tuple[str, ...] = ()
    """The values of a select."""
    help: str = ""
    """One line under the input."""
    low: int | None = None
    high: int | None = None
    max_len: int | None = None

    @property
    def secret(self) -> bool:
        return self.kind in SECRET_KINDS


def from_axi(f: Field, label: str, help: str = "") -> FormField:
    """A form input for an AXI attribute, of its type and with its limits."""
    kind = {"int": "number", "bool": "bool", "enum": "select"}.get(f.kind, "text")
    if f.secret:
        kind = "password"
    return FormField(f.name, label, kind, f.values or (), help, f.low, f.high, f.max_len)


def fields_of(spec: RecordSpec, labels: Mapping[str, str],
              help: Mapping[str, str] | None = None) -> tuple[FormField, ...]:
    """Inputs for the named attributes of an AXI record type, in `labels`' order."""
    return tuple(from_axi(spec.by_name[name], label, (help or {}).get(name, ""))
                 for name, label in labels.items())


def to_attrs(fields: Iterable[FormField], posted: Mapping[str, str]) -> dict[str, str]:
    """The AXI attributes a posted form sets: checkboxes as 1/0 (a browser posts nothing for
    an unchecked one), text as typed but trimmed, a secret only when one was typed (an empty
    write-only field keeps what is stored), read-only inputs never."""
    attrs: dict[str, str] = {}
    for f in fields:
        if f.kind == "readonly":
            continue
        if f.kind == "bool":
            attrs[f.name] = "1" if posted.get(f.name) in ("1", "on", "true") else "0"
        elif f.secret:
            if posted.get(f.name):
                attrs[f.name] = str(posted[f.name])
        elif f.name in posted:
            attrs[f.name] = str(posted[f.name]).strip()
    return attrs


def wire_bool(text: str | None) -> bool:
    """An AXI boolean attribute (true/false or 1/0) as a bool."""
    return (text or "").strip().lower() in ("1", "true")


@dataclass
class FormState:
    """A form as a page shows it: its values, and what went wrong, by input."""

    fields: tuple[FormField, ...]
    values: dict[str, Any] = field(default_factory=dict)
    """By input name: str for text/number/select, bool for a checkbox; no secret ever."""
    errors: dict[str, str] = field(default_factory=dict)
    """By input name ("" for the form as a whole): a readable sentence."""
    typed_secrets: tuple[str, ...] = field(default=(), repr=False)
    """The secrets the browser sent (never rendered): an error text that echoes one has it
    blotted out."""

    @classmethod
    def read(cls, fields: tuple[FormField, ...], answer: Message | Mapping[str, str]
             ) -> FormState:
        """The form filled from an AXI answer (or a record's attributes)."""
        attrs = answer.attrs if isinstance(answer, Message) else answer
        values: dict[str, Any] = {}
        for f in fields:
            if f.secret:
                continue
            text = attrs.get(f.name, "")
            values[f.name] = wire_bool(text) if f.kind == "bool" else text
        return cls(fields, values)

    @classmethod
    def posted(cls, fields: tuple[FormField, ...], posted: Mapping[str, str]) -> FormState:
        """The form as the browser sent it (to show again with the errors), secrets left out."""
        values: dict[str, Any] = {}
        for f in fields:
            if f.secret:
                continue
            if f.kind == "bool":
                values[f.name] = posted.get(f.name) in ("1", "on", "true")
            else:
                values[f.name] = str(posted.get(f.name, "")).strip()
        secrets = tuple(str(posted[f.name]) for f in fields if f.secret and posted.get(f.name))
        return cls(fields, values, typed_secrets=secrets)

    def fail(self, err: AxiError) -> FormState:
        """Show an AXI error answer: next to the input it names, else above the form."""
        names = {f.name for f in self.fields}
        text = plain(err)
        for secret in self.typed_secrets:
            text = text.replace(secret, "…")
        self.errors[err.bad if err.bad is not None and err.bad in names else ""] = text
        return self

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class Section:
    """One form of a settings page: the values one AXI Get/Set pair reads and writes."""

    key: str
    """The settings group (AXI name without Get/Set); the form's id."""
    title: str
    fields: tuple[FormField, ...]
    note: str = ""
    """A line under the title."""

    @property
    def get(self) -> str:
        return f"Get{self.key}"

    @property
    def set(self) -> str:
        return f"Set{self.key}"
