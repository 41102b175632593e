"""Attribute matching: does what was seen show what a scenario expects (docs/scenarios.md
"Matching")?

Pure. What is seen is a dict (a handset's or an RFP's state, a registration) or an AXI
message turned into one (as_dict: attributes, then each child element under its name).
Expected values compare as the docs say:

- text: equal as text ("1" equals 1); "~part" means "contains part"; "!text" means "anything
  but text"; ">N", ">=N", "<N", "<=N" compare a number (e.g. expires = ">1800")
- a number: numerically equal (a text that reads as the number counts)
- true / false: the seen value is true/false, or "1"/"0", "true"/"false", "yes"/"no", "on"/"off"
- a table: a child element (or nested dict) of which each key matches in turn
- a list seen (lines of a display, several children): any element matches
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sipdect.axi.codec import Message

TRUE_TEXTS = frozenset({"1", "true", "yes", "on"})
FALSE_TEXTS = frozenset({"0", "false", "no", "off"})
CONTAINS = "~"
NOT = "!"
COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    ">=": lambda a, b: a >= b, "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b, "<": lambda a, b: a < b}
"""Prefixes of a numeric comparison, longest first."""


def as_dict(message: Message) -> dict[str, Any]:
    """An AXI message as matchable data: its attributes, each child under its element name
    (a list when there are several), its text under "text"."""
    out: dict[str, Any] = dict(message.attrs)
    for child in message.children:
        value = as_dict(child)
        if child.name in out:
            previous = out[child.name]
            out[child.name] = [*previous, value] if isinstance(previous, list) else [previous,
                                                                                      value]
        else:
            out[child.name] = value
    if message.text is not None:
        out["text"] = message.text
    return out


def value_matches(expected: Any, seen: Any) -> bool:
    """Whether one seen value is what was expected (the module docstring's rules)."""
    if isinstance(seen, list | tuple):
        return any(value_matches(expected, s) for s in seen)
    if isinstance(expected, Mapping):
        return isinstance(seen, Mapping) and not mismatches(expected, seen)
    if seen is None:
        return isinstance(expected, str) and expected.startswith(NOT)
    if isinstance(expected, bool):
        if isinstance(seen, bool):
            return seen is expected
        text = str(seen).strip().lower()
        return text in (TRUE_TEXTS if expected else FALSE_TEXTS)
    if isinstance(expected, int | float):
        if isinstance(seen, bool):
            return False
        try:
            return float(seen) == float(expected)
        except (TypeError, ValueError):
            return False
    text = str(expected)
    seen_text = _text(seen)
    for prefix, compare in COMPARISONS.items():
        if text.startswith(prefix):
            try:
                return compare(float(seen), float(text[len(prefix):]))
            except (TypeError, ValueError):
                return False
    if text.startswith(CONTAINS):
        return text[1:] in seen_text
    if text.startswith(NOT):
        return seen_text != text[1:]
    return seen_text == text


def _text(seen: Any) -> str:
    if isinstance(seen, bool):
        return "true" if seen else "false"
    if isinstance(seen, float) and seen.is_integer():
        return str(int(seen))
    return str(seen)


def mismatches(expected: Mapping[str, Any], seen: Mapping[str, Any]) -> list[str]:
    """Each expected attribute that `seen` does not show, as "key: expected X, seen Y"."""
    out = []
    for key, want in expected.items():
        if key not in seen:
            if isinstance(want, str) and want.startswith(NOT):
                continue
            out.append(f"{key}: expected {want!r}, absent")
        elif not value_matches(want, seen[key]):
            out.append(f"{key}: expected {want!r}, seen {seen[key]!r}")
    return out


def matches(expected: Mapping[str, Any], seen: Mapping[str, Any]) -> bool:
    return not mismatches(expected, seen)
