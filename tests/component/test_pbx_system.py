"""The call server inside a system: [pbx] and [[user]] parsing with one-line errors, users
created and bound in their OMM, BasicSIP pointed at the call server (and left alone when
configured or changed by an administrator), registrations over the loopback."""

from __future__ import annotations

from pathlib import Path

import pytest

from sipdect.app.config import ConfigError, load_config, parse_config
from sipdect.app.emulator import Emulator
from sipdect.waiting import until

BASE = """
[system]
control_port = 0
[[omm]]
name = "OMM"
[[omm.accounts]]
username = "omm"
password = "Sipdect-Omm-2026"
"""

PBX = BASE + """
[pbx]
srtp = "optional"
[[pbx.accounts]]
user = "300"
password = "Far-End-300"
[[user]]
number = "201"
name = "Alice"
sip_password = "Sip-201-pw"
handset = "03074 0220259 3"
[[user]]
number = "202"
name = "Bob"
sip_password = "Sip-202-pw"
auth_id = "bob"
"""


def test_default_config_has_the_call_server_and_two_users() -> None:
    cfg = load_config()
    assert cfg.pbx is not None and cfg.pbx.enabled and cfg.pbx.srtp == "no"
    assert (cfg.pbx.udp_port, cfg.pbx.tcp_port, cfg.pbx.tls_port) == (5060, 5060, 5061)
    assert cfg.shifted(5060) == 5060 and cfg.shifted(443) == 8443 and cfg.shifted(0) == 0
    assert (cfg.pbx.host, cfg.address_of("OMM")) == ("127.10.0.1", "127.0.0.1")
    assert [(u.number, u.name, u.handset) for u in cfg.users] == [
        ("201", "Alice", "03074 0220259 3"), ("202", "Bob", "00077 0010001 6")]
    assert all(u.sip_password and u.omm == "OMM" for u in cfg.users)


def test_no_pbx_section_means_no_call_server() -> None:
    assert parse_config(BASE).pbx is None


@pytest.mark.parametrize(("extra", "message"), [
    ('[pbx]\nsrtp = "maybe"\n', "srtp must be one of no, optional, required"),
    ("[pbx]\nudp_port = 70000\n", "'udp_port' = 70000 is not a TCP port"),
    ("[pbx]\nproxy = 1\n", "unknown key(s) proxy"),
    ('[pbx]\nrealm = ""\n', "realm must not be empty"),
    ('[pbx]\ndigest_algorithms = ["MD4"]\n', "digest_algorithms is a list of MD5"),
    ("[pbx]\nmax_transactions_per_ip = 0\n", "must be at least 1"),
    ('[[user]]\nnumber = 201\nsip_password = "x"\n', 'write \'number\' as a string'),
    ('[[user]]\nnumber = "2 01"\nsip_password = "x"\n', "is not a SIP user name"),
    ('[[user]]\nnumber = "201"\n', "give user 201 a 'sip_password'"),
    ('[[user]]\nnumber = "201"\nsip_password = "x"\nhandset = "123"\n', "is not an IPEI"),
    ('[[user]]\nnumber = "201"\nsip_password = "x"\n[[user]]\nnumber = "201"\n'
     'sip_password = "y"\n', "number 201 is used twice"),
    ('[[user]]\nnumber = "201"\nsip_password = "x"\nhandset = "03074 0220259 3"\n'
     '[[user]]\nnumber = "202"\nsip_password = "y"\nhandset = "0307402202593"\n',
     "bound to two users"),
    ('[[user]]\nnumber = "201"\nsip_password = "x"\nomm = "Nowhere"\n', "names OMM 'Nowhere'"),
])
def test_bad_values_are_one_clear_line(extra: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(BASE + extra, "t.toml")
    assert message in str(err.value) and "\n" not in str(err.value)


def test_ports_can_be_switched_off_and_sha256_offered() -> None:
    cfg = parse_config(BASE + "[pbx]\ntcp_port = false\ntls_port = false\n"
                       'digest_algorithms = ["SHA-256", "MD5"]\n')
    assert cfg.pbx is not None and cfg.pbx.tcp_port is None and cfg.pbx.tls_port is None
    assert cfg.pbx.digest_algorithms == ("SHA-256", "MD5")
    assert parse_config(BASE + "[pbx]\n").pbx.digest_algorithms == ("MD5",)  # type: ignore[union-attr]


def test_protection_limits_default_to_mivo400_and_can_be_raised() -> None:
    default = parse_config(BASE + "[pbx]\n").pbx
    assert default is not None
    assert (default.max_auth_failures, default.max_transactions_per_ip) == (10, 200)
    raised = parse_config(BASE + "[pbx]\nmax_transactions_per_ip = 5000\n").pbx
    assert raised is not None and raised.max_transactions_per_ip == 5000


async def test_users_are_created_bound_and_registered(tmp_path: Path) -> None:
    async with Emulator(PBX, tmp_path) as emu:
        system = emu.system
        assert system is not None and system.pbx is not None
        server = system.pbx.running
        model = emu.omm.model
        alice = model.users.find_by_number("201")
        assert alice["name"] == "Alice" and alice["relType"] == "Fixed"
        assert model.devices.get(alice["ppn"])["ipei"] == "03074 0220259 3"
        assert model.users.secret(alice, "sipPw") == "Sip-201-pw"
        bob = model.users.find_by_number("202")
        assert bob["relType"] == "Unbound" and bob["sipAuthId"] == "bob"
        basic = model.settings.get("BasicSIP")
        assert (basic["regServer"], basic["regPort"]) == (server.address.host,
                                                         server.address.port)
        await until(lambda: server.registered("201") and server.registered("202"),
                    "201 and 202 registered at the call server")
        assert {r.user for r in server.access_logs()["successful"]} == {"201", "bob"}
        info = system.ready_info(secrets=True)
        protocols = {e["protocol"] for e in info["endpoints"] if e["component"] == "pbx"}
        assert protocols == {"sip-udp", "sip-tcp", "sip-tls"}
        assert {r["user"] for r in info["pbx"]["registrations"]} == {"201", "202"}
        assert info["pbx"]["srtp"] == "optional"
        assert server.config.accounts["300"] == "Far-End-300"


async def test_existing_user_and_admin_basic_sip_are_left_alone(tmp_path: Path) -> None:
    async with Emulator(PBX, tmp_path) as emu:
        model = emu.omm.model
        model.users.update(model.users.find_by_number("201")["uid"], {"name": "Renamed"})
        model.settings.update("BasicSIP", {"regServer": "192.0.2.9", "proxyServer": ""})
    async with Emulator(PBX, tmp_path) as emu:
        model = emu.omm.model
        assert model.users.find_by_number("201")["name"] == "Renamed"
        assert model.settings.get("BasicSIP")["regServer"] == "192.0.2.9"


async def test_a_restart_follows_the_call_server_to_its_new_port(tmp_path: Path) -> None:
    ports = []
    for _ in range(2):
        async with Emulator(PBX, tmp_path) as emu:
            assert emu.system is not None and emu.system.pbx is not None
            basic = emu.omm.model.settings.get("BasicSIP")
            assert basic["regPort"] == emu.system.pbx.running.address.port
            ports.append(basic["regPort"])
    assert ports[0] != ports[1]  # any_port: each start binds a new free port


async def test_configured_basic_sip_points_elsewhere(tmp_path: Path) -> None:
    external = PBX.replace('[pbx]', '[omm.settings.BasicSIP]\nregServer = "127.0.0.1"\n'
                           'regPort = 5999\nproxyServer = "127.0.0.1"\nproxyPort = 5999\n'
                           'transportProt = "UDP"\n[pbx]', 1)
    async with Emulator(external, tmp_path) as emu:
        assert emu.omm.model.settings.get("BasicSIP")["regPort"] == 5999


async def test_the_service_trusts_given_certificates_for_tls_contacts(tmp_path: Path) -> None:
    from test_pbx_transports import ACCOUNTS, AVP, Certs, Ua, authed, make_ua, register, request

    from sim.pbx import PbxConfig as ServerConfig
    from sim.pbx.service import PbxListeners, PbxService
    from sipdect import tls
    from sipdect.sip import SipTransport, TlsClientOptions, TlsServerOptions, Transport

    service = PbxService(ServerConfig(accounts=ACCOUNTS), tmp_path / "pbx", PbxListeners())
    await service.start()
    cert, key = tls.ensure_certificate(tmp_path / "phone", "phone", ("127.0.0.1",))
    service.trust([cert])
    pbx_cert, _ = tls.ensure_certificate(tmp_path / "pbx")  # the service's own, as it made it
    made: list[Ua] = []
    try:
        pbx = service.running
        assert {p for p, _, _ in service.endpoints()} == {"sip-udp", "sip-tcp", "sip-tls"}
        # bob trusts the call server; the call server trusts bob's certificate via trust().
        transport = SipTransport(tls_client=TlsClientOptions(cafile=pbx_cert))
        bob = Ua("202", Transport.TLS, transport, await transport.listen(
            Transport.TLS, tls_server=TlsServerOptions(cert, key)))
        transport.on_event = bob
        made.append(bob)
        alice = await make_ua(made, Certs(cert, key), "201", Transport.UDP)
        for ua in (alice, bob):
            await register(ua, pbx)
        invite = request("INVITE", pbx, alice, "202")
        invite.headers.add("Content-Type", "application/sdp")
        invite.body = AVP
        _, answer = await authed(alice, pbx, invite)
        assert answer.status == 200  # the call server opened TLS to bob and trusted him
        assert service.describe()["registrations"][0]["user"] == "201"
    finally:
        for ua in made:
            await ua.transport.close()
        await service.stop()
