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

from rfp.radio import RfpRadio
from rfp.station import VirtualRfp
from sim.air import Air
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
