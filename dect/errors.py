"""Errors the dect library raises on purpose, one type per kind of fault.

DectValueError: an identity or element was built from invalid values (caller's fault).
DectDecodeError: bytes from the air or the OMM-RFP link do not form a valid structure.
"""

from __future__ import annotations


class DectError(Exception):
    """Base of every error the dect library raises on purpose."""


class DectValueError(DectError, ValueError):
    """An identity, element or message was given a value outside its coding.

    The message names the field, e.g. "IPEI check digit: expected 3, got 4".
    """


class DectDecodeError(DectError, ValueError):
    """Bytes do not decode; the only exception a decoder lets escape for any input."""
