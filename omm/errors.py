"""Errors the OMM model raises; codes are the SIP-DECT response codes (axi.md §2.3)."""

from __future__ import annotations


class ModelError(Exception):
    """A request the model refuses; `field` names the offending attribute."""

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
