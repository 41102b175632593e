"""What a system's machines do, as a trainer watches a fault unfold (`sipdect ctl watch`,
GET /_emu/watch, GET /_emu/events): the snapshots the event bus (sipdect.app.events) is fed
where no component pushes its changes (an RFP's link and sync, positions on a walk, SIP
registrations, a standby pair's roles), and how an event reads on one line.

`snapshot(system)` reads a running system, whichever process its hosts run in; `follow`
polls it while someone listens to the bus.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sipdect import clock
from sipdect.app.events import EventBus

POLL_S = 0.25
"""How often the system is read while someone listens."""
IDLE_S = 60.0
"""Polling stops when nobody listens and no watch request came for this long."""


def snapshot(system: Any) -> dict[str, str]:
    """What a trainer watches, by subject: each host's state ("host NAME"), each RFP's link,
    the OMM it is up to (a standby pair's RFPs move) and sync (its host name), each
    handset's RFP ("handset IPEI") and where it is ("handset IPEI position", also on a walk).
    """
    out: dict[str, str] = {}
    for host in system.hosts.values():
        out[f"host {host.name}"] = str(host.state)
    for air_id in list(system.site.rfps):
        rfp = system.describe_rfp(air_id)
        linked = "connected" + (f" to {rfp['omm_address']}" if rfp.get("omm_address") else "")
        out[str(rfp["host"])] = (linked if rfp["linked"] else "link lost") + (
            ", synced" if rfp["syncState"] == "Synced" else "")
    world = system.site.world
    if world is not None:
        # From the handsets themselves: describe_handset would describe their RFP again.
        for entry in list(world.handsets.values()):
            handset = entry.handset
            where = handset_where(system, handset)
            out[f"handset {handset.ipei}"] = where
            portable = world.air.handsets.get(entry.id)
            if portable is not None:  # whole metres: a walk shows about one a second
                walking = ", walking" if entry.id in world.walks else ""
                out[f"handset {handset.ipei} position"] = (
                    f"({portable.x:.0f}, {portable.y:.0f}) m{walking}")
    return out


async def omm_states(system: Any) -> dict[str, str]:
    """Each OMM of a standby pair by its name: its role and ommStbState, asked of its child
    process when it runs in one; "down" while it does not run."""
    out: dict[str, str] = {}
    for host in system.hosts.values():
        if host.kind != "omm" or getattr(host.cfg, "standby", None) is None:
            continue
        if not host.running:
            out[host.name] = "down"
            continue
        info = await system.describe_host(host.name)
        if "role" in info:
            out[host.name] = f"{info['role']} (standby state {info['ommStbState']})"
    return out


def registrations(system: Any) -> dict[str, str]:
    """Each configured user's SIP registration at the system's own call server, with the host
    it registered from (the active OMM)."""
    pbx = system.local_pbx_host()
    if pbx is None:
        return {}
    bound: dict[str, str] = {}
    for entry in pbx.service.describe()["registrations"]:
        parts = str(entry.get("source", "")).split(":")  # transport:host:port (IPv4)
        source = parts[1] if len(parts) == 3 else ":".join(parts)
        bound[str(entry["user"])] = system.host_name_of(source)
    return {f"user {u.number}": (f"registered from {bound[u.number]}" if u.number in bound
                                 else "not registered") for u in system.cfg.users}


def handset_where(system: Any, handset: Any) -> str:
    """Searching, at an RFP (its location registration under way), or attached there."""
    sub = handset.subscription
    rfp = system.site.rfps.get(handset.rfp_id) if handset.rfp_id is not None else None
    if rfp is None or sub is None or sub.tpui is None:
        return "searching"
    location = handset.location.value  # locked; attached once its location registered
    return (f"attached at {rfp.name}" if location == "registered"
            else f"at {rfp.name}, location {location}")


def kind_of(system: Any, subject: str) -> str:
    """The event kind of a snapshot's subject."""
    first = subject.split(" ", 1)[0]
    if first in ("host", "handset"):
        return first
    if first == "user":
        return "registration"
    return "omm" if subject in system.hosts and system.hosts[subject].kind == "omm" else "rfp"


async def read(system: Any) -> dict[str, str]:
    """Everything polled, by subject."""
    states = snapshot(system)
    states.update(registrations(system))
    states.update(await omm_states(system))
    return states


async def follow(system: Any, bus: EventBus, wanted: Any) -> None:
    """Feed the bus snapshots of the system every POLL_S while `wanted()` holds."""
    loop = asyncio.get_running_loop()
    while wanted():
        bus.observe(await read(system), loop.time(), lambda s: kind_of(system, s))
        await asyncio.sleep(clock.current().virtual(POLL_S))  # real: not busier at speed


def line(event: dict[str, Any]) -> str:
    """One event of GET /_emu/watch (Event.as_watch) as `sipdect ctl watch` prints it: time
    since the fault, then what."""
    since = event.get("since_fault")
    when = "        " if since is None else f"{since:+7.2f}s"
    return f"{when}  {'FAULT ' if event.get('fault') else ''}{event['text']}"
