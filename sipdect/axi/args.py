"""Reading request attributes with the schema's error answers (EMissing, EInval, ETooLong)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sipdect.axi import conventions
from sipdect.axi.codec import Message
from sipdect.axi.errors import AxiError, invalid, missing, too_long
from sipdect.axi.provisioning import PLAIN_TEXT, REPLACE_DATA
from sipdect.axi.records import RecordSpec, parse_bool, parse_int


def opt_int(req: Message, name: str, default: int | None = None, *, low: int | None = None,
            high: int | None = None) -> int | None:
    text = req.attrs.get(name)
    if text is None or text == "":
        return default
    return parse_int(name, text, low, high)


def need_int(req: Message, name: str, *, low: int | None = None,
             high: int | None = None) -> int:
    value = opt_int(req, name, low=low, high=high)
    if value is None:
        raise missing(name)
    return value


def opt_bool(req: Message, name: str, default: bool | None = None) -> bool | None:
    text = req.attrs.get(name)
    return default if text is None else parse_bool(name, text)


def need_bool(req: Message, name: str) -> bool:
    value = opt_bool(req, name)
    if value is None:
        raise missing(name)
    return value


def plain_text(req: Message) -> bool:
    """`plainText="1"`: the request's passwords are in clear, not RSA-encrypted."""
    return bool(opt_bool(req, PLAIN_TEXT, False))


def replace_data(req: Message) -> bool:
    """`replaceData="1"` on a Create...: a record with the same key is overwritten."""
    return bool(opt_bool(req, REPLACE_DATA, False))


def need_str(req: Message, name: str, max_len: int | None = None) -> str:
    text = req.attrs.get(name)
    if text is None:
        raise missing(name)
    if max_len is not None and len(text) > max_len:
        raise too_long(name, max_len)
    return text


def need_enum(req: Message, name: str, values: tuple[str, ...]) -> str:
    text = need_str(req, name)
    if text not in values:
        raise invalid(name, text, "not one of " + "/".join(values))
    return text


def record_of(req: Message, spec: RecordSpec, *, required: bool = True) -> Message | None:
    """The record child (e.g. <user>); root attributes when a client sends them flat."""
    child = req.child(spec.element)
    if child is None:
        if required and not (set(req.attrs) - {"seq"}):
            raise missing(spec.element)
        if not required:
            return None
        return Message(spec.element, {k: v for k, v in req.attrs.items() if k != "seq"})
    return child


def max_records(req: Message) -> int:
    """maxRecords: absent or 0 means 'exactly this key'; capped at LimitsResp records."""
    n = opt_int(req, "maxRecords", 0, low=0)
    assert n is not None
    return min(n, conventions.MAX_RECORDS)


def paged(req: Message, key_attr: str, page: Callable[[int, int], list[dict[str, Any]]],
          what: str) -> list[dict[str, Any]]:
    """Records for a Get... request, or ENoEnt when there are none (axi.md §3.1)."""
    start = need_int(req, key_attr)
    n = max_records(req)
    if n == 0:
        recs = [r for r in page(start, 1) if r.get(key_attr) == start]
    else:
        recs = page(start, n)
    if not recs:
        raise AxiError("ENoEnt", f"no {what} with {key_attr} >= {start}" if n else
                       f"no {what} with {key_attr} {start}")
    return recs
