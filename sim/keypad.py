"""The keys of a virtual handset and the text form a control API presses them with.

"123{CALL}" presses 1, 2, 3 and the call (off-hook) key; a named key is written in braces.
Digits, * and # are the DECT keypad characters that go into MULTI-KEYPAD (EN 300 175-5 §7.7.27).
"""

from __future__ import annotations

from enum import Enum

DIAL_KEYS = frozenset("0123456789*#")


class Key(Enum):
    """The handset's function keys."""

    OK = "OK"
    """Confirm: start what was typed (subscription AC), answer a message with its first choice."""
    CALL = "CALL"
    """Off-hook / send: dial what was typed en bloc, go off-hook with nothing typed (then digits
    go by overlap, ended by '#' or a pause), or answer a ringing call."""
    END = "END"
    """On-hook: end a call, reject a ringing one, close a message, cancel an entry."""
    CLEAR = "CLEAR"
    """Delete the last typed character."""


class KeypadError(ValueError):
    """A key string names a key the handset does not have."""


def parse_keys(text: str) -> list[str | Key]:
    """Dial characters as themselves, named keys as Key, in pressing order."""
    out: list[str | Key] = []
    pos = 0
    while pos < len(text):
        char = text[pos]
        if char == "{":
            end = text.find("}", pos)
            if end < 0:
                raise KeypadError(f"unclosed key name in {text!r} at {pos}")
            name = text[pos + 1 : end].upper()
            try:
                out.append(Key(name))
            except ValueError:
                names = ", ".join(k.value for k in Key)
                raise KeypadError(f"no key {name!r}; the named keys are {names}") from None
            pos = end + 1
            continue
        if char not in DIAL_KEYS:
            raise KeypadError(f"{char!r} is not a keypad character (0-9, *, #, or {{NAME}})")
        out.append(char)
        pos += 1
    return out
