"""Reading an OMM's settings for the audit over AXI, and nothing but reading.

The audit's client is a ReadOnlyAxi: it holds the kit's AxiClient privately and sends only
the requests of READ_ONLY_REQUESTS (login, keep-alive and the Get... requests the checklist
reads); any other name raises WriteRefused before a byte leaves, so no code path of the
audit can change an OMM, whatever account it logs in with.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable, Mapping
from typing import Any

from sipdect.app.audit.checklist import ITEMS, LOGIN, TLS_PROBE, Unreadable
from sipdect.axi.client import AxiClient
from sipdect.axi.codec import Message
from sipdect.axi.conventions import MAX_RECORDS

PSEUDO_READINGS = frozenset({LOGIN, TLS_PROBE})

PAGED: dict[str, tuple[str, str]] = {
    "GetAccount": ("id", "account"),
    "GetPPDev": ("ppn", "pp"),
    "GetPPUser": ("uid", "user"),
    "GetSite": ("id", "site"),
    "GetXMLApplication": ("id", "XMLApplication"),
    "GetLDAP": ("id", "ldap"),
}
"""Record lists: request -> (key attribute, record element), read 20 at a time (axi.md §3.1)."""

MAX_PAGES = 1000
"""A paged read stops after this many pages, whatever the OMM answers (an OMM holds at most
a few thousand records of a kind: 20 000 is far beyond)."""

CHECKLIST_READS: tuple[str, ...] = tuple(dict.fromkeys(
    r for item in ITEMS for r in item.reads if r not in PSEUDO_READINGS))
"""Every AXI request the checklist reads, in the checklist's order."""

READ_ONLY_REQUESTS = frozenset({"Open", "Ping", *CHECKLIST_READS})
"""All the audit may ever send."""


class WriteRefused(Exception):
    """The audit tried to send a request outside READ_ONLY_REQUESTS: a bug, never sent."""


class ReadOnlyAxi:
    """An AXI session that can only read: login, Ping and the checklist's Get... requests."""

    def __init__(self, client: AxiClient) -> None:
        self._client = client

    @classmethod
    async def connect(cls, host: str, port: int, tls: ssl.SSLContext) -> ReadOnlyAxi:
        return cls(await AxiClient.connect(host, port, tls=tls, server_hostname=host))

    async def request(self, name: str, attrs: Mapping[str, Any] | None = None, *,
                      timeout: float) -> Message:
        """Send one request of the allow-list and return its answer (errCode included)."""
        if name not in READ_ONLY_REQUESTS:
            raise WriteRefused(f"the audit sends only reads; {name} is not one of them")
        return await self._client.request(name, attrs, check=False, timeout=timeout)

    async def login(self, username: str, password: str, *, timeout: float) -> Message:
        return await self.request("Open", {"username": username, "password": password},
                                  timeout=timeout)

    async def close(self) -> None:
        await self._client.close()


def _values(msg: Message) -> dict[str, Any]:
    """An element's attributes, its child elements as nested mappings (e.g. `url`)."""
    out: dict[str, Any] = dict(msg.attrs)
    for child in msg.children:
        out.setdefault(child.name, dict(child.attrs))
    return out


def _why(resp: Message) -> str:
    a = resp.attrs
    code = a.get("errCode", "")
    text = f"{code} {a.get('info', '')}".strip()
    if code == "EPerm":
        return f"not permitted for this account ({text})"
    return f"not answered by this OMM ({text})"


async def read_one(axi: ReadOnlyAxi, name: str, timeout: float) -> dict[str, Any] | Unreadable:
    resp = await axi.request(name, timeout=timeout)
    if "errCode" in resp.attrs:
        return Unreadable(_why(resp))
    values = _values(resp)
    for k in ("seq",):
        values.pop(k, None)
    return values


async def read_paged(axi: ReadOnlyAxi, name: str,
                     timeout: float) -> list[dict[str, Any]] | Unreadable:
    key, element = PAGED[name]
    out: list[dict[str, Any]] = []
    start = 0
    for _ in range(MAX_PAGES):
        resp = await axi.request(name, {key: start, "maxRecords": MAX_RECORDS}, timeout=timeout)
        if resp.attrs.get("errCode") == "ENoEnt":
            break
        if "errCode" in resp.attrs:
            return Unreadable(_why(resp))
        page = [_values(c) for c in resp.children_named(element)]
        out.extend(page)
        keys = [int(r[key]) for r in page if str(r.get(key, "")).isdigit()]
        if len(page) < MAX_RECORDS or not keys or max(keys) < start:
            break
        start = max(keys) + 1
    return out


async def gather(axi: ReadOnlyAxi, reads: Iterable[str] = CHECKLIST_READS, *,
                 timeout: float) -> dict[str, Any]:
    """What each request returned: Values, a list of records, or Unreadable."""
    settings: dict[str, Any] = {}
    for name in reads:
        try:
            if name in PAGED:
                settings[name] = await read_paged(axi, name, timeout)
            else:
                settings[name] = await read_one(axi, name, timeout)
        except TimeoutError:
            settings[name] = Unreadable(f"no answer within {timeout:g} s")
    return settings
