"""The OMM provisioning itself from configuration files (mom.md §5; docs/mom.md "Configuration
files"): where its files are (the ConfigURL setting, else the config's `config_url`), fetching
them, and applying each request through the OMM's own AXI handlers as the provisioning actor,
so a file obeys exactly the rules an AXI client does.

Errors: each failing element is one event-log line naming it and where it is, and health
component `axiProvisioningCommands` says the XSD reason until a file applies cleanly; the
rest of the file still applies. A file that cannot be fetched: `provisioningServer`.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from omm.access import PROVISIONING_ID
from omm.axi.dispatch import Ctx, dispatch
from omm.health import HealthState
from sipdect.axi.codec import Message
from sipdect.axi.dispatch import Answer
from sipdect.axi.provisioning import (
    FETCHED_PROTOCOLS,
    HEALTH_COMPONENT,
    HEALTH_REASON,
    MAX_FILE,
    ConfigUrl,
    ProvisioningFile,
    file_names,
    read,
)
from sipdect.axi.session import AxiServerSession

if TYPE_CHECKING:
    from omm.axi.api import AxiApi
    from omm.model import OmmModel

log = logging.getLogger("sipdect.omm.provisioning")

SERVER_COMPONENT: Final = "provisioningServer"
SERVER_REASON: Final = "Access to provisioning server failed"
"""[D] XSD ComponentType / ReasonType: a file that could not be fetched."""

ERROR_SEVERITY: Final = "Warning"
"""[I] A file with errors leaves the OMM running with the rest applied: Warning, not Error."""
SERVER_SEVERITY: Final = "Error"
"""[I] No file at all: the OMM runs without what it was to be given."""

FETCH_TIMEOUT_S: Final = 20.0
"""[I] How long one file may take to arrive."""

SOURCE: Final = "provisioning"
"""Who the requests come from, in the event log and logs (Ctx.peer)."""

URL_SETTING: Final = "ConfigURL"
"""The settings group of the URL set over AXI (SetConfigURL) or by a file; the password is
sealed (PASSWORD_FIELD)."""
PASSWORD_FIELD: Final = "passwordSealed"


class FetchError(Exception):
    """A file could not be fetched; the message says why."""


@dataclass
class Outcome:
    """What applying files did."""

    applied: int = 0
    """Requests answered without an error."""
    failed: list[str] = field(default_factory=list)
    """One line per failing element (as logged)."""
    unreachable: str = ""
    """Why the files could not be fetched ("" when they were)."""

    @property
    def ok(self) -> bool:
        return not self.failed and not self.unreachable


def url_in_force(model: OmmModel, fallback: str) -> ConfigUrl | None:
    """[D] SM6 p.243 priority: the URL in the OMM's database (SetConfigURL) before the one the
    machine was given (`config_url`, the emulator's stand-in for DHCP options 43/234)."""
    from omm.sysupdate import with_credentials

    stored = model.settings.get(URL_SETTING)
    url = stored_url(model) if stored.get("enable") and stored.get("protocol") else \
        ConfigUrl.parse(fallback) if fallback else None
    return with_credentials(model, url) if url is not None else None


def stored_url(model: OmmModel) -> ConfigUrl | None:
    """The URL of the ConfigURL setting, password unsealed; None when it names none."""
    stored = dict(model.settings.get(URL_SETTING))
    if not stored.get("protocol"):
        return None
    sealed = stored.pop(PASSWORD_FIELD, "")
    attrs = {k: str(v) for k, v in stored.items() if k != "enable"}
    attrs["password"] = model.vault.unseal_text(sealed, URL_SETTING.encode()) if sealed else ""
    try:
        return ConfigUrl.from_record(attrs)
    except ValueError:
        return None


def store_url(model: OmmModel, url: ConfigUrl | None, enable: bool) -> None:
    """Set the ConfigURL setting (None: no URL)."""
    if url is None:
        model.settings.update(URL_SETTING, {"enable": False, "protocol": "", "host": "",
                                            "port": 0, "path": "", "username": "",
                                            PASSWORD_FIELD: ""})
        return
    record = url.record()
    sealed = model.vault.seal_text(url.password, URL_SETTING.encode()) if url.password else ""
    current = stored_url(model)
    if current is not None and current.password == url.password:
        sealed = model.settings.get(URL_SETTING).get(PASSWORD_FIELD, "")  # not a change
    model.settings.update(URL_SETTING, {
        "enable": enable, "protocol": record["protocol"], "host": record["host"],
        "port": int(record["port"]), "path": record["path"], "username": record["username"],
        PASSWORD_FIELD: sealed})


def _context() -> Ctx:
    """An opened session of the provisioning actor; it is attached to no link, so nothing is
    ever sent on it."""
    session = AxiServerSession(0.0)
    session.opened(PROVISIONING_ID, False)
    return Ctx(session, SOURCE)


def apply_file(api: AxiApi, name: str, parsed: ProvisioningFile, outcome: Outcome) -> None:
    """Apply every request of one file through the OMM's AXI handlers, in order; log each
    fault and failing request."""
    ctx = _context()
    failed: list[tuple[int, str]] = [
        (f.position.index, f"{name}: {f}") for f in parsed.faults]
    for item in parsed.requests:
        answer = dispatch(api, ctx, item.request)
        error = _error_of(item.request, answer)
        if error:
            failed.append((item.position.index,
                           f"{name}: <{item.request.name}> at {item.position}: {error}"))
        else:
            outcome.applied += 1
    for _, line in sorted(failed, key=lambda f: f[0]):
        outcome.failed.append(line)
        api.model.log("MajorErr", "PROV", line)


def _error_of(request: Message, answer: Answer) -> str:
    if not isinstance(answer, Message):  # a password to check, an OMM to wait for
        return f"{request.name} is no provisioning request"
    code = answer.attrs.get("errCode")
    if not code:
        return ""
    detail = answer.attrs.get("info") or answer.attrs.get("bad") or ""
    return f"{code}" + (f" ({detail})" if detail else "")


def report(model: OmmModel, outcome: Outcome, where: str) -> None:
    """Health and event log after a provisioning run."""
    if outcome.unreachable:
        model.health.set(SERVER_COMPONENT, HealthState(SERVER_SEVERITY, SERVER_REASON,
                                                       outcome.unreachable))
        model.log("MajorErr", "PROV", f"provisioning from {where} failed: {outcome.unreachable}")
        return
    model.health.set(SERVER_COMPONENT, HealthState("OK"))
    if outcome.failed:
        model.health.set(HEALTH_COMPONENT, HealthState(
            ERROR_SEVERITY, HEALTH_REASON, f"{len(outcome.failed)} error(s) in files from "
                                           f"{where}"))
    else:
        model.health.set(HEALTH_COMPONENT, HealthState("OK"))
    model.log("GenInfo", "PROV", f"provisioned from {where}: {outcome.applied} request(s) "
                                 f"applied, {len(outcome.failed)} error(s)")


async def provision(api: AxiApi, url: ConfigUrl, mac: str | None = None, *,
                    source: str | None = None) -> Outcome:
    """Fetch the OMM's files from `url` (ipdect.cfg, then <mac>.cfg when it has a MAC) and
    apply them; health and event log say how it went. Never raises for a bad file or server.
    `source`: the OMM's address, which a download leaves from."""
    outcome = Outcome()
    names = file_names(mac)
    files: list[tuple[str, bytes]] = []
    for i, name in enumerate(names):
        try:
            data = await fetch(url, name, source=source)
        except FetchError as exc:
            if i == 0:  # the common file must be there; the OMM's own is optional [I]
                outcome.unreachable = f"{url.file_location(name)}: {exc}"
                break
            continue
        files.append((name, data))
    if not outcome.unreachable:
        for name, data in files:
            apply_file(api, name, read(data), outcome)
        api.deliver()
    report(api.model, outcome, url.text())
    return outcome


async def fetch(url: ConfigUrl, name: str, *, source: str | None = None) -> bytes:
    """One file of the URL's directory; FetchError says why it could not be had."""
    where = url.file_location(name)
    if url.protocol not in FETCHED_PROTOCOLS:
        raise FetchError(f"protocol {url.protocol.upper()} is not supported by the emulator "
                         f"(use {', '.join(p.upper() for p in FETCHED_PROTOCOLS)})")
    if url.protocol == "file":
        try:
            return await asyncio.to_thread(_read_local, Path(where), MAX_FILE)
        except OSError as exc:
            raise FetchError(exc.strerror or str(exc)) from None
    import aiohttp

    headers = {}
    if url.username:
        pair = f"{url.username}:{url.password}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
    tls: Any = None
    if url.protocol == "https" and not url.validate_certificates:
        tls = ssl.create_default_context()
        tls.check_hostname = False
        tls.verify_mode = ssl.CERT_NONE
    try:
        timeout = aiohttp.ClientTimeout(total=FETCH_TIMEOUT_S)
        connector = aiohttp.TCPConnector(local_addr=(source, 0)) if source else None
        async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session, \
                session.get(where, headers=headers, ssl=tls if tls is not None else True) as answer:
            if answer.status != 200:
                raise FetchError(f"HTTP {answer.status} {answer.reason or ''}".rstrip())
            data = await answer.content.read(MAX_FILE + 1)
            return bytes(data)
    except (TimeoutError, aiohttp.ClientError, ssl.SSLError, OSError) as exc:
        raise FetchError(str(exc) or type(exc).__name__) from None


def _read_local(path: Path, limit: int) -> bytes:
    with path.open("rb") as f:
        return f.read(limit + 1)
