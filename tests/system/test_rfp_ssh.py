"""An RFP's SSH shells as an installer meets them, with Debian's OpenSSH client (issue 16 item 1).

Seed 000 "Securing Operating System User Interfaces": factory logins omm/omm (user shell) and
root/22222 (root shell) until an OMM takes the RFP over; then the OMM's full-access account
for the user shell, no root login (`su` from the user shell with the OMM's root password), and
no login at all while the OMM's "Remote access" is off. A shell command acts on the RFP
(reboot: the OMM sees the RFP go and come back, over AXI); logins and failures are in the
RFP's syslog.
"""

from __future__ import annotations

import asyncio
import socket
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from ssh_peer import SshPeer, needs_ssh

from rfp.access import OmmAccess
from rfp.radio import RfpRadio
from rfp.station import VirtualRfp
from sim.air import Air
from sipdect.accounts import md5_crypt
from sipdect.app.library import Site
from sipdect.axi.codec import element
from sipdect.link import constants as c
from sipdect.waiting import until

pytestmark = [needs_ssh, pytest.mark.slow]

MAC = "00:30:42:5e:77:01"


def closed_port() -> int:
    """A port nobody listens on: an OMM address that never answers (an RFP nobody took over)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def factory_rfp(tmp_path: Path) -> AsyncIterator[VirtualRfp]:
    air = Air()
    air.add_rfp(1, 0, 0)
    rfp = VirtualRfp(MAC, c.HardwareType.RFP35, "127.0.0.1", closed_port(),
                     tmp_path / "rfp" / "key", RfpRadio(air, 1), reconnect_min=0.2,
                     reconnect_max=0.5, ssh_port=0, hostname="RFP-Factory")
    await rfp.start()
    await rfp.ssh_started()
    yield rfp
    await rfp.stop()


def peer_of(rfp: VirtualRfp, tmp: Path) -> SshPeer:
    assert rfp.ssh is not None and rfp.ssh.listening
    return SshPeer(tmp, rfp.ssh.host, rfp.ssh.port, rfp.ssh.public_key())


async def test_factory_state_user_omm_omm_and_root_22222(factory_rfp: VirtualRfp,
                                                          tmp_path: Path) -> None:
    peer = peer_of(factory_rfp, tmp_path / "ssh")
    user = await peer.run("omm", "omm", "whoami")
    assert (user.status, user.stdout) == (0, "omm\n"), user.stderr
    root = await peer.run("root", "22222", "whoami")
    assert (root.status, root.stdout) == (0, "root\n"), root.stderr
    state = await peer.run("omm", "omm", "state")
    assert "remote access  factory" in state.stdout and MAC in state.stdout
    wrong = await peer.run("root", "omm")
    assert wrong.status == 255 and "Permission denied" in wrong.stderr
    unknown = await peer.run("omm", "omm", "ls /")
    assert unknown.status == 127 and unknown.stdout == "-sh: ls: not found\n"
    # The host key is made once and kept beside the RFP's key, for its owner only.
    key_file = tmp_path / "rfp" / "key.ssh_host_ed25519_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    log = await peer.run("root", "22222", "logread")
    assert "login of 'root' from 127.0.0.1" in log.stdout
    assert "login of 'root' from 127.0.0.1" in log.stdout and "refused: bad password" in log.stdout
    assert "omm: command: whoami" in log.stdout


async def test_an_interactive_session_su_and_exit(factory_rfp: VirtualRfp,
                                                  tmp_path: Path) -> None:
    peer = peer_of(factory_rfp, tmp_path / "ssh")
    out = await peer.run("omm", "omm", stdin="omm\nsu\nwrong\nsu\n22222\nwhoami\nexit\n"
                                              "whoami\nexit\n")
    assert out.status == 0, out.stderr
    assert "su: incorrect password" in out.stdout
    assert out.stdout.count("root\n") == 1 and "omm@RFP-Factory:~$ " in out.stdout
    assert "root@RFP-Factory:~# " in out.stdout


async def test_ssh_goes_with_the_power_and_keeps_its_port_and_key(factory_rfp: VirtualRfp,
                                                                  tmp_path: Path) -> None:
    assert factory_rfp.ssh is not None
    port, key = factory_rfp.ssh.port, factory_rfp.ssh.public_key()
    factory_rfp.power_off()
    assert not factory_rfp.ssh.listening
    with pytest.raises(OSError):
        await asyncio.open_connection(factory_rfp.ssh.host, port)
    factory_rfp.power_on()
    await until(lambda: factory_rfp.ssh is not None and factory_rfp.ssh.listening,
                "SSH listening again")
    assert (factory_rfp.ssh.port, factory_rfp.ssh.public_key()) == (port, key)
    out = await peer_of(factory_rfp, tmp_path / "ssh").run("omm", "omm", "whoami")
    assert out.stdout == "omm\n"


async def test_factory_reset_forgets_the_omms_settings_and_the_key(factory_rfp: VirtualRfp,
                                                                   tmp_path: Path) -> None:
    # As if an OMM had enrolled it and sent its SSH settings (the site tests below do that).
    factory_rfp.store_key(bytes(range(64)))
    factory_rfp.omm_access(OmmAccess(True, "root", md5_crypt("Su-2026!"), "omm",
                                     md5_crypt("Omm-Admin-2026")))
    peer = peer_of(factory_rfp, tmp_path / "ssh")
    assert (await peer.run("omm", "omm", "whoami")).status == 255
    out = await peer.run("omm", "Omm-Admin-2026", stdin="su\nSu-2026!\nfactoryreset\n")
    assert "Factory reset" in out.stdout, out
    await until(lambda: factory_rfp.ssh is not None and factory_rfp.ssh.listening,
                "SSH back after the reset's reboot")
    assert factory_rfp.load_key() is None
    assert not (tmp_path / "rfp" / "key").exists()
    assert not (tmp_path / "rfp" / "key.ssh.json").exists()
    assert (await peer.run("root", "22222", "whoami")).stdout == "root\n"


# -- taken over by an OMM --------------------------------------------------------------------
OMM_PASSWORD = "Sipdect-Omm-2026"
ROOT_PASSWORD = "Su-Shell-2026"
SITE = f"""
[system]
name = "rfp-ssh-test"

[[omm]]
name = "OMM"

[[omm.accounts]]
username = "omm"
password = "{OMM_PASSWORD}"

[[rfp]]
name = "RFP Hall"
mac = "{MAC}"
omm = "OMM"
"""


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def site(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Site]:
    async with Site(SITE, data_dir=tmp_path_factory.mktemp("site")) as started:
        yield started


def rfp_peer(site: Site, tmp: Path) -> SshPeer:
    host = site.system.site.rfp(site.rfp("RFP Hall")._air_id())
    assert host.station is not None and host.station.ssh is not None
    ssh = host.station.ssh
    return SshPeer(tmp, ssh.host, ssh.port, ssh.public_key())


async def set_remote_access(site: Site, on: bool) -> None:
    axi = await site.axi()
    try:
        await axi.request("SetRemoteAccess", {"enable": "true" if on else "false"})
    finally:
        await axi.close()
    await until(lambda: site.rfp("RFP Hall").state()["ssh"]["access"] == ("omm" if on else "off"),
                "the RFP told the new remote access setting")


async def set_root_password(site: Site, peer: SshPeer) -> None:
    """The OMM's root account gets ROOT_PASSWORD; returns once `su` on the RFP takes it (each
    test sets it: xdist may run a module's tests on different workers, each with its site)."""
    axi = await site.axi()
    try:
        await axi.request("SetAccount", children=[element("account", {
            "id": 2, "password": ROOT_PASSWORD})])
    finally:
        await axi.close()

    async def su_works() -> bool:
        out = await peer.run("omm", OMM_PASSWORD, stdin=f"su\n{ROOT_PASSWORD}\nwhoami\n")
        return "root\n" in out.stdout
    await until(su_works, "su with the OMM's new root password")


@pytest.mark.asyncio(loop_scope="module")
async def test_taken_over_remote_access_off_refuses_everyone(site: Site, tmp_path: Path) -> None:
    await set_remote_access(site, False)
    peer = rfp_peer(site, tmp_path)
    for user, password in (("omm", "omm"), ("root", "22222"), ("omm", OMM_PASSWORD)):
        out = await peer.run(user, password, "whoami")
        assert out.status == 255 and "Permission denied" in out.stderr, (user, out)
    # The endpoint is in the ready file's list and in `ctl rfps`.
    ssh = site.rfp("RFP Hall").state()["ssh"]
    assert any(e.protocol == "ssh" and e.port == ssh["port"] for e in site.system.endpoints())


@pytest.mark.asyncio(loop_scope="module")
async def test_taken_over_the_omms_account_su_and_no_root_login(site: Site,
                                                                 tmp_path: Path) -> None:
    await set_remote_access(site, True)
    peer = rfp_peer(site, tmp_path)
    assert (await peer.run("omm", "omm", "whoami")).status == 255  # the factory login is gone
    root = await peer.run("root", "22222", "whoami")
    assert root.status == 255 and "Permission denied" in root.stderr
    user = await peer.run("omm", OMM_PASSWORD, stdin="reboot\nsu\n22222\nwhoami\nexit\nexit\n")
    assert user.status == 0, user.stderr
    assert "reboot: permission denied" in user.stdout and "root\n" in user.stdout
    # A new root password on the OMM reaches the RFP at once.
    await set_root_password(site, peer)
    log = await peer.run("omm", OMM_PASSWORD, "logread")
    assert "login of 'root' from 127.0.0.1" in log.stdout
    assert "refused: root login refused" in log.stdout
    assert "su: omm to root" in log.stdout and "remote access set by the OMM: omm" in log.stdout


@pytest.mark.asyncio(loop_scope="module")
async def test_reboot_from_the_root_shell_is_seen_over_axi(site: Site, tmp_path: Path) -> None:
    await set_remote_access(site, True)
    peer = rfp_peer(site, tmp_path)
    await set_root_password(site, peer)
    rfp_id = site.rfp("RFP Hall").state()["id"]
    axi = await site.axi()
    try:
        async def connected(want: str) -> bool:
            resp = await axi.request("GetRFP", {"id": rfp_id, "withState": "true"})
            rfp = resp.child("rfp")
            return rfp is not None and rfp.attrs["connected"] == want

        await until(lambda: connected("true"), "RFP connected")
        out = await peer.run("omm", OMM_PASSWORD, stdin=f"su\n{ROOT_PASSWORD}\nreboot\n")
        assert "going down for reboot" in out.stdout, out
        await until(lambda: connected("false"), "the OMM sees the RFP gone")
        await until(lambda: connected("true"), "the RFP back at the OMM")
    finally:
        await axi.close()
    # What the OMM set survives the reboot: root still cannot log in, the OMM's user can.
    await until(lambda: site.rfp("RFP Hall").state()["ssh"]["listening"], "SSH back")
    assert (await peer.run("root", "22222", "whoami")).status == 255
    assert (await peer.run("omm", OMM_PASSWORD, "whoami")).stdout == "omm\n"


class SyslogServer(asyncio.DatagramProtocol):
    """A syslog server on loopback: every datagram with the address it came from."""

    def __init__(self) -> None:
        self.got: list[tuple[str, str]] = []

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.got.append((addr[0], data.decode("utf-8", "replace")))

    def from_(self, address: str, text: str) -> list[str]:
        return [line for source, line in self.got if source == address and text in line]


@pytest.mark.asyncio(loop_scope="module")
async def test_the_rfp_sends_its_syslog_where_the_omm_says(site: Site, tmp_path: Path) -> None:
    """Seed 000 "Syslog": set on the OMM (SetSyslogServer), the RFP sends its own lines
    (SYS_SYSLOG), from its own address, beside the OMM's event log; off again, it stops."""
    server = SyslogServer()
    transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
        lambda: server, local_addr=("127.0.0.1", 0))
    port = transport.get_extra_info("sockname")[1]
    rfp = site.rfp("RFP Hall")
    address = site.system.site.rfp(rfp._air_id()).address
    axi = await site.axi()
    try:
        await axi.request("SetSyslogServer", {"enable": "true", "ipAddr": "127.0.0.1",
                                              "port": str(port)})
        await until(lambda: server.from_(address, "syslog to 127.0.0.1"),
                    "the RFP's first line at the syslog server")
        await set_remote_access(site, True)
        peer = rfp_peer(site, tmp_path)
        assert (await peer.run("omm", "wrong-password", "whoami")).status == 255
        line = (await until(lambda: server.from_(address, "refused"),
                            "the failed login at the syslog server"))[0]
        assert line.startswith("<") and " RFP " in line  # RFC 5424, APP-NAME RFP
        await axi.request("SetSyslogServer", {"enable": "false", "ipAddr": "127.0.0.1",
                                              "port": str(port)})
        await until(lambda: site.rfp("RFP Hall").state()["syslog"] is None,
                    "the RFP told syslog is off")
        before = len(server.got)
        assert (await peer.run("omm", "wrong-again", "whoami")).status == 255
        assert not [g for g in server.got[before:] if g[0] == address]
    finally:
        await axi.close()
        transport.close()
