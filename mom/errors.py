"""Errors the MOM model raises; codes are the SIP-DECT response codes (axi.md §2.3), so MAXI
turns each into its wire answer in one place, as the OMM's AXI does with its own."""

from __future__ import annotations


class ModelError(Exception):
    """A request the MOM's model refuses; `field` names the offending attribute."""

    code = "EFailed"

    def __init__(self, info: str, field: str | None = None) -> None:
        super().__init__(info)
        self.info = info
        self.field = field


class NotFound(ModelError):
    code = "ENoEnt"


class Exists(ModelError):
    code = "EExist"


class Invalid(ModelError):
    code = "EInval"


class Forbidden(ModelError):
    code = "EForbidden"


class NoMemory(ModelError):
    code = "ENoMem"


class Denied(ModelError):
    code = "EPerm"


class PasswordError(ModelError):
    """A new password breaks a rule; `code` is the rule's EPw... code."""

    def __init__(self, code: str, info: str) -> None:
        super().__init__(info, "password")
        self.code = code
