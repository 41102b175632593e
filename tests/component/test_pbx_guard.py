"""The call server's blocking over loopback UDP inside a system: a valid login of one account
does not wipe the wrong guesses at another from the same address, the blocked address is
refused (403) and shows in the failed access log, and the OMM's users, registering from
another address, go on registering."""

from __future__ import annotations

from pathlib import Path

from test_pbx import Phone, ask, request

from sipdect.app.emulator import Emulator
from sipdect.sip import DigestClient, Peer, SipTransport, Transport
from sipdect.waiting import until

ATTACKER = "127.0.0.2"  # the OMM and the call server listen on 127.0.0.1

CONFIG = """
[system]
control_port = 0
[[omm]]
name = "OMM"
[[omm.accounts]]
username = "omm"
password = "Sipdect-Omm-2026"
[pbx]
[[pbx.accounts]]
user = "300"
password = "Far-End-300"
[[pbx.accounts]]
user = "203"
password = "Sip-203-pw"
[[user]]
number = "201"
name = "Alice"
sip_password = "Sip-201-pw"
"""


async def register(phone: Phone, server: Peer, password: str) -> int:
    """REGISTER `phone.user`, answering a challenge with `password`; the final status."""
    req = request("REGISTER", server, phone, phone.user)
    first = await ask(phone, req)
    if first.status != 401:
        return first.status
    retry = DigestClient(phone.user, password).authorize(req, first)
    assert retry is not None
    return (await ask(phone, retry)).status


async def test_guesses_between_valid_logins_still_block_the_address(tmp_path: Path) -> None:
    async with Emulator(CONFIG, tmp_path) as emu:
        assert emu.system is not None and emu.system.pbx is not None
        pbx = emu.system.pbx.running
        await until(lambda: pbx.registered("201"), "the OMM to register user 201")
        transport = SipTransport()
        try:
            address = await transport.listen(Transport.UDP, ATTACKER)
            guesser, holder = Phone("300", transport, address), Phone("201", transport, address)
            transport.on_event = guesser
            statuses = []
            for _ in range(3):  # 9 wrong passwords for 300, then 201's valid login
                for _ in range(9):
                    statuses.append(await register(guesser, pbx.address, "wrong"))
                statuses.append(await register(holder, pbx.address, "Sip-201-pw"))
            assert statuses[:10] == [401] * 9 + [200]
            assert statuses[10:] == [403] * 20  # the 10th guess blocked the address
            failed = pbx.access_logs()["failed"]
            assert failed[-1].reason == "blocked"
            assert (failed[-1].user, failed[-1].host) == ("201", ATTACKER)

            emu.omm.model.users.create({"num": "203", "sipPw": "Sip-203-pw"})
            await until(lambda: pbx.registered("203"), "the OMM to register user 203")
            ok = pbx.access_logs()["successful"][-1]
            assert (ok.user, ok.host) == ("203", emu.omm.host)
        finally:
            await transport.close()
