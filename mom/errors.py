"""Errors the MOM model raises: the kit's model errors (sipdect.axi.errors), whose codes are
the SIP-DECT response codes (axi.md §2.3), so MAXI turns each into its wire answer in one
place, as the OMM's AXI does; and the password rules' own codes."""

from __future__ import annotations

from sipdect.axi.errors import Denied, Exists, Forbidden, Invalid, ModelError, NoMemory, NotFound

__all__ = ["Denied", "Exists", "Forbidden", "Invalid", "ModelError", "NoMemory", "NotFound",
           "PasswordError"]


class PasswordError(ModelError):
    """A new password breaks a rule; `code` is the rule's EPw... code."""

    def __init__(self, code: str, info: str) -> None:
        super().__init__(info, "password")
        self.code = code
