"""Protocol errors of dect.security, under the library's `dect.errors.DectError`.

The edge turns them into the wire's answer, e.g. REJECT-REASON (spec section 4.1).
"""

from __future__ import annotations

from dect.errors import DectError


class SecurityError(DectError):
    """Base class of the protocol errors raised by `dect.security`.

    Invalid arguments (wrong sizes, a PIN that is not 1-8 digits) raise
    `dect.errors.DectValueError` instead, like the rest of the library.
    """


class AuthenticationFailed(SecurityError):
    """The peer's RES does not match the expected one (wrong key, PIN or replay)."""


class ProtocolStateError(SecurityError):
    """A flow object was fed a message it cannot accept in its current state."""


class UnknownCipherKey(SecurityError):
    """No cipher key is stored under the requested number or DefCK index."""
