"""AXI error responses (../shared/specs/axi.md §2.3, schema ResponseCodeType).

A request handler raises AxiError at the one place that detects the problem;
the session edge turns it into `<NameResp seq errCode info bad maxLen/>`.
"""

from __future__ import annotations

RESPONSE_CODES: tuple[str, ...] = (
    "EAreaFull", "EAuth", "EDectRegDomainInvalid", "EEncryptNotAllowed", "EExist", "EFailed",
    "EForbidden", "EInProgress", "EInval", "EInvalidChars", "ELicense", "ELicenseFile",
    "ELicenseWrongInstallId", "EMissing", "ENoEnt", "ENoMem", "EPerm", "EPwEmpty",
    "EPwUnchanged", "EPwSimilarToHost", "EPwSimilarToName", "EPwTooManySimilarChars",
    "EPwTooShort", "EPwTooSimilar", "EPwTooWeak", "ETooLong", "EWlanRegDomainInvalid",
)


class AxiError(Exception):
    """A request failed with one of the schema's response codes."""

    def __init__(self, code: str, info: str | None = None, *, bad: str | None = None,
                 max_len: int | None = None) -> None:
        assert code in RESPONSE_CODES, code
        super().__init__(f"{code}: {info or bad or ''}")
        self.code = code
        self.info = info
        self.bad = bad
        self.max_len = max_len

    def attrs(self) -> dict[str, str]:
        """The error attributes in the order a real OMM writes them."""
        out = {"errCode": self.code}
        if self.info:
            out["info"] = self.info
        if self.bad:
            out["bad"] = self.bad
        if self.max_len is not None:
            out["maxLen"] = str(self.max_len)
        return out


def missing(attr: str) -> AxiError:
    return AxiError("EMissing", f"mandatory field '{attr}' is missing", bad=attr)


def invalid(attr: str, value: str, why: str = "invalid value") -> AxiError:
    shown = value if len(value) <= 40 else value[:37] + "..."
    return AxiError("EInval", f"{why}: {attr}='{shown}'", bad=attr)


def too_long(attr: str, max_len: int) -> AxiError:
    return AxiError("ETooLong", f"'{attr}' is longer than {max_len} characters", bad=attr,
                    max_len=max_len)


def no_entry(what: str) -> AxiError:
    return AxiError("ENoEnt", f"no {what} found")


# -- what a model behind an AXI-style interface refuses (the OMM's, the MOM's) -----------------

class ModelError(Exception):
    """A request a model refuses; `code` is its SIP-DECT response code (axi.md §2.3), which
    the interface answers with; `field` names the offending attribute."""

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
