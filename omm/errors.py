"""Errors the OMM model raises: the kit's model errors (sipdect.axi.errors), whose codes are
the SIP-DECT response codes (axi.md §2.3)."""

from __future__ import annotations

from sipdect.axi.errors import Denied, Exists, Forbidden, Invalid, ModelError, NoMemory, NotFound

__all__ = ["Denied", "Exists", "Forbidden", "Invalid", "ModelError", "NoMemory", "NotFound"]
