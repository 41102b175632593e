"""The MOM as a host of a system (`[mom]`): started after the OMMs, its account on each OMM
provisioned by the supervisor (password kept 0600 in the data directory), /_emu/hosts shows
its sync state per OMM and its record counts, and host kill/start over the control API keeps
and resyncs its directory."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest

from sipdect.app.config import ConfigError, parse_config
from sipdect.app.emulator import Emulator
from sipdect.axi.client import AxiClient
from sipdect.axi.codec import element
from sipdect.waiting import until
from tests.system.site_helpers import Control

pytestmark = pytest.mark.slow

PASSWORD = "Sipdect-Omm-2026"
CONFIG = "".join(f"""
[[omm]]
name = "{name}"
[[omm.accounts]]
username = "omm"
password = "{PASSWORD}"
""" for name in ("A", "B")) + """
[mom]
name = "MOM"
omms = ["A", "B"]
"""


async def _mom(control: Control) -> dict[str, Any]:
    hosts = await control.call("GET", "/hosts")
    listed = hosts["hosts"] if isinstance(hosts, dict) else hosts
    found: dict[str, Any] = next(h for h in listed if h["name"] == "MOM")
    return found


async def _synced(control: Control) -> dict[str, Any] | None:
    mom = await _mom(control)
    states = [o["state"] for o in mom.get("omms", [])]
    return mom if states == ["synced", "synced"] else None


async def test_the_mom_host_syncs_its_omms_and_survives_a_kill(tmp_path: Path) -> None:
    async with Emulator(CONFIG, tmp_path) as emu:
        system = emu.system
        assert system is not None
        secret = tmp_path / "mom" / "MOM" / "A.account"
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600
        a = system.omm_host("A")
        async with Control.of(system) as control:
            mom = await until(lambda: _synced(control), "the MOM synced with A and B")
            assert mom["kind"] == "mom" and mom["users"] == 0
            async with await AxiClient.connect(a.address, a.port("axi")) as client:
                await client.login("omm", PASSWORD)
                await client.request("CreatePPUser", children=[element(
                    "user", {"num": "100", "name": "Alice"})])
            await until(lambda: _count(control, 1), "A's user at the MOM")

            await control.call("POST", "/hosts/MOM/kill")
            async with await AxiClient.connect(a.address, a.port("axi")) as client:
                await client.login("omm", PASSWORD)
                await client.request("CreatePPUser", children=[element(
                    "user", {"num": "101", "name": "Bob"})])
            await control.call("POST", "/hosts/MOM/start")
            await until(lambda: _synced(control), "the MOM synced again")
            await until(lambda: _count(control, 2), "the user made while it was down")


async def _count(control: Control, users: int) -> bool:
    return (await _mom(control)).get("users") == users


@pytest.mark.parametrize(("mom", "error"), [
    ('[mom]\nomms = ["C"]', "is no [[omm]] of this file"),
    ('[mom]\ntls_level = "Legacy"', "never goes below TLS 1.2"),
    ('[mom]\nomms = [{name = "A", username = "x"}]', "give both username and password"),
    ('[mom]\nfoo = 1', "unknown key"),
])
def test_config_mistakes_name_file_and_key(mom: str, error: str) -> None:
    text = '[[omm]]\nname = "A"\n' + mom
    with pytest.raises(ConfigError, match="mom.toml") as caught:
        parse_config(text, "mom.toml")
    assert error in str(caught.value)
