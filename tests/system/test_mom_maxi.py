"""MAXI in a running system: the MOM host listens for MAXI (TLS) beside its sync sessions, its
clients see the records the OMMs hold and the OMMs' sync state, a user created over MAXI with
a home OMM reaches that OMM, locating asks the OMM, and after a kill the MOM listens on the
same port again (docs/mom.md "MAXI")."""

from __future__ import annotations

from pathlib import Path

import pytest

from sipdect import tls
from sipdect.app.emulator import Emulator
from sipdect.axi.client import AxiClient
from sipdect.axi.codec import element
from sipdect.waiting import until
from tests.system.site_helpers import Control

pytestmark = pytest.mark.slow

PASSWORD = "Sipdect-Omm-2026"
MOM_PASSWORD = "Central-Dect-2026"
CONFIG = "".join(f"""
[[omm]]
name = "{name}"
[[omm.accounts]]
username = "omm"
password = "{PASSWORD}"
""" for name in ("A", "B")) + f"""
[mom]
name = "MOM"
omms = ["A", "B"]
[[mom.accounts]]
username = "mom"
password = "{MOM_PASSWORD}"
"""


async def test_maxi_serves_the_central_directory_of_a_running_system(tmp_path: Path) -> None:
    async with Emulator(CONFIG, tmp_path) as emu:
        system = emu.system
        assert system is not None
        mom = system.hosts["MOM"]
        a = system.omm_host("A")
        maxi = next(e for e in mom.endpoints() if e.protocol == "maxi")
        async with Control.of(system) as control, \
                await AxiClient.connect(maxi.host, maxi.port, tls=tls.client_context()) as mc:
            await mc.login("mom", MOM_PASSWORD)
            await mc.subscribe("MOMOMMCnf")

            async def synced() -> bool:
                r = await mc.request("GetOMM", {"name": "", "maxRecords": 20})
                return [o.attrs["state"] for o in r.children_named("omm")] == ["synced"] * 2

            await until(synced, "MAXI shows both OMMs synced")
            omm_a = (await mc.request("GetOMM", {"name": "A"})).children_named("omm")[0]
            async with await AxiClient.connect(a.address, a.port("axi")) as client:
                await client.login("omm", PASSWORD)
                await client.request("CreatePPUser", children=[element(
                    "user", {"num": "100", "name": "Alice"})])

                async def at_mom() -> bool:
                    r = await mc.request("GetPPUserByNumber", {"num": "100"}, check=False)
                    return "errCode" not in r.attrs

                await until(at_mom, "A's user seen over MAXI")
                await mc.request("CreatePPUser", children=[element(
                    "user", {"num": "200", "name": "Bob", "ommId": omm_a.attrs["ommId"]})])

                async def at_a() -> bool:
                    r = await client.request("GetPPUserByNumber", {"num": "200"}, check=False)
                    return "errCode" not in r.attrs

                await until(at_a, "the MAXI user at its home OMM A")
            bob = (await mc.request("GetPPUserByNumber", {"num": "200"})).children_named("user")
            located = await mc.request("GetPPLocation", {"uid": bob[0].attrs["uid"]},
                                       check=False)
            assert located.attrs["errCode"] == "ENoEnt"  # no device: at no OMM's radio

            await control.call("POST", "/hosts/MOM/kill")
            await until(lambda: mc.closed.is_set(), "the MAXI client notices the kill")
            await control.call("POST", "/hosts/MOM/start")
        again = next(e for e in mom.endpoints() if e.protocol == "maxi")
        assert again.port == maxi.port
        async with await AxiClient.connect(again.host, again.port,
                                           tls=tls.client_context()) as mc2:
            await mc2.login("mom", MOM_PASSWORD)
            users = await mc2.request("GetPPUser", {"uid": 0, "maxRecords": 20})
            assert sorted(u.attrs["num"] for u in users.children_named("user")) == ["100", "200"]
