"""What the site system tests share: waiting for AXI events out of order, the control API as a
user drives it, waiting for a handset's call state or tone, and RSA-encrypted AXI secrets
(axi.md §2.4, README "Control API").

Nothing here asserts on time: states are waited for with sipdect.waiting.until and events
with EventWatch, both with the suite's one generous deadline (DEFAULT_TIMEOUT).
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from typing import Any, Protocol

import aiohttp
import rsa

from dect.identities import Ipei
from sipdect.app.ready import TOKEN_HEADER
from sipdect.axi.client import AxiClient
from sipdect.axi.codec import Message
from sipdect.waiting import DEFAULT_TIMEOUT, scaled, until


def ipei(psn: int, emc: int = 0x0BEE) -> str:
    """A valid IPEI in the OMM's form; distinct PSNs give distinct arbitrary PMIDs."""
    return Ipei(emc, psn).omm_form()


def encrypt(open_response: Message, text: str) -> str:
    """A PIN or SIP password as real AXI clients send it: RSA with the OMM's public key."""
    key = open_response.child("publicKey") or open_response
    pub = rsa.PublicKey(int(key.attrs["modulus"], 16), int(key.attrs["exponent"], 16))
    return base64.b64encode(rsa.encrypt(text.encode(), pub)).decode()


class EventWatch:
    """Every event one AXI client receives, kept in order so a test can wait for any of them."""

    def __init__(self, client: AxiClient) -> None:
        self.client = client
        self.seen: list[Message] = []

    def _drain(self) -> None:
        while not self.client.events.empty():
            self.seen.append(self.client.events.get_nowait())

    def mark(self) -> int:
        """A position to wait from: events before it are ignored by wait(since=...)."""
        self._drain()
        return len(self.seen)

    def all(self, name: str, where: Callable[[Message], bool] = lambda e: True) -> list[Message]:
        self._drain()
        return [e for e in self.seen if e.name == name and where(e)]

    async def wait(self, name: str, where: Callable[[Message], bool] = lambda e: True, *,
                   since: int = 0, timeout: float = DEFAULT_TIMEOUT) -> Message:
        """The first event called `name` at or after `since` for which `where` holds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + scaled(timeout)
        index = since
        while True:
            self._drain()
            for event in self.seen[index:]:
                if event.name == name and where(event):
                    return event
            index = len(self.seen)
            left = deadline - loop.time()
            if left <= 0:
                names = [e.name for e in self.seen[since:]][-20:]
                raise AssertionError(f"no {name} came within {timeout:g} s; got {names}")
            try:
                event = await asyncio.wait_for(self.client.events.get(), left)
            except TimeoutError:
                continue
            self.seen.append(event)


def record(event: Message, child: str) -> dict[str, str]:
    """The attributes of a Cnf event's record child (pp, user, rfp), or {} when it has none."""
    rec = event.child(child)
    return dict(rec.attrs) if rec is not None else {}


CALL_TIMEOUT_S = 120.0
"""Seconds one control API request of a test may take before it fails."""


class Control:
    """The supervisor's control API (JSON over HTTP under /_emu/) as a user calls it: with the
    token of that run (ready file, or `system.control.token` in-process), JSON requests."""

    def __init__(self, host: str, port: int, token: str) -> None:
        self.base = f"http://{host}:{port}/_emu"
        self.headers = {TOKEN_HEADER: token, "Content-Type": "application/json"}
        self.http: aiohttp.ClientSession | None = None

    @classmethod
    def of(cls, system: Any) -> Control:
        """The control API of an in-process System (e.g. `emu.system`)."""
        return cls(system.control.host, system.control.port, system.control.token)

    async def __aenter__(self) -> Control:
        # No request of a test may hang: the longest (a walk with wait) takes about a minute.
        self.http = aiohttp.ClientSession(headers=self.headers,
                                          timeout=aiohttp.ClientTimeout(total=CALL_TIMEOUT_S))
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.http is not None:
            await self.http.close()

    async def call(self, method: str, path: str, body: dict[str, Any] | None = None,
                   expect: int | tuple[int, ...] = (200, 201)) -> Any:
        assert self.http is not None, "use `async with Control(...)`"
        async with self.http.request(method, self.base + path, json=body) as response:
            data = await response.json()
            wanted = (expect,) if isinstance(expect, int) else expect
            assert response.status in wanted, f"{method} {path}: {response.status} {data}"
            return data

    async def handsets(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self.call("GET", "/handsets")
        return result

    async def handset(self, ref: str | int) -> dict[str, Any]:
        result: dict[str, Any] = await self.call("GET", f"/handsets/{ref}")
        return result

    async def add_handset(self, ipei: str, x: float, y: float, **more: Any) -> dict[str, Any]:
        result: dict[str, Any] = await self.call("POST", "/handsets",
                                                 {"ipei": ipei, "x": x, "y": y, **more})
        return result

    async def remove_handset(self, ref: str | int) -> None:
        await self.call("DELETE", f"/handsets/{ref}")

    async def move(self, ref: str | int, x: float, y: float) -> dict[str, Any]:
        result: dict[str, Any] = await self.call("POST", f"/handsets/{ref}/move",
                                                 {"x": x, "y": y})
        return result

    async def walk(self, ref: str | int, x: float, y: float, speed: float,
                   wait: bool = True) -> dict[str, Any]:
        result: dict[str, Any] = await self.call(
            "POST", f"/handsets/{ref}/walk", {"x": x, "y": y, "speed": speed, "wait": wait})
        return result

    async def press(self, ref: str | int, keys: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.call("POST", f"/handsets/{ref}/keys", {"keys": keys})
        return result

    async def subscribe(self, ref: str | int, ac: str | None = None) -> dict[str, Any]:
        body = {} if ac is None else {"ac": ac}
        result: dict[str, Any] = await self.call("POST", f"/handsets/{ref}/subscribe", body)
        return result

    async def display(self, ref: str | int) -> dict[str, Any]:
        result: dict[str, Any] = await self.call("GET", f"/handsets/{ref}/display")
        return result

    async def rfps(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self.call("GET", "/rfps")
        return result

    async def add_rfp(self, mac: str, x: float, y: float, **more: Any) -> dict[str, Any]:
        result: dict[str, Any] = await self.call("POST", "/rfps", {"mac": mac, "x": x, "y": y,
                                                                   **more})
        return result

    async def remove_rfp(self, rfp_id: int) -> None:
        await self.call("DELETE", f"/rfps/{rfp_id}")

    async def power_rfp(self, rfp_id: int, on: bool) -> dict[str, Any]:
        result: dict[str, Any] = await self.call("POST", f"/rfps/{rfp_id}/power", {"on": on})
        return result

    async def dial(self, ref: str | int, number: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.call("POST", f"/handsets/{ref}/call",
                                                 {"number": number})
        return result

    async def answer(self, ref: str | int) -> dict[str, Any]:
        result: dict[str, Any] = await self.call("POST", f"/handsets/{ref}/answer")
        return result

    async def hang_up(self, ref: str | int) -> dict[str, Any]:
        result: dict[str, Any] = await self.call("POST", f"/handsets/{ref}/hangup")
        return result

    async def hears(self, ref: str | int, tone: float, seconds: float = 0.5) -> bool:
        """Whether the handset's earpiece played `tone` in the latest `seconds`."""
        report = await self.call("GET", f"/handsets/{ref}/hears?tone={tone}&seconds={seconds}")
        return bool(report["present"])

    async def call_state(self, ref: str | int) -> str:
        return str((await self.handset(ref))["call_state"])

    async def pbx(self) -> dict[str, Any]:
        result: dict[str, Any] = await self.call("GET", "/pbx")
        return result

    async def hosts(self) -> dict[str, dict[str, Any]]:
        """Every host by name (GET /_emu/hosts)."""
        return {h["name"]: h for h in await self.call("GET", "/hosts")}

    async def host(self, name: str, action: str) -> dict[str, Any]:
        """stop, start or kill a host; its state afterwards."""
        result: dict[str, Any] = await self.call("POST", f"/hosts/{name}/{action}", {})
        return result

    async def link(self, action: str, a: str, b: str) -> dict[str, Any]:
        """cut or heal the link between hosts a and b."""
        result: dict[str, Any] = await self.call("POST", f"/links/{action}", {"a": a, "b": b})
        return result


class CallSite(Protocol):
    """What the call tests' sites have: the control API and the handset ids by number."""

    @property
    def control(self) -> Control: ...

    @property
    def ids(self) -> dict[str, int]: ...


async def until_state(site: CallSite, number: str, state: str) -> None:
    """Wait until the handset of `number` shows this call state (idle, incoming, ...)."""
    async def probe() -> bool:
        return await site.control.call_state(site.ids[number]) == state
    await until(probe, f"{number} to be {state}")


async def connect(site: CallSite, caller: str, callee: str) -> None:
    """`caller` dials `callee`, who answers; both are connected."""
    await until_state(site, caller, "idle")
    await until_state(site, callee, "idle")
    await site.control.dial(site.ids[caller], callee)
    await until_state(site, callee, "incoming")
    await site.control.answer(site.ids[callee])
    await until_state(site, caller, "connected")
    await until_state(site, callee, "connected")


async def hang_up(site: CallSite, number: str, other: str) -> None:
    """`number` hangs up; both are idle again."""
    await site.control.hang_up(site.ids[number])
    await until_state(site, number, "idle")
    await until_state(site, other, "idle")


async def until_hears(site: CallSite, number: str, tone: float, what: str) -> None:
    """Wait until the earpiece of `number`'s handset plays `tone`."""
    async def probe() -> bool:
        return await site.control.hears(site.ids[number], tone)
    await until(probe, what)


def call_site_config(name: str, handsets: dict[str, tuple[str, float, float]],
                     passwords: dict[str, str], rfps: list[tuple[str, float, float]], *,
                     extra: str = "", ac: str = "31415") -> str:
    """A site for call tests: one OMM (Configured subscription with `ac`), the RFPs (MAC, x,
    y; the first the sync reference), `extra` TOML sections ([pbx], BasicSIP, ...) and per
    number a DECT user with its SIP password bound to its handset (IPEI, x, y)."""
    parts = [f"""
[system]
name = "{name}"

[[omm]]
name = "OMM"

[[omm.accounts]]
username = "omm"
password = "Sipdect-Omm-2026"

[omm.settings.DECTSubscriptionMode]
mode = "Configured"

[omm.settings.DECTAuthCode]
ac = "{ac}"
{extra}"""]
    for i, (mac, x, y) in enumerate(rfps):
        parts.append(f'\n[[rfp]]\nmac = "{mac}"\nx = {x}\ny = {y}\n'
                     f"preferred_sync = {str(i == 0).lower()}\n")
    for number, (handset, x, y) in handsets.items():
        parts.append(f"""
[[user]]
number = "{number}"
name = "User {number}"
sip_password = "{passwords[number]}"
handset = "{handset}"

[[handset]]
ipei = "{handset}"
x = {x}
y = {y}
""")
    return "".join(parts)
