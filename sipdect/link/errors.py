"""Errors the OMM-RFP link library raises on purpose, one type per kind of fault (omm-rfp.md).

Peer bytes that do not decode raise LinkProtocolError (LinkIntegrityError for a bad check
value); values a caller gives that a layout cannot carry raise LinkValueError.
"""

from __future__ import annotations


class LinkError(Exception):
    """Base of every error the link library raises on purpose."""


class LinkProtocolError(LinkError, ValueError):
    """Bytes do not decode; the only exception a decoder lets escape for any input."""


class LinkIntegrityError(LinkProtocolError):
    """The bytes decode but a signature, CRC or check hash does not match."""


class LinkValueError(LinkError, ValueError):
    """A field was given a value outside its coding; the message names the field."""


class LinkStateError(LinkError, RuntimeError):
    """E.g. send() before the link is up."""
