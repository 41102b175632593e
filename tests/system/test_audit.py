"""`sipdect audit` against whole emulated systems, as an installer runs it (README "sipdect
audit"): the default system shows the items its configuration leaves open, the hardened one
passes every item AXI can show, a read-only account created over AXI suffices, and the OMM
receives nothing but reads from it.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
import pytest_asyncio

from omm.axi.dispatch import ROUTES
from sipdect import tls
from sipdect.app.audit import AuditError, Target, run_audit
from sipdect.app.audit.checklist import Status
from sipdect.app.audit.cli import tls_context
from sipdect.app.audit.reader import READ_ONLY_REQUESTS
from sipdect.app.audit.report import Report
from sipdect.app.config import load_config
from sipdect.app.emulator import Emulator
from sipdect.axi.client import AxiClient
from sipdect.axi.codec import Message, element
from sipdect.axi.dispatch import WRITE
from sipdect.waiting import DEFAULT_TIMEOUT, scaled

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

ROOT = Path(__file__).resolve().parents[2]
READ_ONLY_USER, READ_ONLY_PASSWORD = "auditor", "Audit-Only-2026!"
HARDENED_ADMIN = ("omm", "Hardened-Omm-2026!")  # configs/hardened.toml


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def default_system(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Emulator]:
    async with Emulator(load_config(), tmp_path_factory.mktemp("default")) as emu:
        yield emu


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def hardened(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Emulator]:
    """The hardened system, with a read-only account its administrator created over AXI."""
    async with Emulator(load_config(ROOT / "configs" / "hardened.toml"),
                        tmp_path_factory.mktemp("hardened")) as emu:
        omm = emu.omm
        admin = await AxiClient.connect(omm.host, omm.tls_port, tls=True)
        try:
            await admin.login(*HARDENED_ADMIN)
            await admin.request("CreateAccount", children=[element(
                "account", {"username": READ_ONLY_USER, "password": READ_ONLY_PASSWORD},
                [Message("permission", text="AllCnfRead")])])
        finally:
            await admin.close()
        yield emu


def target(emu: Emulator, user: str, password: str, **more: Any) -> Target:
    omm = emu.omm
    return Target(omm.host, omm.tls_port, user, password, tls_context(None, insecure=True),
                  **more)


def outcomes(report: Report) -> dict[str, Status]:
    return {r.item.id: r.outcome.status for r in report.results}


def why(report: Report, item_id: str) -> str:
    return next(r.outcome.why for r in report.results if r.item.id == item_id)


def certificate(emu: Emulator) -> Path:
    """The OMM's own certificate (self-signed), as an installer exports it for --ca."""
    assert emu.system is not None
    return emu.system.host(emu.omm.name).data_dir / tls.TLS_SUBDIR / tls.CERT_FILE


async def sipdect_audit(*args: str) -> tuple[int, str, str]:
    """`sipdect audit ...` in a process of its own, without blocking the emulator's loop."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sipdect.app.cli", "audit", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), scaled(4 * DEFAULT_TIMEOUT))
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


# -- the default system ----------------------------------------------------------------------

async def test_the_default_system_shows_what_its_configuration_leaves_open(
        default_system: Emulator) -> None:
    report = await run_audit(target(default_system, "monitor", "Sipdect-Read-2026"))
    seen = outcomes(report)
    # Open in the default configuration: SIP over UDP, SRTP off, subscription unrestricted.
    assert seen["3.1"] is Status.FAIL and "UDP" in why(report, "3.1")
    assert seen["4.1"] is Status.FAIL and "site 1 (Disabled)" in why(report, "4.1")
    assert seen["2.4"] is Status.FAIL and "Configured" in why(report, "2.4")
    # Secure by default: capturing and remote access off, level High, DECT encryption.
    for item in ("1.2", "1.3", "1.4", "2.1", "2.6", "3.2", "3.3"):
        assert seen[item] is Status.PASS, (item, why(report, item))
    # A read-only account sees only its own account: the default login is never tried.
    assert seen["1.1"] is Status.CANNOT_TELL
    assert report.exit_status() == 1
    assert report.probe is not None
    assert report.probe["versions"] == {"TLS 1.0": False, "TLS 1.1": False, "TLS 1.2": True,
                                        "TLS 1.3": True}


async def test_the_command_writes_text_json_and_junit_and_exits_1(
        default_system: Emulator, tmp_path: Path) -> None:
    omm = default_system.omm
    secret = tmp_path / "pw"
    secret.write_text("Sipdect-Read-2026\n", "utf-8")
    junit = tmp_path / "audit.xml"
    where = f"{omm.host}:{omm.tls_port}"
    status, out, err = await sipdect_audit(
        "--omm", where, "--user", "monitor", "--password-file", str(secret),
        "--ca", str(certificate(default_system)), "--junit", str(junit))
    assert status == 1, err
    assert "[FAIL] 3.1 SIP transport protocol TLS or Persistent TLS" in out
    assert "OMP->System->SIP->Transport protocol" in out
    assert out.rstrip().splitlines()[-1].startswith("Summary: ")
    suite = ET.parse(junit).getroot()
    cases = {c.get("name", "").split()[0]: c for c in suite.iter("testcase")}
    assert cases["3.1"].find("failure") is not None
    assert cases["2.5"].find("skipped") is not None
    assert cases["1.2"].find("failure") is None and cases["1.2"].find("skipped") is None
    status, out, _ = await sipdect_audit(
        "--omm", where, "--user", "monitor", "--password-file", str(secret), "--insecure",
        "--json", "--no-probe")
    data = json.loads(out)
    items = {i["id"]: i for i in data["items"]}
    assert status == 1 and items["4.1"]["status"] == "fail"
    assert items["4.1"]["omp"] == "OMP->Sites->SRTP"
    assert items["1.4"]["status"] == "cannot-tell"  # not probed


async def test_no_connection_or_login_exits_2_saying_what_to_do(
        default_system: Emulator, tmp_path: Path) -> None:
    omm = default_system.omm
    secret = tmp_path / "pw"
    secret.write_text("not-the-password\n", "utf-8")
    where = f"{omm.host}:{omm.tls_port}"
    status, _, err = await sipdect_audit("--omm", where, "--user", "monitor",
                                         "--password-file", str(secret), "--insecure")
    assert status == 2 and "login as monitor" in err and "EAuth" in err
    status, _, err = await sipdect_audit("--omm", where, "--user", "monitor",
                                         "--password-file", str(secret))
    assert status == 2 and "--ca FILE" in err and "--insecure" in err
    with pytest.raises(AuditError, match="cannot connect"):
        await run_audit(Target(omm.host, 1, "monitor", "x", tls_context(None, True)))


# -- the hardened system ---------------------------------------------------------------------

#: What AXI cannot show even on a hardened system: the default account as a read-only account
#: sees it, settings without an AXI request, secrets shown only encrypted.
CANNOT_TELL_OVER_AXI = {"1.1", "2.5", "3.5", "3.6", "3.7"}


async def test_the_hardened_system_passes_everything_axi_can_show(hardened: Emulator) -> None:
    report = await run_audit(target(hardened, READ_ONLY_USER, READ_ONLY_PASSWORD))
    seen = outcomes(report)
    assert not [i for i, s in seen.items() if s is Status.FAIL], report.as_dict()
    assert {i for i, s in seen.items() if s is Status.CANNOT_TELL} == CANNOT_TELL_OVER_AXI
    assert report.exit_status() == 0


async def test_as_the_administrator_the_default_credentials_item_passes(
        hardened: Emulator) -> None:
    report = await run_audit(target(hardened, *HARDENED_ADMIN, probe_tls=False))
    assert outcomes(report)["1.1"] is Status.PASS
    assert "omm: state changed" in why(report, "1.1")


async def test_the_audit_sends_the_omm_nothing_but_reads(hardened: Emulator) -> None:
    """What the OMM received from the audit's session, seen at the OMM itself."""
    service = hardened.omm.service
    assert service is not None
    api = service.api
    received: list[tuple[int, Message]] = []
    handle = api.handle

    def recording(ctx: Any, req: Message) -> Any:
        received.append((id(ctx.session), req))
        return handle(ctx, req)

    api.handle = recording  # type: ignore[method-assign]
    try:
        await run_audit(target(hardened, READ_ONLY_USER, READ_ONLY_PASSWORD, probe_tls=False))
    finally:
        del api.handle
    ours = {sid for sid, req in received
            if req.name == "Open" and req.attrs.get("username") == READ_ONLY_USER}
    names = [req.name for sid, req in received if sid in ours]
    assert names[0] == "Open" and len(names) > 10
    assert set(names) <= READ_ONLY_REQUESTS
    assert not [n for n in names if n in ROUTES and ROUTES[n].permission == WRITE]
